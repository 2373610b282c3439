import type { IsoDate, RoleRef, Window } from '../model.js'
import { planMarker } from './branch.js'

/**
 * Renders the PR description a reviewer reads before approving a tightened policy. The input is
 * neutral (the run layer maps a RolePlan onto it), so this module knows nothing about planning.
 * Output is deterministic: every list is sorted here, whatever order it came in.
 */

/** What a reviewer needs to judge one role's change. */
export interface PrBodyInput {
  role: RoleRef
  summary: { grantedBefore: number; grantedAfter: number; removed: number; kept: number }
  removedByService: readonly {
    service: string
    /** `lastSeen` null or absent: not seen in the evidence window. */
    actions: readonly { action: string; lastSeen?: IsoDate | null }[]
  }[]
  /** `because` is a planner reason code (`used`, `never-remove`, ...) or free text. */
  kept: readonly { action: string; because: string; detail?: string }[]
  /** Calls the role made and was refused; scopedown never adds permissions, it only reports them. */
  deniedAttempts: readonly { action: string; count: number; lastSeen?: IsoDate | null }[]
  /** CloudTrail events no IAM action could be matched to; their permissions were kept. */
  unmapped: readonly { eventSource: string; eventName: string; count: number }[]
  evidence: {
    window: Window
    /** One line, e.g. `90 days of logs, 412,003 events, all regions`. */
    coverage: string
    source: string
    catalogVersion: string
    generatedAt: IsoDate
  }
  notes: readonly string[]
}

/** One PR for a whole account, holding each role's section. */
export interface AccountPrBodyInput {
  accountId: string
  roles: readonly PrBodyInput[]
}

/** GitHub rejects bodies over 65,536 characters; stay well below, like changesets/action. */
export const MAX_BODY_LENGTH = 60_000

/** How much detail a body carries; bodies degrade in this order until they fit. */
export type Detail = 'full' | 'compact' | 'summary'

export interface RenderOptions {
  planHash: string
  /** For tests; defaults to {@link MAX_BODY_LENGTH}. */
  maxLength?: number
}

/** The body for one role's PR, ending with the hidden plan marker. */
export function renderPrBody(input: PrBodyInput, options: RenderOptions): string {
  return fitBody((detail) => roleSection(input, detail, 2), options)
}

/** The body for a per-account PR: an overview table, then one section per role. */
export function renderAccountPrBody(input: AccountPrBodyInput, options: RenderOptions): string {
  const roles = [...input.roles].sort((a, b) => compare(a.role.name, b.role.name))
  return fitBody((detail) => {
    const overview = [
      `## Tighten ${roles.length} ${roles.length === 1 ? 'role' : 'roles'} in ${input.accountId}`,
      '',
      table(
        ['Role', 'Granted before', 'Granted after', 'Removed'],
        ['left', 'right', 'right', 'right'],
        roles.map((r) => [
          code(r.role.name),
          String(r.summary.grantedBefore),
          String(r.summary.grantedAfter),
          String(r.summary.removed),
        ]),
      ),
    ].join('\n')
    if (detail === 'summary') return overview
    return [overview, ...roles.map((r) => roleSection(r, detail, 3))].join('\n\n')
  }, options)
}

/** A PR title: `scopedown: tighten app-role (111111111111)` or `... 3 roles in <account>`. */
export function prTitle(target: { accountId: string; roleName?: string; roleCount?: number }) {
  if (target.roleName != null) return `scopedown: tighten ${target.roleName} (${target.accountId})`
  const n = target.roleCount ?? 0
  return `scopedown: tighten ${n} ${n === 1 ? 'role' : 'roles'} in ${target.accountId}`
}

const SHORTENED: Record<Exclude<Detail, 'full'>, string> = {
  compact:
    "> [!NOTE]\n> This description was shortened to fit GitHub's size limit: per-action detail is left out. The scopedown report has the full plan.",
  summary:
    "> [!NOTE]\n> This description was shortened to fit GitHub's size limit: only the summary is shown. The scopedown report has the full plan.",
}

const TRUNCATED =
  "> [!WARNING]\n> Even the summary exceeds GitHub's size limit and was cut off here. The scopedown report has the full plan."

