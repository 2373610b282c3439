import type { IamAction, IsoDate, RoleRef } from '../model.js'
import type { PolicyDocument } from '../policy/document.js'
import type { PolicyNames, PolicySet } from '../policy/evaluate.js'
import { type ActionGrant, grantedActions } from '../policy/grants.js'
import { assertTightening } from '../policy/invariants.js'
import { compareText, compileActionPatterns } from '../policy/match.js'
import { fitToQuota } from '../policy/size.js'
import type { UnreadableInput } from '../source/types.js'
import type { ActionCatalog } from '../usage/catalog.js'
import type { RoleUsage, UsedAction } from '../usage/types.js'
import { sha256, stableStringify } from '../util/stable-json.js'
import { DAY_MS } from '../util/window.js'
import { type AccessAdvisorEvidence, accessAdvisorVerdict } from './access-advisor.js'
import { contradictionsOf } from './contradictions.js'
import { accountCoverage, windowDays } from './coverage.js'
import { deadWeightJudge } from './dead-weight.js'
import {
  describeHoles,
  holesAffecting,
  type Shortfall,
  unreadableDays,
  unreadableEvidence,
} from './evidence.js'
import { assertProtectedKept, type Pruned, rewritePolicy, sharedNarrowing } from './rewrite.js'
import type {
  ActionDecision,
  ObservabilityVerdict,
  PlannedPolicy,
  PlanRules,
  PolicyChange,
  RolePlan,
  SharedPolicyNote,
} from './types.js'

/** Everything the planner reads. It does no I/O: sources and repos are upstream and downstream. */
export interface PlanInput {
  role: RoleRef
  createDate?: IsoDate
  policies: readonly PlannedPolicy[]
  boundary?: PolicyDocument
  /** SCPs, one list per OU level from the root down to the account. */
  scps?: readonly (readonly PolicyDocument[])[]
  /** Names of the boundary and SCP documents, so dead-weight reasons can name them. */
  policyNames?: Omit<PolicyNames, 'identity'>
  usage: RoleUsage
  /** Regions the role made calls in: coverage is judged there. */
  activeRegions?: readonly string[]
  /** Input that could not be read (any account: the planner keeps those of the role's). */
  unreadable?: readonly UnreadableInput[]
  rules: PlanRules
  observability: (action: IamAction) => ObservabilityVerdict
  /** eventSource -> IAM prefix (the mapper's), to keep the services of unmapped events whole. */
  servicePrefix?: (eventSource: string) => string
  now: IsoDate
  /** The log source kind, for the evidence. */
  source: string
  /** What is assumed about the trail (data events recorded), for the evidence. */
  trail?: string
  /** Access Advisor's report for the role: evidence where CloudTrail is blind. */
  accessAdvisor?: AccessAdvisorEvidence
}

/** A role outside the planned group that attaches a shared policy, and why it is not planned. */
export interface OutsideAttacher {
  arn: string
  why: string
}

/**
 * Plans one role's tightened policies: one decision (keep or remove, with the reason) per
 * granted action, then the rewritten documents, then the proof that they are a tightening.
 * Throws InvariantError rather than ever returning a plan that would widen access or break usage.
 */
export function planScopedown(input: PlanInput, catalog: ActionCatalog): RolePlan {
  return planPolicyGroup([input], catalog)[0] as RolePlan
}

/**
 * Plans roles that share editable policies (equal `PlannedPolicy.location`) together: plan by
 * policy, prove by role. A shared document keeps every action that any attaching role keeps
 * (used, unobservable, never-remove ...), is narrowed only to the union of what they used, and
 * is written once; when an attaching role is not planned (skipped, or outside the group and
 * listed in `outsideAttachers`), the shared document loses only what is dead weight for every
 * attaching role whose policies are known, and nothing at all when one is unknown. Every role
 * that attaches a changed document is proved with its own boundary and SCPs. Returns one plan
 * per input, in order.
 */
