import {
  type AthenaClient,
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  type GetQueryResultsCommandOutput,
  StartQueryExecutionCommand,
  type StartQueryExecutionCommandInput,
  StopQueryExecutionCommand,
} from '@aws-sdk/client-athena'
import { errorMessage, InvariantError, ScopedownError } from '../util/errors.js'
import { type Logger, silentLogger } from '../util/log.js'
import { utcDaysInWindow, windowBounds } from '../util/window.js'
import {
  type AthenaPartitions,
  PARTITION_FILTER_LINE,
  type PartitionFilter,
  partitionFilter,
  type QuotedPartitions,
  quotePartitions,
} from './athena-partitions.js'
import {
  athenaApiCall,
  athenaCoverage,
  athenaUnattributed,
  columnNames,
  detailKeyPattern,
  listParam,
  literalParam,
  quoteTableName,
  rowObjects,
  varcharParam,
} from './athena-results.js'
import { AUTHORIZATION_FAILURE_CODES } from './denied-codes.js'
import { readQuery } from './queries.js'
import { REQUEST_DETAIL_PATHS } from './request-details.js'
import type { LogSource, UsageQuery, UsageResult } from './types.js'
import { DEFAULT_MAX_RESOURCES } from './types.js'

/** Options of {@link createAthenaSource}. */
export interface AthenaSourceOptions {
  client: AthenaClient
  /** Glue database holding the table (QueryExecutionContext.Database). */
  database: string
  /** The CloudTrail table: `table` or `database.table`, `[A-Za-z0-9_]` only. */
  table: string
  workgroup: string
  /** s3:// URL for query results, when the workgroup has none. */
  outputLocation?: string
  /**
   * The table's partition columns: each query then reads only the date partitions around the
   * window (and the accounts asked for). Names are validated like the table name.
   */
  partitions?: AthenaPartitions
  logger?: Logger
  /** First wait between GetQueryExecution polls; grows 1.5x up to maxPollIntervalMs. */
  pollIntervalMs?: number
  maxPollIntervalMs?: number
  /** Give up (and stop the query) after this long. */
  maxWaitMs?: number
  /** Retries of a throttled Athena call (TooManyRequestsException, ThrottlingException). */
  maxRetries?: number
  /** First wait before retrying a throttled call; doubles up to 20 s. */
  retryBaseMs?: number
}

const PERMISSIONS_HINT =
  'the caller needs athena:StartQueryExecution, athena:GetQueryExecution and ' +
  'athena:GetQueryResults on the workgroup; glue:GetDatabase, glue:GetTable and ' +
  'glue:GetPartitions on the database and table; s3:GetObject and s3:ListBucket on the trail ' +
  'bucket; s3:PutObject and s3:GetObject on the query results location'

const THROTTLING = new Set(['TooManyRequestsException', 'ThrottlingException'])
const MAX_RETRY_DELAY_MS = 20_000
const DETAIL_PATHS = Object.values(REQUEST_DETAIL_PATHS)
const DETAIL_KEY_PATTERN = detailKeyPattern(DETAIL_PATHS)

type Rows = Record<string, string | undefined>[]

type QueryName = 'athena/calls' | 'athena/unattributed' | 'athena/coverage'

/** A query that ended in FAILED or CANCELLED, or ran out of time; wrapped by usage(). */
class QueryEnded extends Error {
  readonly state: string
  constructor(state: string, reason: string) {
    super(reason)
    this.state = state
  }
}

/** Thrown in a query whose sibling failed: it stops early, and the sibling's error is reported. */
class Cancelled extends Error {}

/** Shared by the queries of one usage() call: set when one of them fails. */
interface RunState {
  failed: boolean
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/**
 * Queries the CloudTrail table in Amazon Athena (engine v3) as a {@link LogSource}: the
 * scale-out engine for organization trails. Each `usage()` runs three aggregating queries
 * (queries/athena/calls.sql, unattributed.sql, coverage.sql) with every value bound through
 * ExecutionParameters, so only small results come back. The table is the one AWS documents for
 * CloudTrail in Athena; its name is validated and substituted as a quoted identifier. With
 * `partitions`, a WHERE on the partition columns (validated, quoted names; values bound as
 * parameters) replaces each query's `-- __PARTITION_FILTER__` line so Athena prunes partitions.
 *
 * AWS permissions:
 * - athena:StartQueryExecution, athena:GetQueryExecution, athena:GetQueryResults (and
 *   athena:StopQueryExecution, to stop a query that runs too long) on the workgroup;
 * - glue:GetDatabase, glue:GetTable, glue:GetPartitions on the database and table;
 * - s3:GetObject, s3:ListBucket on the trail bucket;
 * - s3:PutObject, s3:GetObject (and s3:GetBucketLocation) on the query results location.
 *
 * `close()` destroys the client.
 */
export function createAthenaSource(options: AthenaSourceOptions): LogSource {
  return new AthenaSource(
    options,
    quoteTableName(options.table),
    quotePartitions(options.partitions),
  )
}

class AthenaSource implements LogSource {
  readonly kind = 'athena' as const
  readonly #options: AthenaSourceOptions
  readonly #table: string
  readonly #partitions: QuotedPartitions
  readonly #logger: Logger
  #closed = false

