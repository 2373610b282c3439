import {
  type Event as CloudTrailApiEvent,
  CloudTrailClient,
  LookupEventsCommand,
} from '@aws-sdk/client-cloudtrail'
import { errorMessage, ScopedownError } from '../util/errors.js'
import { type Logger, silentLogger } from '../util/log.js'
import { DAY_MS, windowBounds } from '../util/window.js'
import { aggregateEvents } from './aggregate.js'
import type { LogSource, UsageQuery, UsageResult } from './types.js'

/** How far back LookupEvents can see: CloudTrail keeps 90 days of event history. */
export const LOOKUP_EVENTS_HISTORY_DAYS = 90
/** LookupEvents allows 2 requests per second per account and region. */
export const DEFAULT_PAUSE_MS = 500
/** Retries of a throttled request before giving up. */
export const DEFAULT_MAX_RETRIES = 5
/** First back-off after a throttled request; doubled on each retry. */
export const DEFAULT_BACKOFF_MS = 1000
/** LookupEvents' page size limit. */
const PAGE_SIZE = 50

const PERMISSIONS_HINT =
  'needs cloudtrail:LookupEvents: grant it to the credentials scopedown runs with (every region)'

const THROTTLING = new Set([
  'ThrottlingException',
  'Throttling',
  'TooManyRequestsException',
  'RequestLimitExceeded',
])

/** Options of {@link createLookupEventsSource}. */
export interface LookupEventsSourceOptions {
  /** A client for the account to read; its credentials serve every region of `regions`. */
  client: CloudTrailClient
  /** Regions to query (LookupEvents answers for one region); default: the client's region. */
  regions?: readonly string[]
  /** Builds the client of one region; default: a client with `client`'s credentials. */
  clientForRegion?: (region: string) => CloudTrailClient
  /** Receives the 90-day warning and per-region progress. */
  logger?: Logger
  /** Pause between two requests to one region (default 500: 2 requests per second). */
  pauseMs?: number
  /** Retries of a throttled request (default 5), backing off from `backoffMs` (default 1000). */
  maxRetries?: number
  backoffMs?: number
  /** How to wait; tests inject a fake. */
  pause?: (ms: number) => Promise<void>
  /** The clock for the 90-day warning; tests inject one. */
  now?: () => Date
}

const realPause = (ms: number) =>
  new Promise<void>((resolve) => {
    setTimeout(resolve, ms)
  })

/**
 * A {@link LogSource} over the CloudTrail LookupEvents API (`@aws-sdk/client-cloudtrail`): the
 * event history CloudTrail keeps without any trail. Needs no log bucket, but:
 *
 * - it holds only the last 90 days, and only management events (no S3 object or Lambda invoke
 *   data events), so permissions used only through data events look unused: a window starting
 *   earlier than 90 days ago is warned about, and the missing days show in coverage;
 * - it answers for one account (the caller's) and one region per request: each of `regions` is
 *   queried in turn through its own client;
 * - it allows 2 requests per second per account and region: requests are paced (`pauseMs`) and a
 *   throttled one is retried a bounded number of times with exponential back-off.
 *
 * Events are aggregated by {@link aggregateEvents}, with the DuckDB source's semantics.
 *
 * AWS permissions: `cloudtrail:LookupEvents`.
 */
export function createLookupEventsSource(options: LookupEventsSourceOptions): LogSource {
  return new LookupEventsSource(options)
}

class LookupEventsSource implements LogSource {
  readonly kind = 'cloudtrail-lookup' as const
  readonly #options: LookupEventsSourceOptions
  readonly #logger: Logger
  readonly #pause: (ms: number) => Promise<void>
  /** Clients this source built (one per region), destroyed on close(). */
  readonly #regionClients = new Map<string, CloudTrailClient>()
  #closed = false

  constructor(options: LookupEventsSourceOptions) {
    this.#options = options
    this.#logger = options.logger ?? silentLogger
    this.#pause = options.pause ?? realPause
  }

