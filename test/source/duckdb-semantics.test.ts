import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createDuckDbSource } from '../../src/source/duckdb.js'
import type { LogSource, UsageQuery, UsageResult } from '../../src/source/types.js'
import {
  ACCOUNT,
  assumedRole,
  awsService,
  event,
  federatedUser,
  iamUser,
  type Json,
  OTHER_ACCOUNT,
  root,
  tempFolder,
  writeS3Log,
} from './cloudtrail-builders.js'

const DAY1 = '2026-10-01'
const at = (time: string) => `${DAY1}T${time}Z`
const WINDOW = { start: `${DAY1}T00:00:00.000Z`, end: '2026-10-04T00:00:00.000Z' }

// One event per identity shape; eventName tells the rows apart.
const IDENTITIES: {
  name: string
  identity: Json | null
  principal?: [string, string]
  unattributed?: string
}[] = [
  {
    name: 'AssumedRole: the session issuer, with the role path',
    identity: assumedRole('app-role', { path: '/service/' }),
    principal: [`arn:aws:iam::${ACCOUNT}:role/service/app-role`, 'AssumedRole'],
  },
  {
    name: 'AssumedRole without sessionIssuer: the role rebuilt from the session ARN (no path)',
    identity: assumedRole('old-role', { path: '/p/', withIssuer: false }),
    principal: [`arn:aws:iam::${ACCOUNT}:role/old-role`, 'AssumedRole'],
  },
  {
    name: 'AssumedRole from another account: that account',
    identity: assumedRole('partner', { account: OTHER_ACCOUNT }),
    principal: [`arn:aws:iam::${OTHER_ACCOUNT}:role/partner`, 'AssumedRole'],
  },
  {
    name: 'IAMUser: its ARN',
    identity: iamUser('bob'),
    principal: [`arn:aws:iam::${ACCOUNT}:user/bob`, 'IAMUser'],
  },
  { name: 'Root: its ARN', identity: root(), principal: [`arn:aws:iam::${ACCOUNT}:root`, 'Root'] },
  {
    name: 'FederatedUser: the IAM user whose policies bound the session',
    identity: federatedUser('fed', 'carol'),
    principal: [`arn:aws:iam::${ACCOUNT}:user/carol`, 'IAMUser'],
  },
  {
    name: 'AWSService: unattributed',
    identity: awsService('config.amazonaws.com'),
    unattributed: 'AWSService',
  },
  {
    name: 'AWSAccount: unattributed',
    identity: { type: 'AWSAccount', accountId: OTHER_ACCOUNT, principalId: 'AIDAEXAMPLE' },
    unattributed: 'AWSAccount',
  },
  {
    name: 'IdentityCenterUser: unattributed',
    identity: { type: 'IdentityCenterUser', accountId: ACCOUNT, onBehalfOf: { userId: 'u-1' } },
    unattributed: 'IdentityCenterUser',
  },
  { name: 'no userIdentity: unattributed as none', identity: null, unattributed: 'none' },
  {
    name: 'userIdentity without type: unattributed as none',
    identity: { invokedBy: 'AWS Internal' },
    unattributed: 'none',
  },
]

const DENIAL_CODES: [string, boolean][] = [
  ['AccessDenied', true],
  ['AccessDeniedException', true],
  ['Client.UnauthorizedOperation', true],
  ['UnauthorizedOperation', true],
  ['AuthorizationError', true],
  ['ThrottlingException', false],
  ['NoSuchBucket', false],
  ['InvalidClientTokenId', false],
]

let source: LogSource
const cleanups: (() => void)[] = []
const run = (query: Partial<UsageQuery> = {}): Promise<UsageResult> =>
  source.usage({ window: WINDOW, ...query })
let all: UsageResult

