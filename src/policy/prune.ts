import type { IamAction } from '../model.js'
import type { ActionCatalog } from '../usage/catalog.js'
import {
  type ActionIndex,
  actionIndex,
  coverageOf,
  forEachCovered,
  maskOf,
  namesOf,
} from './action-classes.js'
import { type CompressLevel, compressActions } from './compress.js'
import {
  isProtected,
  listOf,
  type PolicyDocument,
  rewriteStatement,
  type Statement,
  shapedLike,
  statementsOf,
  withStatements,
} from './document.js'
import { compareText, expandActions, hasWildcard, statementResourceMatch } from './match.js'

/** Options for {@link prune}. Everything is off or conservative by default. */
export interface PruneOptions {
  /** Statements whose Sid starts with this are never touched (e.g. `ScopedownKeep`). */
  protectedSidPrefix?: string
  /** How replacement Action lists are written; default `words` (see CompressLevel). */
  compress?: CompressLevel
  /**
   * Narrow Resource to the ARNs each action was observed on. Off unless given. A narrowed
   * Resource is only written when the statement's existing Resource already covers every
   * observed ARN, so it is never wider than today.
   */
  narrow?: {
    /** Per action (catalog name, any case): the concrete ARNs it was used on. */
    resources: ReadonlyMap<IamAction, readonly string[]>
    /** Do not narrow when more ARNs than this would be listed; default 20. */
    maxResources?: number
  }
}

/** What happened to one statement of the input document. */
export type StatementOutcome =
  | 'unchanged'
  | 'pruned'
  | 'rewritten'
  | 'narrowed'
  | 'removed'
  | 'protected'
  | 'deny'

export interface StatementReport {
  /** Index in the input document. */
  index: number
  sid?: string
  outcome: StatementOutcome
  /** Catalog actions this statement granted and no longer grants. */
  removed: readonly IamAction[]
  /** Indexes of the statements it became in the output document (empty when removed). */
  into: readonly number[]
}

export interface PruneResult {
  /** The pruned document, or null when no statement is left (delete the policy). */
  document: PolicyDocument | null
  statements: readonly StatementReport[]
  /** Catalog actions the document's Allow statements granted before and no longer grant. */
  removed: readonly IamAction[]
  /** Action patterns that match no catalog action: kept verbatim, never dropped. */
  unknown: readonly { pattern: string; statement: number }[]
  /** Human-readable remarks for the plan and PR body (NotAction rewritten, narrowing, ...). */
  notes: readonly string[]
}

interface Context {
  keep: ReadonlySet<string>
  index: ActionIndex
  /** `keep` as a mask over catalog ids. */
  keepIds: Uint8Array
  catalog: ActionCatalog
  options: PruneOptions
  narrow: ReadonlyMap<string, readonly string[]> | undefined
  unknown: { pattern: string; statement: number }[]
  notes: string[]
}

function label(statement: Statement, index: number): string {
  return statement.Sid ? `Statement[${index}] (Sid ${statement.Sid})` : `Statement[${index}]`
}

/**
 * Keeps only the `keep` actions in a document's prunable Allow statements.
 * - Deny statements and statements with a protected Sid are returned as the same objects.
 * - Allow statements are pruned in place: Sid, Resource, Condition and key order are kept; a
 *   statement left with no action is removed.
 * - A wildcard whose catalog expansion is wholly kept stays as written; a partly kept one is
 *   replaced by the kept actions, grouped into wildcards only where they match exactly.
 * - NotAction becomes an explicit Action list of what is kept.
 * - Patterns matching no catalog action are kept verbatim and reported in `unknown`.
 */
