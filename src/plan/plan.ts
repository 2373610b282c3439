import type { IamAction, IsoDate, RoleRef } from '../model.js'
import { listOf, type PolicyDocument, statementsOf } from '../policy/document.js'
import { evaluate, mayAllow, type PolicySet } from '../policy/evaluate.js'
import { type ActionGrant, grantedActions } from '../policy/grants.js'
import { assertTightening } from '../policy/invariants.js'
import { compareText, compileActionPatterns } from '../policy/match.js'
import { prune } from '../policy/prune.js'
import { fitToQuota } from '../policy/size.js'
import type { ActionCatalog } from '../usage/catalog.js'
import type { RoleUsage, UsedAction } from '../usage/types.js'
import { sha256, stableStringify } from '../util/stable-json.js'
import { DAY_MS } from '../util/window.js'
import { type AccessAdvisorEvidence, accessAdvisorVerdict } from './access-advisor.js'
import { accountCoverage, windowDays } from './coverage.js'
import type {
  ActionDecision,
  ObservabilityVerdict,
  PlannedPolicy,
  PlanRules,
  PolicyChange,
  RolePlan,
} from './types.js'

/** Everything the planner reads. It does no I/O: sources and repos are upstream and downstream. */
export interface PlanInput {
  role: RoleRef
  createDate?: IsoDate
  policies: readonly PlannedPolicy[]
  boundary?: PolicyDocument
  /** SCPs, one list per OU level from the root down to the account. */
  scps?: readonly (readonly PolicyDocument[])[]
  usage: RoleUsage
  /** Regions the role made calls in: coverage is judged there. */
  activeRegions?: readonly string[]
  rules: PlanRules
  observability: (action: IamAction) => ObservabilityVerdict
  /** eventSource -> IAM prefix (the mapper's), to keep the services of unmapped events whole. */
  servicePrefix?: (eventSource: string) => string
  now: IsoDate
  /** The log source kind, for the evidence. */
  source: string
  /** Access Advisor's report for the role: evidence where CloudTrail is blind. */
  accessAdvisor?: AccessAdvisorEvidence
}

/**
 * Plans a role's tightened policies: one decision (keep or remove, with the reason) per granted
 * action, then the rewritten documents, then the proof that they are a tightening. Throws
 * InvariantError rather than ever returning a plan that would widen access or break usage.
 */
export function planScopedown(input: PlanInput, catalog: ActionCatalog): RolePlan {
  const { role, usage, rules } = input
  const window = usage.window
  const coverage = accountCoverage(usage.coverage, role.accountId, window, input.activeRegions)
  const evidence = {
    window,
    coverageDays: coverage.days,
    windowDays: windowDays(window),
    firstEvent: coverage.firstEvent,
    lastEvent: coverage.lastEvent,
    catalog: catalog.version,
    source: input.source,
  }
  const shortfalls = eligibilityShortfalls(input, coverage.days)
  const identity = input.policies.map((p) => p.document)
  const grants = grantedActions(identity, catalog)
  const base = {
    role,
    deniedAttempts: usage.denied,
    unmapped: usage.unmapped,
    unknownPatterns: [...new Set(grants.unknown.map((u) => u.pattern))].sort(compareText),
    evidence,
  }

  if (rules.mode === 'batch' && shortfalls.length > 0) {
    const first = shortfalls[0] as Shortfall
    return emptyPlan(
      { ...base, status: 'skipped', skipped: first, warnings: shortfalls.map((s) => s.detail) },
      grants.actions.length,
    )
  }
  if (input.policies.length === 0) {
    return emptyPlan(
      {
        ...base,
        status: 'skipped',
        skipped: { reason: 'no-policies', detail: 'the role has no identity policies' },
        warnings: [],
      },
      0,
    )
  }

  const decisions = decide(input, grants.actions)
  const keep = new Set(decisions.filter((d) => d.verdict === 'keep').map((d) => d.action))
  const changes = rewrite(input, keep, catalog)
  const after = changes.flatMap((c) => c.after ?? [])
  assertTightening(
    {
      before: identity,
      after,
      ...(input.boundary ? { boundary: input.boundary } : {}),
      ...(input.scps ? { scps: input.scps } : {}),
      used: usage.used.map((u) => ({ action: u.action, resources: u.resources })),
    },
    catalog,
  )

  const removed = decisions.filter((d) => d.verdict === 'remove').length
  const granted = decisions.length
  const changed = changes.some((c) => c.changed)
  const warnings = [
    ...shortfalls.map((s) => s.detail),
    ...(usage.unmapped.length > 0
      ? [
          `${usage.unmapped.length} event type(s) could not be mapped to IAM actions: their services are kept whole`,
        ]
      : []),
    ...changes.flatMap((c) => c.notes.map((n) => `${c.policy.name}: ${n}`)),
  ]
  const plan: Omit<RolePlan, 'hash'> = {
    ...base,
    status: changed ? 'tighten' : 'no-change',
    warnings,
    decisions,
    changes,
    summary: {
      grantedBefore: granted,
      grantedAfter: granted - removed,
      removed,
      kept: granted - removed,
      percentRemoved: granted === 0 ? 0 : Math.round((removed / granted) * 1000) / 10,
    },
  }
  return { ...plan, hash: planHash(plan) }
}

