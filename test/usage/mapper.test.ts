import { beforeAll, describe, expect, it } from 'vitest'
import { projectRequestParameters, REQUEST_DETAIL_PATHS } from '../../src/source/request-details.js'
import { type ActionCatalog, createCatalog, loadCatalog } from '../../src/usage/catalog.js'
import { type ActionMapper, createActionMapper } from '../../src/usage/mapper.js'
import dependent from '../../src/usage/overrides/dependent.json' with { type: 'json' }
import eventSources from '../../src/usage/overrides/event-sources.json' with { type: 'json' }
import events from '../../src/usage/overrides/events.json' with { type: 'json' }
import permissionless from '../../src/usage/overrides/permissionless.json' with { type: 'json' }
import { loadOverrides } from '../../src/usage/overrides.js'
import { ScopedownError } from '../../src/util/errors.js'
import { actionNames } from './helpers.js'

const BUNDLED = { eventSources, events, permissionless, dependent }
const BUCKET = 'arn:aws:s3:::data-bucket'
const OBJECT = 'arn:aws:s3:::data-bucket/reports/2026.csv'

let catalog: ActionCatalog
let mapper: ActionMapper
beforeAll(async () => {
  catalog = await loadCatalog()
  mapper = createActionMapper(catalog)
})

describe('override tables (data quality)', () => {
  it('name only actions that exist in the catalog', () => {
    const overrides = loadOverrides(BUNDLED)
    const named = new Set<string>()
    for (const e of overrides.events.values()) {
      for (const a of e.actions ?? []) named.add(a)
      for (const r of e.rules ?? [])
        for (const a of [...r.add, ...(r.otherwise ?? [])]) named.add(a)
    }
    for (const list of Object.values(overrides.dependent.tagOnCreate.byService))
      for (const a of list) named.add(a)
    for (const list of Object.values(overrides.dependent.tagOnCreate.byEvent))
      for (const a of list) named.add(a)
    named.add(overrides.dependent.lambdaLayers.action)
    const missing = [...named].filter((a) => !catalog.get(a))
    expect(missing).toEqual([])
    expect(named.size).toBeGreaterThan(100)
  })

  it('name only catalog actions in event-name families, for every catalog name they cover', () => {
    const overrides = loadOverrides(BUNDLED)
    expect(overrides.patterns.length).toBeGreaterThan(1)
    for (const pattern of overrides.patterns) {
      expect(catalog.hasService(pattern.prefix), pattern.key).toBe(true)
      for (const template of pattern.actions) {
        const [service = '', name = ''] = template.split(':')
        const re = new RegExp(`^${name.replace(/\$1/g, '(\\w+)')}$`, 'i')
        const covered = catalog
          .actions(service)
          .filter((a) => re.test(a.action.split(':')[1] ?? ''))
        expect(covered.length, template).toBeGreaterThan(0)
      }
    }
    // Every Export*Recommendations of the catalog has the Get* the family adds.
    for (const info of catalog.actions('compute-optimizer')) {
      const type = /^compute-optimizer:Export(\w+)Recommendations$/.exec(info.action)?.[1]
      if (type)
        expect(catalog.get(`compute-optimizer:Get${type}Recommendations`), type).toBeDefined()
    }
  })

  it('test only request fields that sources project (keys of REQUEST_DETAIL_PATHS)', () => {
    const overrides = loadOverrides(BUNDLED)
    const fields = [
      ...[...overrides.events.values()].flatMap((e) => (e.rules ?? []).map((r) => r.when.field)),
      ...overrides.dependent.tagOnCreate.fields,
      ...overrides.dependent.passRole.roleFields,
      ...overrides.dependent.passRole.instanceProfileFields,
      overrides.dependent.lambdaLayers.field,
    ]
    expect(fields.filter((f) => !(f in REQUEST_DETAIL_PATHS))).toEqual([])
  })

  it('know the tag-on-create action of every service that has no TagResource', () => {
    const rules = loadOverrides(BUNDLED).dependent.tagOnCreate
    const unknown = catalog.services().filter((service) => {
      if (catalog.get(`${service}:TagResource`) || service === 'iam') return false
      if (rules.notForPrefixes.includes(service) || rules.byService[service]) return false
      return catalog.actions(service).some((a) => /Tagging/.test(a.accessLevel))
    })
    expect(unknown).toEqual([])
  })

  it('rename eventSources only to IAM prefixes the catalog knows', () => {
    const prefixes = [...loadOverrides(BUNDLED).renames.values()].map((r) => r.prefix)
    expect(prefixes.filter((p) => !catalog.hasService(p))).toEqual([])
  })

  it('key every event override by a catalog service and say why', () => {
    for (const [key, entry] of loadOverrides(BUNDLED).events) {
      expect(catalog.hasService(key.split(':')[0] ?? ''), key).toBe(true)
      expect(entry.why.length, key).toBeGreaterThan(10)
    }
  })

  it('reject a user table with a bad entry, naming the file and the path', () => {
    const broken = {
      ...BUNDLED,
      events: { events: { 's3:Foo': { actions: ['not an action'] } }, httpVerbs: {} },
    }
    let error: unknown
    try {
      loadOverrides(broken)
    } catch (e) {
      error = e
    }
    expect(error).toBeInstanceOf(ScopedownError)
    expect((error as ScopedownError).code).toBe('CONFIG_INVALID')
    expect((error as ScopedownError).message).toContain('events.json')
    expect((error as ScopedownError).hint).toMatch(/events\["s3:Foo"\]\.actions\[0\]/)
  })

  it('let a user add an override without touching code', () => {
    const extra = structuredClone(BUNDLED.events) as { events: Record<string, unknown> }
    extra.events['s3:GetStorageLensDashboardDataInternal'] = {
      actions: ['s3:ListStorageLensConfigurations'],
      why: 'local decision',
    }
    const custom = createActionMapper(catalog, loadOverrides({ ...BUNDLED, events: extra }))
    const result = custom.map({
      eventSource: 's3.amazonaws.com',
      eventName: 'GetStorageLensDashboardDataInternal',
    })
    expect(actionNames(result)).toEqual(['s3:ListStorageLensConfigurations'])
  })
})

