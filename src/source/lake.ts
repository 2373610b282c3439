import {
  CancelQueryCommand,
  type CloudTrailClient,
  DescribeQueryCommand,
  GetQueryResultsCommand,
  type GetQueryResultsCommandOutput,
  StartQueryCommand,
} from '@aws-sdk/client-cloudtrail'
import { ScopedownError } from '../util/errors.js'
import { type Logger, silentLogger } from '../util/log.js'
import { windowBounds } from '../util/window.js'
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
import {
  type EngineQuery,
  QueryEnded,
  type QueryRunnerOptions,
  type QueryTimings,
  type Rows,
  runQueries,
  type Send,
  usageFromRows,
} from './query-runner.js'
import { REQUEST_DETAIL_PATHS } from './request-details.js'
import type { LogSource, UsageQuery, UsageResult } from './types.js'
import { DEFAULT_MAX_RESOURCES } from './types.js'

/** Options of {@link createLakeSource}. */
export interface LakeSourceOptions extends QueryTimings {
  client: CloudTrailClient
  /** The event data store: its ID or its ARN (the ID is the ARN's last segment). */
  eventDataStore: string
  logger?: Logger
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
const DETAIL_PATHS = Object.values(REQUEST_DETAIL_PATHS)

type QueryName = 'lake/calls' | 'lake/unattributed' | 'lake/coverage'

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
  readonly #runner: QueryRunnerOptions
  #closed = false

  constructor(options: LakeSourceOptions, eds: string) {
    this.#options = options
    this.#eds = eds
    this.#runner = {
      ...options,
      engine: 'CloudTrail Lake',
      idLabel: 'query',
      hint: PERMISSIONS_HINT,
      retryable: RETRYABLE,
      logger: options.logger ?? silentLogger,
    }
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
    const rows = await runQueries(
      this.#runner,
      (['lake/calls', 'lake/unattributed', 'lake/coverage'] as const).map((name) => ({
        name,
        query: this.#query(name, name === 'lake/calls' ? callParams : scope),
      })),
    )
    const wanted = filterHere ? new Set(query.principalArns) : undefined
    return usageFromRows(
      rows as [Rows, Rows, Rows],
      query,
      maxResources,
      wanted && ((principal) => wanted.has(principal)),
    )
  }

  /** One CloudTrail Lake query: start it, read its status, page its results, cancel it. */
  #query(name: QueryName, params: string[]): EngineQuery {
    const client = this.#options.client
    return {
      start: async (send: Send) => {
        const statement = readQuery(name).replaceAll('__EDS__', this.#eds)
        const out = await send(() =>
          client.send(
            new StartQueryCommand({ QueryStatement: statement, QueryParameters: params }),
          ),
        )
        if (!out.QueryId) throw new Error('StartQuery returned no QueryId')
        return out.QueryId
      },
      status: async (id, send) => {
        const out = await send(() => client.send(new DescribeQueryCommand({ QueryId: id })))
        const status = out.QueryStatus
        if (status === 'FINISHED') return { done: true }
        if (status === 'FAILED' || status === 'CANCELLED' || status === 'TIMED_OUT') {
          return { done: false, ended: status, reason: out.ErrorMessage ?? 'no reason given' }
        }
        return { done: false, state: status }
      },
      // Every result page, each row flattened from Lake's list of one-column maps.
      results: async (id, send) => {
        const out: Rows = []
        let token: string | undefined
        do {
          const page: GetQueryResultsCommandOutput = await send(() =>
            client.send(
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
      },
      stop: async (id) => {
        await client.send(new CancelQueryCommand({ QueryId: id })).catch(() => undefined)
      },
    }
  }
}