beforeAll(async () => {
  const { dir, cleanup } = tempFolder()
  cleanups.push(cleanup)
  const app = assumedRole('app')
  writeS3Log(dir, [
    // Window edges: [start, end) exactly.
    event({ time: '2026-09-30T23:59:59Z', name: 'Edge' }),
    event({ time: at('00:00:00'), name: 'Edge' }),
    event({ time: '2026-10-03T23:59:59Z', name: 'Edge' }),
    event({ time: '2026-10-04T00:00:00Z', name: 'Edge' }),
    ...IDENTITIES.map((row, i) =>
      event({
        time: at('01:00:00'),
        source: 'sts.amazonaws.com',
        name: `Who${i}`,
        identity: row.identity,
      }),
    ),
    ...DENIAL_CODES.map(([code]) =>
      event({
        time: at('02:00:00'),
        source: 'ec2.amazonaws.com',
        name: `Err-${code}`,
        errorCode: code,
      }),
    ),
    // Request details: mapper-relevant fields only, JSON null dropped, invokedBy carried.
    event({
      time: at('03:00:00'),
      source: 'lambda.amazonaws.com',
      name: 'CreateFunction',
      params: { role: 'arn:aws:iam::111111111111:role/fn', functionName: 'f' },
    }),
    event({
      time: at('03:01:00'),
      source: 'lambda.amazonaws.com',
      name: 'CreateFunction',
      params: { role: 'arn:aws:iam::111111111111:role/fn', functionName: 'g' },
    }),
    event({
      time: at('03:02:00'),
      source: 'lambda.amazonaws.com',
      name: 'CreateFunction',
      params: { role: null, tags: { team: 'x' } },
      errorCode: 'AccessDeniedException',
    }),
    event({
      time: at('03:03:00'),
      source: 'lambda.amazonaws.com',
      name: 'CreateFunction',
      params: { functionName: 'h' },
    }),
    event({
      time: at('03:04:00'),
      source: 'autoscaling.amazonaws.com',
      name: 'DescribeX',
      identity: assumedRole('app', { invokedBy: 'config.amazonaws.com' }),
    }),
    // Resources: distinct, sorted, capped.
    ...['arn:c', 'arn:a', 'arn:b', 'arn:a'].map((arn, i) =>
      event({
        time: at(`04:0${i}:00`),
        source: 'kms.amazonaws.com',
        name: 'Decrypt',
        resources: [arn],
        identity: app,
      }),
    ),
  ])
  // Coverage: a second region with events on day 3 only, and a second recipient account.
  writeS3Log(
    dir,
    [event({ time: '2026-10-03T05:00:00Z', region: 'eu-west-1', name: 'Regional' })],
    { region: 'eu-west-1' },
  )
  writeS3Log(
    dir,
    [
      event({
        time: at('06:00:00'),
        account: OTHER_ACCOUNT,
        name: 'Elsewhere',
        identity: assumedRole('app', { account: OTHER_ACCOUNT }),
      }),
    ],
    { account: OTHER_ACCOUNT },
  )
  source = await createDuckDbSource({ paths: [dir], threads: 1 })
  all = await run()
})

afterAll(async () => {
  await source?.close()
  for (const cleanup of cleanups) cleanup()
})

const call = (result: UsageResult, name: string) => result.calls.filter((c) => c.eventName === name)

