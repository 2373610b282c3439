import { beforeAll, describe, expect, it } from 'vitest'
import type { Window } from '../../src/model.js'
import type { Coverage } from '../../src/source/types.js'
import { loadCatalog } from '../../src/usage/catalog.js'
import { type ActionMapper, createActionMapper } from '../../src/usage/mapper.js'
import { summarizeUsage } from '../../src/usage/usage.js'
import { apiCall } from './helpers.js'

const ROLE = 'arn:aws:iam::111111111111:role/app'
const WINDOW: Window = { start: '2026-08-01T00:00:00.000Z', end: '2026-11-01T00:00:00.000Z' }
const COVERAGE: Coverage[] = [
  {
    accountId: '111111111111',
    region: 'us-east-1',
    firstEvent: '2026-08-01T00:00:05.000Z',
    lastEvent: '2026-10-31T23:59:00.000Z',
    daysWithEvents: 92,
    missingDays: [],
  },
]
const OBJECT = 'arn:aws:s3:::b/k'
const BUCKET = 'arn:aws:s3:::b'

let mapper: ActionMapper
beforeAll(async () => {
  mapper = createActionMapper(await loadCatalog())
})

const summarize = (calls: Parameters<typeof summarizeUsage>[1], principal = ROLE) =>
  summarizeUsage(principal, calls, COVERAGE, WINDOW, mapper)

