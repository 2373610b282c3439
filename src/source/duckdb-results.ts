import type { IsoDate } from '../model.js'
import { stableStringify } from '../util/stable-json.js'
import { REQUEST_DETAIL_PATHS } from './request-details.js'
import type { ApiCall, Coverage, RequestDetail, UnattributedCount } from './types.js'

/** A result row as @duckdb/node-api's getRowObjectsJS() gives it. */
export type Row = Record<string, unknown>

/** Keys of REQUEST_DETAIL_PATHS in the order their paths are bound into level1-insert.sql. */
const DETAIL_KEYS = Object.keys(REQUEST_DETAIL_PATHS)

function num(value: unknown): number {
  return typeof value === 'bigint' ? Number(value) : Number(value ?? 0)
}

function str(value: unknown): string {
  return value == null ? '' : String(value)
}

function iso(epochMs: unknown): IsoDate {
  return new Date(num(epochMs)).toISOString()
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : []
}

/** A JSON-text column (calls.sql sends lists that way), parsed; undefined when absent. */
function parsed(value: unknown): unknown {
  return typeof value === 'string' ? JSON.parse(value) : undefined
}

/** The account of an ARN (`arn:partition:service:region:account:resource`), '' if none. */
export function accountOfArn(arn: string): string {
  return arn.split(':')[4] ?? ''
}

interface RawDetail {
  values: unknown
  invokedBy: unknown
  count: unknown
  deniedCount: unknown
}

/**
 * Turns the detail rows of calls.sql into RequestDetails: JSON values keyed by their
 * REQUEST_DETAIL_PATHS key, plus `invokedBy` when a service made the call on the principal's
 * behalf. JSON nulls count as absent; rows left empty are dropped and equal ones merged.
 * Sorted by count (most first), then by params, so output is stable.
 */
export function toRequestDetails(raw: unknown): RequestDetail[] {
  const merged = new Map<string, RequestDetail>()
  for (const item of Array.isArray(raw) ? (raw as RawDetail[]) : []) {
    const params: Record<string, unknown> = {}
    const values = Array.isArray(item.values) ? item.values : []
    // calls.sql sends the list through to_json, so each value arrives as parsed JSON.
    DETAIL_KEYS.forEach((key, i) => {
      const value: unknown = values[i]
      if (value !== null && value !== undefined) params[key] = value
    })
    if (typeof item.invokedBy === 'string') params.invokedBy = item.invokedBy
    if (Object.keys(params).length === 0) continue
    const key = stableStringify(params)
    const before = merged.get(key)
    merged.set(key, {
      params,
      count: (before?.count ?? 0) + num(item.count),
      deniedCount: (before?.deniedCount ?? 0) + num(item.deniedCount),
    })
  }
  return [...merged.entries()]
    .sort(([ka, a], [kb, b]) => b.count - a.count || (ka < kb ? -1 : ka > kb ? 1 : 0))
    .map(([, detail]) => detail)
}

/** One calls.sql row as an ApiCall; `arns_json` holds up to maxResources + 1 ARNs, sorted. */
export function toApiCall(row: Row, maxResources: number): ApiCall {
  const principalArn = str(row.principal)
  const arns = strings(parsed(row.arns_json))
  return {
    principalArn,
    principalType: str(row.principal_type),
    accountId: accountOfArn(principalArn),
    eventSource: str(row.event_source),
    eventName: str(row.event_name),
    count: num(row.count),
    deniedCount: num(row.denied_count),
    firstSeen: iso(row.first_seen_ms),
    lastSeen: iso(row.last_seen_ms),
    regions: strings(parsed(row.regions_json)),
    resources: arns.slice(0, maxResources),
    resourcesCapped: arns.length > maxResources,
    details: toRequestDetails(parsed(row.details_json)),
  }
}

export function toUnattributed(row: Row): UnattributedCount {
  return {
    identityType: str(row.identity_type),
    eventSource: str(row.event_source),
    eventName: str(row.event_name),
    count: num(row.count),
  }
}

/** One coverage.sql row; `windowDays` are all UTC days of the window, to find the missing ones. */
export function toCoverage(row: Row, windowDays: readonly string[]): Coverage {
  const days = new Set(strings(row.days))
  return {
    accountId: str(row.account),
    region: str(row.region),
    firstEvent: iso(row.first_event_ms),
    lastEvent: iso(row.last_event_ms),
    daysWithEvents: days.size,
    missingDays: windowDays.filter((day) => !days.has(day)),
  }
}
