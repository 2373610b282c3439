import type { IsoDate, Window } from '../model.js'
import type { Coverage } from '../source/types.js'
import { utcDaysInWindow } from '../util/window.js'

/** UTC days the window touches (a partial day counts), as sources count missing days. */
export function windowDays(window: Window): number {
  return utcDaysInWindow(window).length
}

/**
 * How many days of the window an account's logs cover: days on which any region of the account
 * logged something. A day missing in every region is a gap the planner cannot see through.
 */
export function accountCoverage(
  coverage: readonly Coverage[],
  accountId: string,
  window: Window,
): { days: number; firstEvent: IsoDate | null; lastEvent: IsoDate | null } {
  const rows = coverage.filter((c) => c.accountId === accountId)
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
