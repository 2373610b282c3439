import {
  CancelQueryCommand,
  CloudTrailClient,
  DescribeQueryCommand,
  GetQueryResultsCommand,
  StartQueryCommand,
  type StartQueryCommandInput,
  ThrottlingException,
} from '@aws-sdk/client-cloudtrail'
import { mockClient } from 'aws-sdk-client-mock'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { AUTHORIZATION_FAILURE_CODES } from '../../src/source/denied-codes.js'
import { createLakeSource } from '../../src/source/lake.js'
import { eventDataStoreId, lakeRows } from '../../src/source/lake-results.js'
import { readQuery } from '../../src/source/queries.js'
import { REQUEST_DETAIL_PATHS } from '../../src/source/request-details.js'
import { ScopedownError } from '../../src/util/errors.js'

const lake = mockClient(CloudTrailClient)
const EDS = 'a1b2c3d4-5678-90ab-cdef-EXAMPLE11111'
const EDS_ARN = `arn:aws:cloudtrail:us-east-1:111111111111:eventdatastore/${EDS}`
const WINDOW = { start: '2026-10-01T00:00:00.000Z', end: '2026-10-04T00:00:00.000Z' }
const ROLE = 'arn:aws:iam::111111111111:role/app/worker'
const USER = 'arn:aws:iam::111111111111:user/alice'
const ms = (iso: string) => String(Date.parse(iso))

function source(eventDataStore = EDS_ARN) {
  return createLakeSource({
    client: new CloudTrailClient({ region: 'us-east-1' }),
    eventDataStore,
    pollIntervalMs: 1,
    maxPollIntervalMs: 2,
    retryBaseMs: 1,
  })
}

/** Which query a StartQuery carries, from its text. */
function kind(sql: string | undefined): 'calls' | 'unattributed' | 'coverage' {
  if (sql?.includes('AS days_json')) return 'coverage'
  if (sql?.includes('AS event_count')) return 'unattributed'
  return 'calls'
}

/** Positional parameters in a query's text; comments must hold none. */
function placeholders(sql: string): number {
  const inCode = sql.replace(/--.*$/gm, '').split('?').length - 1
  expect(sql.split('?').length - 1).toBe(inCode)
  return inCode
}

/** A Lake result row: a list of one-entry {column: value} maps; undefined values left out. */
const row = (columns: string[], ...values: (string | undefined)[]) =>
  columns.flatMap((name, i) => {
    const value = values[i]
    return value === undefined ? [] : [{ [name]: value }]
  })

const CALL_COLUMNS = [
  'principal',
  'principal_type',
  'event_source',
  'event_name',
  'call_count',
  'denied_count',
  'first_seen_ms',
  'last_seen_ms',
  'regions_json',
  'arns_json',
  'details_json',
]
const COVERAGE_COLUMNS = [
  'account',
  'region',
  'first_event_ms',
  'last_event_ms',
  'days_json',
  'event_count',
]
const UNATTRIBUTED_COLUMNS = ['identity_type', 'event_source', 'event_name', 'event_count']

const KEYS = Object.keys(REQUEST_DETAIL_PATHS)
const detailValues = KEYS.map((key) =>
  key === 'iamInstanceProfile'
    ? '{"arn":"arn:aws:iam::111111111111:instance-profile/web"}'
    : key === 'roleArn'
      ? '"arn:aws:iam::111111111111:role/passed"'
      : null,
)

