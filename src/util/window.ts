import type { Window } from '../model.js'
import { ScopedownError } from './errors.js'

/** Milliseconds in a UTC day (UTC has no daylight saving). */
export const DAY_MS = 86_400_000

/** The look-back when the user gives no window: long enough to see quarterly jobs. */
export const DEFAULT_WINDOW_DAYS = 90

/** The window flags as the user typed them; all optional. */
export interface WindowFlags {
  start?: string
  end?: string
  days?: string | number
}

const DATE_ONLY = /^(\d{4})-(\d{2})-(\d{2})$/
const DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/i
const DATE_HINT =
  'write a UTC date like 2026-11-01, or an ISO time with a zone like 2026-11-01T08:00:00Z'

function isRealDay(year: number, month: number, day: number): boolean {
  const date = new Date(Date.UTC(year, month - 1, day))
  return date.getUTCMonth() === month - 1 && date.getUTCDate() === day
}

/**
 * Parses a date flag: `YYYY-MM-DD` means 00:00:00 UTC that day; a full ISO time must carry its
 * zone (`Z` or `+02:00`), because a zoneless time would silently depend on the machine.
 */
export function parseDateFlag(text: string, flag: string): Date {
  const value = text.trim()
  const dateOnly = DATE_ONLY.exec(value)
  const dateTime = dateOnly ? null : DATE_TIME.exec(value)
  const parts = dateOnly ?? dateTime
  if (parts) {
    const [, y, m, d, hh = '0', mm = '0', ss = '0'] = parts
    const realDay = isRealDay(Number(y), Number(m), Number(d))
    const realTime = Number(hh) < 24 && Number(mm) < 60 && Number(ss) < 60
    const ms = Date.parse(dateOnly ? `${value}T00:00:00Z` : value)
    if (realDay && realTime && !Number.isNaN(ms)) return new Date(ms)
  }
  const zoneless = /^\d{4}-\d{2}-\d{2}T[\d:.]+$/.test(value)
  throw new ScopedownError('USAGE', `${flag} ${JSON.stringify(text)} is not a date`, {
    hint: zoneless ? `add the zone, e.g. ${flag} ${value}Z for UTC` : DATE_HINT,
  })
}

/** Parses `--days`: a whole number of days, at least 1. */
export function parseDaysFlag(value: string | number, flag = '--days'): number {
  const text = String(value).trim()
  const days = /^\d+$/.test(text) ? Number(text) : Number.NaN
  if (!Number.isSafeInteger(days) || days < 1 || days > 36_500) {
    throw new ScopedownError(
      'USAGE',
      `${flag} ${JSON.stringify(String(value))} is not a number of days`,
      {
        hint: `give a whole number of days, e.g. ${flag} 30`,
      },
    )
  }
  return days
}

/**
 * Resolves --start/--end/--days into a half-open window `[start, end)`. Any two of the three fix
 * the window; a missing end is `now`, a missing length is {@link DEFAULT_WINDOW_DAYS}. So
 * `--start 2026-10-01 --end 2026-11-01` is all of October.
 */
export function resolveWindow(flags: WindowFlags, now: Date): Window {
  const given = [flags.start, flags.end, flags.days].filter((v) => v !== undefined).length
  if (given === 3) {
    throw new ScopedownError('USAGE', '--start, --end and --days were all given', {
      hint: 'give at most two of them, e.g. --start 2026-10-01 --days 30',
    })
  }
  const days = flags.days === undefined ? undefined : parseDaysFlag(flags.days)
  let start = flags.start === undefined ? undefined : parseDateFlag(flags.start, '--start')
  let end = flags.end === undefined ? undefined : parseDateFlag(flags.end, '--end')
  if (start && !end) {
    end = days === undefined ? now : new Date(start.getTime() + days * DAY_MS)
  }
  end ??= now
  start ??= new Date(end.getTime() - (days ?? DEFAULT_WINDOW_DAYS) * DAY_MS)
  if (start.getTime() >= end.getTime()) {
    throw new ScopedownError(
      'USAGE',
      `the window is empty: start ${start.toISOString()} is not before end ${end.toISOString()}`,
      {
        hint: 'the window is [--start, --end): give a --start earlier than --end (default end: now)',
      },
    )
  }
  return { start: start.toISOString(), end: end.toISOString() }
}

/**
 * Validates a window given as data (library callers) and returns its bounds as Dates.
 * Throws `USAGE` naming the bad bound.
 */
export function windowBounds(window: Window): { start: Date; end: Date } {
  const start = new Date(window.start)
  const end = new Date(window.end)
  for (const [name, date, text] of [
    ['start', start, window.start],
    ['end', end, window.end],
  ] as const) {
    if (Number.isNaN(date.getTime())) {
      throw new ScopedownError('USAGE', `window ${name} ${JSON.stringify(text)} is not a date`, {
        hint: 'use ISO-8601 UTC times, e.g. 2026-11-01T00:00:00.000Z',
      })
    }
  }
  if (start.getTime() >= end.getTime()) {
    throw new ScopedownError('USAGE', `the window [${window.start}, ${window.end}) is empty`, {
      hint: 'the start must be before the end',
    })
  }
  return { start, end }
}

/** `YYYY-MM-DD` of a time, in UTC. */
export function utcDay(date: Date): string {
  return date.toISOString().slice(0, 10)
}

/**
 * Every UTC day the window touches, oldest first: from the day of `start` to the day of the last
 * instant before `end`. A window starting mid-day counts that day.
 */
export function utcDaysInWindow(window: Window): string[] {
  const { start, end } = windowBounds(window)
  const days: string[] = []
  const first = Date.UTC(start.getUTCFullYear(), start.getUTCMonth(), start.getUTCDate())
  for (let t = first; t < end.getTime(); t += DAY_MS) days.push(utcDay(new Date(t)))
  return days
}
