import type { Dirent } from 'node:fs'
import { readdir, stat } from 'node:fs/promises'
import path from 'node:path'
import { ScopedownError } from '../util/errors.js'
import { DAY_MS, utcDay } from '../util/window.js'
import type { UnreadableInput } from './types.js'

/** A file that may hold CloudTrail events, as found on disk. */
export interface FoundFile {
  /** Absolute path. */
  path: string
  /**
   * The UTC day (`YYYY-MM-DD`) the S3 layout dates the file by: its `.../YYYY/MM/DD/` folder,
   * or else the delivery time in a CloudTrail file name. Undefined when the path has neither.
   */
  layoutDay?: string
}

/** A file left out on purpose, with the reason; `quiet` ones are expected (digests). */
export interface IgnoredFile {
  path: string
  reason: string
  quiet: boolean
}

export interface Discovery {
  files: FoundFile[]
  ignored: IgnoredFile[]
}

/** Extensions a folder walk considers; a file named explicitly is always considered. */
const LOG_EXTENSION = /\.(json|jsonl|ndjson)(\.gz)?$/i

// CloudTrail writes digest files (log file integrity) and Insights events next to the logs:
// AWSLogs/<account>/CloudTrail-Digest/<region>/YYYY/MM/DD/<account>_CloudTrail-Digest_..json.gz
// (CloudTrail user guide, "CloudTrail digest file structure"); neither holds API calls.
const NOT_API_LOGS: readonly [RegExp, string][] = [
  [/(^|\/)CloudTrail-Digest(\/|_)|_CloudTrail-Digest_/, 'a CloudTrail-Digest file'],
  [/(^|\/)CloudTrail-Insight(\/|_)|_CloudTrail-Insight_/, 'a CloudTrail Insights file'],
]

/** `.../CloudTrail/<region>/YYYY/MM/DD/<file>`; org trails add `o-xxx/` before the account. */
const LAYOUT_DAY = /\/CloudTrail\/[^/]+\/(\d{4})\/(\d{2})\/(\d{2})\/[^/]+$/
/** `<account>_CloudTrail_<region>_YYYYMMDDTHHmmZ_<id>.json.gz`: delivery time in the name. */
const NAME_DAY = /(?:^|\/)\d{12}_CloudTrail_[a-z0-9-]+_(\d{4})(\d{2})(\d{2})T\d{4}Z_[^/]*$/

function toPosix(file: string): string {
  return file.split(path.sep).join('/')
}

/** The UTC day the S3 layout (folder, else file name) dates a file by, if it does. */
export function layoutDayOf(file: string): string | undefined {
  const posix = toPosix(file)
  const parts = LAYOUT_DAY.exec(posix) ?? NAME_DAY.exec(posix)
  if (!parts) return undefined
  const [, y, m, d] = parts
  const date = new Date(Date.UTC(Number(y), Number(m) - 1, Number(d)))
  const day = utcDay(date)
  return day === `${y}-${m}-${d}` ? day : undefined
}

/** Why a path is not an API-call log, judged by its name alone; undefined if it may be one. */
export function ignoredByName(file: string): string | undefined {
  const posix = toPosix(file)
  for (const [pattern, reason] of NOT_API_LOGS) if (pattern.test(posix)) return reason
  return undefined
}

