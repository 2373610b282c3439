import { ScopedownError } from '../util/errors.js'
import { DAY_MS } from '../util/window.js'
import { literalParam, varcharParam } from './athena-results.js'

/** The date partition of a CloudTrail table: one `yyyy/MM/dd` string, or year/month/day. */
export type AthenaDatePartition =
  | {
      /** The column, e.g. `timestamp` in AWS's partition-projection table. */
      column: string
      /** Format of its values; only `yyyy/MM/dd` (the S3 key's date) is supported. */
      format?: 'yyyy/MM/dd'
    }
  | {
      /** Hive-style columns of the year, month and day (manually added partitions). */
      year: string
      month: string
      day: string
    }

/** Partition columns of the CloudTrail table (as in its PARTITIONED BY clause). */
export interface AthenaPartitions {
  date?: AthenaDatePartition
  /** Accepted to describe the table; never filtered (the queries read every region). */
  region?: string
  /** Filtered to the query's accountIds when they are given. */
  account?: string
}

/** The line in queries/athena/*.sql that the partition predicates replace. */
export const PARTITION_FILTER_LINE = /^([ \t]*)-- __PARTITION_FILTER__[ \t]*$/m

/** Days of partitions read before the window's first day and after its end's day. */
const DAYS_BEFORE = 1
const DAYS_AFTER = 2

const COLUMN_NAME = /^[A-Za-z0-9_]+$/

/** A partition column name, quoted; anything but `[A-Za-z0-9_]` is a CONFIG_INVALID. */
export function quoteColumnName(column: string, field: string): string {
  if (typeof column !== 'string' || !COLUMN_NAME.test(column)) {
    throw new ScopedownError(
      'CONFIG_INVALID',
      `source.partitions.${field} ${JSON.stringify(column)} is not a column name`,
      {
        hint:
          "name the column as in the table's PARTITIONED BY clause: " +
          'letters, digits and underscores only',
      },
    )
  }
  return `"${column}"`
}

/** Partition columns validated and quoted once, when the source is created. */
export interface QuotedPartitions {
  date?: { column: string } | { year: string; month: string; day: string }
  account?: string
}

/** Validates every configured column name (CONFIG_INVALID) and quotes it. */
export function quotePartitions(partitions: AthenaPartitions | undefined): QuotedPartitions {
  if (!partitions) return {}
  const out: QuotedPartitions = {}
  const date = partitions.date
  if (date && 'column' in date) {
    if (date.format !== undefined && date.format !== 'yyyy/MM/dd') {
      throw new ScopedownError(
        'CONFIG_INVALID',
        `source.partitions.date.format ${JSON.stringify(date.format)} is not supported`,
        { hint: 'the date partition must hold yyyy/MM/dd strings, as in the S3 key of the logs' },
      )
    }
    out.date = { column: quoteColumnName(date.column, 'date.column') }
  } else if (date) {
    out.date = {
      year: quoteColumnName(date.year, 'date.year'),
      month: quoteColumnName(date.month, 'date.month'),
      day: quoteColumnName(date.day, 'date.day'),
    }
  }
  if (partitions.region !== undefined) quoteColumnName(partitions.region, 'region')
  if (partitions.account !== undefined) {
    out.account = quoteColumnName(partitions.account, 'account')
  }
  return out
}

/** The first and last UTC day of partitions that can hold events of [start, end). */
export function partitionDays(start: Date, end: Date): { first: Date; last: Date } {
  const day = (d: Date) => Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate())
  return {
    first: new Date(day(start) - DAYS_BEFORE * DAY_MS),
    last: new Date(day(end) + DAYS_AFTER * DAY_MS),
  }
}

const pad = (n: number) => String(n).padStart(2, '0')
const slashed = (d: Date) =>
  `${d.getUTCFullYear()}/${pad(d.getUTCMonth() + 1)}/${pad(d.getUTCDate())}`
const dayNumber = (d: Date) =>
  d.getUTCFullYear() * 10_000 + (d.getUTCMonth() + 1) * 100 + d.getUTCDate()

/** Predicates on the partition columns (text from quoted identifiers and `?` only) and values. */
export interface PartitionFilter {
  /** Replaces the placeholder line: `WHERE ...` lines, or '' when nothing is partitioned. */
  sql: string
  /** ExecutionParameters of its `?`, in text order. */
  params: string[]
}

/**
 * The partition predicates of one usage() call: the date partitions from the day before the
 * window's first day to two days after its end's day (CloudTrail delivers late, and a file's
 * key date may differ from its events'), and the accounts asked for. Coarse on purpose: the
 * queries still filter eventtime and recipientaccountid, so no in-window event is lost.
 */
export function partitionFilter(
  columns: QuotedPartitions,
  window: { start: Date; end: Date },
  accountIds: readonly string[] | undefined,
  indent: string,
): PartitionFilter {
  const predicates: string[] = []
  const params: string[] = []
  const { first, last } = partitionDays(window.start, window.end)
  const date = columns.date
  if (date && 'column' in date) {
    // yyyy/MM/dd strings sort like the dates: a plain range Athena projects and prunes.
    predicates.push(`e.${date.column} BETWEEN ? AND ?`)
    params.push(varcharParam(slashed(first)), varcharParam(slashed(last)))
  } else if (date) {
    // As one number yyyyMMdd, so partitions written 2026/1/5 and 2026/01/05 are read alike.
    predicates.push(
      `CAST(e.${date.year} AS integer) * 10000 + CAST(e.${date.month} AS integer) * 100 + ` +
        `CAST(e.${date.day} AS integer) BETWEEN ? AND ?`,
    )
    params.push(literalParam(dayNumber(first)), literalParam(dayNumber(last)))
  }
  if (columns.account && accountIds !== undefined) {
    if (accountIds.length === 0) {
      predicates.push('false')
    } else {
      predicates.push(`e.${columns.account} IN (${accountIds.map(() => '?').join(', ')})`)
      params.push(...accountIds.map(varcharParam))
    }
  }
  const sql = predicates.map((p, i) => `${indent}${i === 0 ? 'WHERE' : '  AND'} ${p}`).join('\n')
  return { sql, params }
}
