import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { type ActionCatalog, loadCatalog } from '../../src/usage/catalog.js'
import { type ActionMapper, createActionMapper } from '../../src/usage/mapper.js'
import { createObservability } from '../../src/usage/observability.js'
import { actionNames, hasSharedData, NEEDS_DATA, SHARED_DATA } from '../usage/helpers.js'

/**
 * duo-labs/cloudtracker's expectations (shared/data/peers/cloudtracker, BSD-3-Clause), run against
 * scopedown. cloudtracker works on API names, scopedown on IAM actions (Q75): the cases below say
 * where that makes scopedown deliberately differ.
 */
const DIR = join(SHARED_DATA, 'peers/cloudtracker')
const expected = () => JSON.parse(readFileSync(join(DIR, 'expected-cases.json'), 'utf8'))

let catalog: ActionCatalog
let mapper: ActionMapper
beforeAll(async () => {
  catalog = await loadCatalog()
  mapper = createActionMapper(catalog)
})

describe.skipIf(!hasSharedData)(`cloudtracker expectations ${NEEDS_DATA}`, () => {
  it('normalize_api_call cases: version suffix and monitoring -> cloudwatch', () => {
    const cases: { eventSource_prefix: string; eventName: string; expected: string }[] =
      expected().normalize_api_call
    for (const c of cases) {
      const result = mapper.map({
        eventSource: `${c.eventSource_prefix}.amazonaws.com`,
        eventName: c.eventName,
      })
      expect(actionNames(result).map((a) => a.toLowerCase())).toEqual([c.expected])
    }
  })

  it('Q75 wildcard expansion: scopedown expands over IAM actions, so it finds more than API names', () => {
    const cases: { statement: { Action: string[] }; expected: string[] }[] =
      expected().wildcard_expansion
    for (const c of cases) {
      const ours = c.statement.Action.flatMap((p) =>
        catalog.expand(p).map((a) => a.action.toLowerCase()),
      )
      // Deliberate: a superset. cloudtracker misses IAM-only actions such as s3:PutObjectVersionAcl
      // (no API of that name), which a policy pattern does grant.
      expect(ours).toEqual(expect.arrayContaining(c.expected))
    }
    expect(catalog.expand('s3:PutObject*').map((a) => a.action)).toContain('s3:PutObjectVersionAcl')
  })

  it("Q75 s3:ListBucket, absent from cloudtracker's API list, is observable through ListObjects", () => {
    const role = expected().role_allowed_actions
    expect(role.expected_allowed).not.toContain('s3:listbucket')
    expect(
      actionNames(mapper.map({ eventSource: 's3.amazonaws.com', eventName: 'ListObjects' })),
    ).toEqual(['s3:ListBucket'])
    expect(mapper.eventsFor('s3:ListBucket').map((e) => e.eventName)).toContain('ListObjects')
  })

  it("print_diff: used '  ', unused '-', unobservable '?' (scopedown: s3:PutObject is a data event)", () => {
    const diff = expected().print_diff as {
      performed: string[]
      allowed: string[]
      expected_output: string
    }
    const model = createObservability(catalog)
    const used = new Set(
      diff.performed.flatMap((p) => {
        const [service = '', name = ''] = p.split(':')
        return actionNames(
          mapper.map({ eventSource: `${service}.amazonaws.com`, eventName: name }),
        ).map((a) => a.toLowerCase())
      }),
    )
    const lines = diff.allowed.map((action) => {
      if (used.has(action)) return `  ${action}`
      return model.classify(action).trusted ? `- ${action}` : `? ${action}`
    })
    const order = (line: string) => line.slice(2)
    expect(lines.sort((a, b) => order(a).localeCompare(order(b))).join('\n')).toBe(
      diff.expected_output
        .trimEnd()
        .split('\n')
        .sort((a, b) => order(a).localeCompare(order(b)))
        .join('\n'),
    )
  })

  it('cloudtrail_supported_actions.txt: every listed API maps to catalog actions only', () => {
    const lines = readFileSync(join(DIR, 'cloudtrail_supported_actions.txt'), 'utf8')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l.includes(':'))
    expect(lines.length).toBeGreaterThan(6000)
    let mapped = 0
    for (const line of lines) {
      const [service = '', name = ''] = line.split(':')
      const result = mapper.map({ eventSource: `${service}.amazonaws.com`, eventName: name })
      for (const { action } of result.actions)
        expect(catalog.get(action)?.action, line).toBe(action)
      if (result.status !== 'unmapped') mapped++
    }
    // The list is 2018-2020 era: retired services (a4b, mobilehub ...) no longer map, and that is right.
    expect(mapped / lines.length).toBeGreaterThan(0.8)
    // API names that are not IAM actions map to the action that authorises them.
    expect(
      actionNames(mapper.map({ eventSource: 's3.amazonaws.com', eventName: 'HeadBucket' })),
    ).toEqual(['s3:ListBucket'])
    expect(
      actionNames(mapper.map({ eventSource: 's3.amazonaws.com', eventName: 'ListBuckets' })),
    ).toEqual(['s3:ListAllMyBuckets'])
  })

  it("Q30 deliberately not cloudtracker's EVENT_RENAMES: SOAP names map to today's actions", () => {
    expect(
      actionNames(
        mapper.map({ eventSource: 's3.amazonaws.com', eventName: 'GetBucketAccessControlPolicy' }),
      ),
    ).toEqual(['s3:GetBucketAcl'])
    expect(
      actionNames(mapper.map({ eventSource: 's3.amazonaws.com', eventName: 'GetBucketAcl' })),
    ).toEqual(['s3:GetBucketAcl'])
  })
})