describe('mapping layers', () => {
  it('returns catalog casing whatever the event spelling', () => {
    expect(
      actionNames(mapper.map({ eventSource: 's3.amazonaws.com', eventName: 'GetBucketAcl' })),
    ).toEqual(['s3:GetBucketAcl'])
    expect(
      actionNames(mapper.map({ eventSource: 'S3.AMAZONAWS.COM', eventName: 'getbucketcors' })),
    ).toEqual(['s3:GetBucketCORS'])
  })

  it('accepts a bare service name as eventSource (trailscraper tests use "lambda")', () => {
    expect(mapper.servicePrefix('lambda')).toBe('lambda')
    expect(mapper.servicePrefix('monitoring.amazonaws.com')).toBe('cloudwatch')
    expect(
      actionNames(mapper.map({ eventSource: 'lambda', eventName: 'ListFunctions20150331' })),
    ).toEqual(['lambda:ListFunctions'])
  })

  it('says why an event is unmapped and never emits an action', () => {
    const result = mapper.map({ eventSource: 's3.amazonaws.com', eventName: 'NoSuchOperation' })
    expect(result).toEqual({
      status: 'unmapped',
      actions: [],
      note: 'no IAM action s3:NoSuchOperation in the catalog and no override for it',
    })
    expect(mapper.map({ eventSource: '', eventName: '' }).status).toBe('unmapped')
  })

  it('emits only catalog actions even when an override names a retired one', () => {
    const tiny = createCatalog('tiny', [
      {
        action: 's3:ListBucket',
        service: 's3',
        accessLevel: 'List',
        resourceTypes: [],
        dependentActions: [],
      },
    ])
    const small = createActionMapper(tiny)
    expect(small.map({ eventSource: 's3.amazonaws.com', eventName: 'ListObjects' }).status).toBe(
      'mapped',
    )
    const dropped = small.map({ eventSource: 's3.amazonaws.com', eventName: 'ListBuckets' })
    expect(dropped).toMatchObject({
      status: 'unmapped',
      note: 'the catalog has none of s3:ListAllMyBuckets',
    })
  })

  it('treats requestParameters null as "known, none" and absent as "unknown"', () => {
    const known = mapper.map({
      eventSource: 's3.amazonaws.com',
      eventName: 'HeadObject',
      requestParameters: null,
    })
    expect(actionNames(known)).toEqual(['s3:GetObject'])
    expect(known.note).toBeUndefined()
    const unknown = mapper.map({ eventSource: 's3.amazonaws.com', eventName: 'HeadObject' })
    expect(actionNames(unknown)).toEqual(['s3:GetObject', 's3:GetObjectVersion'])
    expect(unknown.note).toMatch(/request parameters not given/)
  })

  it('reads projected details in preference to raw parameters, decoding JSON text', () => {
    const result = mapper.map({
      eventSource: 'ec2.amazonaws.com',
      eventName: 'RunInstances',
      requestParameters: {},
      // DuckDB's json_extract hands JSON text back: '{"name":"p"}' and '"instance"'.
      details: { iamInstanceProfile: '{"name":"p"}', tagSpecificationSet: '"instance"' },
    })
    expect(actionNames(result)).toEqual(['ec2:CreateTags', 'ec2:RunInstances', 'iam:PassRole'])
  })

  it('projects raw requestParameters with the same paths the sources use', () => {
    expect(
      projectRequestParameters({
        tagSpecificationSet: { items: [{ resourceType: 'volume', tags: [] }] },
        ReplicationConfiguration: { Role: 'arn:aws:iam::1:role/r' },
        bucketName: 'b',
        unrelated: 'x',
      }),
    ).toEqual({
      tagSpecificationSet: 'volume',
      replicationRole: 'arn:aws:iam::1:role/r',
      bucketName: 'b',
    })
  })
})

