import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { isAbsolute, join } from 'node:path'
import { minCoverageDays } from '../config/load.js'
import type { Config } from '../config/schema.js'
import type { RoleRef, Window } from '../model.js'
import { roleExemption } from '../plan/role-selection.js'
import type { PlanRules, RolePlan } from '../plan/types.js'
import type { PolicyDocument } from '../policy/document.js'
import { parsePolicy } from '../policy/parse.js'
import { branchName, combinePlanHashes } from '../publish/branch.js'
import { prBodyInputFromPlan } from '../publish/from-plan.js'
import { prTitle, renderAccountPrBody, renderPrBody } from '../publish/pr-body.js'
import type { PublishResult, PullRequestGateway } from '../publish/types.js'
import type { FileEdit, PolicyEdit, PolicyRepo } from '../repo/types.js'
import { renderRoleJson, renderRoleMarkdown } from '../report/role-report.js'
import type { LogSource, UsageResult } from '../source/types.js'
import { errorMessage, InvariantError } from '../util/errors.js'
import type { Logger } from '../util/log.js'
import { stableStringify } from '../util/stable-json.js'
import { resolveWindow } from '../util/window.js'
import type { PlanningContext } from './plan-role.js'
import { planRole } from './plan-role.js'
import { loadRepoRole, type RepoRole, roleRefOf } from './repo-role.js'
import { FULL_AWS_ACCESS } from './role-policies.js'

/** How one role ended in a batch. */
export interface RoleOutcome {
  role: RoleRef
  status: 'tightened' | 'unchanged' | 'skipped' | 'failed'
  detail: string
  removed: number
  kept: number
  publish?: PublishResult
  reportDir?: string
}

