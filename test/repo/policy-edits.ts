/** Test helpers: fixture access and the document edits a planner makes. */
import { readFileSync } from 'node:fs'
import { isPlainObject } from '../../src/repo/syntax-tree.js'

const FIXTURES = new URL('../../fixtures/repo-formats/', import.meta.url)

/** A fixture's text, as stored (no newline or BOM handling). */
export function fixture(path: string): string {
  return readFileSync(new URL(path, FIXTURES), 'utf8')
}

/** Absolute path of a fixture folder. */
export function fixturePath(path: string): string {
  return new URL(path, FIXTURES).pathname
}

type Statement = Record<string, unknown>

function statementsOf(doc: unknown): Statement[] {
  if (!isPlainObject(doc)) return []
  const s = doc.Statement
  return (Array.isArray(s) ? s : s === undefined ? [] : [s]) as Statement[]
}

const asList = (value: unknown): unknown[] =>
  Array.isArray(value) ? value : value === undefined ? [] : [value]

/**
 * The document with each Allow statement's actions filtered by `keep`, dropping Allow statements
 * left with no action. Deny and NotAction statements are left alone, as the planner does.
 */
export function pruneActions(doc: unknown, keep: (action: string, statement: number) => boolean) {
  const copy = structuredClone(doc) as Record<string, unknown>
  const kept: Statement[] = []
  for (const [i, statement] of statementsOf(copy).entries()) {
    if (statement.Effect === 'Deny' || statement.Action === undefined) {
      kept.push(statement)
      continue
    }
    const actions = asList(statement.Action).filter((a) => keep(String(a), i))
    if (actions.length === 0) continue
    kept.push({ ...statement, Action: actions })
  }
  copy.Statement = kept
  return copy
}

/** Every action of every statement, with its statement index. */
export function actionsOf(doc: unknown): { action: string; statement: number }[] {
  return statementsOf(doc).flatMap((s, statement) =>
    asList(s.Action).map((action) => ({ action: String(action), statement })),
  )
}

/** Replace a NotAction statement (by Sid or index) with an explicit Action list. */
export function notActionToAction(doc: unknown, actions: string[]) {
  const copy = structuredClone(doc) as Record<string, unknown>
  copy.Statement = statementsOf(copy).map((s) => {
    if (s.NotAction === undefined) return s
    const { NotAction: _, ...rest } = s
    return { ...rest, Action: actions }
  })
  return copy
}

/**
 * A document in a canonical shape for comparisons: Statement and the list elements as arrays,
 * so `"s3:GetObject"` and `["s3:GetObject"]` compare equal (IAM reads them alike).
 */
export function normalize(doc: unknown): unknown {
  if (!isPlainObject(doc)) return doc
  const lists = ['Action', 'NotAction', 'Resource', 'NotResource']
  return {
    ...doc,
    Statement: statementsOf(doc).map((s) => {
      const out: Statement = { ...s }
      for (const key of lists) if (out[key] !== undefined) out[key] = asList(out[key])
      return out
    }),
  }
}
