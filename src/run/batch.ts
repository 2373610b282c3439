import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { AwsContext } from '../aws/accounts.js'
import type { DriftDifference } from '../aws/drift.js'
import { minCoverageDays } from '../config/load.js'
import type { Config } from '../config/schema.js'
import type { RoleRef, Window } from '../model.js'
import type { AccessAdvisorEvidence } from '../plan/access-advisor.js'
import { type OutsideAttacher, planPolicyGroup } from '../plan/plan.js'
import { roleExemption } from '../plan/role-selection.js'
import type { PlanRules, RolePlan } from '../plan/types.js'
import type { PublishResult, PullRequestGateway } from '../publish/types.js'
import { checkoutFiles } from '../repo/repo-files.js'
import type { PolicyRepo } from '../repo/types.js'
import { renderRoleJson, renderRoleMarkdown } from '../report/role-report.js'
import type { LogSource, UnreadableInput, UsageResult } from '../source/types.js'
import { compareCodeUnits } from '../util/compare.js'
import { forEachLimited } from '../util/concurrency.js'
import { errorMessage, InvariantError } from '../util/errors.js'
import type { Logger } from '../util/log.js'
import { stableStringify } from '../util/stable-json.js'
import { resolveWindow } from '../util/window.js'
import { type AccountScps, loadAccountScps } from './account-scps.js'
import {
  type AccountLive,
  accessAdvisorFor,
  coveredAccounts,
  organizationScps,
  readAccountsLive,
  roleDrift,
  unreadableAccount,
} from './aws-steps.js'
import type { PlanningContext } from './plan-role.js'
import { planInputFor, principalArnsOf, withDefinitionWarnings } from './plan-role.js'
import { changeRequestOf, groupProposals, type PlannedRole } from './proposals.js'
import { editableLocations, loadRepoRole, type RepoRole } from './repo-role.js'
import { type Candidate, selectRoles } from './select.js'

/** How one role ended in a batch. */
export interface RoleOutcome {
  role: RoleRef
  status: 'tightened' | 'unchanged' | 'skipped' | 'failed' | 'drifted'
  /** The plan's skip reason (`insufficient-coverage`, `unreadable-input` ...), when skipped. */
  reason?: string
  detail: string
  removed: number
  kept: number
  /** Used actions the repository's policies refuse (the repo may not be what AWS enforces). */
  contradictions?: number
  publish?: PublishResult
  reportDir?: string
  /** Status `drifted`: where the repository and live IAM disagree (nothing was proposed). */
  drift?: readonly DriftDifference[]
}

/** How many unreadable inputs the run report names; the count is always whole. */
export const MAX_REPORTED_UNREADABLE = 100

/** The batch's record: written as run-report.json and summarised on stderr. */
export interface BatchReport {
  window: Window
  startedAt: string
  finishedAt: string
  outcomes: readonly RoleOutcome[]
  /** Input that could not be read, over every account: holes in the evidence. */
  unreadable: { count: number; inputs: readonly UnreadableInput[] }
  totals: {
    roles: number
    tightened: number
    unchanged: number
    skipped: number
    failed: number
    drifted: number
    permissionsRemoved: number
    /** Roles refused for want of evidence (no events of their account, unreadable input). */
    withoutEvidence: number
    contradictions: number
    prs: Record<string, number>
  }
}

export interface BatchDeps {
  config: Config
  repo: PolicyRepo
  source: LogSource
  gateway: PullRequestGateway
  context: PlanningContext
  log: Logger
  now: Date
  /** One line per role as it finishes: `[3/12] ...`. */
  progress?: (line: string) => void
  /** AWS access (config `aws`): accounts, live IAM and drift, Organizations SCPs, Access Advisor. */
  aws?: AwsContext
}

/** What one account's scan produced, or why it failed. */
type AccountUsage = { ok: true; usage: UsageResult } | { ok: false; reason: string }

/**
 * The monthly batch, as named steps: select the roles, read each account's SCPs and usage (one
 * log query per account for all its roles), load the roles' policies, plan the roles that share
 * policies together (plan by policy, prove by role), group the changes into proposals, publish
 * them, and write the reports. One role or account failing never stops the others; the run
 * report is written whatever happens.
 */
