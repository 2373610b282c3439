import type { ActionCatalog } from '../usage/catalog.js'
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
import { compareText, expandActions } from './match.js'

/**
 * IAM size quotas in characters, whitespace not counted: a role's inline policies together, and
 * each managed policy. https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html
 */
export const POLICY_SIZE_QUOTAS = { inline: 10_240, managed: 6_144 } as const

export type PolicyKind = keyof typeof POLICY_SIZE_QUOTAS

/**
 * A document's size as IAM counts it: the minified JSON. Whitespace inside strings is counted,
 * which can only overestimate, so a document we call small enough is small enough.
 */
export function policySize(doc: PolicyDocument): number {
  return JSON.stringify(doc).length
}

export interface FitOptions {
  protectedSidPrefix?: string
}

export interface FitResult {
  /** Per input document, the document(s) to write in its place (several when it was split). */
  documents: readonly (readonly PolicyDocument[])[]
  /** Whether the result meets the quota for `kind`. */
  fits: boolean
  /** What was done and why, for the plan and the PR body. */
  notes: readonly string[]
}

/**
 * Brings documents within IAM's size quota for `kind`: first re-groups the Action lists of
 * prunable Allow statements into wildcards that match exactly (word wildcards, then any shared
 * prefix), then splits documents. Splitting is safe because IAM evaluates the union of a role's
 * policies; Deny statements and protected statements are moved, never changed. Inline policies
 * are limited in total, so splitting cannot save them: they are split to managed-policy size and
 * `fits` is false, telling the caller they must become managed policies.
 */
export function fitToQuota(
  docs: readonly PolicyDocument[],
  kind: PolicyKind,
  catalog: ActionCatalog,
  options: FitOptions = {},
): FitResult {
  const notes: string[] = []
  const limit = POLICY_SIZE_QUOTAS[kind]
  const over = (list: readonly PolicyDocument[]) =>
    kind === 'inline'
      ? list.reduce((sum, d) => sum + policySize(d), 0) > limit
      : list.some((d) => policySize(d) > limit)
  let current = [...docs]
  if (!over(current)) return { documents: current.map((d) => [d]), fits: true, notes }

  for (const level of ['words', 'prefixes'] as const) {
    current = current.map((doc) =>
      kind === 'inline' || policySize(doc) > limit ? recompress(doc, level, catalog, options) : doc,
    )
    const sizes = current.map(policySize).join(', ')
    notes.push(
      `over the ${kind} quota of ${limit} characters: re-grouped actions (${level}), sizes now ${sizes}`,
    )
    if (!over(current)) return { documents: current.map((d) => [d]), fits: true, notes }
  }

  const pieceLimit = POLICY_SIZE_QUOTAS.managed
  const documents = current.map((doc) =>
    policySize(doc) > pieceLimit || kind === 'inline'
      ? split(doc, pieceLimit, notes, options.protectedSidPrefix)
      : [doc],
  )
  const pieces = documents.reduce((n, list) => n + list.length, 0)
  const fits =
    kind === 'managed' && documents.every((list) => list.every((d) => policySize(d) <= limit))
  if (kind === 'inline') {
    notes.push(
      `inline policies total more than ${limit} characters even when compressed: split into ${pieces} documents of at most ${pieceLimit} characters, to be attached as managed policies`,
    )
  } else {
    notes.push(`split into ${pieces} managed policies of at most ${limit} characters`)
  }
  if (!fits && kind === 'managed') notes.push('some statement is too large to fit any policy')
  return { documents, fits, notes }
}

/** Rewrites prunable Allow statements' Action lists at `level`, where that makes them shorter. */
function recompress(
  doc: PolicyDocument,
  level: CompressLevel,
  catalog: ActionCatalog,
  options: FitOptions,
): PolicyDocument {
  let changed = false
  const statements = statementsOf(doc).map((statement) => {
    if (
      statement.Effect !== 'Allow' ||
      statement.Action === undefined ||
      isProtected(statement, options.protectedSidPrefix)
    ) {
      return statement
    }
    const expanded = expandActions(listOf(statement.Action), catalog)
    const list = [...expanded.unknown, ...compressActions(expanded.actions, catalog, { level })]
    const next = rewriteStatement(statement, {
      Action: shapedLike(statement.Action, [...new Set(list)].sort(compareText)),
    })
    if (JSON.stringify(next).length >= JSON.stringify(statement).length) return statement
    changed = true
    return next
  })
  return changed ? withStatements(doc, statements) : doc
}

/** Splits one document into pieces of at most `limit` characters, in statement order. */
function split(
  doc: PolicyDocument,
  limit: number,
  notes: string[],
  protectedSidPrefix: string | undefined,
): PolicyDocument[] {
  const overhead = policySize(withStatements(doc, []))
  const room = limit - overhead
  const units = statementsOf(doc).flatMap((statement, index) =>
    splitStatement(statement, index, room, notes, protectedSidPrefix),
  )
  const pieces: Statement[][] = []
  let piece: Statement[] = []
  let used = 0
  for (const unit of units) {
    const size = JSON.stringify(unit).length
    if (piece.length > 0 && used + 1 + size > room) {
      pieces.push(piece)
      piece = []
      used = 0
    }
    used += (piece.length > 0 ? 1 : 0) + size
    piece.push(unit)
  }
  if (piece.length > 0) pieces.push(piece)
  // Arrays keep every piece's Statement a list, even a piece with one statement.
  return pieces.map((statements) => withStatements({ ...doc, Statement: [] }, statements))
}

/** A statement too large for one piece, as several with chunks of its Action list. */
function splitStatement(
  statement: Statement,
  index: number,
  room: number,
  notes: string[],
  protectedSidPrefix: string | undefined,
): Statement[] {
  if (JSON.stringify(statement).length <= room) return [statement]
  // Protected and Deny statements stay whole, whatever their size: they are never rewritten.
  if (statement.Effect === 'Deny' || isProtected(statement, protectedSidPrefix)) {
    notes.push(`Statement[${index}] is larger than ${room} characters and is kept whole`)
    return [statement]
  }
  const actions = listOf(statement.Action)
  if (statement.Action === undefined || actions.length < 2) {
    notes.push(`Statement[${index}] alone is larger than ${room} characters and cannot be split`)
    return [statement]
  }
  const base = JSON.stringify(rewriteStatement(statement, { Action: [] })).length + 20
  const chunks: string[][] = []
  let chunk: string[] = []
  let used = base
  for (const action of actions) {
    const size = JSON.stringify(action).length + 1
    if (chunk.length > 0 && used + size > room) {
      chunks.push(chunk)
      chunk = []
      used = base
    }
    chunk.push(action)
    used += size
  }
  chunks.push(chunk)
  return chunks.map((part, n) =>
    rewriteStatement(statement, {
      Action: part,
      ...(statement.Sid !== undefined && n > 0 ? { Sid: `${statement.Sid}Part${n + 1}` } : {}),
    }),
  )
}
