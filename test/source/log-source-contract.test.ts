/**
 * The LogSource contract: the in-memory aggregator (used by the API-backed sources) and the DuckDB
 * source answer every query over the same records with the same UsageResult.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { aggregateEvents } from '../../src/source/aggregate.js'
import { createDuckDbSource } from '../../src/source/duckdb.js'
import type { LogSource, UsageQuery } from '../../src/source/types.js'
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
  writeFile,
  writeS3Log,
} from './cloudtrail-builders.js'

const at = (time: string, day = '01') => `2026-10-${day}T${time}Z`
const WINDOW = { start: '2026-10-01T00:00:00.000Z', end: '2026-10-04T00:00:00.000Z' }

const IDENTITIES: (Json | null)[] = [
  assumedRole('app-role', { path: '/service/' }),
  assumedRole('old-role', { path: '/p/', withIssuer: false }),
  assumedRole('partner', { account: OTHER_ACCOUNT }),
  { type: 'AssumedRole', arn: 'arn:aws:sts::111111111111:federated-user/x' },
  { type: 'AssumedRole' },
  iamUser('bob'),
  { type: 'IAMUser', accountId: ACCOUNT },
  { type: 'IAMUser', arn: '' },
  root(),
  federatedUser('fed', 'carol'),
  { type: 'FederatedUser', arn: `arn:aws:sts::${ACCOUNT}:federated-user/dave` },
  awsService('config.amazonaws.com'),
  { type: 'AWSAccount', accountId: OTHER_ACCOUNT, principalId: 'AIDAEXAMPLE' },
  { type: 'IdentityCenterUser', accountId: ACCOUNT, onBehalfOf: { userId: 'u-1' } },
  null,
  { invokedBy: 'AWS Internal' },
]

const ERROR_CODES = [
  'AccessDenied',
  'AccessDeniedException',
  'AccessDeniedForDependencyException',
  'AuthorizationError',
  'AuthorizationErrorException',
  'Client.UnauthorizedOperation',
  'UnauthorizedOperation',
  'ThrottlingException',
  'NoSuchBucket',
  'InvalidClientTokenId',
  'UnauthorizedException',
]

const PARAMS: (Json | null)[] = [
  { role: 'arn:aws:iam::111111111111:role/fn', functionName: 'f' },
  { role: 'arn:aws:iam::111111111111:role/fn', functionName: 'g' },
  { role: null, tags: { team: 'x' } },
  { role: null },
  { functionName: 'h' },
  { overrides: { taskRoleArn: 'arn:aws:iam::111111111111:role/task', other: 1 } },
  { tagSpecificationSet: { items: [{ resourceType: 'instance', tags: [] }] } },
  { ReplicationConfiguration: { Role: 'arn:aws:iam::111111111111:role/repl' } },
  { iamInstanceProfile: { arn: 'arn:aws:iam::111111111111:instance-profile/p' } },
  { versionId: 'v1', bucketName: 'b', key: 'k' },
  { layers: ['arn:l:1', 'arn:l:2'], tags: { a: 1.5, b: true, c: null } },
  { statement: 'SELECT * FROM "t"' },
  null,
]

/** Records the strict S3 reader reads (one file per account and region). */
function strictRecords(): Json[] {
  return [
    // Window edges: [start, end) exactly.
    event({ time: '2026-09-30T23:59:59Z', name: 'Edge' }),
    event({ time: at('00:00:00'), name: 'Edge' }),
    event({ time: '2026-10-03T23:59:59Z', name: 'Edge' }),
    event({ time: '2026-10-04T00:00:00Z', name: 'Edge' }),
    // Time forms: fraction, offset, no zone, `@timestamp` instead of eventTime.
    event({ time: '2026-10-01T07:00:00.123Z', name: 'Times' }),
    event({ time: '2026-10-01T09:00:00+02:00', name: 'Times' }),
    event({ time: '2026-10-01T00:30:00+01:00', name: 'Times' }),
    ...[
      '2026-10-02 05:00:00',
      '2026-10-02',
      '2026-10-02T05:01',
      '2026-10-02T05:02:00.1234567Z',
      '2026-10-02T05:03:00+0200',
      '2026-10-02T05:04:00+02',
      '2026-10-02T05:05:00z',
      ' 2026-10-02T05:06:00Z',
      '2026-10-02T24:00:00Z',
      '2026-02-30T00:00:00Z',
      '20261002T050700Z',
      '2026-10-02T05:08:00.999999Z',
      '2026-10-02T05:08:00.9995Z',
      '2026-10-02T05:09:00 UTC',
      '2026-10-02T05:10:00+02:30',
      '2026-10-02T05:11:00-0130',
      '2026-10-02T05:12:00+2',
      '2026-10-02T05:13:00 +02:00',
      '2026-10-02T05:14:00+02:00:30',
      '2026-1-2T05:15:00Z',
      '2026-10-02T5:16:00Z',
      '2026-10-02T05:17:00.Z',
      '2026/10/02 05:18:00',
      '2026-10-02T05:19:60Z',
      '2026-10-02t05:20:00Z',
      '2026-10-02T05:21:00Z ',
      '2026-10-02T05Z',
    ].map((time) => event({ time, name: `Time ${time}` })),
    event({
      time: at('08:00:00'),
      name: 'Times',
      override: { eventTime: undefined, '@timestamp': '2026-10-02T08:00:00.000Z' },
    }),
    ...IDENTITIES.map((identity, i) =>
      event({ time: at('01:00:00'), source: 'sts.amazonaws.com', name: `Who${i}`, identity }),
    ),
    ...IDENTITIES.map((identity, i) =>
      event({
        time: at('01:30:00', '02'),
        source: 'sts.amazonaws.com',
        name: `Who${i}`,
        identity,
        region: 'us-west-2',
      }),
    ),
    ...ERROR_CODES.map((code) =>
      event({ time: at('02:00:00'), source: 'ec2.amazonaws.com', name: 'Err', errorCode: code }),
    ),
    ...PARAMS.map((params, i) =>
      event({
        time: at(`03:${String(i).padStart(2, '0')}:00`),
        source: 'lambda.amazonaws.com',
        name: 'CreateFunction',
        params,
        ...(i % 3 === 0 ? { errorCode: 'AccessDeniedException' } : {}),
        identity:
          i % 4 === 0
            ? assumedRole('app', { invokedBy: 'cloudformation.amazonaws.com' })
            : undefined,
      }),
    ),
    event({
      time: at('03:30:00'),
      source: 'autoscaling.amazonaws.com',
      name: 'DescribeX',
      identity: assumedRole('app', { invokedBy: 'config.amazonaws.com' }),
    }),
    // Resources: distinct, sorted, capped; several per event.
    ...[['arn:c'], ['arn:a', 'arn:d'], ['arn:b'], ['arn:a'], []].map((arns, i) =>
      event({
        time: at(`04:0${i}:00`),
        source: 'kms.amazonaws.com',
        name: 'Decrypt',
        resources: arns,
      }),
    ),
    event({
      time: at('04:10:00'),
      source: 'kms.amazonaws.com',
      name: 'Decrypt',
      override: { resources: [{ accountId: ACCOUNT, type: 'AWS::KMS::Key' }] },
    }),
    // Odd but well-typed fields: no region, no recipient account, empty names.
    event({ time: at('05:00:00'), name: 'NoRegion', override: { awsRegion: undefined } }),
    event({
      time: at('05:01:00'),
      name: 'NoAccount',
      override: { recipientAccountId: undefined },
    }),
    event({ time: at('05:02:00'), name: '' }),
    // Sort order beyond ASCII: DuckDB sorts by UTF-8 bytes (code points).
    event({
      time: at('05:03:00'),
      name: 'Sort\u{1F600}',
      resources: ['arn:\u{1F600}', 'arn:\uFF21'],
    }),
    event({ time: at('05:04:00'), name: 'Sort\uFF21', resources: ['arn:\u00E9', 'arn:z'] }),
    // Bad records: no usable time, source or name.
    event({ time: at('06:00:00'), name: 'Bad', override: { eventTime: undefined } }),
    event({ time: at('06:00:00'), name: 'Bad', override: { eventTime: 'yesterday' } }),
    event({ time: at('06:00:00'), name: 'Bad', override: { eventTime: '2026-13-01T00:00:00Z' } }),
    event({ time: at('06:00:00'), name: 'Bad', override: { eventSource: undefined } }),
    event({ time: at('06:00:00'), override: { eventName: undefined } }),
    event({ time: '2026-09-01T00:00:00Z', override: { eventName: undefined } }),
  ]
}