export async function runBatch(deps: BatchDeps): Promise<BatchReport> {
  const { config } = deps
  const startedAt = deps.now.toISOString()
  const window = batchWindow(config, deps.now)
  const outcomes = new Outcomes(deps.progress)
  const selection = await selectRoles(deps.repo, config)
  for (const r of selection.unplaceable) outcomes.add(failedOutcome(r.role, r.detail))
  for (const r of selection.exempt) outcomes.add(skippedOutcome(r.role, r.detail))
  let candidates = selection.candidates
  const { aws } = deps
  if (aws) {
    // Only the accounts aws.accounts resolves to are covered; the others' roles say why not.
    const covered = await coveredAccounts(aws, [
      ...new Set(candidates.map((c) => c.role.accountId)),
    ])
    for (const c of candidates) {
      const d = covered.get(c.role.accountId)
      if (!d?.included)
        outcomes.add(
          skippedOutcome(
            c.role,
            `account ${c.role.accountId} not covered: ${d?.reason ?? 'not resolved'}`,
          ),
        )
    }
    candidates = candidates.filter((c) => covered.get(c.role.accountId)?.included)
  }
  outcomes.expect(candidates.length)

  const accounts = [...new Set(candidates.map((c) => c.role.accountId))].sort()
  let scps = await loadAccountScps(config, accounts)
  if (aws?.settings.scps === 'organizations') {
    const org = await organizationScps(aws, accounts, scps, config.scps.length > 0)
    scps = org.scps
    for (const d of org.differences) deps.log.warn(`SCPs differ from the config's files: ${d}`)
  }
  const live: Map<string, AccountLive> = aws ? await readAccountsLive(aws, accounts) : new Map()
  const files = checkoutFiles(config.repo.path)
  const usage = await collectUsage(deps, candidates, window)
  const loaded = await loadRoles(deps.repo, candidates)

  const ready: { candidate: Candidate; repoRole: RepoRole; usage: UsageResult }[] = []
  const notPlanned = new Map<string, string>()
  for (const candidate of candidates) {
    const { role } = candidate
    const accountLive = live.get(role.accountId)
    const accountScps = scps.get(role.accountId)
    const accountUsage = usage.get(role.accountId)
    const repoRole = loaded.get(role.arn)
    let failure: string | undefined
    if (accountLive && !accountLive.ok)
      failure = `account ${role.accountId} could not be read: ${accountLive.reason}`
    else if (accountScps && !accountScps.ok)
      failure = `SCPs of account ${role.accountId}: ${accountScps.reason}`
    else if (accountUsage && !accountUsage.ok) failure = accountUsage.reason
    else if (!repoRole || 'failure' in repoRole)
      failure = `policies not usable: ${repoRole && 'failure' in repoRole ? repoRole.failure : 'not loaded'}`
    if (failure || !repoRole || 'failure' in repoRole || !accountUsage?.ok) {
      outcomes.add(failedOutcome(role, failure ?? 'not planned'))
      notPlanned.set(role.arn, failure ?? 'failed')
      continue
    }
    if (accountLive?.ok) {
      const liveRole = accountLive.live.roles.find((r) => r.role.name === role.name)
      // Role age and human-role tags from IAM when the repository has none (Terraform).
      const exemption =
        liveRole && roleExemption(role, { ...liveRole.tags, ...candidate.tags }, config.roles)
      if (exemption && exemption.reason === 'human-role') {
        outcomes.add(skippedOutcome(role, `${exemption.detail}, from its tags in IAM`))
        notPlanned.set(role.arn, exemption.detail)
        continue
      }
      if (!repoRole.definition.createDate && liveRole?.createDate)
        repoRole.definition = { ...repoRole.definition, createDate: liveRole.createDate }
      if (aws?.settings.drift.check) {
        const drift = await roleDrift(repoRole, accountLive.live, files)
        if (drift.length > 0) {
          outcomes.add({
            role,
            status: 'drifted',
            detail: `the repository differs from IAM: ${drift.map((d) => d.detail).join('; ')}`,
            removed: 0,
            kept: 0,
            drift,
          })
          notPlanned.set(role.arn, 'drifted from live IAM')
          continue
        }
      }
    }
    ready.push({ candidate, repoRole, usage: accountUsage.usage })
  }
  const advisor = new Map<string, AccessAdvisorEvidence>()
  if (aws?.settings.accessAdvisor.enabled) {
    await Promise.all(
      ready.map(async ({ candidate }) => {
        const got = await accessAdvisorFor(aws, candidate.role.arn, candidate.role.accountId)
        if ('failure' in got)
          deps.log.warn('Access Advisor not used: its unobservable actions are kept', {
            role: candidate.role.arn,
            error: got.failure,
          })
        else advisor.set(candidate.role.arn, got)
      }),
    )
  }

  const outside = await outsideAttachers(deps.repo, selection.bystanders, notPlanned, loaded)
  const planned: PlannedRole[] = []
  for (const group of sharingGroups(ready)) {
    try {
      const inputs = group.map((member) => {
        const input = planInputFor(member.repoRole.definition, member.usage, window, {
          ...deps.context,
          ...scpContext(scps.get(member.candidate.role.accountId)),
        })
        const evidence = advisor.get(member.candidate.role.arn)
        return evidence ? { ...input, accessAdvisor: evidence } : input
      })
      const plans = planPolicyGroup(inputs, deps.context.catalog, { outsideAttachers: outside })
      plans.forEach((raw, i) => {
        const member = group[i]
        if (!member) return
        const plan = withDefinitionWarnings(raw, member.repoRole.definition)
        planned.push({ plan, repoRole: member.repoRole })
      })
    } catch (error) {
      if (error instanceof InvariantError)
        deps.log.error('invariant violated: plan not emitted', {
          roles: group.map((m) => m.candidate.role.arn).join(', '),
        })
      for (const member of group)
        outcomes.add(failedOutcome(member.candidate.role, errorMessage(error)))
    }
  }

  const unrecorded = new Set(planned.flatMap((p) => p.plan.evidence.unrecordedDataEvents ?? []))
  for (const type of [...unrecorded].sort())
    deps.log.warn(
      `the logs contain ${type} data events, but rules.dataEvents does not name it: such actions are kept as unobservable; add ${type} if the trail records it for every resource`,
    )
  const reportDirs = new Map<string, string>()
  for (const { plan } of planned) {
    reportDirs.set(plan.role.arn, await writeRoleReports(config.publish.outDir, plan, deps.now))
  }
  for (const { plan } of planned.filter((p) => p.plan.status !== 'tighten')) {
    outcomes.add(planOutcome(plan, reportDirs.get(plan.role.arn)))
  }
  const proposals = groupProposals(
    planned.filter((p) => p.plan.status === 'tighten'),
    config.publish.grouping,
  )
  for (const proposal of proposals) {
    let publish: PublishResult | undefined
    let failure: string | undefined
    try {
      const change = await changeRequestOf(proposal, deps.repo, config, deps.now.toISOString())
      publish = await deps.gateway.ensurePullRequest(change)
    } catch (error) {
      failure = errorMessage(error)
    }
    for (const { plan } of proposal.roles) {
      const base = planOutcome(plan, reportDirs.get(plan.role.arn))
      outcomes.add(
        failure
          ? failedOutcome(plan.role, `publishing failed: ${failure}`)
          : { ...base, ...(publish ? { publish } : {}) },
      )
    }
  }

  const unreadable = [
    ...runUnreadable(usage),
    ...[...live].flatMap(([id, l]) => (l.ok ? [] : [unreadableAccount(id, l.reason)])),
  ]
  const batch: BatchReport = {
    window,
    startedAt,
    finishedAt: new Date(Math.max(Date.now(), deps.now.getTime())).toISOString(),
    outcomes: outcomes.sorted(),
    unreadable: { count: unreadable.length, inputs: unreadable.slice(0, MAX_REPORTED_UNREADABLE) },
    totals: totals(outcomes.sorted()),
  }
  await mkdir(config.publish.outDir, { recursive: true })
  await writeFile(join(config.publish.outDir, 'run-report.json'), `${stableStringify(batch, 2)}\n`)
  return batch
}

