import { stableStringify } from '../util/stable-json.js'
import { utcDay, utcDaysInWindow, windowBounds } from '../util/window.js'
import { AUTHORIZATION_FAILURE_CODES } from './denied-codes.js'
import { accountOfArn } from './duckdb-results.js'
import { projectRequestParameters } from './request-details.js'
import type {
  ApiCall,
  Coverage,
  RequestDetail,
  UnattributedCount,
  UsageQuery,
  UsageResult,
} from './types.js'
import { DEFAULT_MAX_RESOURCES } from './types.js'

const DENIED = new Set(AUTHORIZATION_FAILURE_CODES)

/** `arn:<partition>:sts::<account>:assumed-role/<role>/<session>`, as level1-insert.sql has it. */
const ASSUMED_ROLE_ARN = /^arn:[^:]+:sts::\d+:assumed-role\/[^/]+\//
const ASSUMED_ROLE_PARTS = /^arn:([^:]+):sts::(\d+):assumed-role\/([^/]+)\/.*$/

/**
 * A time as DuckDB casts text to TIMESTAMPTZ (session zone UTC): date (`-` or `/`), optional time
 * after `T` or a space (`24:00:00` is the next midnight), optional fraction (kept to the ms),
 * optional zone (`Z`, ` UTC`, `+HH`, `+HHMM`, `+HH:MM[:SS]`). A time without zone is UTC.
 */
const DUCKDB_TIME = new RegExp(
  [
    '^\\s*(\\d+)([-/])(\\d{1,2})\\2(\\d{1,2})', // date
    '(?:[T ](\\d{1,2}):(\\d{2})(?::(\\d{2})(?:\\.(\\d*))?)?)?', // time, fraction
    '(Z| ?UTC|[+-]\\d{2}(?::?\\d{2}(?::?\\d{2})?)?)?\\s*$', // zone
  ].join(''),
)

type Json = Record<string, unknown>

function object(value: unknown): Json | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Json)
    : undefined
}

/**
 * A text field. DuckDB's tolerant reader casts any other JSON value (number, boolean, object,
 * array) to its JSON text; JSON null and absent fields are NULL.
 */
function text(value: unknown): string | undefined {
  if (value === null || value === undefined) return undefined
  return typeof value === 'string' ? value : JSON.stringify(value)
}

/** Epoch ms of a CloudTrail time, or undefined when it is not a time (the record is then bad). */
export function parseEventTime(value: string | undefined): number | undefined {
  const m = value === undefined ? null : DUCKDB_TIME.exec(value)
  if (!m) return undefined
  const [, y, , mo, d, hh = '0', mi = '0', ss = '0', fraction = '', zone = 'Z'] = m
  const [year, month, day, hour, minute, second] = [y, mo, d, hh, mi, ss].map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ]
  const date = new Date(0)
  date.setUTCFullYear(year, month - 1, day)
  if (date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) return undefined
  const midnight = hour === 24 && minute === 0 && second === 0
  if ((hour > 23 && !midnight) || minute > 59 || second > 59) return undefined
  const ms = Number(`${fraction}000`.slice(0, 3))
  let offset = 0
  const z = /^([+-])(\d{2}):?(\d{2})?:?(\d{2})?$/.exec(zone)
  if (z) {
    const [, sign, oh = '0', om = '0', os = '0'] = z
    offset = (sign === '-' ? -1 : 1) * (Number(oh) * 3600 + Number(om) * 60 + Number(os)) * 1000
  }
  return date.getTime() + ((hour * 60 + minute) * 60 + second) * 1000 + ms - offset
}

/** Who is charged with a record, as level1-insert.sql decides it. */
function attribute(identity: Json | undefined): {
  identityType: string
  principal: string | undefined
  principalType: string | undefined
} {
  const type = text(identity?.type)
  const arn = text(identity?.arn)
  const issuerArn = text(object(object(identity?.sessionContext)?.sessionIssuer)?.arn)
  const identityType = type ?? 'none'
  switch (type) {
    case 'AssumedRole': {
      let principal = issuerArn
      // regexp_replace leaves the text unchanged when the full pattern does not match.
      if (principal === undefined && arn !== undefined && ASSUMED_ROLE_ARN.test(arn)) {
        principal = arn.replace(ASSUMED_ROLE_PARTS, 'arn:$1:iam::$2:role/$3')
      }
      return { identityType, principal, principalType: 'AssumedRole' }
    }
    case 'IAMUser':
    case 'Root':
      return { identityType, principal: arn, principalType: type }
    case 'FederatedUser':
      return { identityType, principal: issuerArn ?? arn, principalType: 'IAMUser' }
    default:
      return { identityType, principal: undefined, principalType: undefined }
  }
}

