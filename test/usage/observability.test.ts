import { beforeAll, describe, expect, it } from 'vitest'
import { type ActionCatalog, loadCatalog, patternToRegExp } from '../../src/usage/catalog.js'
import {
  createObservability,
  DEFAULT_TRAIL_LOGGING,
  LOOKUP_EVENTS_LOGGING,
  type ObservabilityClass,
  parseEventSelectors,
  type TrailLogging,
  trailLoggingFromConfig,
} from '../../src/usage/observability.js'
import observabilityData from '../../src/usage/overrides/observability.json' with { type: 'json' }
import { ScopedownError } from '../../src/util/errors.js'

let catalog: ActionCatalog
beforeAll(async () => {
  catalog = await loadCatalog()
})

const TRAIL = 'arn:aws:cloudtrail:us-east-1:111111111111:trail/org'
const allS3 = { Type: 'AWS::S3::Object', Values: ['arn:aws:s3'] }

function classify(logging: TrailLogging, action: string) {
  return createObservability(catalog, logging).classify(action)
}

interface Case {
  name: string
  logging: TrailLogging
  action: string
  class: ObservabilityClass
  trusted: boolean
  covered?: string[]
}

const basic = (selectors: unknown[]) =>
  parseEventSelectors({ TrailARN: TRAIL, EventSelectors: selectors })
const advanced = (selectors: unknown[]) =>
  parseEventSelectors({ TrailARN: TRAIL, AdvancedEventSelectors: selectors })
const mgmt = { Name: 'mgmt', FieldSelectors: [{ Field: 'eventCategory', Equals: ['Management'] }] }

