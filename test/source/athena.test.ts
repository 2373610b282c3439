import {
  AthenaClient,
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  type Row,
  StartQueryExecutionCommand,
  type StartQueryExecutionCommandInput,
  StopQueryExecutionCommand,
  TooManyRequestsException,
} from '@aws-sdk/client-athena'
import { mockClient } from 'aws-sdk-client-mock'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { ConfigSchema } from '../../src/config/schema.js'
import { createLogSource } from '../../src/run/deps.js'
import { createAthenaSource } from '../../src/source/athena.js'
import { type AthenaPartitions, partitionDays } from '../../src/source/athena-partitions.js'
import { quoteTableName } from '../../src/source/athena-results.js'
import { AUTHORIZATION_FAILURE_CODES } from '../../src/source/denied-codes.js'
import { readQuery } from '../../src/source/queries.js'
import { REQUEST_DETAIL_PATHS } from '../../src/source/request-details.js'
import type { UsageQuery } from '../../src/source/types.js'
import { ScopedownError } from '../../src/util/errors.js'
import { silentLogger } from '../../src/util/log.js'

const athena = mockClient(AthenaClient)
const TABLE = '"trail_db"."cloudtrail_logs"'
const WINDOW = { start: '2026-10-01T00:00:00.000Z', end: '2026-10-04T00:00:00.000Z' }
const ROLE = 'arn:aws:iam::111111111111:role/app/worker'
const USER = 'arn:aws:iam::111111111111:user/alice'
const ms = (iso: string) => String(Date.parse(iso))

function source(client = new AthenaClient({ region: 'us-east-1' }), partitions?: AthenaPartitions) {
  return createAthenaSource({
    client,
    database: 'trail_db',
    table: 'trail_db.cloudtrail_logs',
    workgroup: 'scopedown',
    outputLocation: 's3://results-bucket/scopedown/',
    pollIntervalMs: 1,
    maxPollIntervalMs: 2,
    retryBaseMs: 1,
    ...(partitions ? { partitions } : {}),
  })
}

/** Which query a StartQueryExecution carries, from its text. */
function kind(sql: string | undefined): 'calls' | 'unattributed' | 'coverage' {
  if (sql?.includes('AS days_json')) return 'coverage'
  if (sql?.includes('AS event_count')) return 'unattributed'
  return 'calls'
}

/** Positional parameters in a query's text; comments must hold none (Athena may count them). */
function placeholders(sql: string): number {
  const inCode = sql.replace(/--.*$/gm, '').split('?').length - 1
  expect(sql.split('?').length - 1).toBe(inCode)
  return inCode
}

