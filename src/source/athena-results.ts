import type { Row as AthenaRow, ColumnInfo } from '@aws-sdk/client-athena'
import { ScopedownError } from '../util/errors.js'
import {
  type Row,
  toApiCall,
  toCoverage,
  toRequestDetails,
  toUnattributed,
} from './duckdb-results.js'
import { topLevelKey } from './request-details.js'
import type { ApiCall, Coverage, UnattributedCount } from './types.js'

/** A table name from the config: `table` or `database.table`, letters, digits, underscores. */
const TABLE_NAME = /^[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)?$/

/**
 * The config's table name as a quoted SQL identifier (`"db"."table"`), the one piece of text
 * substituted into the Athena queries. Anything but `[A-Za-z0-9_]` parts is a CONFIG_INVALID.
 */
export function quoteTableName(table: string): string {
  if (!TABLE_NAME.test(table)) {
    throw new ScopedownError(
      'CONFIG_INVALID',
      `source.table ${JSON.stringify(table)} is not a table name`,
      {
        hint: 'give the CloudTrail table as <table> or <database>.<table>: letters, digits and underscores only',
      },
    )
  }
  return table
    .split('.')
    .map((part) => `"${part}"`)
    .join('.')
}

/** An Athena ExecutionParameters value for a VARCHAR: a single-quoted SQL string literal. */
export function varcharParam(value: string): string {
  return `'${value.replaceAll("'", "''")}'`
}

/** A list bound as one VARCHAR holding a JSON array (the queries `json_parse` it). */
export function listParam(values: readonly string[]): string {
  return varcharParam(JSON.stringify(values))
}

/** A BOOLEAN or INTEGER ExecutionParameters value. */
export function literalParam(value: boolean | number): string {
  if (typeof value === 'number' && !Number.isSafeInteger(value)) {
    throw new ScopedownError('USAGE', `${value} is not a whole number`)
  }
  return String(value)
}

/**
 * A regex matching `"<key>":` for every top-level key the detail paths start with, so events
 * whose requestParameters carry none of them skip extraction; '' (match all) when a path has no
 * plain top-level key. Same rule as the DuckDB source.
 */
export function detailKeyPattern(paths: readonly string[]): string {
  const keys = paths.map(topLevelKey)
  if (keys.some((k) => k === undefined)) return ''
  return `"(?:${[...new Set(keys)].join('|')})"\\s*:`
}

/** A result page's data rows as objects keyed by column name; absent values are undefined. */
export function rowObjects(
  columns: readonly string[],
  rows: readonly AthenaRow[],
): Record<string, string | undefined>[] {
  return rows.map((row) => {
    const out: Record<string, string | undefined> = {}
    columns.forEach((name, i) => {
      out[name] = row.Data?.[i]?.VarCharValue
    })
    return out
  })
}

/** Column names from a GetQueryResults page's metadata. */
export function columnNames(info: readonly ColumnInfo[] | undefined): string[] {
  return (info ?? []).map((column) => column.Name ?? '')
}

function parseJson(text: unknown): unknown {
  return typeof text === 'string' && text !== '' ? JSON.parse(text) : undefined
}

/**
 * calls.sql sends each detail as `[values, invokedBy, count, deniedCount]` where values are the
 * JSON texts extracted by REQUEST_DETAIL_PATHS in key order (or null): decoded here into the
 * shape {@link toRequestDetails} takes.
 */
function rawDetails(text: unknown): unknown[] {
  const list = parseJson(text)
  if (!Array.isArray(list)) return []
  return list.map((item) => {
    const [values, invokedBy, count, deniedCount] = Array.isArray(item) ? item : []
    return {
      values: Array.isArray(values)
        ? values.map((v) => (typeof v === 'string' ? JSON.parse(v) : null))
        : [],
      invokedBy,
      count,
      deniedCount,
    }
  })
}

/** One calls.sql row (all VARCHAR) as an ApiCall; same semantics as the DuckDB source. */
export function athenaApiCall(row: Row, maxResources: number): ApiCall {
  const call = toApiCall({ ...row, count: row.call_count, details_json: undefined }, maxResources)
  return { ...call, details: toRequestDetails(rawDetails(row.details_json)) }
}

export function athenaUnattributed(row: Row): UnattributedCount {
  return toUnattributed({ ...row, count: row.event_count })
}

/** One coverage.sql row; `windowDays` are all UTC days of the window. */
export function athenaCoverage(row: Row, windowDays: readonly string[]): Coverage {
  return toCoverage({ ...row, days: parseJson(row.days_json) ?? [] }, windowDays)
}
