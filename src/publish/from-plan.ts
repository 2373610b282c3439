import type { IsoDate } from '../model.js'
import type { RolePlan } from '../plan/types.js'
import type { PrBodyInput } from './pr-body.js'

/** Reasons worth listing one by one for a reviewer; `used` actions are summarised, not listed. */
const LISTED_KEEP_REASONS = new Set([
  'unobservable',
  'never-remove',
  'protected-statement',
  'unmapped-service',
  'not-editable',
  'access-advisor',
])

/**
 * The PR body's view of a plan: what is removed (by service), what is kept for a reason a
 * reviewer should see, what was refused, what could not be mapped, and the evidence.
 */
export function prBodyInputFromPlan(plan: RolePlan, generatedAt: IsoDate): PrBodyInput {
  const removedByService = new Map<string, { action: string; lastSeen: null }[]>()
  for (const d of plan.decisions) {
    if (d.verdict !== 'remove') continue
    const service = d.action.split(':')[0] ?? d.action
    const list = removedByService.get(service) ?? []
    list.push({ action: d.action, lastSeen: null })
    removedByService.set(service, list)
  }
  const kept = plan.decisions.flatMap((d) =>
    d.verdict === 'keep' && LISTED_KEEP_REASONS.has(d.because)
      ? [{ action: d.action, because: d.because, ...(d.detail ? { detail: d.detail } : {}) }]
      : [],
  )
  const usedCount = plan.decisions.filter(
    (d) => d.verdict === 'keep' && d.because === 'used',
  ).length
  const { evidence } = plan
  return {
    role: plan.role,
    summary: plan.summary,
    removedByService: [...removedByService].map(([service, actions]) => ({ service, actions })),
    kept,
    deniedAttempts: plan.deniedAttempts.map((d) => ({
      action: d.action,
      count: d.count,
      lastSeen: d.lastSeen,
    })),
    unmapped: plan.unmapped.map((u) => ({
      eventSource: u.eventSource,
      eventName: u.eventName,
      count: u.count,
    })),
    evidence: {
      window: evidence.window,
      coverage: `logs on ${evidence.coverageDays} of ${evidence.windowDays} days (${evidence.firstEvent ?? 'no events'} to ${evidence.lastEvent ?? 'no events'}); ${usedCount} granted actions used`,
      source: evidence.source,
      catalogVersion: evidence.catalog,
      generatedAt,
    },
    notes: [
      ...plan.contradictions.map(
        (c) =>
          `${c.action} was used (${c.calls} calls, last ${c.lastSeen}) although ${c.refusedBy} refuses it: the repository may not be what AWS enforces`,
      ),
      ...(plan.evidence.unreadable.count > 0
        ? [
            `${plan.evidence.unreadable.count} input(s) of this account could not be read, leaving ${plan.evidence.unreadable.days} day(s) uncovered: ${plan.evidence.unreadable.inputs
              .slice(0, 5)
              .map((u) => `${u.input} (${u.reason})`)
              .join('; ')}${plan.evidence.unreadable.count > 5 ? '; ...' : ''}`,
          ]
        : []),
      ...plan.warnings,
    ],
  }
}
