import type { IsoDate, Window } from '../model.js'

/**
 * The seam between CloudTrail (in any backend) and the rest of scopedown. Every backend answers
 * the same question in one pass: per principal and API call, what happened in the window, and
 * how far the logs can be trusted (coverage). The planner removes nothing the logs could not show.
 */
export interface LogSource {
  readonly kind: 'duckdb' | 'athena' | 'cloudtrail-lookup' | 'cloudtrail-lake' | 'memory'
  usage(query: UsageQuery): Promise<UsageResult>
  close(): Promise<void>
}

/** Default cap on distinct resource ARNs kept per ApiCall, whatever the source. */
export const DEFAULT_MAX_RESOURCES = 50

export interface UsageQuery {
  /** Half-open `[start, end)`. */
  window: Window
  /** Only these principals (ARNs, case-sensitive as CloudTrail writes them); undefined = all. */
  principalArns?: readonly string[]
  /** Only these accounts (recipientAccountId); undefined = all. */
  accountIds?: readonly string[]
  /** Cap on distinct resource ARNs kept per row (default 50); `resourcesCapped` says when hit. */
  maxResources?: number
}

/** One row per (principal, eventSource, eventName) in the window. */
export interface ApiCall {
  /** Role ARN (with path) for AssumedRole, user ARN for IAMUser, root ARN for Root. */
  principalArn: string
  principalType: string
  /** The account the principal lives in (from its ARN). */
  accountId: string
  eventSource: string
  eventName: string
  /** All calls, denied ones included. */
  count: number
  /** Calls refused by authorization (AccessDenied, UnauthorizedOperation and the like). */
  deniedCount: number
  firstSeen: IsoDate
  lastSeen: IsoDate
  regions: readonly string[]
  /** Distinct ARNs from `resources[]`, sorted; at most `maxResources`. */
  resources: readonly string[]
  resourcesCapped: boolean
  /**
   * Distinct values of the request fields the mapper needs (REQUEST_DETAIL_PATHS), with counts;
   * empty when the event carried none of them.
   */
  details: readonly RequestDetail[]
}

/** One distinct combination of mapper-relevant request fields seen on a call. */
export interface RequestDetail {
  /** Keys of REQUEST_DETAIL_PATHS whose value was present, mapped to the JSON value. */
  params: Readonly<Record<string, unknown>>
  count: number
  deniedCount: number
}

/** Events that cannot be attributed to an IAM principal (AWS services, no identity). */
export interface UnattributedCount {
  /** `AWSService`, `none` (no userIdentity), or another userIdentity.type. */
  identityType: string
  eventSource: string
  eventName: string
  count: number
}

/** How far the logs cover the window, per account and region. */
export interface Coverage {
  accountId: string
  region: string
  firstEvent: IsoDate
  lastEvent: IsoDate
  /** UTC days (YYYY-MM-DD) inside the window with at least one event. */
  daysWithEvents: number
  /** UTC days inside the window with no event at all, sorted. */
  missingDays: readonly string[]
}

/** What was read, pruned and skipped: nothing is dropped without being counted here. */
export interface InputReport {
  filesRead: number
  /** Files left out because their day folder lies outside the window. */
  filesPruned: number
  /** CloudTrail-Digest files and other files that are not CloudTrail logs. */
  filesIgnored: number
  /**
   * Input that could not be read (files, folders, query pages, API pages), with the reason the
   * user sees and, when known, the account, region and days it would have covered. Each is a
   * hole in the evidence, never evidence of non-use (see {@link UnreadableInput}).
   */
  unreadable: readonly UnreadableInput[]
  /** Paths that led to a file or folder already read (links, overlapping inputs): read once. */
  duplicatesSkipped?: number
  /** The first and last UTC day the S3 layout dates any found file by (pruned ones included). */
  layoutDays?: { first: string; last: string }
  /** Symbolic links that lead back into a folder being walked: not followed. */
  symlinkLoops?: number
  /** Records skipped inside otherwise good files (no eventTime, not an object ...). */
  badRecords: number
  eventsInWindow: number
}

export interface UsageResult {
  calls: readonly ApiCall[]
  unattributed: readonly UnattributedCount[]
  coverage: readonly Coverage[]
  inputs: InputReport
}

/**
 * One piece of input that could not be read: the evidence ledger. The planner counts the days it
 * would have covered as not covered for every role of its account (all regions, since a role's
 * calls in any region may sit in it), and the batch refuses to tighten a role whose account has
 * a hole in the window unless `rules.maxUnreadableInputs` tolerates it. Fields left undefined are
 * unknown and read fail-closed: no account means every account, no days means every day.
 */
export interface UnreadableInput {
  /** `file`, `folder`, a query (`query`) or one page of results or of an API listing (`page`). */
  kind: 'file' | 'folder' | 'query' | 'page' | 'account'
  /** What the user can look at: a path, a query execution ID and page, an API and page token. */
  input: string
  /** Why it could not be read, in the user's terms (`truncated gzip`, `EACCES: permission denied`). */
  reason: string
  /** The account whose events it would hold (from the S3 layout or the query), when known. */
  accountId?: string
  /** The region whose events it would hold, when known. */
  region?: string
  /** UTC days (`YYYY-MM-DD`) whose events it may hold, sorted; undefined = any day. */
  days?: readonly string[]
}
