import type { Command } from 'commander'
import { createDuckDbSource } from '../source/duckdb.js'
import type { ApiCall, UsageResult } from '../source/types.js'
import { ScopedownError } from '../util/errors.js'
import { createLogger, type TextSink } from '../util/log.js'
import { stableStringify } from '../util/stable-json.js'
import { resolveWindow } from '../util/window.js'
import type { CliIo, ExitCodeSink } from './io.js'

const FORMATS = ['table', 'json', 'jsonl', 'csv'] as const
type Format = (typeof FORMATS)[number]

interface UsageOptions {
  logs: string[]
  start?: string
  end?: string
  days?: string
  role: string[]
  format: string
}

/** `--role` values split into exact principal ARNs and role names (matched in any account). */
export interface RoleFilter {
  arns: string[]
  names: string[]
}

// IAM role names: up to 64 of [\w+=,.@-] (IAM API reference, CreateRole RoleName).
const ROLE_NAME = /^[\w+=,.@-]{1,64}$/
const ASSUMED_ROLE_ARN = /^arn:([^:]+):sts::(\d{12}):assumed-role\/([^/]+)\//

/** Parses `--role` values: a role name, or a full principal ARN (role, user or root). */
export function parseRoleFilter(values: readonly string[]): RoleFilter {
  const filter: RoleFilter = { arns: [], names: [] }
  for (const value of values) {
    const session = ASSUMED_ROLE_ARN.exec(value)
    if (session) {
      const [, partition, account, name] = session
      throw new ScopedownError('USAGE', `--role ${value} is a role session, not a role`, {
        hint: `pass the role name (--role ${name}) or its ARN (--role arn:${partition}:iam::${account}:role/<path/>${name})`,
      })
    }
    if (/^arn:[^:]+:iam::\d{12}:(role|user)\/.+|^arn:[^:]+:iam::\d{12}:root$/.test(value)) {
      filter.arns.push(value)
    } else if (ROLE_NAME.test(value)) filter.names.push(value)
    else {
      throw new ScopedownError(
        'USAGE',
        `--role ${JSON.stringify(value)} is neither a role name nor an IAM ARN`,
        {
          hint: 'pass a role name (--role app-reader) or an ARN (--role arn:aws:iam::111122223333:role/app-reader)',
        },
      )
    }
  }
  return filter
}

/**
 * Whether a principal ARN matches the filter. Names match the last path segment of role ARNs in
 * any account and under any path, ignoring case (IAM role names are unique regardless of case).
 */
export function matchesRole(principalArn: string, filter: RoleFilter): boolean {
  if (filter.arns.includes(principalArn)) return true
  const role = /^arn:[^:]+:iam::\d{12}:role\/(?:.*\/)?([^/]+)$/.exec(principalArn)
  const name = role?.[1]?.toLowerCase()
  return name !== undefined && filter.names.some((n) => n.toLowerCase() === name)
}

function formatTime(iso: string): string {
  return iso.replace(/\.\d{3}Z$/, 'Z')
}

/** Aligned columns for humans: one line per (principal, eventSource, eventName). */
export function renderTable(calls: readonly ApiCall[]): string {
  const header = [
    'PRINCIPAL',
    'EVENT SOURCE',
    'EVENT NAME',
    'CALLS',
    'DENIED',
    'FIRST SEEN',
    'LAST SEEN',
  ]
  const rows = calls.map((c) => [
    c.principalArn,
    c.eventSource,
    c.eventName,
    String(c.count),
    String(c.deniedCount),
    formatTime(c.firstSeen),
    formatTime(c.lastSeen),
  ])
  const numeric = new Set([3, 4])
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)))
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) =>
        numeric.has(i) ? cell.padStart(widths[i] ?? 0) : cell.padEnd(widths[i] ?? 0),
      )
      .join('  ')
      .trimEnd()
  return `${[header, ...rows].map(line).join('\n')}\n`
}

/** The ApiCall fields of the jsonl and csv formats, in output order (details are json-only). */
const FLAT_FIELDS = [
  'principalArn',
  'principalType',
  'accountId',
  'eventSource',
  'eventName',
  'count',
  'deniedCount',
  'firstSeen',
  'lastSeen',
  'regions',
  'resources',
  'resourcesCapped',
] as const satisfies readonly (keyof ApiCall)[]

function flatCall(call: ApiCall): Record<string, unknown> {
  return Object.fromEntries(FLAT_FIELDS.map((field) => [field, call[field]]))
}

/** One JSON object per (principal, eventSource, eventName), one per line. */
export function renderJsonl(calls: readonly ApiCall[]): string {
  return calls.map((c) => `${JSON.stringify(flatCall(c))}\n`).join('')
}

function csvCell(value: unknown): string {
  const text = Array.isArray(value) ? value.join(' ') : String(value)
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text
}

/** RFC 4180 CSV with a header; list fields are space-separated. */
export function renderCsv(calls: readonly ApiCall[]): string {
  const lines = [FLAT_FIELDS.join(',')]
  for (const c of calls) lines.push(Object.values(flatCall(c)).map(csvCell).join(','))
  return `${lines.join('\n')}\n`
}