interface Shortfall {
  reason: 'too-young' | 'insufficient-coverage'
  detail: string
}

function eligibilityShortfalls(input: PlanInput, coverageDays: number): Shortfall[] {
  const out: Shortfall[] = []
  const { rules } = input
  if (input.createDate) {
    // Age at the end of the evidence: how long the role could have shown its usage in the logs.
    const asOf = Math.min(Date.parse(input.now), Date.parse(input.usage.window.end))
    const ageDays = Math.floor((asOf - Date.parse(input.createDate)) / DAY_MS)
    if (ageDays < rules.minRoleAgeDays) {
      out.push({
        reason: 'too-young',
        detail: `role was ${ageDays} days old at the end of the window, under the minimum of ${rules.minRoleAgeDays}: it may not have shown all its usage yet`,
      })
    }
  }
  if (coverageDays < rules.minCoverageDays) {
    out.push({
      reason: 'insufficient-coverage',
      detail: `logs cover ${coverageDays} of ${windowDays(input.usage.window)} days where the role works (account ${input.role.accountId}${input.activeRegions?.length ? `, ${input.activeRegions.join(', ')}` : ''}), under the minimum of ${rules.minCoverageDays}`,
    })
  }
  return out
}

/**
 * Decides each granted action, first matching reason wins:
 * protected statement, AWS-managed (not editable), used, dead weight (the boundary, an SCP or an
 * explicit Deny refuses it everywhere, so removing it changes nothing), never-remove, service with
 * unmapped events, unobservable, and finally unused.
 */
function decide(input: PlanInput, actions: readonly ActionGrant[]): ActionDecision[] {
  const { rules } = input
  const used = new Map<string, UsedAction>(input.usage.used.map((u) => [u.action.toLowerCase(), u]))
  const neverRemove = compileActionPatterns(rules.neverRemove)
  const unmappedServices = new Set(
    input.usage.unmapped.map((c) => serviceOfEventSource(c.eventSource)),
  )
  const protectedPolicies = (grant: ActionGrant) =>
    grant.grants.some((ref) => ref.sid?.startsWith(rules.protectedSidPrefix) === true)
  const policySet: PolicySet = {
    identity: input.policies.map((p) => p.document),
    ...(input.boundary ? { boundary: input.boundary } : {}),
    ...(input.scps ? { scps: input.scps } : {}),
  }
  const samples = sampleResources(input)

  return actions.map((grant): ActionDecision => {
    const { action } = grant
    if (protectedPolicies(grant)) {
      return {
        action,
        verdict: 'keep',
        because: 'protected-statement',
        detail: `Sid starts with ${rules.protectedSidPrefix}`,
      }
    }
    if (grant.grants.some((ref) => input.policies[ref.policy]?.editable === false)) {
      const names = grant.grants
        .map((ref) => input.policies[ref.policy])
        .filter((p) => p && !p.editable)
      return {
        action,
        verdict: 'keep',
        because: 'not-editable',
        detail: `granted by ${names.map((p) => p?.name).join(', ')}`,
      }
    }
    const usage = used.get(action.toLowerCase())
    if (usage) {
      return {
        action,
        verdict: 'keep',
        because: 'used',
        calls: usage.calls,
        lastSeen: usage.lastSeen,
      }
    }
    const dead = deadWeight(action, policySet, samples)
    if (dead) return { action, verdict: 'remove', because: dead.because, detail: dead.detail }
    if (neverRemove(action)) return { action, verdict: 'keep', because: 'never-remove' }
    const service = action.split(':')[0]?.toLowerCase() ?? ''
    if (unmappedServices.has(service)) {
      return {
        action,
        verdict: 'keep',
        because: 'unmapped-service',
        detail: `${service} has events scopedown could not map`,
      }
    }
    const seen = input.observability(action)
    if (!seen.trusted) {
      const advised = input.accessAdvisor
        ? accessAdvisorVerdict(action, input.usage.window, input.accessAdvisor)
        : undefined
      if (advised) return { action, ...advised }
      return { action, verdict: 'keep', because: 'unobservable', detail: seen.why ?? seen.class }
    }
    return { action, verdict: 'remove', because: 'unused' }
  })
}

/** Resources to probe "refused everywhere" with: `*` and every Resource any policy writes. */
function sampleResources(input: PlanInput): string[] {
  const docs = [
    ...input.policies.map((p) => p.document),
    ...(input.boundary ? [input.boundary] : []),
    ...(input.scps ?? []).flat(),
  ]
  const written = docs.flatMap((d) => statementsOf(d).flatMap((s) => listOf(s.Resource)))
  return [...new Set(['*', ...written])]
}

