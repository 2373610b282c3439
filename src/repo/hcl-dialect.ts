/**
 * HCL values as edit trees, and a serializer that writes HCL the way `terraform fmt` lays it out
 * (aligned `=` in runs of one-line members), in the file's own indentation and line breaks.
 */
import type { HclExpr } from './hcl-parser.js'
import { detectIndentUnit } from './json-syntax.js'
import type { Dialect } from './structured-edit.js'
import { isPlainObject, type MemberNode, type ValueNode } from './syntax-tree.js'
import { detectEol } from './text.js'

/**
 * The edit tree of an HCL expression. Literals, tuples and objects map to JSON values; any other
 * expression (a reference, a function call, a template) becomes the string `${...}` holding its
 * source, as Terraform's JSON syntax writes it, and is marked `expression`.
 */
export function hclValueNode(expr: HclExpr, content: string): ValueNode {
  const span = { start: expr.start, end: expr.end }
  switch (expr.kind) {
    case 'literal':
      return { ...span, kind: 'scalar', value: expr.value }
    case 'template':
      return { ...span, kind: 'scalar', value: expr.source, expression: true }
    case 'tuple':
      return { ...span, kind: 'array', items: expr.items.map((i) => hclValueNode(i, content)) }
    case 'object': {
      if (expr.elems.some((e) => e.key === undefined)) break
      const members: MemberNode[] = expr.elems.map((e) => ({
        key: e.key as string,
        value: hclValueNode(e.value, content),
        start: e.keySpan.start,
        end: e.value.end,
      }))
      return { ...span, kind: 'object', members }
    }
    default:
      break
  }
  return {
    ...span,
    kind: 'scalar',
    value: `\${${content.slice(expr.start, expr.end)}}`,
    expression: true,
  }
}

/** True if the tree holds any expression scopedown cannot evaluate. */
export function hasExpression(node: ValueNode | undefined): boolean {
  if (node === undefined) return false
  if (node.kind === 'scalar') return node.expression === true
  if (node.kind === 'array') return node.items.some(hasExpression)
  return node.members.some((m) => hasExpression(m.value))
}

/** How a Terraform file writes HCL values. */
export interface HclStyle {
  indentUnit: string
  eol: '\n' | '\r\n'
  /** Whether lists of strings go on one line (`["a", "b"]`). */
  inlineScalarTuples: boolean
  /** Whether multi-line tuples end their last item with a comma. */
  trailingComma: boolean
  /** Whether object keys are written as strings (`"Effect" = ...`) rather than names. */
  quotedKeys: boolean
}

/** Detect the HCL style of a file from its text. */
export function detectHclStyle(content: string): HclStyle {
  const multiLineTuples = content.match(/=[ \t]*\[[ \t]*\r?\n[ \t]*"/g)?.length ?? 0
  const inlineTuples = content.match(/=[ \t]*\[[ \t]*"[^"\n]*"[ \t]*[,\]]/g)?.length ?? 0
  const lastItem = /"[ \t]*(,?)[ \t]*\r?\n[ \t]*\]/.exec(content)
  const objectKey = /[{\n][ \t]*("?)[A-Za-z][\w:-]*\1[ \t]*=/.exec(
    content.slice(content.indexOf('jsonencode')),
  )
  return {
    indentUnit: detectIndentUnit(content),
    eol: detectEol(content),
    inlineScalarTuples: inlineTuples >= multiLineTuples,
    trailingComma: lastItem === null ? true : lastItem[1] === ',',
    quotedKeys: content.includes('jsonencode') && objectKey?.[1] === '"',
  }
}

const NAME = /^[A-Za-z_][A-Za-z0-9_-]*$/

/** An HCL string literal. `${` and `%{` are written as given (see {@link unquote}). */
export function quoteHcl(value: string): string {
  const escaped = value
    .replace(/\\/g, '\\\\')
    .replace(/"/g, '\\"')
    .replace(/\n/g, '\\n')
    .replace(/\r/g, '\\r')
    .replace(/\t/g, '\\t')
  return `"${escaped}"`
}

function keyText(key: string, style: HclStyle): string {
  return NAME.test(key) && !style.quotedKeys ? key : quoteHcl(key)
}

/** Serialize a JSON value as HCL, laid out like `terraform fmt` with the file's indentation. */
export function serializeHcl(value: unknown, style: HclStyle, indent = ''): string {
  const inner = indent + style.indentUnit
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]'
    const scalars = value.every((v) => v === null || typeof v !== 'object')
    if (scalars && style.inlineScalarTuples) {
      return `[${value.map((v) => serializeHcl(v, style, indent)).join(', ')}]`
    }
    const items = value.map((v, i) => {
      const comma = i < value.length - 1 || style.trailingComma ? ',' : ''
      return `${inner}${serializeHcl(v, style, inner)}${comma}`
    })
    return `[${style.eol}${items.join(style.eol)}${style.eol}${indent}]`
  }
  if (isPlainObject(value)) {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined)
    if (entries.length === 0) return '{}'
    const members = entries.map(([k, v]) => ({
      key: keyText(k, style),
      text: serializeHcl(v, style, inner),
    }))
    return `{${style.eol}${alignMembers(members, inner).join(style.eol)}${style.eol}${indent}}`
  }
  if (typeof value === 'string') return quoteHcl(value)
  return JSON.stringify(value ?? null)
}

/**
 * `key = value` lines with `=` aligned across each run of members, as `terraform fmt` does: a run
 * ends after a member whose value spans several lines.
 */
function alignMembers(members: readonly { key: string; text: string }[], indent: string): string[] {
  const lines: string[] = []
  let run: { key: string; text: string }[] = []
  const flush = () => {
    const width = Math.max(...run.map((m) => m.key.length))
    for (const m of run) lines.push(`${indent}${m.key.padEnd(width)} = ${m.text}`)
    run = []
  }
  for (const m of members) {
    run.push(m)
    if (m.text.includes('\n')) flush()
  }
  if (run.length > 0) flush()
  return lines
}

/** The HCL dialect for {@link renderEdit}. */
export function hclDialect(style: HclStyle): Dialect {
  return {
    indentUnit: style.indentUnit,
    eol: style.eol,
    serialize: (value, indent) => serializeHcl(value, style, indent),
    memberText: (key, value, indent) =>
      `${keyText(key, style)} = ${serializeHcl(value, style, indent)}`,
    separator: (container) => (container === 'array' ? ',' : ''),
    trailingSeparator: (container) => container === 'array' && style.trailingComma,
    commentStarts: ['#', '//', '/*'],
    realignMembers: (members) => {
      const split = members.map((m) => {
        const match = /^("(?:[^"\\]|\\.)*"|[^\s=]+)\s*=\s*/.exec(m)
        return match ? { key: match[1] ?? '', text: m.slice(match[0].length) } : undefined
      })
      if (split.some((m) => m === undefined)) return [...members]
      return alignMembers(split as { key: string; text: string }[], '')
    },
  }
}