  constructor(options: AthenaSourceOptions, quotedTable: string, partitions: QuotedPartitions) {
    this.#options = options
    this.#table = quotedTable
    this.#partitions = partitions
    this.#logger = options.logger ?? silentLogger
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    this.#options.client.destroy()
  }

  async usage(query: UsageQuery): Promise<UsageResult> {
    if (this.#closed) throw new ScopedownError('SOURCE_FAILED', 'the Athena source is closed')
    const bounds = windowBounds(query.window)
    const maxResources = query.maxResources ?? DEFAULT_MAX_RESOURCES
    const scope = [
      varcharParam(bounds.start.toISOString()),
      varcharParam(bounds.end.toISOString()),
      literalParam(query.accountIds !== undefined),
      listParam(query.accountIds ?? []),
    ]
    const callParams = [
      ...scope,
      literalParam(query.principalArns === undefined),
      listParam(query.principalArns ?? []),
      listParam(AUTHORIZATION_FAILURE_CODES),
      varcharParam(DETAIL_KEY_PATTERN),
      listParam(DETAIL_PATHS),
      literalParam(maxResources),
    ]
    // Concurrently; when one fails the others stop (and their queries are stopped) before
    // usage() rejects with the first real failure.
    const state: RunState = { failed: false }
    const filter = (name: QueryName) => this.#partitionFilter(name, bounds, query.accountIds)
    const settled = await Promise.allSettled([
      this.#run('athena/calls', callParams, filter('athena/calls'), state),
      this.#run('athena/unattributed', scope, filter('athena/unattributed'), state),
      this.#run('athena/coverage', scope, filter('athena/coverage'), state),
    ])
    const failure = settled.find(
      (r): r is PromiseRejectedResult =>
        r.status === 'rejected' && !(r.reason instanceof Cancelled),
    )
    if (failure) throw failure.reason
    const [calls, unattributed, coverage] = settled.map((r) =>
      r.status === 'fulfilled' ? r.value : [],
    ) as [Rows, Rows, Rows]
    const windowDays = utcDaysInWindow(query.window)
    return {
      calls: calls.map((row) => athenaApiCall(row, maxResources)),
      unattributed: unattributed.map(athenaUnattributed),
      coverage: coverage.map((row) => athenaCoverage(row, windowDays)),
      inputs: {
        filesRead: 0,
        filesPruned: 0,
        filesIgnored: 0,
        badFiles: [],
        badRecords: 0,
        eventsInWindow: coverage.reduce((sum, row) => sum + Number(row.event_count ?? 0), 0),
      },
    }
  }

  /**
   * The query's partition predicates, indented like its placeholder line; undefined when the
   * config names no partition columns (the query text is then sent as written).
   */
  #partitionFilter(
    name: QueryName,
    bounds: { start: Date; end: Date },
    accountIds: readonly string[] | undefined,
  ): PartitionFilter | undefined {
    const columns = this.#partitions
    if (!columns.date && !(columns.account && accountIds !== undefined)) return undefined
    const line = PARTITION_FILTER_LINE.exec(readQuery(name))
    if (!line) throw new InvariantError(`queries/${name}.sql has no -- __PARTITION_FILTER__ line`)
    return partitionFilter(columns, bounds, accountIds, line[1] ?? '')
  }