/**
 * Code point order, which is UTF-8 byte order: how DuckDB sorts VARCHAR. It differs from JS's
 * UTF-16 order only between surrogate pairs and U+E000..U+FFFF, hence the remap.
 */
function compare(a: string, b: string): number {
  if (a === b) return 0
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i += 1) {
    const x = a.charCodeAt(i)
    const y = b.charCodeAt(i)
    if (x !== y) return codePointRank(x) - codePointRank(y)
  }
  return a.length - b.length
}

function codePointRank(unit: number): number {
  if (unit >= 0xd800 && unit <= 0xdfff) return unit + 0x2000
  return unit >= 0xe000 ? unit - 0x800 : unit
}

/** JS string order, as toRequestDetails (duckdb-results.ts) sorts details. */
function compareUtf16(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

function sortedStrings(values: Iterable<string>): string[] {
  return [...values].sort(compare)
}

interface CallAcc {
  principal: string
  principalType: string
  eventSource: string
  eventName: string
  count: number
  deniedCount: number
  first: number
  last: number
  regions: Set<string>
  resources: Set<string>
  details: Map<string, { params: Record<string, unknown>; count: number; deniedCount: number }>
}

interface CoverageAcc {
  accountId: string
  region: string
  first: number
  last: number
  days: Set<string>
}

/**
 * Aggregates parsed CloudTrail records in memory into a {@link UsageResult}, with exactly the
 * semantics of the DuckDB source (queries/duckdb/level1-insert.sql and the queries reading it):
 *
 * - Window `[start, end)` on `eventTime` (or `@timestamp` when `eventTime` is absent).
 * - Records without a usable time, `eventSource` or `eventName` (or that are not objects) are
 *   counted in `inputs.badRecords` and never attributed; one without a time counts whatever the
 *   window.
 * - Attribution: AssumedRole -> `sessionContext.sessionIssuer.arn` (else the role rebuilt from the
 *   assumed-role ARN, without path); IAMUser and Root -> `arn`; FederatedUser -> the issuing IAM
 *   user (type IAMUser); anything else -> unattributed by its identity type (`none` without one).
 * - `accountIds` filters on `recipientAccountId` (`unknown` when absent), coverage and bad
 *   records included; `principalArns` filters calls only.
 *
 * A field whose JSON type is not the expected one counts as absent. Pure: no I/O. The file
 * counters of `inputs` are 0 (the caller read no files, or fills them in).
 */
export function aggregateEvents(records: Iterable<unknown>, query: UsageQuery): UsageResult {
  const { start, end } = windowBounds(query.window)
  const startMs = start.getTime()
  const endMs = end.getTime()
  const maxResources = query.maxResources ?? DEFAULT_MAX_RESOURCES
  const accounts = query.accountIds ? new Set(query.accountIds) : undefined
  const principals = query.principalArns ? new Set(query.principalArns) : undefined

  const calls = new Map<string, CallAcc>()
  const unattributed = new Map<string, UnattributedCount>()
  const coverage = new Map<string, CoverageAcc>()
  let badRecords = 0
  let eventsInWindow = 0

  for (const raw of records) {
    const record = object(raw)
    const t = parseEventTime(text(record?.eventTime) ?? text(record?.['@timestamp']))
    if (t !== undefined && (t < startMs || t >= endMs)) continue
    const account = text(record?.recipientAccountId) ?? 'unknown'
    if (accounts && !accounts.has(account)) continue
    const eventSource = text(record?.eventSource)
    const eventName = text(record?.eventName)
    if (t === undefined || eventSource === undefined || eventName === undefined) {
      badRecords += 1
      continue
    }
    eventsInWindow += 1
    const region = text(record?.awsRegion)

    const coverageRegion = region ?? 'unknown'
    const coverageKey = `${account}\u0000${coverageRegion}`
    const cov = coverage.get(coverageKey)
    if (cov) {
      cov.first = Math.min(cov.first, t)
      cov.last = Math.max(cov.last, t)
      cov.days.add(utcDay(new Date(t)))
    } else {
      coverage.set(coverageKey, {
        accountId: account,
        region: coverageRegion,
        first: t,
        last: t,
        days: new Set([utcDay(new Date(t))]),
      })
    }

    const identity = object(record?.userIdentity)
    const { identityType, principal, principalType } = attribute(identity)
    if (principal === undefined) {
      const key = `${identityType}\u0000${eventSource}\u0000${eventName}`
      const row = unattributed.get(key)
      if (row) row.count += 1
      else unattributed.set(key, { identityType, eventSource, eventName, count: 1 })
      continue
    }
    if (principals && !principals.has(principal)) continue

    const denied = DENIED.has(text(record?.errorCode) ?? '')
    const key = `${principal}\u0000${eventSource}\u0000${eventName}`
    let call = calls.get(key)
    if (!call) {
      call = {
        principal,
        principalType: principalType ?? '',
        eventSource,
        eventName,
        count: 0,
        deniedCount: 0,
        first: t,
        last: t,
        regions: new Set(),
        resources: new Set(),
        details: new Map(),
      }
      calls.set(key, call)
    }
    call.count += 1
    if (denied) call.deniedCount += 1
    call.first = Math.min(call.first, t)
    call.last = Math.max(call.last, t)
    if (principalType !== undefined && compare(principalType, call.principalType) < 0) {
      call.principalType = principalType
    }
    if (region !== undefined) call.regions.add(region)
    if (Array.isArray(record?.resources)) {
      for (const resource of record.resources) {
        const arn = text(object(resource)?.ARN)
        if (arn !== undefined) call.resources.add(arn)
      }
    }
    const requestParameters = object(record?.requestParameters)
    const params = requestParameters ? projectRequestParameters(requestParameters) : {}
    const invokedBy = text(identity?.invokedBy)
    if (invokedBy !== undefined) params.invokedBy = invokedBy
    if (Object.keys(params).length > 0) {
      const detailKey = stableStringify(params)
      const detail = call.details.get(detailKey)
      if (detail) {
        detail.count += 1
        if (denied) detail.deniedCount += 1
      } else {
        call.details.set(detailKey, { params, count: 1, deniedCount: denied ? 1 : 0 })
      }
    }
  }

  const windowDays = utcDaysInWindow(query.window)
  return {
    calls: [...calls.values()]
      .sort(
        (a, b) =>
          compare(a.principal, b.principal) ||
          compare(a.eventSource, b.eventSource) ||
          compare(a.eventName, b.eventName),
      )
      .map((call) => toApiCall(call, maxResources)),
    unattributed: [...unattributed.values()].sort(
      (a, b) =>
        compare(a.identityType, b.identityType) ||
        compare(a.eventSource, b.eventSource) ||
        compare(a.eventName, b.eventName),
    ),
    coverage: [...coverage.values()]
      .sort((a, b) => compare(a.accountId, b.accountId) || compare(a.region, b.region))
      .map(
        (acc): Coverage => ({
          accountId: acc.accountId,
          region: acc.region,
          firstEvent: new Date(acc.first).toISOString(),
          lastEvent: new Date(acc.last).toISOString(),
          daysWithEvents: acc.days.size,
          missingDays: windowDays.filter((day) => !acc.days.has(day)),
        }),
      ),
    inputs: {
      filesRead: 0,
      filesPruned: 0,
      filesIgnored: 0,
      unreadable: [],
      badRecords,
      eventsInWindow,
    },
  }
}

function toApiCall(call: CallAcc, maxResources: number): ApiCall {
  const arns = sortedStrings(call.resources)
  const details: RequestDetail[] = [...call.details.entries()]
    .sort(([ka, a], [kb, b]) => b.count - a.count || compareUtf16(ka, kb))
    .map(([, detail]) => detail)
  return {
    principalArn: call.principal,
    principalType: call.principalType,
    accountId: accountOfArn(call.principal),
    eventSource: call.eventSource,
    eventName: call.eventName,
    count: call.count,
    deniedCount: call.deniedCount,
    firstSeen: new Date(call.first).toISOString(),
    lastSeen: new Date(call.last).toISOString(),
    regions: sortedStrings(call.regions),
    resources: arns.slice(0, Math.max(0, maxResources)),
    resourcesCapped: arns.length > maxResources,
    details,
  }
}