export function planPolicyGroup(
  inputs: readonly PlanInput[],
  catalog: ActionCatalog,
  options: { outsideAttachers?: ReadonlyMap<string, readonly OutsideAttacher[]> } = {},
): RolePlan[] {
  const members = inputs.map((input) => prepare(input, catalog))
  const shared = planSharedPolicies(members, catalog, options.outsideAttachers ?? new Map())
  return members.map((member) => finish(member, shared, catalog))
}

/** A role of the group after its own decisions, before its documents are rewritten. */
interface Member {
  input: PlanInput
  base: Omit<RolePlan, 'hash' | 'decisions' | 'changes' | 'summary' | 'status' | 'warnings'>
  shortfalls: Shortfall[]
  grantedCount: number
  grants: readonly ActionGrant[]
  /** Why the role is not rewritten; undefined when it is planned. */
  skipped?: RolePlan['skipped']
  decisions: ActionDecision[]
  /** What this role needs kept: its keep decisions, or (when skipped) all but dead weight. */
  keep: Set<IamAction>
}

const DEAD_WEIGHT: ReadonlySet<string> = new Set([
  'outside-boundary',
  'denied-by-scp',
  'denied-by-policy',
])

function prepare(input: PlanInput, catalog: ActionCatalog): Member {
  const { role, usage, rules } = input
  const window = usage.window
  const holes = holesAffecting(input.unreadable ?? [], role.accountId)
  const holeDays = unreadableDays(holes, window)
  const coverage = accountCoverage(
    usage.coverage,
    role.accountId,
    window,
    input.activeRegions,
    holeDays,
  )
  const identity = input.policies.map((p) => p.document)
  const grants = grantedActions(identity, catalog)
  const shortfalls = eligibilityShortfalls(input, coverage, holes)
  const unrecorded: string[] = unrecordedDataEvents(input).map(([type]) => type)
  const base: Member['base'] = {
    role,
    deniedAttempts: usage.denied,
    unmapped: usage.unmapped,
    unknownPatterns: [...new Set(grants.unknown.map((u) => u.pattern))].sort(compareText),
    contradictions: contradictionsOf(input),
    shortfalls,
    shared: [],
    evidence: {
      window,
      coverageDays: coverage.days,
      windowDays: windowDays(window),
      firstEvent: coverage.firstEvent,
      lastEvent: coverage.lastEvent,
      catalog: catalog.version,
      source: input.source,
      unreadable: unreadableEvidence(holes, window),
      ...(input.trail ? { trail: input.trail } : {}),
      ...(unrecorded.length > 0 ? { unrecordedDataEvents: unrecorded } : {}),
    },
  }
  let skipped: RolePlan['skipped']
  if (rules.mode === 'batch' && shortfalls.length > 0) skipped = shortfalls[0]
  else if (input.policies.length === 0)
    skipped = { reason: 'no-policies', detail: 'the role has no identity policies' }
  const decisions = input.policies.length > 0 ? decide(input, grants.actions, catalog) : []
  const keep = new Set(
    decisions
      .filter((d) => (skipped ? !DEAD_WEIGHT.has(d.because) : d.verdict === 'keep'))
      .map((d) => d.action),
  )
  return {
    input,
    base,
    shortfalls,
    grantedCount: grants.actions.length,
    grants: grants.actions,
    ...(skipped ? { skipped } : {}),
    decisions,
    keep,
  }
}

/** One shared document, rewritten once for every role that attaches it. */
interface SharedPlan {
  pruned: Pruned
  keep: ReadonlySet<IamAction>
  attachers: readonly Member[]
  outside: readonly OutsideAttacher[]
  onlyDeadWeight?: string
}