/** Renders at the richest detail that fits, then appends the marker (which is never cut). */
function fitBody(render: (detail: Detail) => string, options: RenderOptions): string {
  const max = options.maxLength ?? MAX_BODY_LENGTH
  const marker = `\n\n${planMarker(options.planHash)}\n`
  for (const detail of ['full', 'compact', 'summary'] as const) {
    const text = withNotice(render(detail), detail === 'full' ? undefined : SHORTENED[detail])
    if (text.length + marker.length <= max) return text + marker
  }
  // Last resort: cut the summary at a line boundary and say so.
  const summary = render('summary')
  const room = max - marker.length - TRUNCATED.length - 2
  const cut = summary.slice(0, Math.max(0, room))
  const lastNewline = cut.lastIndexOf('\n')
  return `${lastNewline > 0 ? cut.slice(0, lastNewline) : cut}\n\n${TRUNCATED}${marker}`
}

/** Puts a notice right after the first heading, where a reviewer looks first. */
function withNotice(text: string, notice: string | undefined): string {
  if (notice == null) return text
  const firstBreak = text.indexOf('\n')
  if (firstBreak === -1) return `${text}\n\n${notice}`
  return `${text.slice(0, firstBreak)}\n\n${notice}\n${text.slice(firstBreak)}`
}

function roleSection(input: PrBodyInput, detail: Detail, depth: number): string {
  const h = '#'.repeat(depth)
  const sub = '#'.repeat(depth + 1)
  const { summary } = input
  const parts = [
    `${h} Tighten ${code(input.role.name)} in ${input.role.accountId}`,
    '',
    `Role ${code(input.role.arn)}. scopedown proposes removing **${summary.removed}** of the ` +
      `**${summary.grantedBefore}** actions this role is granted. Nothing the role used in the ` +
      'evidence window is removed, and nothing new is granted.',
    '',
    table(
      ['', 'Actions'],
      ['left', 'right'],
      [
        ['Granted before', String(summary.grantedBefore)],
        ['Granted after', String(summary.grantedAfter)],
        ['Removed', String(summary.removed)],
        ['Kept', String(summary.kept)],
      ],
    ),
  ]
  if (detail === 'summary') return parts.join('\n')
  const sections = [
    removedSection(input, detail, sub),
    keptSection(input, detail, sub),
    deniedSection(input, detail, sub),
    unmappedSection(input, detail, sub),
    evidenceSection(input, sub),
    notesSection(input, sub),
  ]
  return [parts.join('\n'), ...sections.filter((s) => s !== '')].join('\n\n')
}

function removedSection(input: PrBodyInput, detail: Detail, h: string): string {
  const services = [...input.removedByService]
    .filter((s) => s.actions.length > 0)
    .sort((a, b) => compare(a.service, b.service))
  if (services.length === 0) return ''
  const title = `${h} Removed, by service`
  if (detail === 'compact') {
    const rows = services.map((s) => [code(s.service), String(s.actions.length)])
    return `${title}\n\n${table(['Service', 'Removed'], ['left', 'right'], rows)}`
  }
  const blocks = services.map((s) => {
    const actions = [...s.actions].sort((a, b) => compare(a.action, b.action))
    const rows = actions.map((a) => [
      code(a.action),
      a.lastSeen ? day(a.lastSeen) : 'not in window',
    ])
    const count = `${actions.length} ${actions.length === 1 ? 'action' : 'actions'}`
    return [
      `<details><summary><code>${escapeHtml(s.service)}</code>: ${count}</summary>`,
      '',
      table(['Action', 'Last seen'], ['left', 'left'], rows),
      '',
      '</details>',
    ].join('\n')
  })
  return [title, ...blocks].join('\n\n')
}

const REASONS: Record<string, string> = {
  used: 'used in the window',
  'never-remove': 'on the never-remove list',
  unobservable: 'not visible in CloudTrail',
  'protected-statement': 'in a protected statement',
  'access-advisor': 'seen by Access Advisor in the window, not by CloudTrail',
  'unmapped-usage': 'an unmapped event may need it',
  'insufficient-evidence': 'not enough log coverage',
}

