import type { IamAction, IsoDate, Window } from '../model.js'
import type { ApiCall, Coverage } from '../source/types.js'

/** One IAM action a principal exercised in the window, folded over every event that needs it. */
export interface UsedAction {
  action: IamAction
  /** Calls that were allowed (denied calls are in RoleUsage.denied). */
  calls: number
  firstSeen: IsoDate
  lastSeen: IsoDate
  /** ARNs this action was exercised on, when the events named them; empty = not known. */
  resources: readonly string[]
  resourcesCapped: boolean
  /** `eventSource:eventName` pairs that produced this action, for the evidence. */
  via: readonly string[]
}

/** An action the principal tried and was refused: reported, never granted. */
export interface DeniedAttempt {
  action: IamAction
  count: number
  lastSeen: IsoDate
  via: readonly string[]
}

/** Everything the planner needs to know about one principal's activity. */
export interface RoleUsage {
  principalArn: string
  window: Window
  used: readonly UsedAction[]
  denied: readonly DeniedAttempt[]
  /** Events the mapper could not turn into IAM actions: their whole service is kept. */
  unmapped: readonly ApiCall[]
  /** Calls that need no permission (sts:GetCallerIdentity, console sign-in ...), for the record. */
  permissionless: readonly ApiCall[]
  coverage: readonly Coverage[]
}
