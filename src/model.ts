/** Shared vocabulary: plain, JSON-able types every stage speaks. */

/** An IAM action in catalog casing, e.g. `s3:GetObject`. Compare case-insensitively. */
export type IamAction = string

/** A UTC ISO-8601 timestamp, e.g. `2026-11-01T00:00:00.000Z`. */
export type IsoDate = string

/** A half-open time window `[start, end)`. */
export interface Window {
  start: IsoDate
  end: IsoDate
}

/** A role as scopedown addresses it. `arn` includes the role's path. */
export interface RoleRef {
  accountId: string
  name: string
  arn: string
  path?: string
}
