import {
  CancelQueryCommand,
  type CloudTrailClient,
  DescribeQueryCommand,
  GetQueryResultsCommand,
  type GetQueryResultsCommandOutput,
  StartQueryCommand,
} from '@aws-sdk/client-cloudtrail'
import { errorMessage, ScopedownError } from '../util/errors.js'
import { type Logger, silentLogger } from '../util/log.js'
import { utcDaysInWindow, windowBounds } from '../util/window.js'
import { athenaApiCall, athenaCoverage, athenaUnattributed } from './athena-results.js'
import { AUTHORIZATION_FAILURE_CODES } from './denied-codes.js'
import {
  eventDataStoreId,
  LAKE_PARAM_MAX,
  lakeListParam,
  lakeLiteralParam,
  lakeRows,
  lakeVarcharParam,
} from './lake-results.js'
import { readQuery } from './queries.js'
import { REQUEST_DETAIL_PATHS } from './request-details.js'
import type { LogSource, UsageQuery, UsageResult } from './types.js'
import { DEFAULT_MAX_RESOURCES } from './types.js'

/** Options of {@link createLakeSource}. */
export interface LakeSourceOptions {
  client: CloudTrailClient
  /** The event data store: its ID or its ARN (the ID is the ARN's last segment). */
  eventDataStore: string
  logger?: Logger
  /** First wait between DescribeQuery polls; grows 1.5x up to maxPollIntervalMs. */
  pollIntervalMs?: number
  maxPollIntervalMs?: number
  /** Give up (and cancel the query) after this long. */
  maxWaitMs?: number
  /** Retries of a throttled call (ThrottlingException, MaxConcurrentQueriesException ...). */
  maxRetries?: number
  /** First wait before retrying a throttled call; doubles up to 20 s. */
  retryBaseMs?: number
}

const PERMISSIONS_HINT =
  'the caller needs cloudtrail:StartQuery, cloudtrail:GetQueryResults, cloudtrail:DescribeQuery, ' +
  'cloudtrail:CancelQuery on the event data store'

/** Errors worth another try: throttling, and Lake's cap on concurrent queries. */
const RETRYABLE = new Set([
  'ThrottlingException',
  'TooManyRequestsException',
  'MaxConcurrentQueriesException',
])
const MAX_RETRY_DELAY_MS = 20_000
const DETAIL_PATHS = Object.values(REQUEST_DETAIL_PATHS)

type Rows = Record<string, string | undefined>[]

type QueryName = 'lake/calls' | 'lake/unattributed' | 'lake/coverage'

/** A query that ended FAILED, CANCELLED or TIMED_OUT, or ran out of time; wrapped by usage(). */
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
 * Queries a CloudTrail Lake event data store as a {@link LogSource}. Each `usage()` runs three
 * aggregating queries (queries/lake/calls.sql, unattributed.sql, coverage.sql) with every value
 * bound through StartQuery's QueryParameters, so only small results come back. The event data
 * store ID is validated (`[A-Za-z0-9-]`) and is the only text substituted into the queries.
 *
 * QueryParameters are capped at 1024 characters each: a principal list longer than that is not
 * bound (the query returns every principal) and is applied to the rows here instead; an account
 * list longer than that is a USAGE error.
 *
 * AWS permissions: cloudtrail:StartQuery, cloudtrail:DescribeQuery, cloudtrail:GetQueryResults
 * and cloudtrail:CancelQuery on the event data store. `close()` destroys the client.
 */
export function createLakeSource(options: LakeSourceOptions): LogSource {
  return new LakeSource(options, eventDataStoreId(options.eventDataStore))
}

class LakeSource implements LogSource {
  readonly kind = 'cloudtrail-lake' as const
  readonly #options: LakeSourceOptions
  readonly #eds: string
  readonly #logger: Logger
  #closed = false

  constructor(options: LakeSourceOptions, eds: string) {
    this.#options = options
    this.#eds = eds
    this.#logger = options.logger ?? silentLogger
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    this.#options.client.destroy()
  }

