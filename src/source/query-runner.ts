import { errorMessage, ScopedownError } from '../util/errors.js'
import type { Logger } from '../util/log.js'
import { utcDaysInWindow } from '../util/window.js'
import { athenaApiCall, athenaCoverage, athenaUnattributed } from './athena-results.js'
import type { UsageQuery, UsageResult } from './types.js'

/** Result rows of a SQL engine, every value as text (Athena and CloudTrail Lake alike). */
export type Rows = Record<string, string | undefined>[]

/** A query that ended FAILED, CANCELLED or TIMED_OUT, or ran out of time. */
export class QueryEnded extends Error {
  readonly state: string
  constructor(state: string, reason: string) {
    super(reason)
    this.state = state
  }
}

/** Thrown in a query whose sibling failed: it stops early, and the sibling's error is reported. */
class Cancelled extends Error {}

/** One engine call; the runner retries it while the engine throttles. */
export type Send = <T>(call: () => Promise<T>) => Promise<T>

/** Where a running query stands, as the engine's status call reports it. */
export type QueryStatus =
  | { done: true }
  | { done: false; state: string | undefined }
  | { done: false; ended: string; reason: string }

/** What one engine does for one query; the runner adds retries, polling, cancellation, errors. */
export interface EngineQuery {
  start(send: Send): Promise<string>
  status(id: string, send: Send): Promise<QueryStatus>
  results(id: string, send: Send): Promise<Rows>
  /** Best effort: a query left running only costs money. */
  stop(id: string): Promise<void>
}

/** How patiently a SQL-engine source polls and retries; every field has a default. */
export interface QueryTimings {
  /** First wait between status polls; grows 1.5x up to maxPollIntervalMs. */
  pollIntervalMs?: number
  maxPollIntervalMs?: number
  /** Give up (and stop the query) after this long. */
  maxWaitMs?: number
  /** Retries of a throttled call. */
  maxRetries?: number
  /** First wait before retrying a throttled call; doubles up to 20 s. */
  retryBaseMs?: number
}

export interface QueryRunnerOptions extends QueryTimings {
  /** For messages: `Athena`, `CloudTrail Lake`. */
  engine: string
  /** How an id is named in messages: `query execution`, `query`. */
  idLabel: string
  /** The permissions the caller needs, shown with every failure. */
  hint: string
  /** Error names worth another try (throttling, concurrency caps). */
  retryable: ReadonlySet<string>
  logger: Logger
}

const MAX_RETRY_DELAY_MS = 20_000
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/**
 * Runs the queries of one usage() call on a SQL engine (Athena, CloudTrail Lake) concurrently:
 * start, poll with growing waits, page the results, retry throttled calls. When one query fails
 * the others stop (and their queries are stopped), and the first real failure is reported as
 * SOURCE_FAILED naming the query and the permissions needed.
 */
export async function runQueries(
  options: QueryRunnerOptions,
  queries: readonly { name: string; query: EngineQuery }[],
): Promise<Rows[]> {
  const state = { failed: false }
  const settled = await Promise.allSettled(
    queries.map(({ name, query }) => runOne(options, name, query, state)),
  )
  const failure = settled.find(
    (r): r is PromiseRejectedResult => r.status === 'rejected' && !(r.reason instanceof Cancelled),
  )
  if (failure) throw failure.reason
  return settled.map((r) => (r.status === 'fulfilled' ? r.value : []))
}

async function runOne(
  options: QueryRunnerOptions,
  name: string,
  query: EngineQuery,
  state: { failed: boolean },
): Promise<Rows> {
  const started = Date.now()
  const send: Send = (call) => sendWithRetry(options, state, call)
  let id: string | undefined
  try {
    id = await query.start(send)
    await waitUntilDone(options, id, query, send)
    const rows = await query.results(id, send)
    options.logger.debug(`${options.engine}: query done`, {
      query: name,
      id,
      rows: rows.length,
      ms: Date.now() - started,
    })
    return rows
  } catch (error) {
    if (error instanceof Cancelled) {
      if (id) await query.stop(id)
      throw error
    }
    state.failed = true
    const where = id ? ` (${options.idLabel} ${id})` : ''
    const detail =
      error instanceof QueryEnded ? `${error.state}: ${error.message}` : errorMessage(error)
    throw new ScopedownError(
      'SOURCE_FAILED',
      `${options.engine} query ${name}${where} failed: ${detail}`,
      { hint: options.hint, cause: error },
    )
  }
}

/** Polls until the query ends, with waits growing 1.5x from pollIntervalMs to the cap. */
async function waitUntilDone(
  options: QueryRunnerOptions,
  id: string,
  query: EngineQuery,
  send: Send,
): Promise<void> {
  const maxWait = options.maxWaitMs ?? 30 * 60_000
  const maxInterval = options.maxPollIntervalMs ?? 5_000
  let interval = options.pollIntervalMs ?? 500
  const started = Date.now()
  for (;;) {
    const status = await query.status(id, send)
    if (status.done) return
    if ('ended' in status) throw new QueryEnded(status.ended, status.reason)
    if (Date.now() - started >= maxWait) {
      await query.stop(id)
      throw new QueryEnded('TIMED OUT', `still ${status.state ?? 'unknown'} after ${maxWait} ms`)
    }
    await sleep(interval)
    interval = Math.min(interval * 1.5, maxInterval)
  }
}

/** One call, retried with doubling waits while throttled; not made once a sibling failed. */
async function sendWithRetry<T>(
  options: QueryRunnerOptions,
  state: { failed: boolean },
  call: () => Promise<T>,
): Promise<T> {
  const retries = options.maxRetries ?? 5
  const base = options.retryBaseMs ?? 1_000
  for (let attempt = 0; ; attempt++) {
    if (state.failed) throw new Cancelled('a sibling query failed')
    try {
      return await call()
    } catch (error) {
      const name = error instanceof Error ? error.name : ''
      if (!options.retryable.has(name) || attempt >= retries) throw error
      const delay = Math.min(base * 2 ** attempt, MAX_RETRY_DELAY_MS)
      options.logger.debug(`${options.engine}: throttled, retrying`, {
        error: name,
        attempt,
        delay,
      })
      await sleep(delay)
    }
  }
}

/**
 * The UsageResult of a SQL engine's three result sets (calls, unattributed, coverage), which
 * share one column layout across engines. `keepPrincipal` filters calls after the query, for
 * principal lists too long to bind.
 */
export function usageFromRows(
  [calls, unattributed, coverage]: readonly [Rows, Rows, Rows],
  query: UsageQuery,
  maxResources: number,
  keepPrincipal?: (principal: string) => boolean,
): UsageResult {
  const windowDays = utcDaysInWindow(query.window)
  return {
    calls: calls
      .filter((row) => keepPrincipal === undefined || keepPrincipal(row.principal ?? ''))
      .map((row) => athenaApiCall(row, maxResources)),
    unattributed: unattributed.map(athenaUnattributed),
    coverage: coverage.map((row) => athenaCoverage(row, windowDays)),
    inputs: {
      filesRead: 0,
      filesPruned: 0,
      filesIgnored: 0,
      unreadable: [],
      badRecords: 0,
      eventsInWindow: coverage.reduce((sum, row) => sum + Number(row.event_count ?? 0), 0),
    },
  }
}
