/**
 * Access Advisor as evidence where CloudTrail is blind. IAM reports, per role, when each service
 * (and for some services each action) was last accessed over a tracking period of at least 400
 * days. For an action the planner would keep only because CloudTrail cannot see it, that answers:
 * - removable (`service-unused`) when the tracking period covers the window and the service was
 *   not accessed in it, or the action (where AWS tracks actions) was last accessed before it;
 * - kept and flagged (`access-advisor`) when Access Advisor saw the action in the window and
 *   CloudTrail did not;
 * - no opinion otherwise (the planner keeps the action as unobservable).
 * Pure: the evidence is read by src/aws/access-advisor.ts.
 */
import type { IamAction, IsoDate, Window } from '../model.js'
import { compileActionPatterns } from '../policy/match.js'

/** One service in an Access Advisor report. */
export interface AccessAdvisorService {
  /** IAM prefix, e.g. `s3`. */
  namespace: string
  /** Last access (any attempt, allowed or denied); undefined: none in the tracking period. */
  lastAccessed?: IsoDate
  lastRegion?: string
  /**
   * Per-action data, where AWS tracks the service's actions (IAM, EC2, S3, Lambda ... ):
   * action names without the prefix. Undefined: tracked per service only.
   */
  actions?: readonly { name: string; lastAccessed?: IsoDate; lastRegion?: string }[]
}

/** Access Advisor's report for one role (GetServiceLastAccessedDetails, ACTION_LEVEL). */
export interface AccessAdvisorEvidence {
  roleArn: string
  /** When the report was completed: the end of the period it vouches for. */
  generatedAt: IsoDate
  /** Start of the tracking period: nothing before it is reported. */
  trackingStart: IsoDate
  services: readonly AccessAdvisorService[]
}

/** Access Advisor's say on one action; undefined when it has none. */
export type AccessAdvisorVerdict =
  | { verdict: 'remove'; because: 'service-unused'; detail: string }
  | { verdict: 'keep'; because: 'access-advisor'; detail: string }

/**
 * Actions Access Advisor cannot vouch for: it records attempts to call a service's API, and
 * these are permissions checked inside other calls or exercised by services on the role's
 * behalf (forward access sessions), so "not accessed" proves nothing about them.
 */
export const ACCESS_ADVISOR_BLIND: readonly string[] = [
  'iam:PassRole',
  'sts:TagSession',
  'sts:SetSourceIdentity',
  'sts:SetContext',
  's3:BypassGovernanceRetention',
  's3:ObjectOwnerOverrideToBucketOwner',
  'kms:Decrypt',
  'kms:Encrypt',
  'kms:GenerateDataKey*',
  'kms:ReEncrypt*',
]
const isBlind = compileActionPatterns(ACCESS_ADVISOR_BLIND)

const day = (iso: IsoDate) => iso.slice(0, 10)

/** What Access Advisor says about one granted action in the window (see the module comment). */
export function accessAdvisorVerdict(
  action: IamAction,
  window: Window,
  evidence: AccessAdvisorEvidence,
): AccessAdvisorVerdict | undefined {
  if (isBlind(action)) return undefined
  const start = Date.parse(window.start)
  if (Date.parse(evidence.trackingStart) > start) return undefined
  if (Date.parse(evidence.generatedAt) < Date.parse(window.end)) return undefined
  const [prefix = '', name = ''] = action.split(':')
  const service = evidence.services.find((s) => s.namespace.toLowerCase() === prefix.toLowerCase())
  if (!service) return undefined
  const cite = `Access Advisor report of ${day(evidence.generatedAt)}, tracking since ${day(evidence.trackingStart)}`
  const tracked = service.actions?.find((a) => a.name.toLowerCase() === name.toLowerCase())
  if (tracked) {
    if (tracked.lastAccessed && Date.parse(tracked.lastAccessed) >= start) {
      return {
        verdict: 'keep',
        because: 'access-advisor',
        detail: `Access Advisor saw ${action} on ${day(tracked.lastAccessed)}${tracked.lastRegion ? ` in ${tracked.lastRegion}` : ''}, inside the window, but CloudTrail did not (${cite})`,
      }
    }
    return {
      verdict: 'remove',
      because: 'service-unused',
      detail: tracked.lastAccessed
        ? `last accessed ${day(tracked.lastAccessed)}, before the window (${cite})`
        : `never accessed in the tracking period (${cite})`,
    }
  }
  if (!service.lastAccessed) {
    return {
      verdict: 'remove',
      because: 'service-unused',
      detail: `${service.namespace} not accessed in the tracking period (${cite})`,
    }
  }
  if (Date.parse(service.lastAccessed) < start) {
    return {
      verdict: 'remove',
      because: 'service-unused',
      detail: `${service.namespace} last accessed ${day(service.lastAccessed)}, before the window (${cite})`,
    }
  }
  return undefined
}
