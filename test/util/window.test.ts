import { describe, expect, it } from 'vitest'
import { ScopedownError } from '../../src/util/errors.js'
import {
  parseDateFlag,
  resolveWindow,
  utcDaysInWindow,
  type WindowFlags,
} from '../../src/util/window.js'

const NOW = new Date('2026-11-15T12:34:56.000Z')

describe('resolveWindow', () => {
  it.each<{ name: string; flags: WindowFlags; start: string; end: string }>([
    {
      name: 'default: the 90 days ending now',
      flags: {},
      start: '2026-08-17T12:34:56.000Z',
      end: NOW.toISOString(),
    },
    {
      name: '--days alone ends now',
      flags: { days: '7' },
      start: '2026-11-08T12:34:56.000Z',
      end: NOW.toISOString(),
    },
    {
      name: '--start alone ends now',
      flags: { start: '2026-11-01' },
      start: '2026-11-01T00:00:00.000Z',
      end: NOW.toISOString(),
    },
    {
      name: '--start and --end',
      flags: { start: '2026-10-01', end: '2026-11-01' },
      start: '2026-10-01T00:00:00.000Z',
      end: '2026-11-01T00:00:00.000Z',
    },
    {
      name: '--start and --days',
      flags: { start: '2026-10-01', days: 10 },
      start: '2026-10-01T00:00:00.000Z',
      end: '2026-10-11T00:00:00.000Z',
    },
    {
      name: '--end and --days',
      flags: { end: '2026-11-01T06:00:00+02:00', days: '1' },
      start: '2026-10-31T04:00:00.000Z',
      end: '2026-11-01T04:00:00.000Z',
    },
    {
      name: '--end alone looks back 90 days',
      flags: { end: '2026-11-01' },
      start: '2026-08-03T00:00:00.000Z',
      end: '2026-11-01T00:00:00.000Z',
    },
  ])('$name', ({ flags, start, end }) => {
    expect(resolveWindow(flags, NOW)).toEqual({ start, end })
  })

  it.each<{ name: string; flags: WindowFlags; message: RegExp; hint: RegExp }>([
    {
      name: 'all three flags',
      flags: { start: '2026-10-01', end: '2026-11-01', days: '3' },
      message: /all given/,
      hint: /at most two/,
    },
    {
      name: 'an empty window',
      flags: { start: '2026-11-01', end: '2026-11-01' },
      message: /window is empty/,
      hint: /earlier than --end/,
    },
    {
      name: 'a start after now',
      flags: { start: '2027-01-01' },
      message: /window is empty/,
      hint: /default end: now/,
    },
    {
      name: 'days that are not a number',
      flags: { days: 'ten' },
      message: /--days "ten" is not a number of days/,
      hint: /--days 30/,
    },
    {
      name: 'zero days',
      flags: { days: '0' },
      message: /not a number of days/,
      hint: /whole number/,
    },
    {
      name: 'an impossible date',
      flags: { start: '2026-02-30' },
      message: /--start "2026-02-30" is not a date/,
      hint: /2026-11-01/,
    },
    {
      name: 'a time without a zone',
      flags: { end: '2026-11-01T10:00:00' },
      message: /--end .* is not a date/,
      hint: /--end 2026-11-01T10:00:00Z/,
    },
  ])('rejects $name as a usage error with a hint', ({ flags, message, hint }) => {
    let error: unknown
    try {
      resolveWindow(flags, NOW)
    } catch (e) {
      error = e
    }
    expect(error).toBeInstanceOf(ScopedownError)
    expect(error).toMatchObject({
      code: 'USAGE',
      message: expect.stringMatching(message),
      hint: expect.stringMatching(hint),
    })
  })
})

describe('dates and days', () => {
  it.each([
    ['2026-11-01', '2026-11-01T00:00:00.000Z'],
    ['2026-11-01T08:30:00Z', '2026-11-01T08:30:00.000Z'],
    ['2026-11-01T08:30Z', '2026-11-01T08:30:00.000Z'],
    ['2026-11-01T08:30:00.250+0100', '2026-11-01T07:30:00.250Z'],
  ])('parses %s', (text, iso) => {
    expect(parseDateFlag(text, '--start').toISOString()).toBe(iso)
  })

  it('lists every UTC day the window touches, a partial first day included', () => {
    expect(
      utcDaysInWindow({ start: '2026-10-30T18:00:00.000Z', end: '2026-11-02T00:00:00.000Z' }),
    ).toEqual(['2026-10-30', '2026-10-31', '2026-11-01'])
    expect(
      utcDaysInWindow({ start: '2026-10-30T00:00:00.000Z', end: '2026-10-30T00:00:01.000Z' }),
    ).toEqual(['2026-10-30'])
  })
})
