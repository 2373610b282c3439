import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { readRecordsFile } from '../../scripts/mapping-coverage.js'
import { type ActionCatalog, loadCatalog } from '../../src/usage/catalog.js'
import { type ActionMapper, createActionMapper, type MapInput } from '../../src/usage/mapper.js'
import { actionNames, hasSharedData, NEEDS_DATA, SHARED_DATA } from '../usage/helpers.js'

/**
 * flosell/trailscraper's own expectations (shared/data/peers/trailscraper, Apache-2.0), run
 * against scopedown. Where scopedown deliberately differs, the case says so and why.
 */
const DIR = join(SHARED_DATA, 'peers/trailscraper')
const json = (file: string) => JSON.parse(readFileSync(join(DIR, file), 'utf8'))

let catalog: ActionCatalog
let mapper: ActionMapper
beforeAll(async () => {
  catalog = await loadCatalog()
  mapper = createActionMapper(catalog)
})

interface EventCase {
  eventSource: string
  eventName: string
  expected_action: string | null
  expected_resource?: string[] | null
  origin: string
}

/** Cases where trailscraper's expectation is wrong for IAM today, and what scopedown does. */
const DELIBERATE: Record<string, { status: string; actions: string[]; why: string }> = {
  'monitoring.amazonaws.com DescribeLogStreams': {
    status: 'unmapped',
    actions: [],
    why: 'cloudwatch:DescribeLogStreams is not an IAM action (the test event is contrived): scopedown never invents one',
  },
}