export function prune(
  doc: PolicyDocument,
  keep: Iterable<IamAction>,
  catalog: ActionCatalog,
  options: PruneOptions = {},
): PruneResult {
  const kept = [...keep]
  const index = actionIndex(catalog)
  const ctx: Context = {
    keep: new Set(kept.map((a) => a.toLowerCase())),
    index,
    keepIds: maskOf(index, kept),
    catalog,
    options,
    narrow: options.narrow
      ? new Map([...options.narrow.resources].map(([a, arns]) => [a.toLowerCase(), arns]))
      : undefined,
    unknown: [],
    notes: [],
  }
  const out: Statement[] = []
  const reports: StatementReport[] = []
  const usedSids = new Set(statementsOf(doc).flatMap((s) => (s.Sid ? [s.Sid] : [])))
  const removedPerStatement: number[][] = []
  statementsOf(doc).forEach((statement, position) => {
    const { outcome, statements } = pruneStatement(statement, position, ctx, usedSids)
    const into = statements.map((_, i) => out.length + i)
    out.push(...statements)
    const removed =
      outcome === 'deny' || outcome === 'protected' || outcome === 'unchanged'
        ? []
        : removedIds([statement], statements, index)
    removedPerStatement.push(removed)
    reports.push({
      index: position,
      ...(statement.Sid === undefined ? {} : { sid: statement.Sid }),
      outcome,
      removed: namesOf(index, removed),
      into,
    })
  })
  const allRemoved = new Set<number>()
  for (const ids of removedPerStatement) for (const id of ids) allRemoved.add(id)
  const unchanged = reports.every(
    (r) => r.into.length === 1 && out[r.into[0] as number] === statementsOf(doc)[r.index],
  )
  return {
    document: out.length === 0 ? null : unchanged ? doc : withStatements(doc, out),
    statements: reports,
    removed: namesOf(index, allRemoved),
    unknown: ctx.unknown,
    notes: ctx.notes,
  }
}

function pruneStatement(
  statement: Statement,
  index: number,
  ctx: Context,
  usedSids: Set<string>,
): { outcome: StatementOutcome; statements: Statement[] } {
  if (isProtected(statement, ctx.options.protectedSidPrefix)) {
    return { outcome: 'protected', statements: [statement] }
  }
  if (statement.Effect === 'Deny') return { outcome: 'deny', statements: [statement] }

  const entries = keptEntries(statement, index, ctx)
  if (entries === 'unchanged') {
    const narrowed =
      ctx.narrow && statement.Action !== undefined
        ? narrowStatement(statement, listOf(statement.Action), index, ctx, usedSids)
        : undefined
    return narrowed
      ? { outcome: 'narrowed', statements: narrowed }
      : { outcome: 'unchanged', statements: [statement] }
  }
  if (entries.length === 0) return { outcome: 'removed', statements: [] }

  const notAction = statement.NotAction !== undefined
  const rewritten = notAction
    ? rewriteStatement(statement, { NotAction: entries }, { NotAction: 'Action' })
    : rewriteStatement(statement, { Action: shapedLike(statement.Action, entries) })
  if (notAction) {
    ctx.notes.push(`${label(statement, index)}: NotAction rewritten as an explicit Action list`)
  }
  const narrowed = ctx.narrow
    ? narrowStatement(rewritten, entries, index, ctx, usedSids)
    : undefined
  if (narrowed) return { outcome: 'narrowed', statements: narrowed }
  return { outcome: notAction ? 'rewritten' : 'pruned', statements: [rewritten] }
}

/**
 * The new Action list of an Allow statement, sorted, or 'unchanged' when it loses nothing.
 * Whole patterns survive when their expansion is wholly kept (or unknown); the kept parts of
 * the other patterns are re-grouped with `compressActions`.
 */
function keptEntries(statement: Statement, index: number, ctx: Context): string[] | 'unchanged' {
  const level = ctx.options.compress ?? 'words'
  if (statement.NotAction !== undefined) {
    let granted = 0
    const kept: number[] = []
    forEachCovered(coverageOf(statement, ctx.index), ctx.index, (id) => {
      granted++
      if (ctx.keepIds[id] === 1) kept.push(id)
    })
    if (kept.length === granted) return 'unchanged'
    return compressActions(namesOf(ctx.index, kept), ctx.catalog, { level })
  }
  const patterns = listOf(statement.Action)
  const verbatim: string[] = []
  const partial = new Set<IamAction>()
  for (const pattern of patterns) {
    const hits = ctx.catalog.expand(pattern)
    if (hits.length === 0) {
      verbatim.push(pattern)
      ctx.unknown.push({ pattern, statement: index })
      ctx.notes.push(
        `${label(statement, index)}: ${JSON.stringify(pattern)} matches no known action; kept as written`,
      )
    } else if (hits.every((info) => ctx.keep.has(info.action.toLowerCase()))) {
      verbatim.push(pattern)
    } else {
      for (const info of hits) if (ctx.keep.has(info.action.toLowerCase())) partial.add(info.action)
    }
  }
  if (verbatim.length === patterns.length) return 'unchanged'
  const covered = new Set(expandActions(verbatim, ctx.catalog).actions)
  const residual = [...partial].filter((a) => !covered.has(a))
  return [...new Set([...verbatim, ...compressActions(residual, ctx.catalog, { level })])].sort(
    compareText,
  )
}