/** GetQueryResults pages per query id and NextToken. */
const PAGES: Record<string, { QueryResultRows: Record<string, string>[][]; NextToken?: string }> = {
  'calls:': {
    QueryResultRows: [
      row(
        CALL_COLUMNS,
        ROLE,
        'AssumedRole',
        'ec2.amazonaws.com',
        'RunInstances',
        '5',
        '1',
        ms('2026-10-01T08:00:00Z'),
        ms('2026-10-03T09:30:00.123Z'),
        '["eu-west-1","us-east-1"]',
        '["arn:aws:ec2:us-east-1:111111111111:instance/i-1","arn:aws:ec2:us-east-1:111111111111:instance/i-2","arn:aws:ec2:us-east-1:111111111111:instance/i-3"]',
        JSON.stringify([
          [detailValues, null, 3, 1],
          [null, 'cloudformation.amazonaws.com', 2, 0],
        ]),
      ),
    ],
    NextToken: 'page-2',
  },
  'calls:page-2': {
    QueryResultRows: [
      row(
        CALL_COLUMNS,
        USER,
        'IAMUser',
        's3.amazonaws.com',
        'ListBuckets',
        '2',
        '0',
        ms('2026-10-02T00:00:00Z'),
        ms('2026-10-02T00:00:01Z'),
        '["us-east-1"]',
      ),
    ],
  },
  'unattributed:': {
    QueryResultRows: [
      row(UNATTRIBUTED_COLUMNS, 'AWSService', 'sts.amazonaws.com', 'AssumeRole', '4'),
    ],
  },
  'coverage:': {
    QueryResultRows: [
      row(
        COVERAGE_COLUMNS,
        '111111111111',
        'us-east-1',
        ms('2026-10-01T08:00:00Z'),
        ms('2026-10-03T09:30:00.123Z'),
        '["2026-10-01","2026-10-03"]',
        '11',
      ),
    ],
  },
}

let started: StartQueryCommandInput[]

function succeedAll() {
  lake.on(StartQueryCommand).callsFake((input: StartQueryCommandInput) => {
    started.push(input)
    return { QueryId: kind(input.QueryStatement) }
  })
  let polls = 0
  lake.on(DescribeQueryCommand).callsFake(() => ({
    QueryStatus: polls++ < 2 ? 'RUNNING' : 'FINISHED',
  }))
  lake.on(GetQueryResultsCommand).callsFake((input: { QueryId: string; NextToken?: string }) => {
    const page = PAGES[`${input.QueryId}:${input.NextToken ?? ''}`]
    if (!page) throw new Error(`no page for ${JSON.stringify(input)}`)
    return { QueryStatus: 'FINISHED', ...page }
  })
}

beforeEach(() => {
  lake.reset()
  started = []
})
afterEach(() => lake.reset())

describe('cloudtrail-lake source: queries sent', () => {
  it('binds every value as a QueryParameter and substitutes only the event data store ID', async () => {
    succeedAll()
    const source_ = source()
    expect(source_.kind).toBe('cloudtrail-lake')
    await source_.usage({
      window: WINDOW,
      accountIds: ['111111111111'],
      principalArns: [ROLE, USER],
      maxResources: 2,
    })

    expect(started.map((input) => kind(input.QueryStatement)).sort()).toEqual([
      'calls',
      'coverage',
      'unattributed',
    ])
    const byKind = Object.fromEntries(started.map((input) => [kind(input.QueryStatement), input]))
    const scope = ["'2026-10-01T00:00:00.000Z'", "'2026-10-04T00:00:00.000Z'", `'["111111111111"]'`]
    for (const name of ['calls', 'unattributed', 'coverage'] as const) {
      const input = byKind[name]
      const sql = readQuery(`lake/${name}`)
      expect(input?.QueryStatement).toBe(sql.replaceAll('__EDS__', EDS))
      expect(input?.QueryStatement).toContain(`FROM ${EDS} AS e`)
      expect(input?.QueryStatement).not.toContain('__EDS__')
      expect(placeholders(sql)).toBe(input?.QueryParameters?.length)
      // StartQuery takes at most 10,000 characters of QueryStatement.
      expect(input?.QueryStatement?.length).toBeLessThanOrEqual(10_000)
      expect(input?.QueryParameters?.length).toBeLessThanOrEqual(10)
      for (const param of input?.QueryParameters ?? []) {
        expect(param.length).toBeGreaterThan(0)
        expect(param.length).toBeLessThanOrEqual(1024)
      }
    }
    expect(byKind.unattributed?.QueryParameters).toEqual(scope)
    expect(byKind.coverage?.QueryParameters).toEqual(scope)
    expect(byKind.calls?.QueryParameters).toEqual([
      ...scope,
      `'${JSON.stringify([ROLE, USER])}'`,
      `'${JSON.stringify(AUTHORIZATION_FAILURE_CODES)}'`,
      `'${JSON.stringify(Object.values(REQUEST_DETAIL_PATHS))}'`,
      '2',
    ])
  })

  it('binds JSON null for "all" accounts and principals', async () => {
    succeedAll()
    await source(EDS).usage({ window: WINDOW })
    const calls = started.find((input) => kind(input.QueryStatement) === 'calls')
    expect(calls?.QueryParameters?.slice(2, 4)).toEqual(["'null'", "'null'"])
    expect(calls?.QueryParameters?.at(-1)).toBe('50')
  })

  it('filters a principal list too long for one parameter on the rows instead', async () => {
    succeedAll()
    const many = Array.from(
      { length: 40 },
      (_, i) => `arn:aws:iam::111111111111:role/some-rather-long-role-name-${i}`,
    )
    const result = await source().usage({ window: WINDOW, principalArns: [USER, ...many] })
    const calls = started.find((input) => kind(input.QueryStatement) === 'calls')
    expect(calls?.QueryParameters?.[3]).toBe("'null'")
    expect(result.calls.map((c) => c.principalArn)).toEqual([USER])
  })
})