describe('DuckDB source: usage semantics', () => {
  it('treats the window as [start, end) on eventTime', () => {
    const [edge] = call(all, 'Edge')
    expect(edge).toMatchObject({
      count: 2,
      firstSeen: WINDOW.start,
      lastSeen: '2026-10-03T23:59:59.000Z',
    })
    expect(call(all, 'Edge')).toHaveLength(1)
  })

  it.each(IDENTITIES.map((row, i) => ({ ...row, eventName: `Who${i}` })))(
    'attributes $name',
    ({ eventName, principal, unattributed }) => {
      const rows = call(all, eventName)
      if (principal) {
        expect(rows.map((c) => [c.principalArn, c.principalType, c.count])).toEqual([
          [...principal, 1],
        ])
        expect(rows[0]?.accountId).toBe(principal[0].split(':')[4])
        expect(all.unattributed.filter((u) => u.eventName === eventName)).toEqual([])
      } else {
        expect(rows).toEqual([])
        expect(all.unattributed.filter((u) => u.eventName === eventName)).toEqual([
          { identityType: unattributed, eventSource: 'sts.amazonaws.com', eventName, count: 1 },
        ])
      }
    },
  )

  it.each(DENIAL_CODES)('counts errorCode %s as denied: %s', (code, denied) => {
    expect(call(all, `Err-${code}`).map((c) => [c.count, c.deniedCount])).toEqual([
      [1, denied ? 1 : 0],
    ])
  })

  it('keeps only mapper-relevant request fields, with counts, and invokedBy', () => {
    const [create] = call(all, 'CreateFunction')
    expect(create).toMatchObject({ count: 4, deniedCount: 1 })
    expect(create?.details).toEqual([
      { params: { role: 'arn:aws:iam::111111111111:role/fn' }, count: 2, deniedCount: 0 },
      { params: { tags: { team: 'x' } }, count: 1, deniedCount: 1 },
    ])
    expect(call(all, 'DescribeX')[0]?.details).toEqual([
      { params: { invokedBy: 'config.amazonaws.com' }, count: 1, deniedCount: 0 },
    ])
    expect(call(all, 'Edge')[0]?.details).toEqual([])
  })

  it('lists distinct resource ARNs sorted, and flags the cap', async () => {
    expect(call(all, 'Decrypt')[0]).toMatchObject({
      resources: ['arn:a', 'arn:b', 'arn:c'],
      resourcesCapped: false,
    })
    const capped = await run({ maxResources: 2 })
    expect(call(capped, 'Decrypt')[0]).toMatchObject({
      count: 4,
      resources: ['arn:a', 'arn:b'],
      resourcesCapped: true,
    })
  })

  it('filters principals by exact, case-sensitive ARN', async () => {
    const arn = `arn:aws:iam::${ACCOUNT}:user/bob`
    const only = await run({ principalArns: [arn] })
    expect(new Set(only.calls.map((c) => c.principalArn))).toEqual(new Set([arn]))
    expect((await run({ principalArns: [arn.toUpperCase()] })).calls).toEqual([])
    expect((await run({ principalArns: [] })).calls).toEqual([])
  })

  it('filters by recipient account, coverage included', async () => {
    const other = await run({ accountIds: [OTHER_ACCOUNT] })
    expect(other.calls.map((c) => [c.principalArn, c.eventName])).toEqual([
      [`arn:aws:iam::${OTHER_ACCOUNT}:role/app`, 'Elsewhere'],
    ])
    expect(other.coverage.map((c) => c.accountId)).toEqual([OTHER_ACCOUNT])
    expect(other.inputs.eventsInWindow).toBe(1)
  })

  it('reports coverage per account and region, with the UTC days that have no events', () => {
    expect(all.coverage).toEqual([
      {
        accountId: ACCOUNT,
        region: 'eu-west-1',
        firstEvent: '2026-10-03T05:00:00.000Z',
        lastEvent: '2026-10-03T05:00:00.000Z',
        daysWithEvents: 1,
        missingDays: ['2026-10-01', '2026-10-02'],
      },
      {
        accountId: ACCOUNT,
        region: 'us-east-1',
        firstEvent: WINDOW.start,
        lastEvent: '2026-10-03T23:59:59.000Z',
        daysWithEvents: 2,
        missingDays: ['2026-10-02'],
      },
      {
        accountId: OTHER_ACCOUNT,
        region: 'us-east-1',
        firstEvent: '2026-10-01T06:00:00.000Z',
        lastEvent: '2026-10-01T06:00:00.000Z',
        daysWithEvents: 1,
        missingDays: ['2026-10-02', '2026-10-03'],
      },
    ])
  })

  it('counts every in-window event exactly once and sorts its output', () => {
    const attributed = all.calls.reduce((sum, c) => sum + c.count, 0)
    const unattributed = all.unattributed.reduce((sum, u) => sum + u.count, 0)
    // 2 edge + 11 identities + 8 error codes + 5 details + 4 resources + 2 other files
    expect(all.inputs.eventsInWindow).toBe(32)
    expect(attributed + unattributed).toBe(32)
    const keys = all.calls.map((c) => `${c.principalArn}|${c.eventSource}|${c.eventName}`)
    expect(keys).toEqual([...keys].sort())
  })

  it('answers repeated queries with different windows from the same source', async () => {
    const day3 = await run({ window: { start: '2026-10-03T00:00:00.000Z', end: WINDOW.end } })
    expect(day3.inputs.eventsInWindow).toBe(2)
    expect(day3.calls.map((c) => c.eventName).sort()).toEqual(['Edge', 'Regional'])
  })
})
