import type { Dirent, Stats } from 'node:fs'
import { lstat, readdir, realpath, stat } from 'node:fs/promises'
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
  /** Folders that could not be listed and links that lead nowhere: holes in the evidence. */
  unreadable: UnreadableInput[]
  /** Paths that reached a file or folder already found (links, overlapping inputs): read once. */
  duplicates: number
  /** Symbolic links that lead back into a folder being walked: not followed. */
  loops: number
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

/** What a walk found besides files: holes, and links it did not follow twice. */
interface WalkState {
  unreadable: UnreadableInput[]
  /** Real paths of the folders entered by this walk: a folder is listed once. */
  entered: Set<string>
  duplicates: number
  loops: number
}

/**
 * Lists `dir` recursively, following symbolic links. A folder is entered once by its real path,
 * so a link back to an ancestor (a loop) or to a folder already walked (`latest -> 2023`) is not
 * walked again; each file is handed over with its real path, so the caller can count it once. A
 * folder that cannot be listed and a link that leads nowhere are holes in the evidence.
 */
async function walk(
  dir: string,
  state: WalkState,
  onFile: (file: string, realFile: string) => void,
  ancestors: readonly string[] = [],
): Promise<void> {
  let real: string
  let entries: Dirent[]
  try {
    real = await realpath(dir)
    if (state.entered.has(real)) {
      if (ancestors.includes(real)) state.loops++
      else state.duplicates++
      return
    }
    state.entered.add(real)
    entries = await readdir(dir, { withFileTypes: true })
  } catch (error) {
    state.unreadable.push(
      unreadableInput('folder', dir, `cannot list the folder: ${ioReason(error)}`),
    )
    return
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
  for (const entry of entries) {
    const full = path.join(dir, entry.name)
    if (entry.isDirectory()) {
      await walk(full, state, onFile, [...ancestors, real])
    } else if (entry.isFile()) {
      onFile(full, path.join(real, entry.name))
    } else if (entry.isSymbolicLink()) {
      let target: Stats
      try {
        target = await stat(full)
      } catch (error) {
        if (LOG_EXTENSION.test(full) || ioCode(error) !== 'ENOENT') {
          state.unreadable.push(
            unreadableInput('file', full, `the symbolic link leads nowhere: ${ioReason(error)}`),
          )
        }
        continue
      }
      if (target.isDirectory()) await walk(full, state, onFile, [...ancestors, real])
      else if (target.isFile()) onFile(full, await realpath(full).catch(() => full))
    }
  }
}

function ioCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error
    ? String((error as { code: unknown }).code)
    : undefined
}

/** `EACCES: permission denied` rather than the whole Node message with the path repeated. */
function ioReason(error: unknown): string {
  const code = ioCode(error)
  const known: Record<string, string> = {
    EACCES: 'permission denied',
    EPERM: 'operation not permitted',
    ENOENT: 'no such file or folder',
    ELOOP: 'too many levels of symbolic links',
    EIO: 'input/output error',
    ENOTDIR: 'not a folder',
  }
  return code && known[code] ? `${code}: ${known[code]}` : String(error)
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
  /** Real path -> the path it was first found by: each file is read once. */
  const seen = new Map<string, string>()
  const ignored = new Map<string, IgnoredFile>()
  const unreadable: UnreadableInput[] = []
  let duplicates = 0
  let loops = 0
  const consider = (file: string, realFile: string, fromWalk: boolean) => {
    const absolute = path.resolve(file)
    const first = seen.get(realFile)
    if (first !== undefined && first !== absolute) {
      duplicates++
      return
    }
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
      seen.set(realFile, absolute)
      const layoutDay = layoutDayOf(absolute)
      files.set(absolute, layoutDay ? { path: absolute, layoutDay } : { path: absolute })
    }
  }
  const walkFrom = async (dir: string, onFile: (file: string, realFile: string) => void) => {
    const state: WalkState = { unreadable, entered: new Set(), duplicates: 0, loops: 0 }
    await walk(dir, state, onFile)
    duplicates += state.duplicates
    loops += state.loops
  }

  for (const input of inputs) {
    const info = await stat(input).catch(() => undefined)
    if (info?.isFile()) {
      consider(input, await realpath(input).catch(() => path.resolve(input)), false)
    } else if (info?.isDirectory()) await walkFrom(input, (f, r) => consider(f, r, true))
    else if (GLOB_CHARS.test(input)) {
      const base = globBase(input)
      const pattern = globToRegExp(toPosix(path.resolve(input)))
      let matched = 0
      const baseInfo = await stat(base).catch(() => undefined)
      if (baseInfo?.isDirectory()) {
        await walkFrom(base, (f, r) => {
          if (pattern.test(toPosix(path.resolve(f)))) {
            matched++
            consider(f, r, false)
          }
        })
      }
      if (matched === 0 && unreadable.length === 0) {
        throw new ScopedownError('USAGE', `--logs ${input}: no file matches this pattern`, {
          hint: 'check the pattern, or pass the folder itself (it is searched recursively)',
        })
      }
    } else {
      const linked = await lstat(input).catch(() => undefined)
      if (linked?.isSymbolicLink()) {
        unreadable.push(
          unreadableInput('file', path.resolve(input), 'the symbolic link leads nowhere'),
        )
        continue
      }
      throw new ScopedownError('USAGE', `--logs ${input}: no such file or folder`, {
        hint: 'pass CloudTrail files, folders (searched recursively) or quoted globs',
      })
    }
  }
  const byPath = (a: { path: string }, b: { path: string }) =>
    a.path < b.path ? -1 : a.path > b.path ? 1 : 0
  return {
    files: [...files.values()].sort(byPath),
    ignored: [...ignored.values()].sort(byPath),
    unreadable: unreadable.sort((a, b) => (a.input < b.input ? -1 : a.input > b.input ? 1 : 0)),
    duplicates,
    loops,
  }
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