function planSharedPolicies(
  members: readonly Member[],
  catalog: ActionCatalog,
  outsideAttachers: ReadonlyMap<string, readonly OutsideAttacher[]>,
): Map<string, SharedPlan> {
  const byLocation = new Map<string, { policy: PlannedPolicy; members: Member[] }>()
  for (const member of members) {
    for (const policy of member.input.policies) {
      if (!policy.editable || policy.location === undefined) continue
      const entry = byLocation.get(policy.location) ?? { policy, members: [] }
      if (!entry.members.includes(member)) entry.members.push(member)
      byLocation.set(policy.location, entry)
    }
  }
  const shared = new Map<string, SharedPlan>()
  for (const [location, { policy, members: attachers }] of byLocation) {
    const outside = outsideAttachers.get(location) ?? []
    if (attachers.length < 2 && outside.length === 0) continue
    const unplanned = [
      ...attachers
        .filter((m) => m.skipped)
        .map((m) => `${m.input.role.arn} (${m.skipped?.detail ?? 'skipped'})`),
      ...outside.map((o) => `${o.arn} (${o.why})`),
    ]
    // An attaching role whose policies we do not know may use anything in the document.
    const keep =
      outside.length > 0
        ? new Set(attachers.flatMap((m) => m.grants.map((g) => g.action)))
        : new Set(attachers.flatMap((m) => [...m.keep]))
    const narrow = unplanned.length === 0 ? sharedNarrowing(attachers, keep) : undefined
    const pruned = rewritePolicy(policy, keep, catalog, attachers[0]?.input.rules, narrow)
    shared.set(location, {
      pruned,
      keep,
      attachers,
      outside,
      ...(unplanned.length > 0
        ? {
            onlyDeadWeight: `not every role attaching it was planned: ${unplanned.join(', ')}; it loses only what no attaching role can use`,
          }
        : {}),
    })
  }
  return shared
}

