/**
 * `data "aws_iam_policy_document"` blocks: read them as IAM policy JSON, and write a tightened
 * document back by editing only `actions` / `not_actions` lists and removing emptied `statement`
 * blocks. Anything else in the new document is refused, because it cannot be expressed as a
 * small edit of the block.
 */
import { ScopedownError } from '../util/errors.js'
import {
  detectHclStyle,
  hasExpression,
  hclDialect,
  hclValueNode,
  serializeHcl,
} from './hcl-dialect.js'
import type { HclAttribute, HclBlock } from './hcl-parser.js'
import { matchShape, pairItems, renderEdit } from './structured-edit.js'
import { deepEqual, isPlainObject, toValue } from './syntax-tree.js'
import { applyEdits, lineStart, nextLineStart } from './text.js'

/** Statement attributes and the IAM element each becomes. */
const LIST_ELEMENTS = {
  actions: 'Action',
  not_actions: 'NotAction',
  resources: 'Resource',
  not_resources: 'NotResource',
} as const

const attr = (block: HclBlock, name: string): HclAttribute | undefined =>
  block.body.attributes.find((a) => a.name === name)

const blocksNamed = (block: HclBlock, type: string) =>
  block.body.blocks.filter((b) => b.type === type)

/** The IAM JSON a policy-document block stands for, or why scopedown cannot read it. */
export function readPolicyDocument(
  block: HclBlock,
  content: string,
): { document: Record<string, unknown> } | { unsupported: string } {
  for (const name of [
    'source_policy_documents',
    'override_policy_documents',
    'source_json',
    'override_json',
  ]) {
    if (attr(block, name)) return { unsupported: `merges other documents through \`${name}\`` }
  }
  if (block.body.blocks.some((b) => b.type === 'dynamic')) {
    return { unsupported: 'builds statements with a `dynamic` block' }
  }
  const value = (a: HclAttribute | undefined) =>
    a ? toValue(hclValueNode(a.expr, content)) : undefined
  const statements: Record<string, unknown>[] = []
  for (const statement of blocksNamed(block, 'statement')) {
    if (statement.body.blocks.some((b) => b.type === 'dynamic')) {
      return { unsupported: 'builds a statement with a `dynamic` block' }
    }
    const out: Record<string, unknown> = {}
    const sid = value(attr(statement, 'sid'))
    if (sid !== undefined) out.Sid = sid
    out.Effect = value(attr(statement, 'effect')) ?? 'Allow'
    for (const [name, element] of Object.entries(LIST_ELEMENTS)) {
      const a = attr(statement, name)
      if (a === undefined) continue
      const node = hclValueNode(a.expr, content)
      if (name.endsWith('actions') && (node.kind !== 'array' || hasExpression(node))) {
        return {
          unsupported: `\`${name}\` is computed (${content.slice(a.expr.start, a.expr.end)})`,
        }
      }
      out[element] = toValue(node)
    }
    for (const [type, element] of [
      ['principals', 'Principal'],
      ['not_principals', 'NotPrincipal'],
    ] as const) {
      const principals: Record<string, unknown[]> = {}
      for (const p of blocksNamed(statement, type)) {
        const kind = String(value(attr(p, 'type')))
        const ids = value(attr(p, 'identifiers'))
        principals[kind] = [...(principals[kind] ?? []), ...(Array.isArray(ids) ? ids : [ids])]
      }
      if (Object.keys(principals).length > 0) out[element] = principals
    }
    const conditions: Record<string, Record<string, unknown[]>> = {}
    for (const c of blocksNamed(statement, 'condition')) {
      const test = String(value(attr(c, 'test')))
      const variable = String(value(attr(c, 'variable')))
      const values = value(attr(c, 'values'))
      const byTest = conditions[test] ?? {}
      conditions[test] = byTest
      byTest[variable] = [
        ...(byTest[variable] ?? []),
        ...(Array.isArray(values) ? values : [values]),
      ]
    }
    if (Object.keys(conditions).length > 0) out.Condition = conditions
    statements.push(out)
  }
  const document: Record<string, unknown> = {
    Version: value(attr(block, 'version')) ?? '2012-10-17',
  }
  const id = value(attr(block, 'policy_id'))
  if (id !== undefined) document.Id = id
  document.Statement = statements
  return { document }
}

function refuse(where: string, what: string): never {
  throw new ScopedownError(
    'POLICY_INVALID',
    `${where}: cannot write this change into an aws_iam_policy_document: ${what}`,
    {
      hint: 'In policy-document data sources scopedown only edits actions and drops statements.',
    },
  )
}

/**
 * The block's text with `next` written into it: action lists rewritten in place (their layout and
 * comments kept), statement blocks whose statement is gone removed with their comment lines.
 * Returns the new text of the whole block.
 */