/**
 * An action is dead weight when no request context could allow it on any sampled resource: the
 * boundary or an SCP never allows it, or an unconditional Deny covers it. Removing it from the
 * Allow statements then changes nothing that can happen. The reason names the layer that refuses
 * it on its own, checked layer by layer so the label is right whatever IAM evaluates first.
 */
function deadWeight(
  action: IamAction,
  policies: PolicySet,
  samples: readonly string[],
):
  | { because: 'outside-boundary' | 'denied-by-scp' | 'denied-by-policy'; detail: string }
  | undefined {
  const everAllowed = (set: PolicySet) =>
    samples.some((resource) => mayAllow(evaluate({ action, resource }, set)))
  if (everAllowed(policies)) return undefined
  if (policies.boundary && !everAllowed({ identity: [policies.boundary] })) {
    return { because: 'outside-boundary', detail: 'the permission boundary never allows it' }
  }
  if ((policies.scps ?? []).some((level) => !everAllowed({ identity: level }))) {
    return { because: 'denied-by-scp', detail: 'a service control policy never allows it' }
  }
  return { because: 'denied-by-policy', detail: 'a Deny statement of the role refuses it' }
}

/** Rewrites every editable policy to the kept actions and fits the results into IAM's quotas. */
function rewrite(
  input: PlanInput,
  keep: ReadonlySet<IamAction>,
  catalog: ActionCatalog,
): PolicyChange[] {
  const { rules } = input
  const narrow = rules.narrowResources
    ? {
        resources: new Map(
          input.usage.used
            .filter((u) => u.resources.length > 0)
            .map((u) => [u.action, u.resources]),
        ),
      }
    : undefined
  const pruned = input.policies.map((policy) => {
    if (!policy.editable)
      return { policy, after: [policy.document] as PolicyDocument[] | null, notes: [] as string[] }
    const result = prune(policy.document, keep, catalog, {
      protectedSidPrefix: rules.protectedSidPrefix,
      ...(narrow ? { narrow } : {}),
    })
    return { policy, after: result.document ? [result.document] : null, notes: [...result.notes] }
  })
  fitQuota(pruned, 'managed', catalog, rules)
  fitQuota(pruned, 'inline', catalog, rules)
  return pruned.map(({ policy, after, notes }) => {
    const { document: before, ...meta } = policy
    const changed = after === null || after.length !== 1 || after[0] !== before
    return { policy: meta, before, after, changed, notes }
  })
}

type Pruned = { policy: PlannedPolicy; after: PolicyDocument[] | null; notes: string[] }

/** Managed policies are limited one by one, inline policies together (IAM quotas). */
function fitQuota(
  pruned: Pruned[],
  kind: 'inline' | 'managed',
  catalog: ActionCatalog,
  rules: PlanRules,
) {
  const targets = pruned.filter((p) => p.policy.editable && p.policy.kind === kind && p.after)
  const groups = kind === 'managed' ? targets.map((t) => [t]) : [targets]
  for (const group of groups) {
    if (group.length === 0) continue
    const docs = group.flatMap((g) => g.after ?? [])
    const fit = fitToQuota(docs, kind, catalog, { protectedSidPrefix: rules.protectedSidPrefix })
    if (fit.notes.length === 0) continue
    group.forEach((g, i) => {
      g.after = [...(fit.documents[i] ?? [])]
    })
    group[0]?.notes.push(
      ...fit.notes,
      ...(fit.fits ? [] : ['still over the IAM size quota: a reviewer must split it']),
    )
  }
}

function emptyPlan(
  plan: Omit<RolePlan, 'hash' | 'decisions' | 'changes' | 'summary'>,
  granted: number,
): RolePlan {
  const full = {
    ...plan,
    decisions: [],
    changes: [],
    summary: {
      grantedBefore: granted,
      grantedAfter: granted,
      removed: 0,
      kept: granted,
      percentRemoved: 0,
    },
  }
  return { ...full, hash: planHash(full) }
}

/**
 * The hash covers what the PR would change (the proposed documents and what they remove), not
 * call counts or dates, so a monthly re-run with the same outcome finds the same hash.
 */
function planHash(plan: Omit<RolePlan, 'hash'>): string {
  return sha256(
    stableStringify({
      role: plan.role.arn,
      status: plan.status,
      changes: plan.changes.map((c) => ({ id: c.policy.id, after: c.after })),
      removed: plan.decisions.filter((d) => d.verdict === 'remove').map((d) => d.action),
    }),
  )
}

/** `s3.amazonaws.com` -> `s3`: the fallback when no mapper's prefix table is given. */
function serviceOfEventSource(eventSource: string): string {
  return eventSource.replace(/\.amazonaws\.com$/, '').toLowerCase()
}