/** The short human summary printed on stderr after a table: window, inputs, coverage, skips. */
export function renderSummary(result: UsageResult, window: { start: string; end: string }): string {
  const { inputs } = result
  const unattributed = result.unattributed.reduce((sum, u) => sum + u.count, 0)
  const gaps = result.coverage.filter((c) => c.missingDays.length > 0)
  const lines = [
    `window: [${formatTime(window.start)}, ${formatTime(window.end)})`,
    `inputs: ${inputs.filesRead} files read, ${inputs.filesPruned} outside the window, ` +
      `${inputs.filesIgnored} not CloudTrail, ${inputs.unreadable.length} unreadable` +
      (inputs.duplicatesSkipped
        ? `, ${inputs.duplicatesSkipped} reached twice through links (read once)`
        : '') +
      (inputs.symlinkLoops ? `, ${inputs.symlinkLoops} looping links not followed` : ''),
    `events: ${inputs.eventsInWindow} in the window (${unattributed} not attributable to an IAM principal), ` +
      `${inputs.badRecords} bad records skipped`,
    `coverage: ${result.coverage.length} account/region pairs` +
      (gaps.length > 0 ? `, ${gaps.length} with days without events` : ''),
  ]
  for (const c of gaps.slice(0, 10)) {
    lines.push(`  ${c.accountId} ${c.region}: ${c.missingDays.length} days without events`)
  }
  return `${lines.join('\n')}\n`
}

/** A progress bar on one terminal line, redrawn in place; only used when stderr is a TTY. */
function progressBar(sink: TextSink) {
  let last = ''
  return {
    update(done: number, total: number) {
      const width = 30
      const filled = total === 0 ? width : Math.round((done / total) * width)
      const text = `reading CloudTrail [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${done}/${total} files`
      if (text === last) return
      last = text
      sink.write(`\r${text}`)
    },
    clear() {
      if (last !== '') sink.write(`\r${' '.repeat(last.length)}\r`)
    },
  }
}

function parseFormat(value: string): Format {
  if ((FORMATS as readonly string[]).includes(value)) return value as Format
  throw new ScopedownError('USAGE', `--format ${JSON.stringify(value)} is not a format`, {
    hint: `use one of: ${FORMATS.join(', ')}`,
  })
}

/** The UTC day after `day` (YYYY-MM-DD). */
function nextDay(day: string): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10)
}

async function runUsage(options: UsageOptions, io: CliIo, exit: ExitCodeSink): Promise<void> {
  const format = parseFormat(options.format)
  const window = resolveWindow(
    {
      ...(options.start !== undefined ? { start: options.start } : {}),
      ...(options.end !== undefined ? { end: options.end } : {}),
      ...(options.days !== undefined ? { days: options.days } : {}),
    },
    io.now(),
  )
  const roles = parseRoleFilter(options.role)
  const logger = createLogger({ sink: io.stderr })
  const bar = io.stderrIsTTY ? progressBar(io.stderr) : undefined
  const source = await createDuckDbSource({
    paths: options.logs,
    logger,
    ...(bar ? { onProgress: (done: number, total: number) => bar.update(done, total) } : {}),
  })
  let result: UsageResult
  try {
    // Role names match in any account and path, so only exact ARNs narrow the query itself.
    const exactOnly = roles.names.length === 0 && roles.arns.length > 0
    result = await source.usage({ window, ...(exactOnly ? { principalArns: roles.arns } : {}) })
  } finally {
    bar?.clear()
    await source.close()
  }
  const filtered = roles.arns.length + roles.names.length > 0
  const calls = filtered
    ? result.calls.filter((c) => matchesRole(c.principalArn, roles))
    : result.calls

  if (format === 'json') io.stdout.write(`${stableStringify({ ...result, calls }, 2)}\n`)
  else if (format === 'jsonl') io.stdout.write(renderJsonl(calls))
  else if (format === 'csv') io.stdout.write(renderCsv(calls))
  else {
    if (calls.length > 0) io.stdout.write(renderTable(calls))
    io.stderr.write(renderSummary(result, window))
  }
  const dated = result.inputs.layoutDays
  if (result.inputs.filesRead === 0 && result.inputs.filesPruned > 0 && dated) {
    logger.warn(
      `every file lies outside the window: the files are dated ${dated.first} to ${dated.last} by their S3 folders; ` +
        `to cover them pass --start ${dated.first} --end ${nextDay(dated.last)}`,
    )
  } else if (result.inputs.filesRead === 0) {
    logger.warn('no CloudTrail file was read: check --logs and the window')
  } else if (result.inputs.eventsInWindow === 0) {
    logger.warn('no event falls in the window: check --start, --end and --days')
  } else if (filtered && calls.length === 0) {
    logger.warn(`no calls by ${options.role.join(', ')} in the window`)
  }
  if (result.inputs.unreadable.length > 0) {
    logger.warn(
      `${result.inputs.unreadable.length} input(s) could not be read: what they hold is unknown, so these counts may be short`,
    )
    exit.set(1)
  }
}

/** Registers `scopedown usage`: who called which AWS APIs, from local CloudTrail files. */
export function register(program: Command, io: CliIo, exit: ExitCodeSink): void {
  program
    .command('usage')
    .description(
      'count API calls per principal from local CloudTrail logs (S3 layout, JSON, JSON Lines, lookup-events)',
    )
    .requiredOption(
      '--logs <path...>',
      'CloudTrail files, folders (searched recursively) or quoted globs; .gz is fine',
    )
    .option('--start <date>', 'window start, included: YYYY-MM-DD (UTC) or an ISO time with zone')
    .option('--end <date>', 'window end, excluded (default: now)')
    .option('--days <n>', 'window length in days (default: 90)')
    .option(
      '--role <name|arn>',
      'only this role (name: any account and path) or principal ARN; repeatable',
      collect,
      [],
    )
    .option('--format <format>', `output: ${FORMATS.join(' | ')}`, 'table')
    .action(async (options: UsageOptions) => runUsage(options, io, exit))
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value]
}