function finish(member: Member, shared: Map<string, SharedPlan>, catalog: ActionCatalog): RolePlan {
  const { input } = member
  const sharedNotes: SharedPolicyNote[] = input.policies.flatMap((policy) => {
    const plan = policy.location === undefined ? undefined : shared.get(policy.location)
    if (!plan) return []
    return [
      {
        policy: policy.name,
        with: [
          ...plan.attachers.filter((m) => m !== member).map((m) => m.input.role.arn),
          ...plan.outside.map((o) => o.arn),
        ].sort(compareText),
        ...(plan.onlyDeadWeight ? { onlyDeadWeight: plan.onlyDeadWeight } : {}),
      },
    ]
  })
  const base = { ...member.base, shared: sharedNotes }
  if (member.skipped) {
    // Its shared documents may still change through the others' plans: they must not break it.
    const changes = rewriteAll(member, shared, catalog)
    if (changes.some((c) => c.changed)) prove(member, changes, catalog)
    return emptyPlan(
      {
        ...base,
        status: 'skipped',
        skipped: member.skipped,
        warnings: [
          ...member.shortfalls.map((s) => s.detail),
          ...sharedNotes
            .filter((n) => changes.some((c) => c.changed && c.policy.name === n.policy))
            .map(
              (n) =>
                `${n.policy} is shared with ${n.with.join(', ')}: it changes through their proposal, losing only what this role cannot use`,
            ),
        ],
      },
      member.grantedCount,
    )
  }

  const changes = rewriteAll(member, shared, catalog)
  prove(member, changes, catalog)
  const decisions = member.decisions.map((decision): ActionDecision => {
    if (decision.verdict === 'keep') return decision
    const keptBy = sharedKeeping(member, decision.action, shared)
    return keptBy
      ? {
          action: decision.action,
          verdict: 'keep',
          because: 'shared-policy',
          detail: `${keptBy.policy} is shared with ${keptBy.roles.join(', ')}, which keep it`,
        }
      : decision
  })
  const removed = decisions.filter((d) => d.verdict === 'remove').length
  const granted = decisions.length
  const changed = changes.some((c) => c.changed)
  const { usage } = input
  const warnings = [
    ...member.shortfalls.map((s) => s.detail),
    ...toleratedHoles(member),
    ...(usage.unmapped.length > 0
      ? [
          `${usage.unmapped.length} event type(s) could not be mapped to IAM actions: their services are kept whole`,
        ]
      : []),
    ...unrecordedDataEvents(input).map(
      ([type, action]) =>
        `the logs contain ${type} data events (${action}) although the trail is assumed not to record them: pass --data-events ${type} (rules.dataEvents) if it records them for every resource, so unused ones can be removed`,
    ),
    ...sharedNotes.flatMap((n) => (n.onlyDeadWeight ? [`${n.policy}: ${n.onlyDeadWeight}`] : [])),
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

/** Holes the config tolerates still say what they leave unknown. */
function toleratedHoles(member: Member): string[] {
  const { unreadable } = member.base.evidence
  if (unreadable.count === 0 || member.shortfalls.some((s) => s.reason === 'unreadable-input'))
    return []
  return [
    `${unreadable.count} unreadable input(s) tolerated by rules.maxUnreadableInputs: the plan is judged on what was readable, and ${unreadable.days} day(s) count as not covered`,
  ]
}

/**
 * The logs hold data events that the trail is assumed not to record: the assumption is visible
 * (such actions are kept as unobservable, which may keep more than needed).
 */
function unrecordedDataEvents(input: PlanInput): [type: string, action: string][] {
  const types = new Map<string, string>()
  for (const use of input.usage.used) {
    const seen = input.observability(use.action)
    if (seen.class !== 'data' || seen.trusted) continue
    for (const type of seen.dataResourceTypes ?? [])
      if (!types.has(type)) types.set(type, use.action)
  }
  return [...types].sort(([a], [b]) => compareText(a, b))
}

/** The shared policy (and its other roles) that still grants `action` to this role, if any. */
function sharedKeeping(
  member: Member,
  action: IamAction,
  shared: Map<string, SharedPlan>,
): { policy: string; roles: string[] } | undefined {
  const grant = member.grants.find((g) => g.action === action)
  for (const ref of grant?.grants ?? []) {
    const policy = member.input.policies[ref.policy]
    const plan = policy?.location === undefined ? undefined : shared.get(policy.location)
    if (policy && plan?.keep.has(action)) {
      const roles = [
        ...plan.attachers.filter((m) => m !== member).map((m) => m.input.role.arn),
        ...plan.outside.map((o) => o.arn),
      ]
      return { policy: policy.name, roles }
    }
  }
  return undefined
}

/** Every policy of the role rewritten: shared ones as planned for all, the rest from its own keep. */
function rewriteAll(
  member: Member,
  shared: Map<string, SharedPlan>,
  catalog: ActionCatalog,
): PolicyChange[] {
  const { input } = member
  const own = input.rules.narrowResources ? ownNarrowing(input.usage) : undefined
  const pruned: Pruned[] = input.policies.map((policy) => {
    const plan = policy.location === undefined ? undefined : shared.get(policy.location)
    if (plan) return { ...plan.pruned, policy }
    if (member.skipped || !policy.editable) return { policy, after: [policy.document], notes: [] }
    return rewritePolicy(policy, member.keep, catalog, input.rules, own)
  })
  fitInlineTogether(
    pruned.filter(
      (p) =>
        p.policy.kind === 'inline' &&
        p.policy.editable &&
        p.after &&
        !(p.policy.location !== undefined && shared.has(p.policy.location)),
    ),
    catalog,
    input.rules,
  )
  return pruned.map(({ policy, after, notes }) => {
    const { document: before, ...meta } = policy
    const changed = after === null || after.length !== 1 || after[0] !== before
    return { policy: meta, before, after, changed, notes }
  })
}

/** A role's inline policies share one size quota (IAM counts them together). */
function fitInlineTogether(group: Pruned[], catalog: ActionCatalog, rules: PlanRules): void {
  if (group.length < 2) return
  const docs = group.flatMap((g) => g.after ?? [])
  const fit = fitToQuota(docs, 'inline', catalog, { protectedSidPrefix: rules.protectedSidPrefix })
  if (fit.notes.length === 0) return
  group.forEach((g, i) => {
    g.after = [...(fit.documents[i] ?? [])]
  })
  group[0]?.notes.push(
    ...fit.notes,
    ...(fit.fits ? [] : ['still over the IAM size quota: a reviewer must split it']),
  )
}

/** Per used action, the ARNs it was used on, when all its calls named them and none was capped. */
function ownNarrowing(usage: RoleUsage): Map<IamAction, readonly string[]> {
  return new Map(
    usage.used
      .filter((u) => u.resources.length > 0 && !u.resourcesCapped)
      .map((u) => [u.action, u.resources]),
  )
}

/** The proof for one role: after ⊆ before within its boundary and SCPs, used ⊆ after. */
function prove(member: Member, changes: readonly PolicyChange[], catalog: ActionCatalog): void {
  const { input } = member
  assertProtectedKept(changes, input.rules.protectedSidPrefix, input.role.arn)
  assertTightening(
    {
      before: input.policies.map((p) => p.document),
      after: changes.flatMap((c) => c.after ?? []),
      ...(input.boundary ? { boundary: input.boundary } : {}),
      ...(input.scps ? { scps: input.scps } : {}),
      used: input.usage.used.map((u) => ({ action: u.action, resources: u.resources })),
    },
    catalog,
  )
}

function eligibilityShortfalls(
  input: PlanInput,
  coverage: { days: number; firstEvent: IsoDate | null },
  holes: readonly UnreadableInput[],
): Shortfall[] {
  const out: Shortfall[] = []
  const { rules, usage, role } = input
  const window = usage.window
  const tolerated = rules.maxUnreadableInputs ?? 0
  if (holes.length > tolerated) {
    out.push({
      reason: 'unreadable-input',
      detail: `${describeHoles(holes, window)}: what the role did there is unknown${tolerated > 0 ? ` (${holes.length} unreadable inputs, more than the ${tolerated} tolerated)` : ''}`,
    })
  }
  if (coverage.firstEvent === null && holes.length === 0) {
    out.push({
      reason: 'no-evidence',
      detail: `the logs hold no event of account ${role.accountId} in the window [${window.start}, ${window.end}): check the log paths and the window`,
    })
  } else if (coverage.days < rules.minCoverageDays) {
    const regions = input.activeRegions?.length ? `, ${input.activeRegions.join(', ')}` : ''
    const holeNote = holes.length > 0 ? ', counting days with unreadable input as not covered' : ''
    out.push({
      reason: 'insufficient-coverage',
      detail: `logs cover ${coverage.days} of ${windowDays(window)} days where the role works (account ${role.accountId}${regions}${holeNote}), under the minimum of ${rules.minCoverageDays}`,
    })
  }
  if (input.createDate) {
    // Age at the end of the evidence: how long the role could have shown its usage in the logs.
    const asOf = Math.min(Date.parse(input.now), Date.parse(window.end))
    const ageDays = Math.floor((asOf - Date.parse(input.createDate)) / DAY_MS)
    if (ageDays < rules.minRoleAgeDays) {
      out.push({
        reason: 'too-young',
        detail: `role was ${ageDays} days old at the end of the window, under the minimum of ${rules.minRoleAgeDays}: it may not have shown all its usage yet`,
      })
    }
  }
  return out
}

/**
 * Decides each granted action, first matching reason wins:
 * protected statement, AWS-managed (not editable), used, dead weight (the boundary, an SCP or an
 * explicit Deny refuses it everywhere, so removing it changes nothing), never-remove, service with
 * unmapped events, unobservable, and finally unused.
 */
function decide(
  input: PlanInput,
  actions: readonly ActionGrant[],
  catalog: ActionCatalog,
): ActionDecision[] {
  const { rules } = input
  const used = new Map<string, UsedAction>(input.usage.used.map((u) => [u.action.toLowerCase(), u]))
  const neverRemove = compileActionPatterns(rules.neverRemove)
  const prefixOf = input.servicePrefix ?? serviceOfEventSource
  const unmappedServices = new Set(input.usage.unmapped.map((c) => prefixOf(c.eventSource)))
  const protectedPolicies = (grant: ActionGrant) =>
    grant.grants.some((ref) => ref.sid?.startsWith(rules.protectedSidPrefix) === true)
  const policySet: PolicySet = {
    identity: input.policies.map((p) => p.document),
    ...(input.boundary ? { boundary: input.boundary } : {}),
    ...(input.scps ? { scps: input.scps } : {}),
    names: { identity: input.policies.map((p) => p.name), ...input.policyNames },
  }
  const deadWeight = deadWeightJudge(policySet, catalog)

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
    const dead = deadWeight(action)
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
