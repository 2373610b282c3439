import type { IamAction, IsoDate, RoleRef, Window } from '../model.js'
import type { PolicyDocument } from '../policy/document.js'
import type { ApiCall } from '../source/types.js'
import type { DeniedAttempt } from '../usage/types.js'

/** One policy a role has today, as the planner sees it. */
export interface PlannedPolicy {
  /** Stable key: `inline:<name>`, `managed:<arn>`. */
  id: string
  kind: 'inline' | 'managed'
  name: string
  arn?: string
  /** False for AWS-managed policies and documents scopedown cannot rewrite: kept as they are. */
  editable: boolean
  document: PolicyDocument
}

/** Can the logs be trusted to show an action if it had been used? */
export interface ObservabilityVerdict {
  trusted: boolean
  /** e.g. `management`, `data`, `unlogged`, `unknown`. */
  class: string
  why?: string
}

/** The guards the planner applies. Defaults come from the config schema. */
export interface PlanRules {
  /** Action patterns never removed (iam:PassRole-style actions come from observability). */
  neverRemove: readonly string[]
  protectedSidPrefix: string
  minRoleAgeDays: number
  minCoverageDays: number
  narrowResources: boolean
  /**
   * `batch`: a role failing the age or coverage rule is skipped. `adhoc`: the plan is still
   * made and the shortfall is the first warning.
   */
  mode: 'batch' | 'adhoc'
}

export type KeepReason =
  | 'used'
  | 'unobservable'
  | 'never-remove'
  | 'protected-statement'
  | 'unmapped-service'
  | 'not-editable'
  | 'access-advisor'

export type RemoveReason =
  | 'unused'
  | 'outside-boundary'
  | 'denied-by-scp'
  | 'denied-by-policy'
  | 'service-unused'

/** The verdict on one granted action, with the reason a reviewer reads. */
export type ActionDecision =
  | {
      action: IamAction
      verdict: 'keep'
      because: KeepReason
      detail?: string
      calls?: number
      lastSeen?: IsoDate
    }
  | { action: IamAction; verdict: 'remove'; because: RemoveReason; detail?: string }

/** Before and after of one policy. `after: null` deletes it; several documents mean a split. */
export interface PolicyChange {
  policy: Omit<PlannedPolicy, 'document'>
  before: PolicyDocument
  after: readonly PolicyDocument[] | null
  changed: boolean
  notes: readonly string[]
}

export interface PlanSummary {
  grantedBefore: number
  grantedAfter: number
  removed: number
  kept: number
  /** Share of granted actions removed, 0..100, one decimal. */
  percentRemoved: number
}

/** Everything decided about one role. Rendered into reports and PR bodies; hashed for idempotency. */
export interface RolePlan {
  role: RoleRef
  status: 'tighten' | 'no-change' | 'skipped'
  /** Why the role was skipped (status 'skipped'). */
  skipped?: {
    reason:
      | 'too-young'
      | 'insufficient-coverage'
      | 'human-role'
      | 'service-linked'
      | 'no-policies'
      | 'excluded'
    detail: string
  }
  /** Shortfalls and caveats, most important first. */
  warnings: readonly string[]
  decisions: readonly ActionDecision[]
  changes: readonly PolicyChange[]
  summary: PlanSummary
  deniedAttempts: readonly DeniedAttempt[]
  unmapped: readonly ApiCall[]
  /** Allow patterns that match no catalog action: kept verbatim. */
  unknownPatterns: readonly string[]
  evidence: {
    window: Window
    coverageDays: number
    windowDays: number
    firstEvent: IsoDate | null
    lastEvent: IsoDate | null
    catalog: string
    source: string
  }
  /** sha256 of the proposed change: equal plans give equal hashes (the PR key). */
  hash: string
}