function keptSection(input: PrBodyInput, detail: Detail, h: string): string {
  if (input.kept.length === 0) return ''
  const title = `${h} Kept, and why`
  if (detail === 'compact') {
    const counts = new Map<string, number>()
    for (const k of input.kept) counts.set(k.because, (counts.get(k.because) ?? 0) + 1)
    const rows = [...counts]
      .sort(([a], [b]) => compare(a, b))
      .map(([because, n]) => [text(REASONS[because] ?? because), String(n)])
    return `${title}\n\n${table(['Because', 'Actions'], ['left', 'right'], rows)}`
  }
  const kept = [...input.kept].sort((a, b) => compare(a.action, b.action))
  const rows = kept.map((k) => [
    code(k.action),
    text(REASONS[k.because] ?? k.because),
    text(k.detail ?? ''),
  ])
  return `${title}\n\n${table(['Action', 'Because', 'Detail'], ['left', 'left', 'left'], rows)}`
}

function deniedSection(input: PrBodyInput, detail: Detail, h: string): string {
  if (input.deniedAttempts.length === 0) return ''
  const total = input.deniedAttempts.reduce((n, d) => n + d.count, 0)
  const lead =
    `${h} Denied attempts\n\nThe role tried ${input.deniedAttempts.length} ` +
    `${input.deniedAttempts.length === 1 ? 'action' : 'actions'} and was refused ${total} times. ` +
    'scopedown never adds permissions; check whether something is broken.'
  if (detail === 'compact') return lead
  const denied = [...input.deniedAttempts].sort(
    (a, b) => b.count - a.count || compare(a.action, b.action),
  )
  const rows = denied.map((d) => [
    code(d.action),
    String(d.count),
    d.lastSeen ? day(d.lastSeen) : '',
  ])
  return `${lead}\n\n${table(['Action', 'Denied calls', 'Last seen'], ['left', 'right', 'left'], rows)}`
}

function unmappedSection(input: PrBodyInput, detail: Detail, h: string): string {
  if (input.unmapped.length === 0) return ''
  const total = input.unmapped.reduce((n, u) => n + u.count, 0)
  const lead =
    `${h} Unmapped events\n\n${input.unmapped.length} ` +
    `${input.unmapped.length === 1 ? 'kind' : 'kinds'} of CloudTrail event (${total} calls) ` +
    'could not be matched to an IAM action, so permissions they might need were kept.'
  if (detail === 'compact') return lead
  const unmapped = [...input.unmapped].sort(
    (a, b) =>
      b.count - a.count ||
      compare(a.eventSource, b.eventSource) ||
      compare(a.eventName, b.eventName),
  )
  const rows = unmapped.map((u) => [code(u.eventSource), code(u.eventName), String(u.count)])
  return `${lead}\n\n${table(['eventSource', 'eventName', 'Calls'], ['left', 'left', 'right'], rows)}`
}

function evidenceSection(input: PrBodyInput, h: string): string {
  const { window, coverage, source, catalogVersion, generatedAt } = input.evidence
  const days = Math.round((Date.parse(window.end) - Date.parse(window.start)) / 86_400_000)
  return [
    `${h} Evidence`,
    '',
    `- **Window:** ${day(window.start)} to ${day(window.end)} (${days} days, end exclusive)`,
    `- **Log coverage:** ${text(coverage)}`,
    `- **Source:** ${text(source)}`,
    `- **Action catalog:** ${text(catalogVersion)}`,
    `- **Generated:** ${text(generatedAt)}`,
  ].join('\n')
}

function notesSection(input: PrBodyInput, h: string): string {
  if (input.notes.length === 0) return ''
  return [`${h} Notes`, '', ...input.notes.map((n) => `- ${text(n)}`)].join('\n')
}

function table(head: string[], align: ('left' | 'right')[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`
  const rule = align.map((a) => (a === 'right' ? '--:' : ':--'))
  return [line(head), line(rule), ...rows.map(line)].join('\n')
}

/** Inline code for identifiers; characters that would break a table cell are dropped. */
function code(value: string): string {
  return `\`${value.replace(/[`|\r\n]/g, '')}\``
}

/** Plain text for a table cell or list item: no HTML, no cell breaks, one line. */
function text(value: string): string {
  return escapeHtml(value)
    .replace(/\|/g, '\\|')
    .replace(/\s*[\r\n]+\s*/g, ' ')
}

function escapeHtml(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}

/** `2026-10-01T12:00:00Z` → `2026-10-01`. */
function day(iso: IsoDate): string {
  return iso.slice(0, 10)
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}