describe('resources', () => {
  const resources = [
    { ARN: OBJECT, type: 'AWS::S3::Object' },
    { ARN: BUCKET, type: 'AWS::S3::Bucket' },
    { ARNPrefix: 'arn:aws:s3:::data-bucket/reports/', type: 'AWS::S3::Object' },
  ]

  it('gives each action only the ARNs of the resource types it accepts', () => {
    const get = mapper.map({
      eventSource: 's3.amazonaws.com',
      eventName: 'GetObject',
      requestParameters: {},
      resources,
    })
    expect(get.actions).toEqual([{ action: 's3:GetObject', resources: [OBJECT] }])
    const list = mapper.map({
      eventSource: 's3.amazonaws.com',
      eventName: 'ListObjects',
      requestParameters: {},
      resources,
    })
    expect(list.actions).toEqual([{ action: 's3:ListBucket', resources: [BUCKET] }])
  })

  it('leaves resources unknown for wildcard-only actions and for ARNs of other types', () => {
    const all = mapper.map({
      eventSource: 's3.amazonaws.com',
      eventName: 'ListBuckets',
      resources: [BUCKET],
    })
    expect(all.actions).toEqual([{ action: 's3:ListAllMyBuckets' }])
    const wrong = mapper.map({
      eventSource: 'lambda.amazonaws.com',
      eventName: 'GetFunction',
      resources: ['arn:aws:iam::111111111111:role/x'],
    })
    expect(wrong.actions).toEqual([{ action: 'lambda:GetFunction' }])
  })
})

describe('explain: which events map to an action', () => {
  it('lists overrides and same-name events, with the real eventSource host', () => {
    const listBucket = mapper.eventsFor('s3:listbucket').map((e) => `${e.eventName}/${e.via}`)
    expect(listBucket).toEqual(
      expect.arrayContaining([
        'ListObjects/override',
        'ListObjectsV2/override',
        'HeadBucket/override',
      ]),
    )
    const alarms = mapper.eventsFor('cloudwatch:DescribeAlarms')
    expect(alarms.map((e) => e.eventSource)).toContain('monitoring.amazonaws.com')
  })

  it('shows iam:PassRole as dependent only: there is no PassRole event (Q52)', () => {
    const refs = mapper.eventsFor('iam:PassRole')
    expect(refs.map((r) => r.via)).toEqual(['dependent'])
  })

  it('lists API Gateway verbs by name pattern', () => {
    expect(mapper.eventsFor('apigateway:GET').some((e) => e.via === 'http-verb')).toBe(true)
  })
})