describe.skipIf(!hasSharedData)(`trailscraper expectations ${NEEDS_DATA}`, () => {
  it('event -> IAM action cases (record_test.py)', () => {
    const cases: EventCase[] = hasSharedData
      ? json('expected/event-to-iam-action.json').event_cases
      : []
    expect(cases.length).toBe(12)
    for (const c of cases) {
      const apiGateway = c.eventSource.startsWith('apigateway')
      const input: MapInput = {
        eventSource: c.eventSource,
        eventName: c.eventName,
        // trailscraper reads the resource ARN of AssumeRole from the record's resources[].
        ...(c.expected_resource && !apiGateway && c.expected_resource[0] !== '*'
          ? { resources: c.expected_resource }
          : {}),
      }
      const result = mapper.map(input)
      const deliberate = DELIBERATE[`${c.eventSource} ${c.eventName}`]
      if (deliberate) {
        expect(result.status, deliberate.why).toBe(deliberate.status)
        expect(actionNames(result)).toEqual(deliberate.actions)
        continue
      }
      if (c.expected_action === null) {
        expect(result.status, c.origin).toBe('permissionless')
        continue
      }
      expect(actionNames(result), c.origin).toEqual([c.expected_action])
      const resources = result.actions[0]?.resources
      if (apiGateway) {
        // Deliberate: trailscraper writes arn:aws:apigateway:*::/restapis...; scopedown does not
        // invent ARNs the event does not carry (no region, no path), so resources stay unknown.
        expect(resources, c.origin).toBeUndefined()
      } else if (c.expected_resource && c.expected_resource[0] !== '*') {
        expect(resources, c.origin).toEqual(c.expected_resource)
      } else {
        expect(resources, c.origin).toBeUndefined()
      }
    }
  })

  it('eventSource -> IAM prefix cases', () => {
    const cases: { eventSource: string; expected_prefix: string }[] = json(
      'expected/event-to-iam-action.json',
    ).event_source_prefix_cases
    for (const c of cases) expect(mapper.servicePrefix(c.eventSource)).toBe(c.expected_prefix)
  })

  it.each([
    '111111111111_CloudTrail_eu-central-1_20171211T1505Z_A6kvhMoVeCsc7v8U.json',
    '111111111111_CloudTrail_eu-central-1_20171211T1505Z_A6kvhMoVeCsc7v8U.json.gz',
  ])('the expected policy of `trailscraper generate` for %s', (file) => {
    const policy = json(
      'expected/111111111111_CloudTrail_eu-central-1_20171211T1505Z_A6kvhMoVeCsc7v8U.expected-policy.json',
    )
    const expected = new Map<string, string[]>()
    for (const s of policy.Statement) for (const a of s.Action) expected.set(a, s.Resource)
    const got = new Map<string, string[]>()
    for (const record of readRecordsFile(join(DIR, 'cloudtrail', file))) {
      const result = mapper.map({
        eventSource: String(record.eventSource),
        eventName: String(record.eventName),
        requestParameters: (record.requestParameters ?? null) as Record<string, unknown> | null,
        resources: (record.resources ?? []) as { ARN?: string }[],
      })
      for (const a of result.actions) got.set(a.action, a.resources ?? ['*'])
    }
    expect(got).toEqual(expected)
  })

  it('the smoke-test records, including the AWS docs API Gateway example', () => {
    const records = readRecordsFile(join(DIR, 'cloudtrail/events-for-smoke-test.json'))
    const actions = records.flatMap((r) =>
      actionNames(
        mapper.map({ eventSource: String(r.eventSource), eventName: String(r.eventName) }),
      ),
    )
    expect(actions.sort()).toEqual([
      'apigateway:GET',
      'autoscaling:DescribeLaunchConfigurations',
      'sts:AssumeRole',
    ])
  })

  it('generate-policy cases: the same action sets (dedupe, grouping by resource)', () => {
    const cases = json('expected/generate-policy-cases.json').cases as {
      name: string
      records: { eventSource: string; eventName: string; resource_arns?: string[] }[]
      expected: { Statement: { Action: string[]; Resource: string[] }[] }
    }[]
    for (const c of cases) {
      const got = new Map<string, Set<string>>()
      for (const r of c.records) {
        const result = mapper.map({
          eventSource: r.eventSource,
          eventName: r.eventName,
          resources: r.resource_arns ?? [],
        })
        for (const a of result.actions) {
          const set = got.get(a.action) ?? new Set()
          for (const arn of a.resources ?? ['*']) set.add(arn)
          got.set(a.action, set)
        }
      }
      const expected = new Map<string, Set<string>>()
      for (const s of c.expected.Statement) {
        for (const a of s.Action) {
          // Deliberate: rds:SomethingDifferent is a made-up event; scopedown leaves it unmapped.
          if (a === 'rds:SomethingDifferent') continue
          expected.set(a, new Set([...(expected.get(a) ?? []), ...s.Resource]))
        }
      }
      expect(got, c.name).toEqual(expected)
    }
  })

  it('parse-record cases: resources without ARN are ignored; identity does not change the mapping', () => {
    const cases = json('expected/parse-record-cases.json').cases as {
      name: string
      raw?: Record<string, unknown>
    }[]
    const results = Object.fromEntries(
      cases
        .filter((c) => c.raw)
        .map((c) => {
          const raw = c.raw as Record<string, unknown>
          return [
            c.name,
            mapper.map({
              eventSource: String(raw.eventSource),
              eventName: String(raw.eventName),
              resources: (raw.resources ?? []) as { ARN?: string }[],
            }),
          ]
        }),
    )
    expect(results.resource_without_ARN_key?.actions).toEqual([
      { action: 's3:ListBucket', resources: ['arn:aws:s3:::some-bucket'] },
    ])
    // Deliberate: trailscraper keeps kms:DeleteKey; there is no such IAM action (the API is
    // ScheduleKeyDeletion; DeleteKey is KMS's own service event), so scopedown grants nothing.
    expect(results.missing_userIdentity_type?.status).toBe('permissionless')
    expect(results.assumed_role_without_sessionContext?.status).toBe('permissionless')
  })

  it('deliberately no "guess": scopedown never adds sibling actions that were not used', () => {
    const cases = json('expected/guess-cases.json').cli_cases as { name: string }[]
    expect(cases.length).toBeGreaterThan(0)
    const result = mapper.map({
      eventSource: 'autoscaling.amazonaws.com',
      eventName: 'DescribeLaunchConfigurations',
    })
    expect(actionNames(result)).toEqual(['autoscaling:DescribeLaunchConfigurations'])
  })

  it("Q73/Q44 unknown_actions.txt: only catalog actions come out, never trailscraper's bogus ones", () => {
    const lines = readFileSync(join(DIR, 'unknown_actions.txt'), 'utf8')
      .split('\n')
      .filter((l) => l.includes(':'))
    expect(lines.length).toBeGreaterThan(600)
    const emitted = new Map<string, string[]>()
    for (const line of lines) {
      const [service = '', name = ''] = line.trim().split(':')
      const result = mapper.map({ eventSource: `${service}.amazonaws.com`, eventName: name })
      // Only catalog actions come out; names that were bogus then and are real today map by name.
      for (const { action } of result.actions) {
        expect(catalog.get(action)?.action, line).toBe(action)
      }
      emitted.set(line.trim(), actionNames(result))
    }
    expect(emitted.get('lambda:Invoke')).toEqual(['lambda:InvokeFunction'])
    expect(emitted.get('email:SendEmail')).toEqual(['ses:SendEmail'])
    expect(emitted.get('s3:SelectObjectContent')).toEqual(['s3:GetObject'])
    const stillBogus = lines.map((l) => l.trim()).filter((l) => !catalog.get(l))
    expect(stillBogus.length).toBeGreaterThan(100)
    for (const line of stillBogus) expect(emitted.get(line)).not.toContain(line)
  })

  it('KNOWN_UNKNOWNS / UNDOCUMENTED of the naive mapping: only catalog actions come out', () => {
    const data = json('expected/naive-mapping-known-unknowns.json') as {
      UNDOCUMENTED: string[]
      KNOWN_UNKNOWNS: string[]
    }
    for (const name of [...data.KNOWN_UNKNOWNS, ...data.UNDOCUMENTED]) {
      const [service = '', operation = ''] = name.split(':')
      const result = mapper.map({ eventSource: `${service}.amazonaws.com`, eventName: operation })
      for (const { action } of result.actions)
        expect(catalog.get(action)?.action, name).toBe(action)
      if (result.status === 'unmapped') expect(catalog.get(name), name).toBeUndefined()
    }
    // Actions their docs lacked in 2018 are in today's catalog and map by name.
    expect(
      actionNames(mapper.map({ eventSource: 'logs.amazonaws.com', eventName: 'AssociateKmsKey' })),
    ).toEqual(['logs:AssociateKmsKey'])
  })
})