const GLOB_CHARS = /[*?[{]/

/** A glob (`*`, `**`, `?`, `[abc]`, `{a,b}`) as a regex over a whole POSIX path. */
export function globToRegExp(glob: string): RegExp {
  let out = ''
  for (let i = 0; i < glob.length; i++) {
    const ch = glob[i] as string
    if (ch === '*' && glob[i + 1] === '*') {
      // `**/` matches zero or more folders; a trailing `**` matches anything.
      const slash = glob[i + 2] === '/'
      out += slash ? '(?:.*/)?' : '.*'
      i += slash ? 2 : 1
    } else if (ch === '*') out += '[^/]*'
    else if (ch === '?') out += '[^/]'
    else if (ch === '[') {
      const close = glob.indexOf(']', i + 1)
      if (close === -1) out += '\\['
      else {
        out += `[${glob
          .slice(i + 1, close)
          .replace(/^!/, '^')
          .replace(/\\/g, '\\\\')}]`
        i = close
      }
    } else if (ch === '{') {
      const close = glob.indexOf('}', i + 1)
      if (close === -1) out += '\\{'
      else {
        const options = glob.slice(i + 1, close).split(',')
        out += `(?:${options.map((o) => o.replace(/[.+^$()|\\]/g, '\\$&')).join('|')})`
        i = close
      }
    } else out += ch.replace(/[.+^$()|\\]/g, '\\$&')
  }
  return new RegExp(`^${out}$`)
}

async function walk(dir: string, onFile: (file: string) => void): Promise<void> {
  let entries: Dirent[]
  try {
    entries = await readdir(dir, { withFileTypes: true })
  } catch (error) {
    throw new ScopedownError('INPUT_INVALID', `cannot list folder ${dir}: ${String(error)}`, {
      hint: 'check the folder exists and is readable',
      cause: error,
    })
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
  for (const entry of entries) {
    const full = path.join(dir, entry.name)
    let isDir = entry.isDirectory()
    let isFile = entry.isFile()
    if (entry.isSymbolicLink()) {
      const target = await stat(full).catch(() => undefined)
      isDir = target?.isDirectory() ?? false
      isFile = target?.isFile() ?? false
    }
    if (isDir) await walk(full, onFile)
    else if (isFile) onFile(full)
  }
}

/** The folder a glob can be listed from: its leading path segments without glob characters. */
function globBase(glob: string): string {
  const segments = toPosix(glob).split('/')
  const literal: string[] = []
  for (const segment of segments) {
    if (GLOB_CHARS.test(segment)) break
    literal.push(segment)
  }
  const base = literal.join('/')
  return base === '' ? (glob.startsWith('/') ? '/' : '.') : base
}

/**
 * Expands `--logs` inputs (files, folders walked recursively, or globs) into candidate log files,
 * sorted and without duplicates. Folder walks keep `.json`, `.jsonl`, `.ndjson` (optionally
 * `.gz`); a file named directly or matched by a glob is always a candidate. Digest and Insights
 * files are set aside as ignored. An input that matches nothing is a usage error.
 */
export async function discoverLogFiles(inputs: readonly string[]): Promise<Discovery> {
  const files = new Map<string, FoundFile>()
  const ignored = new Map<string, IgnoredFile>()
  const consider = (file: string, fromWalk: boolean) => {
    const absolute = path.resolve(file)
    if (files.has(absolute)) return
    const reason = ignoredByName(absolute)
    if (reason) ignored.set(absolute, { path: absolute, reason, quiet: true })
    else if (fromWalk && !LOG_EXTENSION.test(absolute)) {
      ignored.set(absolute, {
        path: absolute,
        reason: 'not a .json, .jsonl or .ndjson file',
        quiet: true,
      })
    } else {
      // Named explicitly (or by a glob) after a walk skipped it for its extension: it counts.
      ignored.delete(absolute)
      const layoutDay = layoutDayOf(absolute)
      files.set(absolute, layoutDay ? { path: absolute, layoutDay } : { path: absolute })
    }
  }

  for (const input of inputs) {
    const info = await stat(input).catch(() => undefined)
    if (info?.isFile()) consider(input, false)
    else if (info?.isDirectory()) await walk(input, (f) => consider(f, true))
    else if (GLOB_CHARS.test(input)) {
      const base = globBase(input)
      const pattern = globToRegExp(toPosix(path.resolve(input)))
      let matched = 0
      const baseInfo = await stat(base).catch(() => undefined)
      if (baseInfo?.isDirectory()) {
        await walk(base, (f) => {
          if (pattern.test(toPosix(path.resolve(f)))) {
            matched++
            consider(f, false)
          }
        })
      }
      if (matched === 0) {
        throw new ScopedownError('USAGE', `--logs ${input}: no file matches this pattern`, {
          hint: 'check the pattern, or pass the folder itself (it is searched recursively)',
        })
      }
    } else {
      throw new ScopedownError('USAGE', `--logs ${input}: no such file or folder`, {
        hint: 'pass CloudTrail files, folders (searched recursively) or quoted globs',
      })
    }
  }
  const byPath = (a: { path: string }, b: { path: string }) =>
    a.path < b.path ? -1 : a.path > b.path ? 1 : 0
  return { files: [...files.values()].sort(byPath), ignored: [...ignored.values()].sort(byPath) }
}

/**
 * How far the layout date of a file may stray from the events inside it. A file lands in the
 * folder of its delivery time, which follows the event by minutes ("about 15 minutes", trailscraper
 * docs; "an average of about 5 minutes", CloudTrail FAQ) and is not guaranteed: an event at 23:58
 * is routinely in the next day's folder. We keep one day before the window (clock skew) and two
 * after it (late delivery), so no in-window event is lost; the SQL window filter is exact anyway.
 */
export const LAYOUT_DAYS_BEFORE = 1
export const LAYOUT_DAYS_AFTER = 2

/**
 * Splits files into those whose layout day can hold events of `[start, end)` and those that
 * cannot (pruned). Files without a layout day are always kept.
 */
export function pruneByWindow<F extends FoundFile>(
  files: readonly F[],
  window: { start: Date; end: Date },
): { kept: F[]; pruned: F[] } {
  const firstDay = utcDay(new Date(window.start.getTime() - LAYOUT_DAYS_BEFORE * DAY_MS))
  const lastDay = utcDay(new Date(window.end.getTime() - 1 + LAYOUT_DAYS_AFTER * DAY_MS))
  const kept: F[] = []
  const pruned: F[] = []
  for (const file of files) {
    const day = file.layoutDay
    if (day === undefined || (day >= firstDay && day <= lastDay)) kept.push(file)
    else pruned.push(file)
  }
  return { kept, pruned }
}

/** `.../<account>/CloudTrail/<region>/...` in a path, or `<account>_CloudTrail_<region>_` in a name. */
const LAYOUT_PLACE = /(?:^|\/)(\d{12})\/CloudTrail\/([a-z0-9-]+)\//
const NAME_PLACE = /(?:^|\/)(\d{12})_CloudTrail_([a-z0-9-]+)_\d{8}T\d{4}Z_[^/]*$/

/** The account and region the S3 layout places a file in, when its path or name says. */
export function layoutPlaceOf(file: string): { accountId?: string; region?: string } {
  const posix = toPosix(file)
  const parts = NAME_PLACE.exec(posix) ?? LAYOUT_PLACE.exec(posix)
  if (!parts) return {}
  return { accountId: parts[1] as string, region: parts[2] as string }
}

/**
 * The evidence-ledger entry for a file that could not be read: where the layout places it and
 * the UTC days its events may fall on (a file lands in the folder of its delivery day, so its
 * events are from that day back to LAYOUT_DAYS_AFTER days before, and up to LAYOUT_DAYS_BEFORE
 * after). A file the layout does not place is a hole in every account and day.
 */
export function unreadableFile(file: string, reason: string): UnreadableInput {
  const place = layoutPlaceOf(file)
  const day = layoutDayOf(file)
  const days: string[] = []
  if (day) {
    const at = Date.parse(`${day}T00:00:00Z`)
    for (let d = -LAYOUT_DAYS_AFTER; d <= LAYOUT_DAYS_BEFORE; d++)
      days.push(utcDay(new Date(at + d * DAY_MS)))
  }
  return {
    kind: 'file',
    input: file,
    reason,
    ...place,
    ...(day ? { days } : {}),
  }
}
