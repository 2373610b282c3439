import type { Window } from '../model.js'
import type { UnreadableInput } from '../source/types.js'
import { utcDaysInWindow } from '../util/window.js'

/** How many unreadable inputs a plan lists by name; the count is always whole. */
export const MAX_LISTED_UNREADABLE = 20

/** Why the evidence cannot carry a plan, most serious first. */
export interface Shortfall {
  reason: 'unreadable-input' | 'no-evidence' | 'insufficient-coverage' | 'too-young'
  detail: string
}

/** The evidence shortfalls, as opposed to the role's own (age): `analyze` refuses on these. */
export const EVIDENCE_SHORTFALLS: ReadonlySet<Shortfall['reason']> = new Set([
  'unreadable-input',
  'no-evidence',
  'insufficient-coverage',
])

/**
 * The holes that concern a role of `accountId`: those placed in its account, and those whose
 * account is unknown (fail closed: they may hold anyone's events).
 */
export function holesAffecting(
  unreadable: readonly UnreadableInput[],
  accountId: string,
): UnreadableInput[] {
  return unreadable.filter((hole) => hole.accountId === undefined || hole.accountId === accountId)
}

/** The window's UTC days that the holes may hide; every day when a hole has no known days. */
export function unreadableDays(holes: readonly UnreadableInput[], window: Window): Set<string> {
  const windowDays = utcDaysInWindow(window)
  if (holes.some((hole) => hole.days === undefined)) return new Set(windowDays)
  const inWindow = new Set(windowDays)
  return new Set(holes.flatMap((hole) => (hole.days ?? []).filter((d) => inWindow.has(d))))
}

/**
 * The cause in a reviewer's words: `12 unreadable files in 111111111111/us-east-1 on 3 days;
 * 1 unreadable folder whose account is unknown (every day)`.
 */
export function describeHoles(holes: readonly UnreadableInput[], window: Window): string {
  const groups = new Map<string, UnreadableInput[]>()
  for (const hole of holes) {
    const place = hole.accountId
      ? `${hole.accountId}/${hole.region ?? 'any region'}`
      : 'an unknown account'
    const key = `${hole.kind}\u0000${place}`
    groups.set(key, [...(groups.get(key) ?? []), hole])
  }
  const parts = [...groups.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, list]) => {
      const [kind, place] = key.split('\u0000') as [string, string]
      const [one, many] = KIND_NOUNS[kind] ?? ['input', 'inputs']
      const days = unreadableDays(list, window)
      const when = list.some((h) => h.days === undefined)
        ? 'on any day of the window'
        : `on ${days.size} day${days.size === 1 ? '' : 's'}`
      const first = list[0]
      const example = list.length === 1 && first ? ` (${first.input}: ${first.reason})` : ''
      return `${list.length} unreadable ${list.length === 1 ? one : many} in ${place} ${when}${example}`
    })
  return parts.join('; ')
}

const KIND_NOUNS: Record<string, readonly [string, string]> = {
  file: ['file', 'files'],
  folder: ['folder', 'folders'],
  query: ['query', 'queries'],
  page: ['result page', 'result pages'],
}

/** The plan's record of the holes: a capped list, the count, and the days they leave uncovered. */
export function unreadableEvidence(holes: readonly UnreadableInput[], window: Window) {
  return {
    count: holes.length,
    inputs: holes.slice(0, MAX_LISTED_UNREADABLE),
    days: unreadableDays(holes, window).size,
  }
}