describe('cloudtrail-lake source: results', () => {
  it('pages through results and converts like the other SQL sources', async () => {
    succeedAll()
    const result = await source().usage({ window: WINDOW, maxResources: 2 })

    const pageCalls = lake.commandCalls(GetQueryResultsCommand)
    expect(pageCalls.map((c) => c.args[0].input.NextToken)).toContain('page-2')
    expect(result.calls).toEqual([
      {
        principalArn: ROLE,
        principalType: 'AssumedRole',
        accountId: '111111111111',
        eventSource: 'ec2.amazonaws.com',
        eventName: 'RunInstances',
        count: 5,
        deniedCount: 1,
        firstSeen: '2026-10-01T08:00:00.000Z',
        lastSeen: '2026-10-03T09:30:00.123Z',
        regions: ['eu-west-1', 'us-east-1'],
        resources: [
          'arn:aws:ec2:us-east-1:111111111111:instance/i-1',
          'arn:aws:ec2:us-east-1:111111111111:instance/i-2',
        ],
        resourcesCapped: true,
        details: [
          {
            params: {
              iamInstanceProfile: { arn: 'arn:aws:iam::111111111111:instance-profile/web' },
              roleArn: 'arn:aws:iam::111111111111:role/passed',
            },
            count: 3,
            deniedCount: 1,
          },
          { params: { invokedBy: 'cloudformation.amazonaws.com' }, count: 2, deniedCount: 0 },
        ],
      },
      {
        principalArn: USER,
        principalType: 'IAMUser',
        accountId: '111111111111',
        eventSource: 's3.amazonaws.com',
        eventName: 'ListBuckets',
        count: 2,
        deniedCount: 0,
        firstSeen: '2026-10-02T00:00:00.000Z',
        lastSeen: '2026-10-02T00:00:01.000Z',
        regions: ['us-east-1'],
        resources: [],
        resourcesCapped: false,
        details: [],
      },
    ])
    expect(result.unattributed).toEqual([
      {
        identityType: 'AWSService',
        eventSource: 'sts.amazonaws.com',
        eventName: 'AssumeRole',
        count: 4,
      },
    ])
    expect(result.coverage).toEqual([
      {
        accountId: '111111111111',
        region: 'us-east-1',
        firstEvent: '2026-10-01T08:00:00.000Z',
        lastEvent: '2026-10-03T09:30:00.123Z',
        daysWithEvents: 2,
        missingDays: ['2026-10-02'],
      },
    ])
    expect(result.inputs.eventsInWindow).toBe(11)
  })

  it('flattens rows of one-entry maps', () => {
    expect(lakeRows([[{ a: '1' }, { b: 'x' }], []])).toEqual([{ a: '1', b: 'x' }, {}])
    expect(lakeRows(undefined)).toEqual([])
  })
})