const row = (...values: (string | undefined)[]): Row => ({
  Data: values.map((v) => (v === undefined ? {} : { VarCharValue: v })),
})
const header = (names: string[]) => row(...names)
const columns = (names: string[]) => ({
  ColumnInfo: names.map((Name) => ({ Name, Type: 'varchar' })),
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

const detailValues = Object.keys(REQUEST_DETAIL_PATHS).map((key) =>
  key === 'iamInstanceProfile' ? '{"arn":"arn:aws:iam::111111111111:instance-profile/web"}' : null,
)

/** GetQueryResults pages per query execution id and NextToken. */
const PAGES: Record<string, { ResultSet: unknown; NextToken?: string }> = {
  'calls:': {
    ResultSet: {
      ResultSetMetadata: columns(CALL_COLUMNS),
      Rows: [
        header(CALL_COLUMNS),
        row(
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
    },
    NextToken: 'page-2',
  },
  'calls:page-2': {
    ResultSet: {
      ResultSetMetadata: columns(CALL_COLUMNS),
      Rows: [
        row(
          USER,
          'IAMUser',
          's3.amazonaws.com',
          'ListBuckets',
          '2',
          '0',
          ms('2026-10-02T00:00:00Z'),
          ms('2026-10-02T00:00:01Z'),
          '["us-east-1"]',
          undefined,
          undefined,
        ),
      ],
    },
  },
  'unattributed:': {
    ResultSet: {
      ResultSetMetadata: columns(UNATTRIBUTED_COLUMNS),
      Rows: [
        header(UNATTRIBUTED_COLUMNS),
        row('AWSService', 'sts.amazonaws.com', 'AssumeRole', '4'),
      ],
    },
  },
  'coverage:': {
    ResultSet: {
      ResultSetMetadata: columns(COVERAGE_COLUMNS),
      Rows: [
        header(COVERAGE_COLUMNS),
        row(
          '111111111111',
          'us-east-1',
          ms('2026-10-01T08:00:00Z'),
          ms('2026-10-03T09:30:00.123Z'),
          '["2026-10-01","2026-10-03"]',
          '11',
        ),
      ],
    },
  },
}

let started: StartQueryExecutionCommandInput[]

function succeedAll() {
  athena.on(StartQueryExecutionCommand).callsFake((input: StartQueryExecutionCommandInput) => {
    started.push(input)
    return { QueryExecutionId: kind(input.QueryString) }
  })
  let polls = 0
  athena.on(GetQueryExecutionCommand).callsFake(() => ({
    QueryExecution: { Status: { State: polls++ < 2 ? 'RUNNING' : 'SUCCEEDED' } },
  }))
  athena
    .on(GetQueryResultsCommand)
    .callsFake((input: { QueryExecutionId: string; NextToken?: string }) => {
      const page = PAGES[`${input.QueryExecutionId}:${input.NextToken ?? ''}`]
      if (!page) throw new Error(`no page for ${JSON.stringify(input)}`)
      return page
    })
}

beforeEach(() => {
  athena.reset()
  started = []
})
afterEach(() => athena.reset())

describe('athena source: queries sent', () => {
  it('binds every value as an ExecutionParameter and substitutes only the quoted table', async () => {
    succeedAll()
    const query: UsageQuery = {
      window: WINDOW,
      accountIds: ['111111111111'],
      principalArns: [ROLE, USER],
      maxResources: 2,
    }
    await source().usage(query)

    expect(started.map((input) => kind(input.QueryString)).sort()).toEqual([
      'calls',
      'coverage',
      'unattributed',
    ])
    const byKind = Object.fromEntries(started.map((input) => [kind(input.QueryString), input]))
    const scope = [
      "'2026-10-01T00:00:00.000Z'",
      "'2026-10-04T00:00:00.000Z'",
      'true',
      `'["111111111111"]'`,
    ]
    for (const name of ['calls', 'unattributed', 'coverage'] as const) {
      const input = byKind[name]
      const sql = readQuery(`athena/${name}`)
      expect(input?.QueryString).toBe(sql.replaceAll('__TABLE__', TABLE))
      expect(input?.QueryString).toContain(`FROM ${TABLE} AS e`)
      expect(input?.QueryString).not.toContain('__TABLE__')
      expect(input?.QueryExecutionContext).toEqual({ Database: 'trail_db' })
      expect(input?.WorkGroup).toBe('scopedown')
      expect(input?.ResultConfiguration).toEqual({
        OutputLocation: 's3://results-bucket/scopedown/',
      })
      expect(placeholders(sql)).toBe(input?.ExecutionParameters?.length)
    }
    expect(byKind.unattributed?.ExecutionParameters).toEqual(scope)
    expect(byKind.coverage?.ExecutionParameters).toEqual(scope)
    const paths = Object.values(REQUEST_DETAIL_PATHS)
    const keys = paths.map((p) =>
      /^\$\.(?:"([^"]+)"|([A-Za-z0-9_]+))/.exec(p)?.slice(1).find(Boolean),
    )
    expect(byKind.calls?.ExecutionParameters).toEqual([
      ...scope,
      'false',
      `'${JSON.stringify([ROLE, USER])}'`,
      `'${JSON.stringify(AUTHORIZATION_FAILURE_CODES)}'`,
      `'"(?:${[...new Set(keys)].join('|')})"\\s*:'`,
      `'${JSON.stringify(paths.map((p) => p.replace(/\."([^"]+)"/g, '["$1"]')))}'`,
      '2',
    ])
  })

  it('says "all" when no accounts or principals are given, and omits an absent output location', async () => {
    succeedAll()
    const result = await createAthenaSource({
      client: new AthenaClient({ region: 'us-east-1' }),
      database: 'trail_db',
      table: 'cloudtrail_logs',
      workgroup: 'primary',
      pollIntervalMs: 1,
    }).usage({ window: WINDOW })
    const calls = started.find((input) => kind(input.QueryString) === 'calls')
    expect(calls?.QueryString).toContain('FROM "cloudtrail_logs" AS e')
    expect(calls?.ResultConfiguration).toBeUndefined()
    expect(calls?.ExecutionParameters?.slice(2, 6)).toEqual(['false', "'[]'", 'true', "'[]'"])
    expect(calls?.ExecutionParameters?.at(-1)).toBe('50')
    expect(result.calls[0]?.resources).toHaveLength(3)
  })
})

describe('athena source: partition pruning', () => {
  const SCOPE = [
    "'2026-10-01T00:00:00.000Z'",
    "'2026-10-04T00:00:00.000Z'",
    'true',
    `'["111111111111","222222222222"]'`,
  ]
  const ACCOUNTS = ['111111111111', '222222222222']

  /** The three queries sent by one usage() call, by kind. */
  async function sent(partitions: AthenaPartitions | undefined, query: Partial<UsageQuery> = {}) {
    succeedAll()
    await source(undefined, partitions).usage({ window: WINDOW, ...query })
    return Object.fromEntries(started.map((input) => [kind(input.QueryString), input]))
  }

  /** The query text with the placeholder line replaced as the source must do it. */
  const expected = (name: string, lines: string[]) =>
    readQuery(`athena/${name}`)
      .replaceAll('__TABLE__', TABLE)
      .replace('    -- __PARTITION_FILTER__\n', lines.map((l) => `    ${l}\n`).join(''))

  it('prunes a projected yyyy/MM/dd date column and the account column', async () => {
    const byKind = await sent(
      { date: { column: 'timestamp', format: 'yyyy/MM/dd' }, region: 'region', account: 'account' },
      { accountIds: ACCOUNTS },
    )
    const lines = ['WHERE e."timestamp" BETWEEN ? AND ?', '  AND e."account" IN (?, ?)']
    const partitionParams = ["'2026/09/30'", "'2026/10/06'", "'111111111111'", "'222222222222'"]
    for (const name of ['calls', 'unattributed', 'coverage'] as const) {
      const input = byKind[name]
      expect(input?.QueryString).toBe(expected(name, lines))
      expect(input?.QueryString).not.toMatch(/^\s*-- __PARTITION_FILTER__$/m)
      expect(input?.QueryString).not.toContain('"region"')
      expect(placeholders(input?.QueryString ?? '')).toBe(input?.ExecutionParameters?.length)
      expect(input?.ExecutionParameters?.slice(-4)).toEqual(partitionParams)
    }
    expect(byKind.unattributed?.ExecutionParameters).toEqual([...SCOPE, ...partitionParams])
    expect(byKind.coverage?.ExecutionParameters).toEqual([...SCOPE, ...partitionParams])
    expect(byKind.calls?.ExecutionParameters).toHaveLength(10 + 4)
    expect(byKind.calls?.ExecutionParameters?.slice(0, 4)).toEqual(SCOPE)
    expect(byKind.calls?.QueryString).toContain(
      [
        `    FROM ${TABLE} AS e`,
        '    WHERE e."timestamp" BETWEEN ? AND ?',
        '      AND e."account" IN (?, ?)',
        '  ),',
      ].join('\n'),
    )
  })

  it('prunes only the date when no accounts are asked for', async () => {
    const byKind = await sent({ date: { column: 'timestamp' }, account: 'account' })
    for (const name of ['calls', 'unattributed', 'coverage'] as const) {
      const input = byKind[name]
      expect(input?.QueryString).toBe(expected(name, ['WHERE e."timestamp" BETWEEN ? AND ?']))
      expect(input?.ExecutionParameters?.slice(-2)).toEqual(["'2026/09/30'", "'2026/10/06'"])
      expect(placeholders(input?.QueryString ?? '')).toBe(input?.ExecutionParameters?.length)
    }
    expect(byKind.coverage?.ExecutionParameters).toEqual([
      "'2026-10-01T00:00:00.000Z'",
      "'2026-10-04T00:00:00.000Z'",
      'false',
      "'[]'",
      "'2026/09/30'",
      "'2026/10/06'",
    ])
  })

  it('prunes Hive-style year, month and day columns as one yyyyMMdd number', async () => {
    const date = { year: 'year', month: 'month', day: 'day' }
    const day =
      'CAST(e."year" AS integer) * 10000 + CAST(e."month" AS integer) * 100 + ' +
      'CAST(e."day" AS integer) BETWEEN ? AND ?'
    const withAccounts = await sent({ date, account: 'account' }, { accountIds: ACCOUNTS })
    for (const name of ['calls', 'unattributed', 'coverage'] as const) {
      const input = withAccounts[name]
      expect(input?.QueryString).toBe(
        expected(name, [`WHERE ${day}`, '  AND e."account" IN (?, ?)']),
      )
      expect(input?.ExecutionParameters?.slice(-4)).toEqual([
        '20260930',
        '20261006',
        "'111111111111'",
        "'222222222222'",
      ])
      expect(placeholders(input?.QueryString ?? '')).toBe(input?.ExecutionParameters?.length)
    }
    athena.reset()
    started = []
    const withoutAccounts = await sent({ date })
    expect(withoutAccounts.coverage?.QueryString).toBe(expected('coverage', [`WHERE ${day}`]))
    expect(withoutAccounts.coverage?.ExecutionParameters).toEqual([
      "'2026-10-01T00:00:00.000Z'",
      "'2026-10-04T00:00:00.000Z'",
      'false',
      "'[]'",
      '20260930',
      '20261006',
    ])
  })

  it('prunes the account column alone; an empty account list reads nothing', async () => {
    const byKind = await sent({ account: 'account' }, { accountIds: ['111111111111'] })
    expect(byKind.coverage?.QueryString).toBe(expected('coverage', ['WHERE e."account" IN (?)']))
    expect(byKind.coverage?.ExecutionParameters?.slice(4)).toEqual(["'111111111111'"])
    athena.reset()
    started = []
    const none = await sent({ account: 'account' }, { accountIds: [] })
    expect(none.coverage?.QueryString).toBe(expected('coverage', ['WHERE false']))
    expect(none.coverage?.ExecutionParameters).toHaveLength(4)
  })

  it('reads from the day before the window to two days after its end, across months', () => {
    const days = (start: string, end: string) => {
      const { first, last } = partitionDays(new Date(start), new Date(end))
      return [first.toISOString().slice(0, 10), last.toISOString().slice(0, 10)]
    }
    expect(days(WINDOW.start, WINDOW.end)).toEqual(['2026-09-30', '2026-10-06'])
    // Mid-day bounds: the start's day minus one, the end's day plus two.
    expect(days('2026-03-01T13:00:00Z', '2026-12-30T23:59:59.999Z')).toEqual([
      '2026-02-28',
      '2027-01-01',
    ])
    expect(days('2024-01-01T00:00:00Z', '2024-02-28T06:00:00Z')).toEqual([
      '2023-12-31',
      '2024-03-01',
    ])
    // Every in-window instant's UTC day lies in the range (late delivery adds the margin).
    const { first, last } = partitionDays(new Date(WINDOW.start), new Date(WINDOW.end))
    for (const t of [WINDOW.start, '2026-10-03T23:59:59.999Z']) {
      const day = Date.parse(t.slice(0, 10))
      expect(day).toBeGreaterThanOrEqual(first.getTime())
      expect(day).toBeLessThanOrEqual(last.getTime())
    }
  })

  it('sends the query text unchanged without partitions', async () => {
    for (const partitions of [undefined, {}, { region: 'region' }, { account: 'account' }]) {
      athena.reset()
      started = []
      const byKind = await sent(partitions)
      for (const name of ['calls', 'unattributed', 'coverage'] as const) {
        const input = byKind[name]
        expect(input?.QueryString).toBe(readQuery(`athena/${name}`).replaceAll('__TABLE__', TABLE))
        expect(input?.QueryString).toContain('    -- __PARTITION_FILTER__\n')
        expect(input?.ExecutionParameters).toHaveLength(name === 'calls' ? 10 : 4)
      }
    }
  })

  it('refuses a partition column that is not a plain identifier as CONFIG_INVALID', () => {
    const bad: AthenaPartitions[] = [
      { date: { column: 'timestamp" OR 1=1 --' } },
      { date: { year: 'year', month: 'mon th', day: 'day' } },
      { account: 'account;' },
      { region: '' },
      { date: { column: 'dt', format: 'yyyy-MM-dd' as 'yyyy/MM/dd' } },
    ]
    for (const partitions of bad) {
      let error: unknown
      try {
        source(undefined, partitions)
      } catch (e) {
        error = e
      }
      expect(error).toBeInstanceOf(ScopedownError)
      expect((error as ScopedownError).code).toBe('CONFIG_INVALID')
    }
  })
})

describe('athena source: results', () => {
  it('pages through results, skips the header row and converts like the DuckDB source', async () => {
    succeedAll()
    const result = await source().usage({ window: WINDOW, maxResources: 2 })

    const pageCalls = athena.commandCalls(GetQueryResultsCommand)
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
    expect(result.inputs).toEqual({
      filesRead: 0,
      filesPruned: 0,
      filesIgnored: 0,
      unreadable: [],
      badRecords: 0,
      eventsInWindow: 11,
    })
  })
})

describe('athena source: failures', () => {
  it('reports a FAILED query as SOURCE_FAILED with the reason and the permissions hint', async () => {
    succeedAll()
    const reason =
      'TABLE_NOT_FOUND: line 60:10: Table awsdatacatalog.trail_db.cloudtrail_logs does not exist'
    athena.on(GetQueryExecutionCommand).resolves({
      QueryExecution: { Status: { State: 'FAILED', StateChangeReason: reason } },
    })
    const error = await source()
      .usage({ window: WINDOW })
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ScopedownError)
    const failure = error as ScopedownError
    expect(failure.code).toBe('SOURCE_FAILED')
    expect(failure.message).toMatch(/^Athena query athena\/(calls|unattributed|coverage)/)
    expect(failure.message).toContain(`FAILED: ${reason}`)
    for (const permission of [
      'athena:StartQueryExecution',
      'athena:GetQueryExecution',
      'athena:GetQueryResults',
      'glue:GetTable',
      'glue:GetDatabase',
      'glue:GetPartitions',
      's3:GetObject',
      's3:ListBucket',
      's3:PutObject',
    ]) {
      expect(failure.hint).toContain(permission)
    }
  })

  it('stops the sibling queries when one fails, and reports the failed one', async () => {
    succeedAll()
    athena.on(GetQueryExecutionCommand).callsFake((input: { QueryExecutionId: string }) => ({
      QueryExecution: {
        Status:
          input.QueryExecutionId === 'calls'
            ? { State: 'FAILED', StateChangeReason: 'HIVE_BAD_DATA: malformed JSON' }
            : { State: 'RUNNING' },
      },
    }))
    athena.on(StopQueryExecutionCommand).resolves({})
    const error = await source()
      .usage({ window: WINDOW })
      .catch((e: unknown) => e)
    expect((error as ScopedownError).code).toBe('SOURCE_FAILED')
    expect((error as ScopedownError).message).toBe(
      'Athena query athena/calls (query execution calls) failed: FAILED: HIVE_BAD_DATA: malformed JSON',
    )
    const stopped = athena
      .commandCalls(StopQueryExecutionCommand)
      .map((c) => c.args[0].input.QueryExecutionId)
    expect(stopped.sort()).toEqual(['coverage', 'unattributed'])
  })

  it('retries a throttled StartQueryExecution, then succeeds', async () => {
    succeedAll()
    const throttled = () =>
      new TooManyRequestsException({ message: 'Rate exceeded', $metadata: {} })
    let attempts = 0
    athena.on(StartQueryExecutionCommand).callsFake((input: StartQueryExecutionCommandInput) => {
      attempts++
      if (attempts <= 2) throw throttled()
      started.push(input)
      return { QueryExecutionId: kind(input.QueryString) }
    })
    const result = await source().usage({ window: WINDOW })
    expect(attempts).toBe(5)
    expect(started).toHaveLength(3)
    expect(result.calls).toHaveLength(2)
  })

  it('gives up on throttling after maxRetries, as SOURCE_FAILED', async () => {
    succeedAll()
    athena
      .on(StartQueryExecutionCommand)
      .rejects(new TooManyRequestsException({ message: 'Rate exceeded', $metadata: {} }))
    const error = await createAthenaSource({
      client: new AthenaClient({ region: 'us-east-1' }),
      database: 'trail_db',
      table: 'cloudtrail_logs',
      workgroup: 'primary',
      maxRetries: 2,
      retryBaseMs: 1,
    })
      .usage({ window: WINDOW })
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ScopedownError)
    expect((error as ScopedownError).message).toContain('Rate exceeded')
    // The first query to give up stops the others: at most 3 tries each, never more.
    const tries = athena.commandCalls(StartQueryExecutionCommand).length
    expect(tries).toBeGreaterThanOrEqual(3)
    expect(tries).toBeLessThanOrEqual(9)
  })

  it('rejects a table name that is not a plain identifier', () => {
    expect(() =>
      createAthenaSource({
        client: new AthenaClient({ region: 'us-east-1' }),
        database: 'trail_db',
        table: 'x; drop',
        workgroup: 'primary',
      }),
    ).toThrow(ScopedownError)
    for (const bad of ['x; drop', 'a"b', 'a.b.c', '', 'db.', 'tbl --']) {
      expect(() => quoteTableName(bad)).toThrow(/is not a table name/)
    }
    expect(quoteTableName('db_1.Trail')).toBe('"db_1"."Trail"')
  })
})

describe('createLogSource', () => {
  it('builds an Athena source from source.type "athena"', async () => {
    const config = ConfigSchema.parse({
      source: { type: 'athena', region: 'eu-west-1', database: 'trail_db', table: 'cloudtrail' },
    })
    const logSource = await createLogSource(config, silentLogger)
    expect(logSource.kind).toBe('athena')
    await logSource.close()
  })

  it('passes source.partitions through, validated against the config schema', async () => {
    const config = ConfigSchema.parse({
      source: {
        type: 'athena',
        region: 'eu-west-1',
        database: 'trail_db',
        table: 'cloudtrail_logs',
        partitions: { date: { column: 'timestamp' }, region: 'region', account: 'account' },
      },
    })
    expect(config.source).toMatchObject({
      partitions: { date: { column: 'timestamp', format: 'yyyy/MM/dd' } },
    })
    succeedAll()
    const logSource = await createLogSource(config, silentLogger)
    await logSource.usage({ window: WINDOW, accountIds: ['111111111111'] })
    await logSource.close()
    const coverage = started.find((input) => kind(input.QueryString) === 'coverage')
    expect(coverage?.QueryString).toContain('WHERE e."timestamp" BETWEEN ? AND ?')
    expect(coverage?.QueryString).toContain('AND e."account" IN (?)')
    expect(coverage?.ExecutionParameters?.slice(4)).toEqual([
      "'2026/09/30'",
      "'2026/10/06'",
      "'111111111111'",
    ])
    for (const partitions of [
      { date: { column: 'ts; drop' } },
      { date: { year: 'year', month: 'month' } },
      { date: { column: 'dt', format: 'yyyy-MM-dd' } },
      { account: 'account', extra: 'x' },
    ]) {
      const parsed = ConfigSchema.safeParse({
        source: { type: 'athena', region: 'eu-west-1', database: 'd', table: 't', partitions },
      })
      expect(parsed.success).toBe(false)
    }
  })

  it('refuses a table name that is not an identifier as CONFIG_INVALID', async () => {
    const config = ConfigSchema.parse({
      source: { type: 'athena', region: 'eu-west-1', database: 'd', table: 'x; drop' },
    })
    await expect(createLogSource(config, silentLogger)).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
    })
  })
})