/**
 * `.../<account>/CloudTrail[/<region>[/YYYY[/MM[/DD]]]]` in a path (file or folder): how much of
 * the S3 layout a path pins down.
 */
const LAYOUT_SCOPE =
  /(?:^|\/)(\d{12})\/CloudTrail(?:\/([a-z0-9-]+)(?:\/(\d{4})(?:\/(\d{2})(?:\/(\d{2}))?)?)?)?(?:\/|$)/
/** `<account>_CloudTrail_<region>_YYYYMMDDTHHmmZ_...`: a delivery file's name. */
const NAME_SCOPE = /(?:^|\/)(\d{12})_CloudTrail_([a-z0-9-]+)_(\d{4})(\d{2})(\d{2})T\d{4}Z_[^/]*$/

/**
 * The account, region and UTC days whose events a path (file or folder) of the S3 layout may
 * hold. A file lands in the folder of its delivery day, so its events are from up to
 * LAYOUT_DAYS_AFTER days before that day to LAYOUT_DAYS_BEFORE after; a month or year folder
 * spans its days with the same margins. What the path does not say stays undefined (unknown).
 */
export function layoutScopeOf(file: string): {
  accountId?: string
  region?: string
  days?: string[]
} {
  const posix = toPosix(file)
  const parts = NAME_SCOPE.exec(posix) ?? LAYOUT_SCOPE.exec(posix)
  if (!parts) return {}
  const [, accountId, region, year, month, day] = parts
  const scope: { accountId?: string; region?: string; days?: string[] } = {
    ...(accountId ? { accountId } : {}),
    ...(region ? { region } : {}),
  }
  if (!year) return scope
  const y = Number(year)
  const first = Date.UTC(y, month ? Number(month) - 1 : 0, day ? Number(day) : 1)
  const last = day ? first : month ? Date.UTC(y, Number(month), 0) : Date.UTC(y, 11, 31)
  if (Number.isNaN(first) || (day && utcDay(new Date(first)) !== `${year}-${month}-${day}`))
    return scope
  const days: string[] = []
  for (
    let t = first - LAYOUT_DAYS_AFTER * DAY_MS;
    t <= last + LAYOUT_DAYS_BEFORE * DAY_MS;
    t += DAY_MS
  )
    days.push(utcDay(new Date(t)))
  return { ...scope, days }
}

/**
 * The evidence-ledger entry for a file or folder that could not be read, placed by the S3
 * layout when its path says where it is; a path the layout does not place is a hole in every
 * account and day.
 */
export function unreadableInput(
  kind: 'file' | 'folder',
  input: string,
  reason: string,
): UnreadableInput {
  return { kind, input, reason, ...layoutScopeOf(input) }
}

/**
 * Splits holes into those that may hold events of `[start, end)` (by the same day margins as
 * files) and those that cannot: a folder of last year does not matter to this window.
 */
export function holesInWindow(
  holes: readonly UnreadableInput[],
  window: { start: Date; end: Date },
): UnreadableInput[] {
  const firstDay = utcDay(new Date(window.start.getTime()))
  const lastDay = utcDay(new Date(window.end.getTime() - 1))
  return holes.filter(
    (hole) => hole.days === undefined || hole.days.some((d) => d >= firstDay && d <= lastDay),
  )
}