/** The window of a batch: `window.end` (or now) back `window.days` days. */
export function batchWindow(config: Config, now: Date): Window {
  return resolveWindow(
    { days: config.window.days, ...(config.window.end ? { end: config.window.end } : {}) },
    now,
  )
}

/** Plan rules for a batch from the config. */
export function batchRules(config: Config): PlanRules {
  return {
    neverRemove: config.rules.neverRemove,
    protectedSidPrefix: config.rules.protectedSidPrefix,
    minRoleAgeDays: config.rules.minRoleAgeDays,
    minCoverageDays: minCoverageDays(config),
    narrowResources: config.rules.narrowResources,
    maxUnreadableInputs: config.rules.maxUnreadableInputs,
    mode: 'batch',
  }
}

/** One log query per account for all its candidate roles, `concurrency` accounts at a time. */
async function collectUsage(
  deps: BatchDeps,
  candidates: readonly Candidate[],
  window: Window,
): Promise<Map<string, AccountUsage>> {
  const byAccount = new Map<string, Candidate[]>()
  for (const c of candidates)
    byAccount.set(c.role.accountId, [...(byAccount.get(c.role.accountId) ?? []), c])
  const out = new Map<string, AccountUsage>()
  await forEachLimited([...byAccount.keys()].sort(), deps.config.concurrency, async (accountId) => {
    const roles = byAccount.get(accountId) ?? []
    try {
      const usage = await deps.source.usage({
        window,
        accountIds: [accountId],
        principalArns: roles.flatMap((r) => principalArnsOf(r.role)),
      })
      out.set(accountId, { ok: true, usage })
    } catch (error) {
      deps.log.error('log query failed', { account: accountId, error: errorMessage(error) })
      out.set(accountId, {
        ok: false,
        reason: `log query for account ${accountId} failed: ${errorMessage(error)}`,
      })
    }
  })
  return out
}

