/**
 * A position-aware view of a policy value inside a file, shared by the JSON and HCL readers.
 *
 * Both readers turn their syntax into these nodes so that one edit algorithm
 * (`structured-edit.ts`) can rewrite either language while reusing every untouched byte.
 * Offsets are JavaScript string indices (UTF-16 code units) into the decoded file content.
 */

/** A half-open range `[start, end)` of string indices in a file's content. */
export interface Span {
  start: number
  end: number
}

/** A string, number, boolean or null; `expression` marks HCL code we keep as `${...}` text. */
export interface ScalarNode extends Span {
  kind: 'scalar'
  value: string | number | boolean | null
  expression?: boolean
}

/** `[ ... ]`: the span runs from the opening to just after the closing bracket. */
export interface ArrayNode extends Span {
  kind: 'array'
  items: readonly ValueNode[]
}

/** `{ ... }`: the span runs from the opening to just after the closing brace. */
export interface ObjectNode extends Span {
  kind: 'object'
  members: readonly MemberNode[]
}

/** One `key: value` (JSON) or `key = value` (HCL); the span runs from the key to the value end. */
export interface MemberNode extends Span {
  key: string
  value: ValueNode
}

export type ValueNode = ScalarNode | ArrayNode | ObjectNode

/** The plain JSON value a node stands for. */
export function toValue(node: ValueNode): unknown {
  switch (node.kind) {
    case 'scalar':
      return node.value
    case 'array':
      return node.items.map(toValue)
    case 'object': {
      const out: Record<string, unknown> = {}
      for (const m of node.members) out[m.key] = toValue(m.value)
      return out
    }
  }
}

/** The node found by following object keys and array indices, if any. */
export function nodeAt(node: ValueNode, path: readonly (string | number)[]): ValueNode | undefined {
  let current: ValueNode | undefined = node
  for (const step of path) {
    if (current === undefined) return undefined
    if (typeof step === 'number')
      current = current.kind === 'array' ? current.items[step] : undefined
    else current = current.kind === 'object' ? memberNamed(current, step)?.value : undefined
  }
  return current
}

/** The last member with this key (JSON.parse semantics for duplicate keys). */
export function memberNamed(node: ObjectNode, key: string): MemberNode | undefined {
  return node.members.findLast((m) => m.key === key)
}

/** Structural equality of plain JSON values; object key order does not matter. */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false
    return a.every((item, i) => deepEqual(item, b[i]))
  }
  if (isPlainObject(a) && isPlainObject(b)) {
    const keys = Object.keys(a)
    if (keys.length !== Object.keys(b).length) return false
    return keys.every((k) => Object.hasOwn(b, k) && deepEqual(a[k], b[k]))
  }
  return false
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