describe('cloudtrail-lake source: failures', () => {
  it('reports a FAILED query as SOURCE_FAILED with the reason and the permissions hint', async () => {
    succeedAll()
    const reason = 'Query failed: line 1:8: Column eventtyme cannot be resolved'
    lake.on(DescribeQueryCommand).resolves({ QueryStatus: 'FAILED', ErrorMessage: reason })
    lake.on(CancelQueryCommand).resolves({})
    const error = await source()
      .usage({ window: WINDOW })
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ScopedownError)
    const failure = error as ScopedownError
    expect(failure.code).toBe('SOURCE_FAILED')
    expect(failure.message).toMatch(/^CloudTrail Lake query lake\/(calls|unattributed|coverage)/)
    expect(failure.message).toContain(`FAILED: ${reason}`)
    expect(failure.hint).toBe(
      'the caller needs cloudtrail:StartQuery, cloudtrail:GetQueryResults, ' +
        'cloudtrail:DescribeQuery, cloudtrail:CancelQuery on the event data store',
    )
  })

  it('cancels the sibling queries when one fails, and reports the failed one', async () => {
    succeedAll()
    lake
      .on(DescribeQueryCommand)
      .callsFake((input: { QueryId: string }) =>
        input.QueryId === 'calls'
          ? { QueryStatus: 'FAILED', ErrorMessage: 'out of memory' }
          : { QueryStatus: 'RUNNING' },
      )
    lake.on(CancelQueryCommand).resolves({})
    const error = await source()
      .usage({ window: WINDOW })
      .catch((e: unknown) => e)
    expect((error as ScopedownError).message).toBe(
      'CloudTrail Lake query lake/calls (query calls) failed: FAILED: out of memory',
    )
    const cancelled = lake.commandCalls(CancelQueryCommand).map((c) => c.args[0].input.QueryId)
    expect(cancelled.sort()).toEqual(['coverage', 'unattributed'])
  })

  it('retries a throttled StartQuery, then succeeds', async () => {
    succeedAll()
    let attempts = 0
    lake.on(StartQueryCommand).callsFake((input: StartQueryCommandInput) => {
      if (attempts++ < 2) {
        throw new ThrottlingException({ message: 'Rate exceeded', $metadata: {} })
      }
      started.push(input)
      return { QueryId: kind(input.QueryStatement) }
    })
    const result = await source().usage({ window: WINDOW })
    expect(lake.commandCalls(StartQueryCommand)).toHaveLength(5)
    expect(result.calls).toHaveLength(2)
  })

  it('gives up after maxRetries throttled attempts', async () => {
    succeedAll()
    lake
      .on(StartQueryCommand)
      .rejects(new ThrottlingException({ message: 'Rate exceeded', $metadata: {} }))
    const error = await createLakeSource({
      client: new CloudTrailClient({ region: 'us-east-1' }),
      eventDataStore: EDS,
      maxRetries: 1,
      retryBaseMs: 1,
    })
      .usage({ window: WINDOW })
      .catch((e: unknown) => e)
    expect((error as ScopedownError).code).toBe('SOURCE_FAILED')
    expect((error as ScopedownError).message).toContain('Rate exceeded')
  })

  it('rejects a bad event data store ID and takes the ID from an ARN', () => {
    expect(eventDataStoreId(EDS_ARN)).toBe(EDS)
    expect(eventDataStoreId(EDS)).toBe(EDS)
    for (const bad of [
      'eds; DROP',
      'a b',
      '',
      `${EDS} --`,
      'arn:aws:cloudtrail:x:1:eventdatastore/',
    ]) {
      let error: unknown
      try {
        source(bad)
      } catch (e) {
        error = e
      }
      expect(error).toBeInstanceOf(ScopedownError)
      expect((error as ScopedownError).code).toBe('CONFIG_INVALID')
    }
  })

  it('rejects an account list too long for one parameter', async () => {
    succeedAll()
    const accounts = Array.from({ length: 80 }, (_, i) => String(100000000000 + i))
    const error = await source()
      .usage({ window: WINDOW, accountIds: accounts })
      .catch((e: unknown) => e)
    expect((error as ScopedownError).code).toBe('USAGE')
    expect(lake.commandCalls(StartQueryCommand)).toHaveLength(0)
  })
})