async function loadRoles(
  repo: PolicyRepo,
  candidates: readonly Candidate[],
): Promise<Map<string, RepoRole | { failure: string }>> {
  const out = new Map<string, RepoRole | { failure: string }>()
  for (const candidate of candidates) {
    try {
      out.set(candidate.role.arn, await loadRepoRole(repo, candidate.role, candidate))
    } catch (error) {
      out.set(candidate.role.arn, { failure: errorMessage(error) })
    }
  }
  return out
}

/**
 * Per policy location, the roles that attach it but are not planned in this run (bystanders,
 * and candidates that failed before planning): a shared document must keep what they use.
 */
async function outsideAttachers(
  repo: PolicyRepo,
  bystanders: readonly { role: RoleRef; why: string }[],
  notPlanned: ReadonlyMap<string, string>,
  loaded: ReadonlyMap<string, RepoRole | { failure: string }>,
): Promise<Map<string, OutsideAttacher[]>> {
  const out = new Map<string, OutsideAttacher[]>()
  const add = (keys: readonly string[], attacher: OutsideAttacher) => {
    for (const key of keys) out.set(key, [...(out.get(key) ?? []), attacher])
  }
  for (const { role, why } of bystanders) {
    const location = await repo.locate(role).catch(() => undefined)
    if (location) add(editableLocations(location), { arn: role.arn, why })
  }
  for (const [arn, why] of notPlanned) {
    const repoRole = loaded.get(arn)
    if (repoRole && !('failure' in repoRole))
      add(editableLocations(repoRole.location), { arn, why: `not planned: ${why}` })
  }
  return out
}

/** Roles connected by a shared editable document, each group in role-ARN order. */
function sharingGroups<T extends { candidate: Candidate; repoRole: RepoRole }>(
  roles: readonly T[],
): T[][] {
  const groups: T[][] = []
  const groupOf = new Map<string, T[]>()
  for (const role of [...roles].sort((a, b) =>
    compareCodeUnits(a.candidate.role.arn, b.candidate.role.arn),
  )) {
    const keys = editableLocations(role.repoRole.location)
    const joined = [
      ...new Set(keys.flatMap((k) => (groupOf.has(k) ? [groupOf.get(k) as T[]] : []))),
    ]
    const group = joined[0] ?? []
    if (joined.length === 0) groups.push(group)
    for (const other of joined.slice(1)) {
      group.push(...other)
      groups.splice(groups.indexOf(other), 1)
      for (const member of other)
        for (const k of editableLocations(member.repoRole.location)) groupOf.set(k, group)
    }
    group.push(role)
    for (const k of keys) groupOf.set(k, group)
  }
  return groups.map((g) =>
    g.sort((a, b) => compareCodeUnits(a.candidate.role.arn, b.candidate.role.arn)),
  )
}

function scpContext(scps: AccountScps | undefined): Pick<PlanningContext, 'scps' | 'scpNames'> {
  if (!scps?.ok) return { scps: [] }
  return scps.names ? { scps: scps.levels, scpNames: scps.names } : { scps: scps.levels }
}

/** Every unreadable input of the run, once each, in a stable order. */
function runUnreadable(usage: ReadonlyMap<string, AccountUsage>): UnreadableInput[] {
  const seen = new Map<string, UnreadableInput>()
  for (const [accountId, result] of [...usage].sort(([a], [b]) => compareCodeUnits(a, b))) {
    const holes: readonly UnreadableInput[] = result.ok
      ? result.usage.inputs.unreadable
      : [
          {
            kind: 'query',
            input: `log query for account ${accountId}`,
            reason: result.reason,
            accountId,
          },
        ]
    for (const hole of holes) {
      const key = `${hole.kind} ${hole.input}`
      if (!seen.has(key)) seen.set(key, hole)
    }
  }
  return [...seen.values()]
}