  /** Runs one query to the end and returns its rows; every failure leaves as SOURCE_FAILED. */
  async #run(
    name: QueryName,
    params: string[],
    filter: PartitionFilter | undefined,
    state: RunState,
  ): Promise<Rows> {
    const started = Date.now()
    let id: string | undefined
    try {
      id = await this.#start(name, params, filter, state)
      await this.#wait(id, state)
      const rows = await this.#results(id, state)
      this.#logger.debug('athena: query done', {
        query: name,
        id,
        rows: rows.length,
        ms: Date.now() - started,
      })
      return rows
    } catch (error) {
      if (error instanceof Cancelled) {
        if (id) await this.#stop(id)
        throw error
      }
      state.failed = true
      const where = id ? ` (query execution ${id})` : ''
      const detail =
        error instanceof QueryEnded ? `${error.state}: ${error.message}` : errorMessage(error)
      throw new ScopedownError('SOURCE_FAILED', `Athena query ${name}${where} failed: ${detail}`, {
        hint: PERMISSIONS_HINT,
        cause: error,
      })
    }
  }

  async #start(
    name: QueryName,
    params: string[],
    filter: PartitionFilter | undefined,
    state: RunState,
  ): Promise<string> {
    const options = this.#options
    let sql = readQuery(name).replaceAll('__TABLE__', this.#table)
    // A function replacement, so `$` in the generated text is never a pattern.
    if (filter) sql = sql.replace(PARTITION_FILTER_LINE, () => filter.sql)
    const input: StartQueryExecutionCommandInput = {
      QueryString: sql,
      ExecutionParameters: filter ? [...params, ...filter.params] : params,
      QueryExecutionContext: { Database: options.database },
      WorkGroup: options.workgroup,
      ...(options.outputLocation
        ? { ResultConfiguration: { OutputLocation: options.outputLocation } }
        : {}),
    }
    const out = await this.#send(state, () =>
      options.client.send(new StartQueryExecutionCommand(input)),
    )
    if (!out.QueryExecutionId) throw new Error('StartQueryExecution returned no QueryExecutionId')
    return out.QueryExecutionId
  }

  /** Polls until the query ends, with waits growing 1.5x from pollIntervalMs to the cap. */
  async #wait(id: string, run: RunState): Promise<void> {
    const options = this.#options
    const maxWait = options.maxWaitMs ?? 30 * 60_000
    const maxInterval = options.maxPollIntervalMs ?? 5_000
    let interval = options.pollIntervalMs ?? 500
    const started = Date.now()
    for (;;) {
      const out = await this.#send(run, () =>
        options.client.send(new GetQueryExecutionCommand({ QueryExecutionId: id })),
      )
      const status = out.QueryExecution?.Status
      const state = status?.State
      if (state === 'SUCCEEDED') return
      if (state === 'FAILED' || state === 'CANCELLED') {
        throw new QueryEnded(state, status?.StateChangeReason ?? 'no reason given')
      }
      if (Date.now() - started >= maxWait) {
        await this.#stop(id)
        throw new QueryEnded('TIMED OUT', `still ${state ?? 'unknown'} after ${maxWait} ms`)
      }
      await sleep(interval)
      interval = Math.min(interval * 1.5, maxInterval)
    }
  }

  /** Every result page; the first row of the first page is the header. */
  async #results(id: string, state: RunState): Promise<Rows> {
    const out: Rows = []
    let columns: string[] | undefined
    let token: string | undefined
    let first = true
    do {
      const page: GetQueryResultsCommandOutput = await this.#send(state, () =>
        this.#options.client.send(
          new GetQueryResultsCommand({
            QueryExecutionId: id,
            MaxResults: 1000,
            ...(token ? { NextToken: token } : {}),
          }),
        ),
      )
      columns ??= columnNames(page.ResultSet?.ResultSetMetadata?.ColumnInfo)
      const rows = page.ResultSet?.Rows ?? []
      out.push(...rowObjects(columns, first ? rows.slice(1) : rows))
      first = false
      token = page.NextToken
    } while (token)
    return out
  }

  /** Best effort: a query left running would only cost money, so errors are ignored. */
  async #stop(id: string): Promise<void> {
    await this.#options.client
      .send(new StopQueryExecutionCommand({ QueryExecutionId: id }))
      .catch(() => undefined)
  }

  /**
   * One Athena call, retried with doubling waits while Athena throttles; not made (Cancelled)
   * once a sibling query of the same usage() call has failed.
   */
  async #send<T>(state: RunState, call: () => Promise<T>): Promise<T> {
    const retries = this.#options.maxRetries ?? 5
    const base = this.#options.retryBaseMs ?? 1_000
    for (let attempt = 0; ; attempt++) {
      if (state.failed) throw new Cancelled('a sibling query failed')
      try {
        return await call()
      } catch (error) {
        const name = error instanceof Error ? error.name : ''
        if (!THROTTLING.has(name) || attempt >= retries) throw error
        const delay = Math.min(base * 2 ** attempt, MAX_RETRY_DELAY_MS)
        this.#logger.debug('athena: throttled, retrying', { error: name, attempt, delay })
        await sleep(delay)
      }
    }
  }
}
