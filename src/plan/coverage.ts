import type { IsoDate, Window } from '../model.js'
import type { Coverage } from '../source/types.js'
import { utcDaysInWindow } from '../util/window.js'

/** UTC days the window touches (a partial day counts), as sources count missing days. */
export function windowDays(window: Window): number {
  return utcDaysInWindow(window).length
}

/**
 * How many days of the window the logs cover for a role: in each region the role works in, the
 * days that region logged something, and the smallest of those (a region whose trail started
 * late hides that region's usage before). A role seen nowhere is judged on the account: days on
 * which any region logged something.
 */
export function accountCoverage(
  coverage: readonly Coverage[],
  accountId: string,
  window: Window,
  activeRegions: readonly string[] = [],
  unreadableDays: ReadonlySet<string> = new Set(),
): { days: number; firstEvent: IsoDate | null; lastEvent: IsoDate | null } {
  // A day with unreadable input is not covered in any region of the account: the role's calls
  // of that day, wherever they were made, may sit in what could not be read.
  const inAccount = coverage
    .filter((c) => c.accountId === accountId)
    .map((c) =>
      unreadableDays.size === 0
        ? c
        : { ...c, missingDays: [...new Set([...c.missingDays, ...unreadableDays])] },
    )
  const active = inAccount.filter((c) => activeRegions.includes(c.region))
  if (active.length > 0) {
    const total = windowDays(window)
    return {
      days: Math.min(...active.map((c) => total - c.missingDays.length)),
      firstEvent: active.map((r) => r.firstEvent).sort()[0] ?? null,
      lastEvent:
        active
          .map((r) => r.lastEvent)
          .sort()
          .at(-1) ?? null,
    }
  }
  const rows = inAccount
  if (rows.length === 0) return { days: 0, firstEvent: null, lastEvent: null }
  let missingEverywhere: Set<string> | undefined
  for (const row of rows) {
    const missing = new Set(row.missingDays)
    missingEverywhere = missingEverywhere
      ? new Set([...missingEverywhere].filter((d) => missing.has(d)))
      : missing
  }
  const firstEvent = rows.map((r) => r.firstEvent).sort()[0] ?? null
  const lastEvent =
    rows
      .map((r) => r.lastEvent)
      .sort()
      .at(-1) ?? null
  return { days: windowDays(window) - (missingEverywhere?.size ?? 0), firstEvent, lastEvent }
}