async function writeRoleReports(outDir: string, plan: RolePlan, now: Date): Promise<string> {
  const dir = join(outDir, plan.role.accountId, plan.role.name)
  await mkdir(dir, { recursive: true })
  await writeFile(join(dir, 'plan.json'), renderRoleJson(plan))
  await writeFile(join(dir, 'report.md'), renderRoleMarkdown(plan, now.toISOString()))
  return dir
}

/** Outcomes as they come, with a progress line for each planned role. */
class Outcomes {
  readonly #list: RoleOutcome[] = []
  readonly #progress: ((line: string) => void) | undefined
  #total = 0
  #done = 0
  constructor(progress?: (line: string) => void) {
    this.#progress = progress
  }
  expect(total: number) {
    this.#total = total
  }
  add(outcome: RoleOutcome) {
    this.#list.push(outcome)
    if (this.#total === 0) return
    this.#done++
    this.#progress?.(progressLine(this.#done, this.#total, outcome))
  }
  sorted(): RoleOutcome[] {
    return [...this.#list].sort((a, b) => compareCodeUnits(a.role.arn, b.role.arn))
  }
}

function planOutcome(plan: RolePlan, reportDir: string | undefined): RoleOutcome {
  const status =
    plan.status === 'tighten' ? 'tightened' : plan.status === 'no-change' ? 'unchanged' : 'skipped'
  const detail =
    plan.status === 'skipped'
      ? (plan.skipped?.detail ?? 'skipped')
      : `remove ${plan.summary.removed} / keep ${plan.summary.kept}`
  return {
    role: plan.role,
    status,
    ...(plan.skipped ? { reason: plan.skipped.reason } : {}),
    detail,
    removed: plan.summary.removed,
    kept: plan.summary.kept,
    ...(plan.contradictions.length > 0 ? { contradictions: plan.contradictions.length } : {}),
    ...(reportDir ? { reportDir } : {}),
  }
}

function skippedOutcome(role: RoleRef, detail: string): RoleOutcome {
  return { role, status: 'skipped', detail, removed: 0, kept: 0 }
}

function failedOutcome(role: RoleRef, detail: string): RoleOutcome {
  return { role, status: 'failed', detail, removed: 0, kept: 0 }
}

function progressLine(done: number, total: number, o: RoleOutcome): string {
  const pr = o.publish ? `  -> ${describePublish(o.publish)}` : ''
  return `[${done}/${total}] ${o.role.accountId}/${o.role.name}  ${o.status}: ${o.detail}${pr}`
}

export function describePublish(result: PublishResult): string {
  switch (result.status) {
    case 'dry-run':
      return `dry run in ${result.outDir}`
    case 'committed':
      return `branch ${result.branch} ${result.outcome}${result.pushed ? ' and pushed' : ''}`
    case 'blocked':
      return `blocked (${result.reason})${result.url ? ` ${result.url}` : ''}`
    default:
      return `PR #${result.number} ${result.status}`
  }
}

function publishKey(result: PublishResult): string {
  if (result.status === 'committed') return `branch-${result.outcome}`
  if (result.status === 'blocked') return `blocked-${result.reason}`
  return result.status
}

/** Skip reasons that mean the evidence could not carry a plan: the run exits 1. */
export const EVIDENCE_FAILURES: ReadonlySet<string> = new Set(['no-evidence', 'unreadable-input'])

function totals(outcomes: readonly RoleOutcome[]): BatchReport['totals'] {
  const count = (s: RoleOutcome['status']) => outcomes.filter((o) => o.status === s).length
  const prs: Record<string, number> = {}
  const seen = new Set<string>()
  for (const o of outcomes) {
    if (!o.publish) continue
    const key = stableStringify(o.publish)
    if (seen.has(key)) continue
    seen.add(key)
    const name = publishKey(o.publish)
    prs[name] = (prs[name] ?? 0) + 1
  }
  return {
    roles: outcomes.length,
    tightened: count('tightened'),
    unchanged: count('unchanged'),
    skipped: count('skipped'),
    failed: count('failed'),
    drifted: count('drifted'),
    permissionsRemoved: outcomes.reduce((sum, o) => sum + o.removed, 0),
    withoutEvidence: outcomes.filter((o) => o.reason && EVIDENCE_FAILURES.has(o.reason)).length,
    contradictions: outcomes.reduce((sum, o) => sum + (o.contradictions ?? 0), 0),
    prs,
  }
}