const CASES: Case[] = [
  {
    name: 'Q52 iam:PassRole is never logged',
    logging: DEFAULT_TRAIL_LOGGING,
    action: 'iam:PassRole',
    class: 'unlogged',
    trusted: false,
  },
  {
    name: 'Q51 kms:Decrypt is also used through forward access sessions',
    logging: DEFAULT_TRAIL_LOGGING,
    action: 'kms:Decrypt',
    class: 'unlogged',
    trusted: false,
  },
  {
    name: 'Q61 KMS crypto calls are never trusted as absent (cross-account denials log elsewhere)',
    logging: DEFAULT_TRAIL_LOGGING,
    action: 'kms:GenerateDataKey',
    class: 'unlogged',
    trusted: false,
  },
  {
    name: 'STS session tags are permission-only',
    logging: DEFAULT_TRAIL_LOGGING,
    action: 'sts:TagSession',
    class: 'unlogged',
    trusted: false,
  },
  {
    name: 'CloudWatch Logs PutLogEvents is not in CloudTrail',
    logging: DEFAULT_TRAIL_LOGGING,
    action: 'logs:PutLogEvents',
    class: 'unlogged',
    trusted: false,
  },
  {
    name: 'API Gateway invocations are not in CloudTrail',
    logging: DEFAULT_TRAIL_LOGGING,
    action: 'execute-api:Invoke',
    class: 'unlogged',
    trusted: false,
  },
  {
    name: 'Q78 an unlisted action is assumed a management event',
    logging: DEFAULT_TRAIL_LOGGING,
    action: 'ssm:GetParameter',
    class: 'management',
    trusted: true,
  },
  {
    name: 'write management events are trusted by default',
    logging: DEFAULT_TRAIL_LOGGING,
    action: 'iam:CreateRole',
    class: 'management',
    trusted: true,
  },
  {
    name: 'an action outside the catalog is unknown',
    logging: DEFAULT_TRAIL_LOGGING,
    action: 's3:ListObjects',
    class: 'unknown',
    trusted: false,
  },
  {
    name: 'Q56 data events are off by default: s3:GetObject',
    logging: DEFAULT_TRAIL_LOGGING,
    action: 's3:GetObject',
    class: 'data',
    trusted: false,
  },
  {
    name: 'Q56 data events are off by default: lambda:InvokeFunction',
    logging: DEFAULT_TRAIL_LOGGING,
    action: 'lambda:InvokeFunction',
    class: 'data',
    trusted: false,
  },
  {
    name: 'Q56 data events are off by default: dynamodb:PutItem',
    logging: DEFAULT_TRAIL_LOGGING,
    action: 'dynamodb:PutItem',
    class: 'data',
    trusted: false,
  },
  {
    name: 'Q56 s3:ListBucket is a data event too (ListObjects)',
    logging: DEFAULT_TRAIL_LOGGING,
    action: 's3:ListBucket',
    class: 'data',
    trusted: false,
  },
  {
    name: 'Q56 basic selector logging all S3 objects',
    logging: basic([{ ReadWriteType: 'All', DataResources: [allS3] }]),
    action: 's3:PutObject',
    class: 'data',
    trusted: true,
  },
  {
    name: 'Q56 basic selector, ReadOnly: writes are not logged',
    logging: basic([{ ReadWriteType: 'ReadOnly', DataResources: [allS3] }]),
    action: 's3:PutObject',
    class: 'data',
    trusted: false,
  },
  {
    name: 'Q56 basic selector, ReadOnly: reads are',
    logging: basic([{ ReadWriteType: 'ReadOnly', DataResources: [allS3] }]),
    action: 's3:GetObject',
    class: 'data',
    trusted: true,
  },
  {
    name: 'Q56 one bucket only: partial, with the covered prefix',
    logging: basic([
      { DataResources: [{ Type: 'AWS::S3::Object', Values: ['arn:aws:s3:::logs-bucket/'] }] },
    ]),
    action: 's3:GetObject',
    class: 'data',
    trusted: false,
    covered: ['arn:aws:s3:::logs-bucket/'],
  },
  {
    name: 'Q56 basic selectors cannot log SNS: sns:Publish stays untrusted',
    logging: basic([
      { DataResources: [allS3, { Type: 'AWS::Lambda::Function', Values: ['arn:aws:lambda'] }] },
    ]),
    action: 'sns:Publish',
    class: 'data',
    trusted: false,
  },
  {
    name: 'basic selector without management events',
    logging: basic([{ IncludeManagementEvents: false, DataResources: [allS3] }]),
    action: 'iam:CreateRole',
    class: 'management',
    trusted: false,
  },
  {
    name: 'basic selector excluding KMS management events',
    logging: basic([{ ExcludeManagementEventSources: ['kms.amazonaws.com'] }]),
    action: 'kms:CreateKey',
    class: 'management',
    trusted: false,
  },
  {
    name: 'excluding KMS leaves other services trusted',
    logging: basic([{ ExcludeManagementEventSources: ['kms.amazonaws.com'] }]),
    action: 'ec2:RunInstances',
    class: 'management',
    trusted: true,
  },
  {
    name: 'excluding rdsdata.amazonaws.com affects rds-data:*',
    logging: basic([{ ExcludeManagementEventSources: ['rdsdata.amazonaws.com'] }]),
    action: 'rds-data:ExecuteStatement',
    class: 'management',
    trusted: false,
  },
  {
    name: 'advanced: write-only management events leave reads untrusted',
    logging: advanced([
      {
        FieldSelectors: [
          { Field: 'eventCategory', Equals: ['Management'] },
          { Field: 'readOnly', Equals: ['false'] },
        ],
      },
    ]),
    action: 'ec2:DescribeInstances',
    class: 'management',
    trusted: false,
  },
  {
    name: 'advanced: all SNS topics logged, platform endpoints not: sns:Publish untrusted',
    logging: advanced([
      mgmt,
      {
        FieldSelectors: [
          { Field: 'eventCategory', Equals: ['Data'] },
          { Field: 'resources.type', Equals: ['AWS::SNS::Topic'] },
        ],
      },
    ]),
    action: 'sns:Publish',
    class: 'data',
    trusted: false,
  },
  {
    name: 'advanced: all SQS queues logged -> sqs:SendMessage trusted',
    logging: advanced([
      mgmt,
      {
        FieldSelectors: [
          { Field: 'eventCategory', Equals: ['Data'] },
          { Field: 'resources.type', Equals: ['AWS::SQS::Queue'] },
        ],
      },
    ]),
    action: 'sqs:SendMessage',
    class: 'data',
    trusted: true,
  },
  {
    name: 'advanced: resources.ARN StartsWith -> partial with prefixes',
    logging: advanced([
      {
        FieldSelectors: [
          { Field: 'eventCategory', Equals: ['Data'] },
          { Field: 'resources.type', Equals: ['AWS::S3::Object'] },
          { Field: 'resources.ARN', StartsWith: ['arn:aws:s3:::a/', 'arn:aws:s3:::b/'] },
        ],
      },
    ]),
    action: 's3:GetObject',
    class: 'data',
    trusted: false,
    covered: ['arn:aws:s3:::a/', 'arn:aws:s3:::b/'],
  },
  {
    name: 'advanced: an eventName filter makes the type partial',
    logging: advanced([
      {
        FieldSelectors: [
          { Field: 'eventCategory', Equals: ['Data'] },
          { Field: 'resources.type', Equals: ['AWS::S3::Object'] },
          { Field: 'eventName', NotEquals: ['GetObject'] },
        ],
      },
    ]),
    action: 's3:PutObject',
    class: 'data',
    trusted: false,
  },
  {
    name: 'advanced: management minus KMS',
    logging: advanced([
      {
        FieldSelectors: [
          { Field: 'eventCategory', Equals: ['Management'] },
          { Field: 'eventSource', NotEquals: ['kms.amazonaws.com'] },
        ],
      },
    ]),
    action: 'kms:ScheduleKeyDeletion',
    class: 'management',
    trusted: false,
  },
  {
    name: 'Q58 LookupEvents never returns data events',
    logging: LOOKUP_EVENTS_LOGGING,
    action: 's3:GetObject',
    class: 'data',
    trusted: false,
  },
  {
    name: 'Q58 LookupEvents returns management events',
    logging: LOOKUP_EVENTS_LOGGING,
    action: 'iam:AttachRolePolicy',
    class: 'management',
    trusted: true,
  },
  {
    name: 'config: dataEvents by service prefix',
    logging: trailLoggingFromConfig({ dataEvents: ['s3'] }),
    action: 's3:DeleteObject',
    class: 'data',
    trusted: true,
  },
  {
    name: 'config: dataEvents by resource type',
    logging: trailLoggingFromConfig({ dataEvents: ['AWS::Lambda::Function'] }),
    action: 'lambda:InvokeFunction',
    class: 'data',
    trusted: true,
  },
  {
    name: 'config: write-only management events',
    logging: trailLoggingFromConfig({ managementEvents: 'write-only' }),
    action: 'iam:GetRole',
    class: 'management',
    trusted: false,
  },
]