  async usage(query: UsageQuery): Promise<UsageResult> {
    if (this.#closed) {
      throw new ScopedownError('SOURCE_FAILED', 'the CloudTrail LookupEvents source is closed')
    }
    const bounds = windowBounds(query.window)
    const now = this.#options.now?.() ?? new Date()
    const oldest = new Date(now.getTime() - LOOKUP_EVENTS_HISTORY_DAYS * DAY_MS)
    if (bounds.start.getTime() < oldest.getTime()) {
      this.#logger.warn(
        `CloudTrail LookupEvents keeps only ${LOOKUP_EVENTS_HISTORY_DAYS} days of management ` +
          `events: the window start ${bounds.start.toISOString()} is before ` +
          `${oldest.toISOString()}, so the days before that are not covered`,
      )
    }
    const targets = this.#targets()
    const perRegion = await Promise.all(
      targets.map(({ region, client }) => this.#lookup(region, client, bounds)),
    )
    return aggregateEvents(perRegion.flat(), query)
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    for (const client of this.#regionClients.values()) client.destroy()
    this.#regionClients.clear()
  }

  #targets(): { region: string | undefined; client: CloudTrailClient }[] {
    const { client, regions } = this.#options
    if (regions === undefined) return [{ region: undefined, client }]
    return [...new Set(regions)].map((region) => {
      let regional = this.#regionClients.get(region)
      if (!regional) {
        regional =
          this.#options.clientForRegion?.(region) ??
          new CloudTrailClient({ region, credentials: client.config.credentials })
        this.#regionClients.set(region, regional)
      }
      return { region, client: regional }
    })
  }

  /** Every event of one region in the window, as parsed records (null when not JSON). */
  async #lookup(
    region: string | undefined,
    client: CloudTrailClient,
    bounds: { start: Date; end: Date },
  ): Promise<unknown[]> {
    const where = region ?? 'the client region'
    const records: unknown[] = []
    let nextToken: string | undefined
    let pages = 0
    try {
      do {
        if (pages > 0) await this.#pause(this.#options.pauseMs ?? DEFAULT_PAUSE_MS)
        const page = await this.#send(client, bounds, nextToken)
        pages += 1
        for (const event of page.Events ?? []) records.push(parseEvent(event))
        nextToken = page.NextToken
      } while (nextToken)
    } catch (error) {
      if (error instanceof ScopedownError) throw error
      throw new ScopedownError(
        'SOURCE_FAILED',
        `CloudTrail LookupEvents in ${where} failed: ${errorMessage(error)}`,
        { hint: PERMISSIONS_HINT, cause: error },
      )
    }
    this.#logger.debug('cloudtrail-lookup: region read', {
      region: where,
      pages,
      events: records.length,
    })
    return records
  }

  /** One page, retried with exponential back-off while throttled. */
  async #send(client: CloudTrailClient, bounds: { start: Date; end: Date }, token?: string) {
    const maxRetries = this.#options.maxRetries ?? DEFAULT_MAX_RETRIES
    const backoff = this.#options.backoffMs ?? DEFAULT_BACKOFF_MS
    const command = new LookupEventsCommand({
      StartTime: bounds.start,
      EndTime: bounds.end,
      MaxResults: PAGE_SIZE,
      ...(token ? { NextToken: token } : {}),
    })
    for (let attempt = 0; ; attempt += 1) {
      try {
        return await client.send(command)
      } catch (error) {
        if (!isThrottling(error) || attempt >= maxRetries) throw error
        this.#logger.debug('cloudtrail-lookup: throttled, backing off', { attempt: attempt + 1 })
        await this.#pause(backoff * 2 ** attempt)
      }
    }
  }
}

function isThrottling(error: unknown): boolean {
  if (error === null || typeof error !== 'object') return false
  const { name, $metadata } = error as { name?: unknown; $metadata?: { httpStatusCode?: number } }
  return (typeof name === 'string' && THROTTLING.has(name)) || $metadata?.httpStatusCode === 429
}

/** The record inside one LookupEvents item; null (a bad record) when it is missing or not JSON. */
function parseEvent(event: CloudTrailApiEvent): unknown {
  if (typeof event.CloudTrailEvent !== 'string') return null
  try {
    return JSON.parse(event.CloudTrailEvent) as unknown
  } catch {
    return null
  }
}
