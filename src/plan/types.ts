import type { IamAction, IsoDate, RoleRef, Window } from '../model.js'
import type { PolicyDocument } from '../policy/document.js'
import type { ApiCall, UnreadableInput } from '../source/types.js'
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
  /**
   * Where the document is written (file and position in the repository). Roles whose policies
   * have the same location share one document: it is planned once for all of them. Absent: the
   * policy belongs to this role alone.
   */
  location?: string
}

/** Can the logs be trusted to show an action if it had been used? */
export interface ObservabilityVerdict {
  trusted: boolean
  /** e.g. `management`, `data`, `unlogged`, `unknown`. */
  class: string
  why?: string
  /** For data-plane actions: the CloudTrail resource types whose data events log it. */
  dataResourceTypes?: readonly string[]
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
   * Unreadable inputs (files, folders, query pages) tolerated in a role's account before the
   * batch refuses to tighten it; default 0. Tolerated holes still count as days not covered.
   */
  maxUnreadableInputs?: number
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
  | 'shared-policy'
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
      | 'no-evidence'
      | 'unreadable-input'
      | 'human-role'
      | 'service-linked'
      | 'no-policies'
      | 'excluded'
    detail: string
  }
  /**
   * Why the evidence or the role falls short of a plan (unreadable input, no events, thin
   * coverage, too young), most serious first. In batch mode the first one skips the role; an
   * ad-hoc analysis refuses on the evidence ones unless forced.
   */
  shortfalls: readonly { reason: string; detail: string }[]
  /** Shortfalls and caveats, most important first. */
  warnings: readonly string[]
  decisions: readonly ActionDecision[]
  changes: readonly PolicyChange[]
  summary: PlanSummary
  deniedAttempts: readonly DeniedAttempt[]
  unmapped: readonly ApiCall[]
  /** Allow patterns that match no catalog action: kept verbatim. */
  unknownPatterns: readonly string[]
  /**
   * Used actions that the repository's boundary, SCPs or a Deny of the role refuse: the calls
   * succeeded, so the repository may not be what AWS enforces. Kept, and shown first.
   */
  contradictions: readonly Contradiction[]
  /** Policies this role shares with other roles (planned once for all of them). */
  shared: readonly SharedPolicyNote[]
  evidence: {
    window: Window
    coverageDays: number
    windowDays: number
    firstEvent: IsoDate | null
    lastEvent: IsoDate | null
    catalog: string
    source: string
    /**
     * Inputs of the role's account that could not be read (capped list, and the full count),
     * and how many days of the window they leave uncovered.
     */
    unreadable: { count: number; inputs: readonly UnreadableInput[]; days: number }
    /** What was assumed about the trail: which data events it records (from config or selectors). */
    trail?: string
    /** Data event types found in the role's usage that the trail is assumed not to record. */
    unrecordedDataEvents?: readonly string[]
  }
  /** sha256 of the proposed change: equal plans give equal hashes (the PR key). */
  hash: string
}

/** A used action the repository's policies say cannot succeed. */
export interface Contradiction {
  action: IamAction
  calls: number
  lastSeen: IsoDate
  /** What refuses it: `the permission boundary`, `an SCP (OU level 1)`, `a Deny statement (Sid X)`. */
  refusedBy: string
}

/** A policy planned for several roles at once. */
export interface SharedPolicyNote {
  policy: string
  /** The other roles that attach it (ARNs). */
  with: readonly string[]
  /** Set when some attaching role was not planned: the policy then loses only dead weight. */
  onlyDeadWeight?: string
}
