/**
 * JSON policy files: `{ "Version": ..., "Statement": ... }`, or the IAM API's wrapper
 * `{ "PolicyName": ..., "PolicyDocument": { ... } }`. Edits keep the file's indentation, line
 * breaks, key order and the scalar-or-list shape of every element the new document allows.
 */
import { InvariantError, ScopedownError } from '../util/errors.js'
import { jsonDialect } from './json-dialect.js'
import { detectJsonStyle, JsonSyntaxError, parseJsonValue } from './json-syntax.js'
import { renderEdit } from './structured-edit.js'
import { memberNamed, type ObjectNode, toValue, type ValueNode } from './syntax-tree.js'
import { lineAndColumn, splice } from './text.js'
import type { LocatedPolicy, PolicyFormat } from './types.js'

/** Parse a JSON file or throw `POLICY_INVALID` naming the file, line and column. */
export function parseJsonFile(
  content: string,
  path: string,
  from?: number,
  to?: number,
): ValueNode {
  try {
    return parseJsonValue(content, from, to)
  } catch (error) {
    if (!(error instanceof JsonSyntaxError)) throw error
    const { line, column } = lineAndColumn(content, error.offset)
    throw new ScopedownError('POLICY_INVALID', `${path}:${line}:${column}: ${error.message}`, {
      cause: error,
      hint: 'Fix the JSON syntax in the repo; scopedown only edits files it can parse exactly.',
    })
  }
}

/** The policy document node of a parsed JSON value, if it holds one. */
export function policyNodeOf(root: ValueNode): { node: ObjectNode; name?: string } | undefined {
  if (root.kind !== 'object') return undefined
  if (memberNamed(root, 'Statement') !== undefined) return { node: root }
  const wrapped = memberNamed(root, 'PolicyDocument')?.value
  if (wrapped?.kind === 'object' && memberNamed(wrapped, 'Statement') !== undefined) {
    const name = memberNamed(root, 'PolicyName')?.value
    return { node: wrapped, name: name?.kind === 'scalar' ? String(name.value) : undefined }
  }
  return undefined
}

const baseName = (path: string) => (path.split('/').pop() ?? path).replace(/\.json$/i, '')

/** Find the value node that exactly covers `span`, anywhere in the tree. */
function nodeWithSpan(node: ValueNode, start: number, end: number): ValueNode | undefined {
  if (node.start === start && node.end === end) return node
  if (node.start > start || node.end < end) return undefined
  const children =
    node.kind === 'object'
      ? node.members.map((m) => m.value)
      : node.kind === 'array'
        ? node.items
        : []
  for (const child of children) {
    const found = nodeWithSpan(child, start, end)
    if (found) return found
  }
  return undefined
}

/**
 * Replace the JSON value at `[start, end)` of `content`, writing new text in the style of the
 * text around it. Shared with Terraform heredocs, whose bodies are JSON.
 */
export function replaceJsonValue(
  content: string,
  span: { start: number; end: number },
  next: unknown,
  where: string,
  within: { start: number; end: number } = { start: 0, end: content.length },
): string {
  const root = parseJsonFile(content, where, within.start, within.end)
  const node = nodeWithSpan(root, span.start, span.end)
  if (node === undefined) {
    throw new InvariantError(`${where}: no JSON value at offsets ${span.start}-${span.end}`)
  }
  const style = detectJsonStyle(content.slice(within.start, within.end))
  return splice(content, span.start, span.end, renderEdit(content, node, next, jsonDialect(style)))
}

/** The JSON {@link PolicyFormat}. */
export const jsonFormat: PolicyFormat = {
  id: 'json',
  handles: (path) => path.toLowerCase().endsWith('.json'),
  extract(content, path): LocatedPolicy[] {
    const found = policyNodeOf(parseJsonFile(content, path))
    if (found === undefined) return []
    return [
      {
        file: path,
        format: 'json',
        kind: 'inline',
        label: path,
        policyName: found.name ?? baseName(path),
        span: { start: found.node.start, end: found.node.end },
        document: toValue(found.node),
        encoding: 'json-file',
      },
    ]
  },
  replace: (content, at, next) => replaceJsonValue(content, at.span, next, at.file),
}