describe('observability classes', () => {
  it.each(CASES)('$name', (c) => {
    const result = classify(c.logging, c.action)
    expect(result.class).toBe(c.class)
    expect(result.trusted).toBe(c.trusted)
    expect(result.reason.length).toBeGreaterThan(5)
    if (c.covered) expect(result.coveredArnPrefixes).toEqual(c.covered)
  })

  it('Q57 every action of a data-event type is classed data, never management', () => {
    const model = createObservability(catalog)
    for (const entry of observabilityData.dataEvents) {
      for (const pattern of entry.actions) {
        for (const info of catalog.expand(pattern)) {
          const result = model.classify(info.action)
          expect(['data', 'unlogged'], info.action).toContain(result.class)
        }
      }
    }
  })

  it('keeps only patterns that match catalog actions (no dead rows)', () => {
    const patterns = [
      ...observabilityData.dataEvents.flatMap((d) => d.actions),
      ...Object.keys(observabilityData.unlogged),
    ]
    const dead = patterns.filter((p) => catalog.expand(p).length === 0)
    expect(dead).toEqual([])
    for (const service of Object.keys(observabilityData.unloggedServices)) {
      expect(catalog.hasService(service), service).toBe(true)
    }
    expect(patternToRegExp('kms:GenerateDataKey*').test('kms:GenerateDataKeyPair')).toBe(true)
  })
})

describe('parseEventSelectors', () => {
  it('unions several trails', () => {
    const logging = parseEventSelectors([
      {
        TrailARN: 'a',
        EventSelectors: [{ IncludeManagementEvents: true, ReadWriteType: 'WriteOnly' }],
      },
      {
        TrailARN: 'b',
        EventSelectors: [{ IncludeManagementEvents: true, ReadWriteType: 'ReadOnly' }],
      },
    ])
    expect(logging.description).toBe('event selectors of a, b')
    expect(classify(logging, 'ec2:DescribeVpcs').trusted).toBe(true)
    expect(classify(logging, 'ec2:CreateVpc').trusted).toBe(true)
  })

  it('reads empty data resource values (logging switched off) as nothing logged', () => {
    const logging = basic([
      {
        ReadWriteType: 'All',
        IncludeManagementEvents: false,
        DataResources: [{ Type: 'AWS::S3::Object', Values: [] }],
      },
    ])
    expect(logging.data).toEqual([])
    expect(logging.management).toEqual([])
  })

  it('ignores network-activity selectors', () => {
    const logging = advanced([
      {
        FieldSelectors: [
          { Field: 'eventCategory', Equals: ['NetworkActivity'] },
          { Field: 'eventSource', Equals: ['s3.amazonaws.com'] },
        ],
      },
    ])
    expect(logging).toMatchObject({ management: [], data: [] })
  })

  it.each([
    ['a string', 'nope'],
    ['an object of another shape', { Trails: [] }],
    ['a bad ReadWriteType', { EventSelectors: [{ ReadWriteType: 'Sometimes' }] }],
  ])('rejects %s with INPUT_INVALID and a hint', (_label, json) => {
    let error: unknown
    try {
      parseEventSelectors(json)
    } catch (e) {
      error = e
    }
    expect(error).toBeInstanceOf(ScopedownError)
    expect((error as ScopedownError).code).toBe('INPUT_INVALID')
    expect((error as ScopedownError).hint).toMatch(/get-event-selectors/)
  })
})

describe('trailLoggingFromConfig', () => {
  it('rejects a dataEvents entry that logs nothing', () => {
    expect(() => trailLoggingFromConfig({ dataEvents: ['iam'] })).toThrow(
      /'iam' has no data events/,
    )
  })

  it('accepts explicit selectors with ARN prefixes', () => {
    const logging = trailLoggingFromConfig({
      dataEvents: [
        { resourceType: 'AWS::S3::Object', arnPrefixes: ['arn:aws:s3:::x/'], readOnly: true },
      ],
    })
    const get = classify(logging, 's3:GetObject')
    expect(get).toMatchObject({ trusted: false, coveredArnPrefixes: ['arn:aws:s3:::x/'] })
    expect(classify(logging, 's3:PutObject').coveredArnPrefixes).toBeUndefined()
  })
})