/** The batch's record: written as run-report.json and summarised on stderr. */
export interface BatchReport {
  window: Window
  startedAt: string
  finishedAt: string
  outcomes: readonly RoleOutcome[]
  totals: {
    roles: number
    tightened: number
    unchanged: number
    skipped: number
    failed: number
    permissionsRemoved: number
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
}

interface Candidate {
  role: RoleRef
  tags: Readonly<Record<string, string>>
  createDate?: string
}

/**
 * The monthly batch: every role the repo defines, minus the ones left alone; one log query per
 * account for all its roles; a plan, file edits and a pull request per role (or per account).
 * One role failing never stops the others; its outcome says why.
 */
export async function runBatch(deps: BatchDeps): Promise<BatchReport> {
  const { config, log } = deps
  const startedAt = deps.now.toISOString()
  const window = batchWindow(config, deps.now)
  const outcomes: RoleOutcome[] = []
  const candidates: Candidate[] = []
  for (const defined of await deps.repo.listRoles()) {
    if (!defined.accountId) {
      outcomes.push(
        failedOutcome(
          { accountId: '?', name: defined.name, arn: defined.name },
          `the repo does not say which account ${defined.name} (${defined.file}) is in`,
        ),
      )
      continue
    }
    if (config.roles.accounts && !config.roles.accounts.includes(defined.accountId)) continue
    const role = roleRefOf({ ...defined, accountId: defined.accountId })
    const meta = await manifestMeta(
      config.repo.path,
      defined.layout === 'manifest' ? defined.file : undefined,
    )
    const exemption = roleExemption(role, meta.tags, config.roles)
    if (exemption) {
      if (exemption.reason !== 'excluded') outcomes.push(skippedOutcome(role, exemption.detail))
      continue
    }
    candidates.push({ role, ...meta })
  }

  const byAccount = new Map<string, Candidate[]>()
  for (const c of candidates)
    byAccount.set(c.role.accountId, [...(byAccount.get(c.role.accountId) ?? []), c])
  const total = candidates.length
  let done = 0
  const report = (outcome: RoleOutcome) => {
    done++
    outcomes.push(outcome)
    deps.progress?.(progressLine(done, total, outcome))
  }

  const accounts = [...byAccount.keys()].sort()
  await forEachLimited(accounts, config.concurrency, async (accountId) => {
    const roles = byAccount.get(accountId) ?? []
    let usage: UsageResult
    try {
      usage = await deps.source.usage({
        window,
        accountIds: [accountId],
        principalArns: roles.map((r) => r.role.arn),
      })
    } catch (error) {
      log.error('log query failed', { account: accountId, error: errorMessage(error) })
      for (const r of roles)
        report(
          failedOutcome(
            r.role,
            `log query for account ${accountId} failed: ${errorMessage(error)}`,
          ),
        )
      return
    }
    const scps = await scpsFor(config, accountId)
    const planned: { candidate: Candidate; repoRole: RepoRole; plan: RolePlan }[] = []
    for (const candidate of roles) {
      try {
        const loaded = await loadRepoRole(deps.repo, candidate.role, candidate)
        if ('failure' in loaded) {
          report(failedOutcome(candidate.role, `policies not usable: ${loaded.failure}`))
          continue
        }
        const plan = planRole(loaded.definition, usage, window, { ...deps.context, scps })
        const reportDir = await writeRoleReports(config.publish.outDir, plan, deps.now)
        if (plan.status !== 'tighten') {
          report(planOutcome(plan, reportDir))
          continue
        }
        planned.push({ candidate, repoRole: loaded, plan })
        if (config.publish.grouping === 'role') {
          const publish = await publishRoles(deps, accountId, [{ repoRole: loaded, plan }])
          report({ ...planOutcome(plan, reportDir), publish })
        }
      } catch (error) {
        if (error instanceof InvariantError)
          log.error('invariant violated: plan not emitted', { role: candidate.role.arn })
        report(failedOutcome(candidate.role, errorMessage(error)))
      }
    }
    if (config.publish.grouping === 'account' && planned.length > 0) {
      let publish: PublishResult | undefined
      let failure: string | undefined
      try {
        publish = await publishRoles(deps, accountId, planned)
      } catch (error) {
        failure = errorMessage(error)
      }
      for (const p of planned) {
        const base = planOutcome(p.plan, join(config.publish.outDir, accountId, p.plan.role.name))
        report(
          failure
            ? failedOutcome(p.plan.role, `publishing failed: ${failure}`)
            : { ...base, ...(publish ? { publish } : {}) },
        )
      }
    }
  })

  const batch: BatchReport = {
    window,
    startedAt,
    finishedAt: new Date(Math.max(Date.now(), deps.now.getTime())).toISOString(),
    outcomes: outcomes.sort((a, b) => a.role.arn.localeCompare(b.role.arn)),
    totals: totals(outcomes),
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
    mode: 'batch',
  }
}

async function publishRoles(
  deps: BatchDeps,
  accountId: string,
  roles: readonly { repoRole: RepoRole; plan: RolePlan }[],
): Promise<PublishResult> {
  const { config } = deps
  const edits: PolicyEdit[] = []
  for (const { repoRole, plan } of roles) {
    for (const change of plan.changes) {
      if (!change.changed) continue
      const at = repoRole.located.get(change.policy.id)
      if (!at)
        throw new InvariantError(`no located file for ${change.policy.id} of ${plan.role.arn}`)
      if (change.after && change.after.length > 1) {
        throw new InvariantError(
          `${change.policy.name} of ${plan.role.arn} had to be split; splitting into new files is not supported yet`,
        )
      }
      edits.push({ policy: at, after: change.after?.[0] ?? null })
    }
  }
  const files: readonly FileEdit[] = await deps.repo.applyChanges(edits)
  const generatedAt = deps.now.toISOString()
  const single = roles.length === 1 && config.publish.grouping === 'role' ? roles[0] : undefined
  const planHash = single ? single.plan.hash : combinePlanHashes(roles.map((r) => r.plan.hash))
  const body = single
    ? renderPrBody(prBodyInputFromPlan(single.plan, generatedAt), { planHash })
    : renderAccountPrBody(
        { accountId, roles: roles.map((r) => prBodyInputFromPlan(r.plan, generatedAt)) },
        { planHash },
      )
  const target = single
    ? { accountId, roleName: single.plan.role.name }
    : { accountId, roleCount: roles.length }
  const title = prTitle(target)
  return deps.gateway.ensurePullRequest({
    repo: {
      owner: config.publish.github?.owner ?? 'local',
      name: config.publish.github?.repo ?? 'repo',
    },
    base: config.publish.base,
    branch: branchName(single ? { accountId, roleName: single.plan.role.name } : { accountId }),
    title,
    body,
    planHash,
    files,
    labels: config.publish.labels,
    reviewers: config.publish.reviewers,
    commitMessage: `${title}\n\nRemoves permissions unused in ${config.window.days} days of CloudTrail evidence.`,
  })
}

async function writeRoleReports(outDir: string, plan: RolePlan, now: Date): Promise<string> {
  const dir = join(outDir, plan.role.accountId, plan.role.name)
  await mkdir(dir, { recursive: true })
  await writeFile(join(dir, 'plan.json'), renderRoleJson(plan))
  await writeFile(join(dir, 'report.md'), renderRoleMarkdown(plan, now.toISOString()))
  return dir
}

/** Tags and creation date from a role manifest (`role.json`), when the layout has one. */
async function manifestMeta(
  repoPath: string,
  manifest: string | undefined,
): Promise<{ tags: Record<string, string>; createDate?: string }> {
  if (!manifest) return { tags: {} }
  try {
    const json = JSON.parse(
      await readFile(isAbsolute(manifest) ? manifest : join(repoPath, manifest), 'utf8'),
    ) as {
      tags?: Record<string, string>
      createDate?: string
    }
    return {
      tags: json.tags ?? {},
      ...(json.createDate ? { createDate: new Date(json.createDate).toISOString() } : {}),
    }
  } catch {
    return { tags: {} }
  }
}

async function scpsFor(config: Config, accountId: string): Promise<PolicyDocument[][]> {
  const levels = config.scps.filter(
    (level) => !level.accounts || level.accounts.includes(accountId),
  )
  return Promise.all(
    levels.map(async (level) => {
      const docs = await Promise.all(
        level.files.map(async (file) => {
          const path = isAbsolute(file) ? file : join(config.repo.path, file)
          return parsePolicy(JSON.parse(await readFile(path, 'utf8')), { label: path })
        }),
      )
      return level.fullAwsAccess ? [FULL_AWS_ACCESS, ...docs] : docs
    }),
  )
}

function planOutcome(plan: RolePlan, reportDir: string): RoleOutcome {
  const status =
    plan.status === 'tighten' ? 'tightened' : plan.status === 'no-change' ? 'unchanged' : 'skipped'
  const detail =
    plan.status === 'skipped'
      ? (plan.skipped?.detail ?? 'skipped')
      : `remove ${plan.summary.removed} / keep ${plan.summary.kept}`
  return {
    role: plan.role,
    status,
    detail,
    removed: plan.summary.removed,
    kept: plan.summary.kept,
    reportDir,
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

function totals(outcomes: readonly RoleOutcome[]): BatchReport['totals'] {
  const count = (s: RoleOutcome['status']) => outcomes.filter((o) => o.status === s).length
  const prs: Record<string, number> = {}
  const seen = new Set<PublishResult>()
  for (const o of outcomes) {
    if (!o.publish || seen.has(o.publish)) continue
    seen.add(o.publish)
    const key = publishKey(o.publish)
    prs[key] = (prs[key] ?? 0) + 1
  }
  return {
    roles: outcomes.length,
    tightened: count('tightened'),
    unchanged: count('unchanged'),
    skipped: count('skipped'),
    failed: count('failed'),
    permissionsRemoved: outcomes.reduce((sum, o) => sum + o.removed, 0),
    prs,
  }
}

/** Runs `work` over `items`, at most `limit` at a time, in order of start. */
async function forEachLimited<T>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const item = items[next++] as T
      await work(item)
    }
  })
  await Promise.all(lanes)
}
