/**
 * Drift: where the repository and live IAM disagree, role by role. Pure: the repository side is
 * a {@link RepoRoleState} (built from a RoleLocation with file and line of each policy), the live
 * side the same RawRoleDefinition a dump gives. Documents are compared after normalisation
 * (statement and list order, key case, single values vs lists, action case), so only a change a
 * reviewer would care about counts.
 */

import { compareText } from '../policy/match.js'
import type { RoleLocation } from '../repo/types.js'
import { stableStringify } from '../util/stable-json.js'
import type { RawRoleDefinition } from './authorization-details.js'

/** Where something is written in the repo. */
export interface RepoPlace {
  file: string
  /** 1-based; undefined when the position is unknown. */
  line?: number
}

/** A role as the repository defines it, with where each part is written. */
export interface RepoRoleState {
  accountId: string
  name: string
  path: string
  definedIn: RepoPlace
  inline: readonly { name: string; document: unknown; at: RepoPlace }[]
  /** Attached policies; `document` only for those the repo defines. */
  managed: readonly { arn: string; document?: unknown; at?: RepoPlace }[]
  boundary?: { arn: string; document?: unknown; at?: RepoPlace }
}

export type DriftKind =
  | 'role-missing-live'
  | 'role-missing-repo'
  | 'path-differs'
  | 'inline-missing-live'
  | 'inline-missing-repo'
  | 'inline-differs'
  | 'managed-missing-live'
  | 'managed-missing-repo'
  | 'managed-differs'
  | 'boundary-differs'
  | 'boundary-document-differs'

/** One disagreement, with the repository file and line to look at. */
export interface DriftDifference {
  accountId: string
  role: string
  kind: DriftKind
  /** Inline policy name or managed policy / boundary ARN. */
  policy?: string
  file?: string
  line?: number
  detail: string
  /** For differing documents: normalised statements only one side has. */
  repoOnly?: readonly string[]
  liveOnly?: readonly string[]
}

/** Lower-cased keys, sorted lists, single values as lists, actions in one case. */
export function normalizePolicy(doc: unknown): unknown {
  return normalize(doc, '')
}

function normalize(value: unknown, key: string): unknown {
  if (Array.isArray(value)) {
    const items = value.map((v) => normalize(v, key))
    const unique = new Map(items.map((i) => [stableStringify(i), i]))
    return [...unique].sort(([a], [b]) => compareText(a, b)).map(([, i]) => i)
  }
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      const lower = k.toLowerCase()
      const listish = lower !== 'version' && lower !== 'sid' && lower !== 'effect' && lower !== 'id'
      const normalised = normalize(v, lower)
      out[lower] =
        listish &&
        !Array.isArray(normalised) &&
        (typeof normalised !== 'object' || normalised === null)
          ? [normalised]
          : normalised
    }
    return out
  }
  if (typeof value === 'string' && (key === 'action' || key === 'notaction'))
    return value.toLowerCase()
  return value
}

/** The normalised statements of a document, each as canonical JSON text. */
export function canonicalStatements(doc: unknown): string[] {
  const n = normalizePolicy(doc) as { statement?: unknown } | null
  const statements = n && typeof n === 'object' ? n.statement : undefined
  const list = Array.isArray(statements) ? statements : statements === undefined ? [] : [statements]
  return list.map((s) => stableStringify(s)).sort(compareText)
}

function documentDiff(
  repo: unknown,
  live: unknown,
): { repoOnly: string[]; liveOnly: string[] } | undefined {
  const a = canonicalStatements(repo)
  const b = canonicalStatements(live)
  const repoOnly = a.filter((s) => !b.includes(s))
  const liveOnly = b.filter((s) => !a.includes(s))
  const sameRest =
    stableStringify({ ...(normalizePolicy(repo) as object), statement: null }) ===
    stableStringify({ ...(normalizePolicy(live) as object), statement: null })
  if (repoOnly.length === 0 && liveOnly.length === 0 && sameRest) return undefined
  return { repoOnly, liveOnly }
}

const place = (at: RepoPlace | undefined) =>
  at ? { file: at.file, ...(at.line ? { line: at.line } : {}) } : {}

