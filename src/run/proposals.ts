import type { Config } from '../config/schema.js'
import type { RolePlan } from '../plan/types.js'
import { type BranchTarget, branchName, combinePlanHashes } from '../publish/branch.js'
import { prBodyInputFromPlan } from '../publish/from-plan.js'
import { prTitle, renderAccountPrBody, renderPrBody } from '../publish/pr-body.js'
import type { ChangeRequest } from '../publish/types.js'
import type { PolicyEdit, PolicyRepo } from '../repo/types.js'
import { compareCodeUnits } from '../util/compare.js'
import { ScopedownError } from '../util/errors.js'
import { locationKey, type RepoRole } from './repo-role.js'

/** A tightened plan and where its policies are written. */
export interface PlannedRole {
  plan: RolePlan
  repoRole: RepoRole
}

/** One pull request (or branch): the roles whose changes must land together. */
export interface Proposal {
  roles: readonly PlannedRole[]
  target: BranchTarget
}

/**
 * Groups tightened plans into proposals: roles that share a changed document always land in one
 * proposal (one proposal per file), and `grouping: 'account'` also joins each account's roles.
 * Deterministic: proposals and their roles are sorted by role ARN.
 */
export function groupProposals(
  planned: readonly PlannedRole[],
  grouping: Config['publish']['grouping'],
): Proposal[] {
  const sorted = [...planned].sort((a, b) => compareCodeUnits(a.plan.role.arn, b.plan.role.arn))
  const parent = sorted.map((_, i) => i)
  const find = (i: number): number => {
    while (parent[i] !== i) i = parent[i] = parent[parent[i] as number] as number
    return i
  }
  const join = (a: number, b: number) => {
    const [ra, rb] = [find(a), find(b)]
    if (ra !== rb) parent[Math.max(ra, rb)] = Math.min(ra, rb)
  }
  const firstBy = new Map<string, number>()
  sorted.forEach((role, i) => {
    const keys = changedLocations(role)
    if (grouping === 'account') keys.push(`account:${role.plan.role.accountId}`)
    for (const key of keys) {
      const first = firstBy.get(key)
      if (first === undefined) firstBy.set(key, i)
      else join(first, i)
    }
  })
  const components = new Map<number, PlannedRole[]>()
  sorted.forEach((role, i) => {
    const root = find(i)
    components.set(root, [...(components.get(root) ?? []), role])
  })
  return [...components.values()].map((roles) => ({ roles, target: targetOf(roles, grouping) }))
}

function changedLocations(role: PlannedRole): string[] {
  return role.plan.changes.flatMap((change) => {
    const at = change.changed ? role.repoRole.located.get(change.policy.id) : undefined
    return at ? [locationKey(at)] : []
  })
}

/** The branch: one role, one account, or (a policy shared across accounts) the shared policy. */
function targetOf(roles: readonly PlannedRole[], grouping: string): BranchTarget {
  const [first] = roles
  if (!first) throw new ScopedownError('PUBLISH_FAILED', 'an empty proposal')
  const accounts = [...new Set(roles.map((r) => r.plan.role.accountId))]
  if (roles.length === 1) {
    return grouping === 'account'
      ? { accountId: first.plan.role.accountId }
      : { accountId: first.plan.role.accountId, roleName: first.plan.role.name }
  }
  const shared = first.plan.shared.find((s) => s.with.length > 0)?.policy ?? first.plan.role.name
  if (accounts.length === 1) {
    return grouping === 'account'
      ? { accountId: first.plan.role.accountId }
      : { accountId: first.plan.role.accountId, roleName: `shared-${shared}` }
  }
  return { accountId: 'shared', roleName: shared }
}

/**
 * The change request of a proposal: one edit per changed document (a shared document is written
 * once), the PR body and title. A policy the planner had to split cannot be written back as it
 * is (that needs new files), so the proposal fails with what a reviewer must do.
 */
export async function changeRequestOf(
  proposal: Proposal,
  repo: PolicyRepo,
  config: Config,
  generatedAt: string,
): Promise<ChangeRequest> {
  const edits = new Map<string, PolicyEdit>()
  for (const { plan, repoRole } of proposal.roles) {
    for (const change of plan.changes) {
      if (!change.changed) continue
      const at = repoRole.located.get(change.policy.id)
      if (!at) {
        throw new ScopedownError(
          'PUBLISH_FAILED',
          `no file in the repo holds ${change.policy.name} of ${plan.role.arn}`,
        )
      }
      if (change.after && change.after.length > 1) {
        throw new ScopedownError(
          'PUBLISH_FAILED',
          `${change.policy.name} of ${plan.role.arn} would still exceed the IAM size quota after tightening (${at.file}); scopedown does not split a policy into new files`,
          { hint: 'split the policy by hand, or let scopedown replace it once it fits' },
        )
      }
      const key = locationKey(at)
      if (!edits.has(key)) edits.set(key, { policy: at, after: change.after?.[0] ?? null })
    }
  }
  const files = await repo.applyChanges([...edits.values()])
  const plans = proposal.roles.map((r) => r.plan)
  const single = plans.length === 1 && proposal.target.roleName !== undefined ? plans[0] : undefined
  const planHash = single ? single.hash : combinePlanHashes(plans.map((p) => p.hash))
  const accountId = proposal.target.accountId
  const body = single
    ? renderPrBody(prBodyInputFromPlan(single, generatedAt), { planHash })
    : renderAccountPrBody(
        { accountId, roles: plans.map((p) => prBodyInputFromPlan(p, generatedAt)) },
        { planHash },
      )
  const title = single
    ? prTitle({ accountId, roleName: single.role.name })
    : prTitle({ accountId, roleCount: plans.length })
  return {
    repo: {
      owner: config.publish.github?.owner ?? 'local',
      name: config.publish.github?.repo ?? 'repo',
    },
    base: config.publish.base,
    branch: branchName(proposal.target),
    title,
    body,
    planHash,
    files,
    labels: config.publish.labels,
    reviewers: config.publish.reviewers,
    commitMessage: `${title}\n\nRemoves permissions unused in ${config.window.days} days of CloudTrail evidence.`,
  }
}