/**
 * Splits a pruned statement by the resources its actions were observed on. Each Action entry is
 * narrowed only if every catalog action it covers was observed on ARNs that the statement's
 * Resource already covers; other entries keep the original Resource. Returns undefined when
 * nothing narrows.
 */
function narrowStatement(
  statement: Statement,
  entries: readonly string[],
  index: number,
  ctx: Context,
  usedSids: Set<string>,
): Statement[] | undefined {
  if (statement.Resource === undefined) return undefined
  const groups = new Map<string, string[]>()
  for (const entry of entries) {
    const arns = narrowedResources(statement, entry, ctx)
    const key = arns ? JSON.stringify(arns) : ''
    const group = groups.get(key)
    if (group) group.push(entry)
    else groups.set(key, [entry])
  }
  const original = groups.get('')
  groups.delete('')
  if (groups.size === 0) return undefined
  const narrowedKeys = [...groups.keys()].sort()
  const out: Statement[] = []
  const nextSid = () => {
    if (statement.Sid === undefined) return undefined
    for (let n = 1; ; n++) {
      const sid = `${statement.Sid}Narrowed${n}`
      if (!usedSids.has(sid)) {
        usedSids.add(sid)
        return sid
      }
    }
  }
  const build = (
    actions: readonly string[],
    resources: readonly string[] | undefined,
    sid: unknown,
  ) =>
    rewriteStatement(statement, {
      Sid: sid,
      Action: shapedLike(statement.Action, [...actions].sort(compareText)),
      ...(resources ? { Resource: shapedLike(statement.Resource, resources) } : {}),
    })
  if (original) out.push(build(original, undefined, statement.Sid))
  for (const key of narrowedKeys) {
    const sid = out.length === 0 ? statement.Sid : nextSid()
    out.push(build(groups.get(key) ?? [], JSON.parse(key) as string[], sid))
  }
  const count = narrowedKeys.length
  ctx.notes.push(
    `${label(statement, index)}: Resource narrowed to observed ARNs in ${count} statement${count === 1 ? '' : 's'}`,
  )
  return out
}

/** The sorted observed ARNs an Action entry can be narrowed to, or undefined. */
function narrowedResources(
  statement: Statement,
  entry: string,
  ctx: Context,
): string[] | undefined {
  const max = ctx.options.narrow?.maxResources ?? 20
  const infos = ctx.catalog.expand(entry).filter((info) => ctx.keep.has(info.action.toLowerCase()))
  if (infos.length === 0) return undefined
  const arns = new Set<string>()
  for (const info of infos) {
    // Actions without resource types only accept Resource "*" (wildcard-only actions).
    if (info.resourceTypes.length === 0) return undefined
    const observed = ctx.narrow?.get(info.action.toLowerCase())
    if (!observed || observed.length === 0) return undefined
    for (const arn of observed) {
      // Observed values must be concrete ARNs the current Resource surely covers.
      if (!arn.startsWith('arn:') || hasWildcard(arn) || arn.includes('${')) {
        return undefined
      }
      if (statementResourceMatch(statement, arn) !== 'yes') return undefined
      arns.add(arn)
    }
  }
  if (arns.size > max) return undefined
  const sorted = [...arns].sort(compareText)
  const current = listOf(statement.Resource)
  if (sorted.length === current.length && sorted.every((arn, i) => arn === current[i]))
    return undefined
  return sorted
}

/** Ids of the catalog actions the Allow statements of `before` grant and those of `after` do not. */
function removedIds(
  before: readonly Statement[],
  after: readonly Statement[],
  index: ActionIndex,
): number[] {
  const still = new Uint8Array(index.size)
  for (const statement of after) {
    if (statement.Effect !== 'Allow') continue
    forEachCovered(coverageOf(statement, index), index, (id) => {
      still[id] = 1
    })
  }
  const out: number[] = []
  for (const statement of before) {
    if (statement.Effect !== 'Allow') continue
    forEachCovered(coverageOf(statement, index), index, (id) => {
      if (still[id] === 0) {
        still[id] = 1
        out.push(id)
      }
    })
  }
  return out
}