/** Every difference between one role's repository definition and its live state. */
export function compareRole(
  repo: RepoRoleState | undefined,
  live: RawRoleDefinition | undefined,
): DriftDifference[] {
  const accountId = repo?.accountId ?? live?.role.accountId ?? ''
  const role = repo?.name ?? live?.role.name ?? ''
  const base = { accountId, role }
  if (!repo && live) {
    return [
      {
        ...base,
        kind: 'role-missing-repo',
        detail: `${live.role.arn} exists in IAM but not in the repo`,
      },
    ]
  }
  if (repo && !live) {
    return [
      {
        ...base,
        kind: 'role-missing-live',
        ...place(repo.definedIn),
        detail: `defined in the repo but not in IAM of account ${accountId}`,
      },
    ]
  }
  if (!repo || !live) return []
  const out: DriftDifference[] = []
  const livePath = live.role.path ?? '/'
  if (livePath !== repo.path) {
    out.push({
      ...base,
      kind: 'path-differs',
      ...place(repo.definedIn),
      detail: `path is ${repo.path} in the repo, ${livePath} in IAM`,
    })
  }
  const liveInline = new Map(live.inline.map((p) => [p.name, p]))
  for (const p of repo.inline) {
    const other = liveInline.get(p.name)
    if (!other) {
      out.push({
        ...base,
        kind: 'inline-missing-live',
        policy: p.name,
        ...place(p.at),
        detail: `inline policy ${p.name} is not in IAM`,
      })
      continue
    }
    const diff = documentDiff(p.document, other.document)
    if (diff)
      out.push({
        ...base,
        kind: 'inline-differs',
        policy: p.name,
        ...place(p.at),
        detail: `inline policy ${p.name} differs`,
        ...diff,
      })
  }
  const repoInline = new Set(repo.inline.map((p) => p.name))
  for (const p of live.inline) {
    if (!repoInline.has(p.name))
      out.push({
        ...base,
        kind: 'inline-missing-repo',
        policy: p.name,
        ...place(repo.definedIn),
        detail: `IAM has inline policy ${p.name}, the repo does not`,
      })
  }
  const liveManaged = new Map(live.managed.map((m) => [m.arn, m]))
  for (const m of repo.managed) {
    const other = liveManaged.get(m.arn)
    if (!other) {
      out.push({
        ...base,
        kind: 'managed-missing-live',
        policy: m.arn,
        ...place(m.at ?? repo.definedIn),
        detail: `${m.arn} is attached in the repo, not in IAM`,
      })
      continue
    }
    if (m.document === undefined || other.document === undefined) continue
    const diff = documentDiff(m.document, other.document)
    if (diff)
      out.push({
        ...base,
        kind: 'managed-differs',
        policy: m.arn,
        ...place(m.at),
        detail: `managed policy ${m.arn} differs (default version)`,
        ...diff,
      })
  }
  const repoManaged = new Set(repo.managed.map((m) => m.arn))
  for (const m of live.managed) {
    if (!repoManaged.has(m.arn))
      out.push({
        ...base,
        kind: 'managed-missing-repo',
        policy: m.arn,
        ...place(repo.definedIn),
        detail: `IAM attaches ${m.arn}, the repo does not`,
      })
  }
  const repoBoundary = repo.boundary?.arn
  const liveBoundary = live.boundary?.arn
  if (repoBoundary !== liveBoundary) {
    out.push({
      ...base,
      kind: 'boundary-differs',
      ...((repoBoundary ?? liveBoundary)
        ? { policy: (repoBoundary ?? liveBoundary) as string }
        : {}),
      ...place(repo.boundary?.at ?? repo.definedIn),
      detail: `permissions boundary is ${repoBoundary ?? 'none'} in the repo, ${liveBoundary ?? 'none'} in IAM`,
    })
  } else if (repo.boundary?.document !== undefined && live.boundary?.document !== undefined) {
    const diff = documentDiff(repo.boundary.document, live.boundary.document)
    if (diff)
      out.push({
        ...base,
        kind: 'boundary-document-differs',
        policy: repoBoundary as string,
        ...place(repo.boundary.at),
        detail: `boundary ${repoBoundary} differs`,
        ...diff,
      })
  }
  return out
}

/** `*`/`?` globs on the role name, or on path + name when the pattern starts with `/`. */
function ignored(role: RawRoleDefinition, patterns: readonly string[]): boolean {
  const full = `${role.role.path ?? '/'}${role.role.name}`
  return patterns.some((p) => {
    const re = new RegExp(
      `^${p
        .replace(/[.+^${}()|[\]\\]/g, '\\$&')
        .replace(/\*/g, '.*')
        .replace(/\?/g, '.')}$`,
    )
    return re.test(p.startsWith('/') ? full : role.role.name)
  })
}

/** Drift of one account: every role either side has, sorted by role then kind. */
export function compareAccount(args: {
  accountId: string
  repo: readonly RepoRoleState[]
  live: readonly RawRoleDefinition[]
  ignoreRoles: readonly string[]
}): DriftDifference[] {
  const live = new Map(args.live.map((r) => [r.role.name, r]))
  const repo = new Map(args.repo.map((r) => [r.name, r]))
  const names = [...new Set([...repo.keys(), ...live.keys()])].sort(compareText)
  return names.flatMap((name) => {
    const l = live.get(name)
    const r = repo.get(name)
    if (!r && l && ignored(l, args.ignoreRoles)) return []
    return compareRole(r, l)
  })
}

/** Differences that make a role's repository files a stale base for a proposal. */
export function driftedBy(differences: readonly DriftDifference[]): DriftDifference[] {
  return differences.filter((d) => d.kind !== 'role-missing-repo')
}

/**
 * A RoleLocation as a {@link RepoRoleState}. `lineOf` gives the 1-based line of an offset in a
 * repo file (the caller reads the file); `documents` are the raw JSON values the repo holds.
 */
export function repoRoleState(
  location: RoleLocation,
  lineOf: (file: string, offset: number) => number | undefined,
  findLine: (file: string, text: string) => number | undefined,
): RepoRoleState | undefined {
  if (!location.definedIn) return undefined
  const at = (file: string, offset: number): RepoPlace => {
    const line = lineOf(file, offset)
    return { file, ...(line ? { line } : {}) }
  }
  const definedIn = location.definedIn.file
  const attached = (a: RoleLocation['managed'][number]) => {
    if (a.editable)
      return { arn: a.arn, document: a.policy.document, at: at(a.policy.file, a.policy.span.start) }
    const line = findLine(definedIn, a.arn)
    return { arn: a.arn, at: { file: definedIn, ...(line ? { line } : {}) } }
  }
  return {
    accountId: location.role.accountId,
    name: location.role.name,
    path: location.role.path ?? '/',
    definedIn: at(definedIn, 0),
    inline: location.inline.map((p) => ({
      name: p.policyName ?? p.label,
      document: p.document,
      at: at(p.file, p.span.start),
    })),
    managed: location.managed.map(attached),
    ...(location.boundary ? { boundary: attached(location.boundary) } : {}),
  }
}