let source: LogSource
const cleanups: (() => void)[] = []
let records: unknown[] = []

beforeAll(async () => {
  const { dir, cleanup } = tempFolder()
  cleanups.push(cleanup)
  const main = strictRecords()
  writeS3Log(dir, main, { delivered: '2026-10-02T00:00:00Z' })
  const regional = [
    event({ time: '2026-10-03T05:00:00Z', region: 'eu-west-1', name: 'Regional' }),
    event({ time: '2026-10-03T05:00:00Z', region: 'eu-west-1', name: 'Edge' }),
  ]
  writeS3Log(dir, regional, { region: 'eu-west-1' })
  const other = [
    event({
      time: at('06:00:00'),
      account: OTHER_ACCOUNT,
      name: 'Elsewhere',
      identity: assumedRole('app', { account: OTHER_ACCOUNT }),
    }),
    event({ time: at('06:00:00', '03'), account: OTHER_ACCOUNT, name: 'Edge' }),
  ]
  writeS3Log(dir, other, { account: OTHER_ACCOUNT, id: 'Other' })
  // Records of unexpected JSON types: the strict reader fails this file, the tolerant one reads it.
  const odd: unknown[] = [
    'not a record',
    null,
    42,
    event({ time: at('07:00:00'), name: 'Odd', identity: iamUser('odd') }),
    event({ time: at('07:01:00'), name: 'Odd', identity: iamUser('odd'), params: { role: 7 } }),
    event({ time: at('07:02:00'), name: 'OddResources', override: { resources: 'arn:x' } }),
    event({ time: at('07:03:00'), name: 'OddParams', override: { requestParameters: 'text' } }),
    event({ time: at('07:04:00'), name: 'OddIdentity', override: { userIdentity: 'someone' } }),
    event({ time: at('07:05:00'), name: 'OddArray', override: { requestParameters: [1, 2] } }),
    event({ time: at('07:06:00'), override: { eventName: 5 } }),
    event({ time: at('07:07:00'), name: 'OddTime', override: { eventTime: 1_790_000_000 } }),
    event({ time: at('07:08:00'), name: 'OddRegion', override: { awsRegion: 7, errorCode: 9 } }),
    event({ time: at('07:09:00'), name: 'OddBool', override: { awsRegion: true, errorCode: 1.5 } }),
    event({ time: at('07:10:00'), name: 'OddObject', override: { awsRegion: { a: 1 } } }),
    event({ time: at('07:11:00'), name: 'OddList', override: { awsRegion: ['x'] } }),
    event({
      time: at('07:12:00'),
      name: 'OddArn',
      resources: [],
      override: { resources: [{ ARN: 5 }, 'x', { ARN: { a: 1 } }] },
    }),
  ]
  writeFile(
    dir,
    `AWSLogs/${ACCOUNT}/CloudTrail/us-east-1/2026/10/01/` +
      `${ACCOUNT}_CloudTrail_us-east-1_20261001T0800Z_Odd.json.gz`,
    `${JSON.stringify({ Records: odd })}\n`,
    true,
  )
  records = [...main, ...regional, ...other, ...odd]
  source = await createDuckDbSource({ paths: [dir], threads: 1 })
})