  async usage(query: UsageQuery): Promise<UsageResult> {
    if (this.#closed) {
      throw new ScopedownError('SOURCE_FAILED', 'the CloudTrail Lake source is closed')
    }
    const bounds = windowBounds(query.window)
    const maxResources = query.maxResources ?? DEFAULT_MAX_RESOURCES
    const accounts = lakeListParam(query.accountIds)
    if (accounts.length > LAKE_PARAM_MAX) {
      throw new ScopedownError(
        'USAGE',
        `${query.accountIds?.length} account IDs do not fit one CloudTrail Lake query parameter ` +
          `(${LAKE_PARAM_MAX} characters)`,
        { hint: 'name fewer accounts, or none to read every account of the event data store' },
      )
    }
    let principals = lakeListParam(query.principalArns)
    // Too long to bind: query every principal and keep the asked-for ones below.
    const filterHere = principals.length > LAKE_PARAM_MAX
    if (filterHere) principals = lakeListParam(undefined)
    const scope = [
      lakeVarcharParam(bounds.start.toISOString()),
      lakeVarcharParam(bounds.end.toISOString()),
      accounts,
    ]
    const callParams = [
      ...scope,
      principals,
      lakeListParam(AUTHORIZATION_FAILURE_CODES),
      lakeListParam(DETAIL_PATHS),
      lakeLiteralParam(maxResources),
    ]
    // Concurrently; when one fails the others stop (and their queries are cancelled) before
    // usage() rejects with the first real failure.
    const state: RunState = { failed: false }
    const settled = await Promise.allSettled([
      this.#run('lake/calls', callParams, state),
      this.#run('lake/unattributed', scope, state),
      this.#run('lake/coverage', scope, state),
    ])
    const failure = settled.find(
      (r): r is PromiseRejectedResult =>
        r.status === 'rejected' && !(r.reason instanceof Cancelled),
    )
    if (failure) throw failure.reason
    const [calls, unattributed, coverage] = settled.map((r) =>
      r.status === 'fulfilled' ? r.value : [],
    ) as [Rows, Rows, Rows]
    const wanted = filterHere ? new Set(query.principalArns) : undefined
    const windowDays = utcDaysInWindow(query.window)
    return {
      calls: calls
        .filter((row) => wanted === undefined || wanted.has(row.principal ?? ''))
        .map((row) => athenaApiCall(row, maxResources)),
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

  /** Runs one query to the end and returns its rows; every failure leaves as SOURCE_FAILED. */
  async #run(name: QueryName, params: string[], state: RunState): Promise<Rows> {
    const started = Date.now()
    let id: string | undefined
    try {
      id = await this.#start(name, params, state)
      await this.#wait(id, state)
      const rows = await this.#results(id, state)
      this.#logger.debug('cloudtrail-lake: query done', {
        query: name,
        id,
        rows: rows.length,
        ms: Date.now() - started,
      })
      return rows
    } catch (error) {
      if (error instanceof Cancelled) {
        if (id) await this.#cancel(id)
        throw error
      }
      state.failed = true
      const where = id ? ` (query ${id})` : ''
      const detail =
        error instanceof QueryEnded ? `${error.state}: ${error.message}` : errorMessage(error)
      throw new ScopedownError(
        'SOURCE_FAILED',
        `CloudTrail Lake query ${name}${where} failed: ${detail}`,
        { hint: PERMISSIONS_HINT, cause: error },
      )
    }
  }

  async #start(name: QueryName, params: string[], state: RunState): Promise<string> {
    const statement = readQuery(name).replaceAll('__EDS__', this.#eds)
    const out = await this.#send(state, () =>
      this.#options.client.send(
        new StartQueryCommand({ QueryStatement: statement, QueryParameters: params }),
      ),
    )
    if (!out.QueryId) throw new Error('StartQuery returned no QueryId')
    return out.QueryId
  }

  /** Polls DescribeQuery until the query ends, with waits growing 1.5x up to the cap. */
  async #wait(id: string, run: RunState): Promise<void> {
    const options = this.#options
    const maxWait = options.maxWaitMs ?? 30 * 60_000
    const maxInterval = options.maxPollIntervalMs ?? 5_000
    let interval = options.pollIntervalMs ?? 500
    const started = Date.now()
    for (;;) {
      const out = await this.#send(run, () =>
        options.client.send(new DescribeQueryCommand({ QueryId: id })),
      )
      const status = out.QueryStatus
      if (status === 'FINISHED') return
      if (status === 'FAILED' || status === 'CANCELLED' || status === 'TIMED_OUT') {
        throw new QueryEnded(status, out.ErrorMessage ?? 'no reason given')
      }
      if (Date.now() - started >= maxWait) {
        await this.#cancel(id)
        throw new QueryEnded('TIMED OUT', `still ${status ?? 'unknown'} after ${maxWait} ms`)
      }
      await sleep(interval)
      interval = Math.min(interval * 1.5, maxInterval)
    }
  }

  /** Every result page, each row flattened from Lake's list of one-column maps. */
  async #results(id: string, state: RunState): Promise<Rows> {
    const out: Rows = []
    let token: string | undefined
    do {
      const page: GetQueryResultsCommandOutput = await this.#send(state, () =>
        this.#options.client.send(
          new GetQueryResultsCommand({
            QueryId: id,
            MaxQueryResults: 1000,
            ...(token ? { NextToken: token } : {}),
          }),
        ),
      )
      if (page.QueryStatus === 'FAILED' || page.QueryStatus === 'CANCELLED') {
        throw new QueryEnded(page.QueryStatus, page.ErrorMessage ?? 'no reason given')
      }
      out.push(...lakeRows(page.QueryResultRows))
      token = page.NextToken
    } while (token)
    return out
  }

  /** Best effort: a query left running would only cost money, so errors are ignored. */
  async #cancel(id: string): Promise<void> {
    await this.#options.client.send(new CancelQueryCommand({ QueryId: id })).catch(() => undefined)
  }

  /**
   * One CloudTrail call, retried with doubling waits while it is throttled; not made
   * (Cancelled) once a sibling query of the same usage() call has failed.
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
        if (!RETRYABLE.has(name) || attempt >= retries) throw error
        const delay = Math.min(base * 2 ** attempt, MAX_RETRY_DELAY_MS)
        this.#logger.debug('cloudtrail-lake: throttled, retrying', { error: name, attempt, delay })
        await sleep(delay)
      }
    }
  }
}
