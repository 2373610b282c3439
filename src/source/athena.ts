import {
  type AthenaClient,
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  type GetQueryResultsCommandOutput,
  StartQueryExecutionCommand,
  type StartQueryExecutionCommandInput,
  StopQueryExecutionCommand,
} from '@aws-sdk/client-athena'
import { InvariantError, ScopedownError } from '../util/errors.js'
import { type Logger, silentLogger } from '../util/log.js'
import { windowBounds } from '../util/window.js'
import {
  type AthenaPartitions,
  PARTITION_FILTER_LINE,
  type PartitionFilter,
  partitionFilter,
  type QuotedPartitions,
  quotePartitions,
} from './athena-partitions.js'
import {
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
import {
  type EngineQuery,
  type QueryRunnerOptions,
  type QueryTimings,
  type Rows,
  runQueries,
  type Send,
  usageFromRows,
} from './query-runner.js'
import { REQUEST_DETAIL_PATHS, trinoJsonPath } from './request-details.js'
import type { LogSource, UsageQuery, UsageResult } from './types.js'
import { DEFAULT_MAX_RESOURCES } from './types.js'

/** Options of {@link createAthenaSource}. */
export interface AthenaSourceOptions extends QueryTimings {
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
}

const PERMISSIONS_HINT =
  'the caller needs athena:StartQueryExecution, athena:GetQueryExecution and ' +
  'athena:GetQueryResults on the workgroup; glue:GetDatabase, glue:GetTable and ' +
  'glue:GetPartitions on the database and table; s3:GetObject and s3:ListBucket on the trail ' +
  'bucket; s3:PutObject and s3:GetObject on the query results location'

const THROTTLING = new Set(['TooManyRequestsException', 'ThrottlingException'])
// Trino's json_extract takes quoted members (`x-amz-acl`) in brackets only.
const DETAIL_PATHS = Object.values(REQUEST_DETAIL_PATHS).map(trinoJsonPath)
const DETAIL_KEY_PATTERN = detailKeyPattern(Object.values(REQUEST_DETAIL_PATHS))

type QueryName = 'athena/calls' | 'athena/unattributed' | 'athena/coverage'

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
  readonly #runner: QueryRunnerOptions
  #closed = false

  constructor(options: AthenaSourceOptions, quotedTable: string, partitions: QuotedPartitions) {
    this.#options = options
    this.#table = quotedTable
    this.#partitions = partitions
    this.#runner = {
      ...options,
      engine: 'Athena',
      idLabel: 'query execution',
      hint: PERMISSIONS_HINT,
      retryable: THROTTLING,
      logger: options.logger ?? silentLogger,
    }
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
    const filter = (name: QueryName) => this.#partitionFilter(name, bounds, query.accountIds)
    const rows = await runQueries(
      this.#runner,
      (['athena/calls', 'athena/unattributed', 'athena/coverage'] as const).map((name) => ({
        name,
        query: this.#query(name, name === 'athena/calls' ? callParams : scope, filter(name)),
      })),
    )
    return usageFromRows(rows as [Rows, Rows, Rows], query, maxResources)
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

  /** One Athena query: start it, read its status, page its results, stop it. */
  #query(name: QueryName, params: string[], filter: PartitionFilter | undefined): EngineQuery {
    const options = this.#options
    const client = options.client
    return {
      start: async (send: Send) => {
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
        const out = await send(() => client.send(new StartQueryExecutionCommand(input)))
        if (!out.QueryExecutionId) {
          throw new Error('StartQueryExecution returned no QueryExecutionId')
        }
        return out.QueryExecutionId
      },
      status: async (id, send) => {
        const out = await send(() =>
          client.send(new GetQueryExecutionCommand({ QueryExecutionId: id })),
        )
        const status = out.QueryExecution?.Status
        const state = status?.State
        if (state === 'SUCCEEDED') return { done: true }
        if (state === 'FAILED' || state === 'CANCELLED') {
          return {
            done: false,
            ended: state,
            reason: status?.StateChangeReason ?? 'no reason given',
          }
        }
        return { done: false, state }
      },
      // Every result page; the first row of the first page is the header.
      results: async (id, send) => {
        const out: Rows = []
        let columns: string[] | undefined
        let token: string | undefined
        let first = true
        do {
          const page: GetQueryResultsCommandOutput = await send(() =>
            client.send(
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
      },
      stop: async (id) => {
        await client
          .send(new StopQueryExecutionCommand({ QueryExecutionId: id }))
          .catch(() => undefined)
      },
    }
  }
}