afterAll(async () => {
  await source?.close()
  for (const cleanup of cleanups) cleanup()
})

const QUERIES: [string, Partial<UsageQuery>][] = [
  ['the whole window', {}],
  [
    'a window starting and ending mid-day',
    { window: { start: at('00:45:00'), end: at('05:00:30', '03') } },
  ],
  ['a one-day window', { window: { start: at('00:00:00', '02'), end: at('00:00:00', '03') } }],
  [
    'a principal filter',
    {
      principalArns: [
        `arn:aws:iam::${ACCOUNT}:role/app`,
        `arn:aws:iam::${ACCOUNT}:user/carol`,
        `arn:aws:iam::${ACCOUNT}:ROOT`,
      ],
    },
  ],
  ['an empty principal filter', { principalArns: [] }],
  ['an account filter', { accountIds: [OTHER_ACCOUNT] }],
  ['an account filter with unknown', { accountIds: ['unknown', ACCOUNT] }],
  ['maxResources 2', { maxResources: 2 }],
  ['maxResources 3 (exactly the distinct count of one row)', { maxResources: 4 }],
  ['maxResources 0', { maxResources: 0 }],
]

describe('LogSource contract: aggregateEvents answers like the DuckDB source', () => {
  it.each(QUERIES)('for %s', async (_name, partial) => {
    const query: UsageQuery = { window: WINDOW, ...partial }
    const expected = await source.usage(query)
    const actual = aggregateEvents(records, query)
    expect(actual.calls).toEqual(expected.calls)
    expect(actual.unattributed).toEqual(expected.unattributed)
    expect(actual.coverage).toEqual(expected.coverage)
    expect(actual.inputs.badRecords).toBe(expected.inputs.badRecords)
    expect(actual.inputs.eventsInWindow).toBe(expected.inputs.eventsInWindow)
    // The case list must exercise what it claims to.
    if (partial.window === undefined && partial.principalArns === undefined) {
      expect(expected.calls.length).toBeGreaterThan(0)
    }
  })

  it('covers every case it names in the whole window', async () => {
    const result = await source.usage({ window: WINDOW })
    // 6 bad records in the strict file (one outside the window), 3 non-objects, a numeric
    // time, 8 time forms DuckDB does not read.
    expect(result.inputs.badRecords).toBe(9 + 8)
    expect(result.calls.find((c) => c.eventName === 'Odd')?.count).toBe(2)
    expect(new Set(result.unattributed.map((u) => u.identityType))).toEqual(
      new Set(['AWSAccount', 'AWSService', 'AssumedRole', 'IAMUser', 'IdentityCenterUser', 'none']),
    )
    expect(result.coverage.map((c) => `${c.accountId}/${c.region}`)).toContain(`${ACCOUNT}/unknown`)
    expect(result.coverage.map((c) => c.accountId)).toContain('unknown')
    const create = result.calls.find((c) => c.eventName === 'CreateFunction')
    expect(create?.details.length).toBeGreaterThan(5)
  })
})