describe('summarizeUsage', () => {
  it('folds several events into one action, keeping counts, dates and the events', () => {
    const usage = summarize([
      apiCall({
        eventSource: 's3.amazonaws.com',
        eventName: 'ListObjects',
        count: 3,
        firstSeen: '2026-09-01T00:00:00.000Z',
        lastSeen: '2026-09-02T00:00:00.000Z',
      }),
      apiCall({
        eventSource: 's3.amazonaws.com',
        eventName: 'ListObjectsV2',
        count: 2,
        firstSeen: '2026-08-15T00:00:00.000Z',
        lastSeen: '2026-10-20T00:00:00.000Z',
      }),
    ])
    expect(usage.used).toEqual([
      {
        action: 's3:ListBucket',
        calls: 5,
        firstSeen: '2026-08-15T00:00:00.000Z',
        lastSeen: '2026-10-20T00:00:00.000Z',
        resources: [],
        resourcesCapped: false,
        via: ['s3.amazonaws.com:ListObjects', 's3.amazonaws.com:ListObjectsV2'],
      },
    ])
    expect(usage).toMatchObject({
      principalArn: ROLE,
      window: WINDOW,
      coverage: COVERAGE,
      unmapped: [],
      denied: [],
    })
  })

  it('Q62/Q69/Q72 puts denied calls in denied, never in used', () => {
    const usage = summarize([
      apiCall({
        eventSource: 'ec2.amazonaws.com',
        eventName: 'RunInstances',
        count: 4,
        deniedCount: 4,
      }),
      apiCall({ eventSource: 'iam.amazonaws.com', eventName: 'GetRole', count: 5, deniedCount: 1 }),
    ])
    expect(usage.used.map((u) => [u.action, u.calls])).toEqual([['iam:GetRole', 4]])
    expect(usage.denied).toEqual([
      {
        action: 'ec2:RunInstances',
        count: 4,
        lastSeen: '2026-10-02T00:00:00.000Z',
        via: ['ec2.amazonaws.com:RunInstances'],
      },
      {
        action: 'iam:GetRole',
        count: 1,
        lastSeen: '2026-10-02T00:00:00.000Z',
        via: ['iam.amazonaws.com:GetRole'],
      },
    ])
  })

  it('Q70 counts authorised-but-failed calls (not found, validation) as use', () => {
    // The source counts them in `count` and not in `deniedCount`: they needed the permission.
    const usage = summarize([
      apiCall({
        eventSource: 's3.amazonaws.com',
        eventName: 'GetBucketPolicy',
        count: 7,
        deniedCount: 0,
      }),
    ])
    expect(usage.used).toMatchObject([{ action: 's3:GetBucketPolicy', calls: 7 }])
  })

  it('Q71 records a denied attempt under the action the event maps to', () => {
    const usage = summarize([
      apiCall({
        eventSource: 's3.amazonaws.com',
        eventName: 'ListObjectsV2',
        count: 1,
        deniedCount: 1,
      }),
    ])
    expect(usage.denied.map((d) => d.action)).toEqual(['s3:ListBucket'])
  })

  it('weights request-dependent actions by the detail counts', () => {
    const usage = summarize([
      apiCall({
        eventSource: 'ec2.amazonaws.com',
        eventName: 'RunInstances',
        count: 10,
        deniedCount: 1,
        details: [
          { params: { iamInstanceProfile: { name: 'web' } }, count: 3, deniedCount: 1 },
          { params: { tagSpecificationSet: 'instance' }, count: 2, deniedCount: 0 },
        ],
      }),
    ])
    const calls = Object.fromEntries(usage.used.map((u) => [u.action, u.calls]))
    expect(calls).toEqual({ 'ec2:CreateTags': 2, 'ec2:RunInstances': 9, 'iam:PassRole': 2 })
    expect(usage.denied).toMatchObject([
      { action: 'ec2:RunInstances', count: 1 },
      { action: 'iam:PassRole', count: 1 },
    ])
  })

  it('maps object versions per detail: HeadObject with and without versionId', () => {
    const usage = summarize([
      apiCall({
        eventSource: 's3.amazonaws.com',
        eventName: 'HeadObject',
        count: 5,
        details: [{ params: { versionId: '3HL4kqtJlcpXroDTDmJ' }, count: 2, deniedCount: 0 }],
      }),
    ])
    expect(usage.used.map((u) => [u.action, u.calls])).toEqual([
      ['s3:GetObject', 3],
      ['s3:GetObjectVersion', 2],
    ])
  })

  it('takes resources from the mapping: only ARNs of types the action accepts', () => {
    const usage = summarize([
      apiCall({
        eventSource: 's3.amazonaws.com',
        eventName: 'GetObject',
        resources: [BUCKET, OBJECT],
      }),
      apiCall({
        eventSource: 's3.amazonaws.com',
        eventName: 'ListObjects',
        resources: [BUCKET, OBJECT],
        resourcesCapped: true,
      }),
    ])
    expect(usage.used).toMatchObject([
      { action: 's3:GetObject', resources: [OBJECT], resourcesCapped: false },
      { action: 's3:ListBucket', resources: [BUCKET], resourcesCapped: true },
    ])
  })

  it('takes explicit resources from the mapping (PassRole on the role in the request)', () => {
    const role = 'arn:aws:iam::111111111111:role/fn'
    const usage = summarize([
      apiCall({
        eventSource: 'lambda.amazonaws.com',
        eventName: 'CreateFunction20150331',
        details: [{ params: { role }, count: 1, deniedCount: 0 }],
      }),
    ])
    expect(usage.used.find((u) => u.action === 'iam:PassRole')?.resources).toEqual([role])
  })

  it('forgets resources when one contributing call cannot name them', () => {
    const usage = summarize([
      apiCall({ eventSource: 's3.amazonaws.com', eventName: 'GetObject', resources: [OBJECT] }),
      apiCall({ eventSource: 's3.amazonaws.com', eventName: 'SelectObjectContent', resources: [] }),
    ])
    expect(usage.used).toMatchObject([{ action: 's3:GetObject', calls: 2, resources: [] }])
  })

  it('lists unmapped and permissionless calls, sorted, and grants nothing for them', () => {
    const mystery = apiCall({ eventSource: 's3.amazonaws.com', eventName: 'FrobnicateBucket' })
    const whoami = apiCall({
      eventSource: 'sts.amazonaws.com',
      eventName: 'GetCallerIdentity',
      count: 40,
    })
    const usage = summarize([whoami, mystery])
    expect(usage.used).toEqual([])
    expect(usage.unmapped).toEqual([mystery])
    expect(usage.permissionless).toEqual([whoami])
  })

  it('Q63 matches the principal exactly: a same-named role on another path is someone else', () => {
    const pathed = 'arn:aws:iam::111111111111:role/team/app'
    const usage = summarize(
      [
        apiCall({ principalArn: pathed, eventSource: 'iam.amazonaws.com', eventName: 'GetRole' }),
        apiCall({ principalArn: ROLE, eventSource: 'iam.amazonaws.com', eventName: 'ListRoles' }),
      ],
      pathed,
    )
    expect(usage.used.map((u) => u.action)).toEqual(['iam:GetRole'])
  })

  it('Q59 folds global-service calls from any region into one action', () => {
    const usage = summarize([
      apiCall({ eventSource: 'iam.amazonaws.com', eventName: 'GetRole', regions: ['us-east-1'] }),
      apiCall({
        eventSource: 'iam.amazonaws.com',
        eventName: 'GetRole',
        regions: ['eu-west-1'],
        count: 2,
      }),
    ])
    expect(usage.used).toMatchObject([{ action: 'iam:GetRole', calls: 3 }])
  })

  it('Q65 service-linked roles are excluded upstream; summarizeUsage treats every principal alike', () => {
    const slr =
      'arn:aws:iam::111111111111:role/aws-service-role/rds.amazonaws.com/AWSServiceRoleForRDS'
    const usage = summarize(
      [apiCall({ principalArn: slr, eventSource: 'ec2.amazonaws.com', eventName: 'DescribeVpcs' })],
      slr,
    )
    expect(usage.used.map((u) => u.action)).toEqual(['ec2:DescribeVpcs'])
  })
})
