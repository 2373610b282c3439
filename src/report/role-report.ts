import type { IsoDate } from '../model.js'
import type { RolePlan } from '../plan/types.js'
import { prBodyInputFromPlan } from '../publish/from-plan.js'
import { renderPrBody } from '../publish/pr-body.js'
import { stableStringify } from '../util/stable-json.js'

/**
 * The JSON report of one role: stable key order, so two runs on the same evidence give the same
 * bytes. `proposed` holds the documents a PR would write (null: the policy is deleted).
 */
export function renderRoleJson(plan: RolePlan): string {
  const report = {
    role: plan.role,
    status: plan.status,
    skipped: plan.skipped ?? null,
    shortfalls: plan.shortfalls,
    warnings: plan.warnings,
    contradictions: plan.contradictions,
    shared: plan.shared,
    window: plan.evidence.window,
    evidence: plan.evidence,
    summary: plan.summary,
    decisions: plan.decisions,
    proposed: plan.changes.map((c) => ({
      policy: c.policy,
      changed: c.changed,
      documents: c.after,
      notes: c.notes,
    })),
    removed: plan.decisions.filter((d) => d.verdict === 'remove').map((d) => d.action),
    kept: plan.decisions.filter((d) => d.verdict === 'keep').map((d) => d.action),
    deniedAttempts: plan.deniedAttempts,
    unmapped: plan.unmapped.map((u) => ({
      eventSource: u.eventSource,
      eventName: u.eventName,
      count: u.count,
    })),
    unknownPatterns: plan.unknownPatterns,
    hash: plan.hash,
  }
  return `${stableStringify(report, 2)}\n`
}

/**
 * The Markdown report a reviewer reads: warnings first (a shortfall in coverage must be the first
 * thing seen), then the same sections as the PR body, then the proposed documents.
 */
export function renderRoleMarkdown(plan: RolePlan, generatedAt: IsoDate): string {
  const title = `# scopedown: ${plan.role.name} (${plan.role.accountId})`
  if (plan.status === 'skipped') {
    return [
      title,
      '',
      `**Skipped**: ${plan.skipped?.detail ?? 'no reason given'}`,
      ...plan.warnings.map((w) => `- ${w}`),
      '',
    ].join('\n')
  }
  const warnings =
    plan.warnings.length > 0 ? ['## Warnings', '', ...plan.warnings.map((w) => `- ${w}`), ''] : []
  // An ad-hoc plan made despite thin evidence says so before anything else.
  const shortfall = plan.shortfalls[0]
  const first = shortfall ? [`> **Shortfall**: ${shortfall.detail}`, ''] : []
  const body = renderPrBody(prBodyInputFromPlan(plan, generatedAt), {
    planHash: plan.hash,
    maxLength: Number.MAX_SAFE_INTEGER,
  })
  const proposed = plan.changes
    .filter((c) => c.changed)
    .flatMap((c) => [
      `### ${c.policy.kind} policy \`${c.policy.name}\`${c.after === null ? ' (deleted: nothing left to allow)' : ''}`,
      '',
      ...(c.after ?? []).flatMap((doc) => ['```json', JSON.stringify(doc, null, 2), '```', '']),
    ])
  return [
    ...first,
    title,
    '',
    ...(plan.status === 'no-change'
      ? ['Nothing to tighten: every granted action is used or must be kept.', '']
      : []),
    ...warnings,
    body.trim(),
    '',
    ...(proposed.length > 0 ? ['## Proposed policies', '', ...proposed] : []),
  ].join('\n')
}