export function rewritePolicyDocument(
  block: HclBlock,
  content: string,
  next: unknown,
  where: string,
): string {
  const read = readPolicyDocument(block, content)
  if ('unsupported' in read) refuse(where, read.unsupported)
  const before = read.document
  if (!isPlainObject(next)) return refuse(where, 'the new document is not an object')
  const after = matchShape(before, next) as Record<string, unknown>
  for (const key of new Set([...Object.keys(before), ...Object.keys(after)])) {
    if (key !== 'Statement' && !deepEqual(before[key], after[key]))
      refuse(where, `\`${key}\` changed`)
  }
  const oldStatements = before.Statement as Record<string, unknown>[]
  const rawNew = after.Statement
  const newStatements = (
    Array.isArray(rawNew) ? rawNew : rawNew === undefined ? [] : [rawNew]
  ) as unknown[]
  const pairs = pairItems(oldStatements, newStatements)
  if (pairs.some((p, i) => p === undefined || (i > 0 && p <= (pairs[i - 1] ?? -1)))) {
    refuse(where, 'statements were added or reordered')
  }
  const style = detectHclStyle(content)
  const blocks = blocksNamed(block, 'statement')
  const edits: { start: number; end: number; text: string }[] = []
  for (const [i, statementBlock] of blocks.entries()) {
    const j = pairs.indexOf(i)
    if (j === -1) {
      edits.push({ ...blockLines(content, statementBlock), text: '' })
      continue
    }
    const oldStatement = oldStatements[i] as Record<string, unknown>
    const newStatement = newStatements[j]
    if (!isPlainObject(newStatement)) return refuse(where, 'a statement is not an object')
    for (const key of new Set([...Object.keys(oldStatement), ...Object.keys(newStatement)])) {
      if (deepEqual(oldStatement[key], newStatement[key])) continue
      if (key !== 'Action' && key !== 'NotAction')
        refuse(where, `statement ${i + 1} changed \`${key}\``)
    }
    edits.push(...actionEdits(statementBlock, oldStatement, newStatement, content, style, where))
  }
  return applyEdits(content.slice(0, block.end), edits).slice(block.start)
}

/** Edits that turn a statement block's `actions` / `not_actions` into the new statement's lists. */
function actionEdits(
  block: HclBlock,
  before: Record<string, unknown>,
  after: Record<string, unknown>,
  content: string,
  style: ReturnType<typeof detectHclStyle>,
  where: string,
): { start: number; end: number; text: string }[] {
  const edits: { start: number; end: number; text: string }[] = []
  const dialect = hclDialect(style)
  const lists = [
    { name: 'actions', element: 'Action', twinName: 'not_actions', twinElement: 'NotAction' },
    { name: 'not_actions', element: 'NotAction', twinName: 'actions', twinElement: 'Action' },
  ] as const
  for (const { name, element, twinName, twinElement } of lists) {
    if (deepEqual(before[element], after[element])) continue
    const own = attr(block, name)
    const twin = attr(block, twinName)
    const swapped = after[twinElement] !== undefined && before[twinElement] === undefined
    if (own !== undefined && after[element] !== undefined) {
      const text = renderEdit(content, hclValueNode(own.expr, content), after[element], dialect)
      edits.push({ start: own.expr.start, end: own.expr.end, text })
    } else if (own === undefined && twin !== undefined && after[twinElement] === undefined) {
      // `not_actions` becomes `actions`: rename in place, keeping `=` in its column.
      const gap = content.slice(twin.nameSpan.end, twin.expr.start)
      const width = twinName.length + gap.indexOf('=')
      const indent = content.slice(lineStart(content, twin.start), twin.start)
      const inline = !content.slice(twin.expr.start, twin.expr.end).includes('\n')
      const value = serializeHcl(after[element], { ...style, inlineScalarTuples: inline }, indent)
      edits.push({ start: twin.start, end: twin.end, text: `${name.padEnd(width - 1)} = ${value}` })
    } else if (!(own !== undefined && after[element] === undefined && swapped)) {
      refuse(where, `\`${name}\` cannot be changed that way`)
    }
  }
  return edits
}

/** The lines a block occupies, with the comment lines right above it. */
function blockLines(content: string, block: HclBlock): { start: number; end: number } {
  let start = lineStart(content, block.start)
  while (start > 0) {
    const above = lineStart(content, start - 1)
    const text = content.slice(above, start).trim()
    if (!/^(#|\/\/)/.test(text)) break
    start = above
  }
  let end = nextLineStart(content, block.end)
  // Removing a block between two blank lines would leave two blank lines: take one along.
  const blankAbove = start > 0 && content.slice(lineStart(content, start - 1), start).trim() === ''
  const blankBelow =
    end < content.length && content.slice(end, nextLineStart(content, end)).trim() === ''
  if (blankAbove && blankBelow) end = nextLineStart(content, end)
  return { start, end }
}
