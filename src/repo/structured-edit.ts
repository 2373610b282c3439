/**
 * Rewrite one value inside a file so that everything the new value shares with the old one keeps
 * its original bytes. Shared by the JSON and HCL (`jsonencode`) formats through a small
 * {@link Dialect}.
 *
 * The rules, from most to least preserving:
 * - an unchanged value keeps its original text;
 * - a container whose new children are the old ones minus some (the usual tightening: actions
 *   dropped from a list, emptied statements removed) keeps its text, minus the dropped children's
 *   lines (one-line containers are re-joined with their own separator);
 * - a container that gains or reorders children is rebuilt in the file's style, reusing the text of
 *   every child it kept.
 */
import {
  type ArrayNode,
  deepEqual,
  isPlainObject,
  type ObjectNode,
  toValue,
  type ValueNode,
} from './syntax-tree.js'
import { applyEdits, indentAt, lineStart, nextLineStart, startsLine } from './text.js'

/** What differs between the languages we rewrite. */
export interface Dialect {
  indentUnit: string
  eol: string
  /** Fresh text for a value that starts on a line indented by `indent`. */
  serialize(value: unknown, indent: string): string
  /** Fresh text for an object member (`"key": value` or `key = value`). */
  memberText(key: string, value: unknown, indent: string): string
  /** What ends each child of a multi-line container: JSON `,`; HCL objects only break lines. */
  separator(container: 'object' | 'array'): string
  /** Whether a rebuilt multi-line container ends its last child with the separator too. */
  trailingSeparator(container: 'object' | 'array'): boolean
  /** The comment starters of the language, so a dropped line takes its trailing comment along. */
  commentStarts: readonly string[]
  /** Re-lay the members of a rebuilt object (HCL aligns `=` the way `terraform fmt` does). */
  realignMembers?(members: readonly string[]): string[]
}

/**
 * Text for `node`'s span after replacing its value with `next`. `next` is shaped first like the
 * old value (a lone string stays a string, a list stays a list) where IAM treats both alike.
 */
export function renderEdit(content: string, node: ValueNode, next: unknown, dialect: Dialect) {
  const plain: unknown = JSON.parse(JSON.stringify(next ?? null))
  return render(content, node, matchShape(toValue(node), plain), dialect)
}

/**
 * Give `next` the scalar-versus-list shape of `old` wherever the content allows: IAM reads
 * `"Action": "s3:GetObject"` and `"Action": ["s3:GetObject"]` alike, and so does every other
 * policy element that takes a list.
 */
export function matchShape(old: unknown, next: unknown): unknown {
  if (Array.isArray(next) && !Array.isArray(old) && next.length === 1) {
    const only = next[0]
    const sameKind =
      (typeof old === 'string' && typeof only === 'string') ||
      (isPlainObject(old) && isPlainObject(only))
    if (sameKind) return matchShape(old, only)
  }
  if (Array.isArray(old) && (typeof next === 'string' || isPlainObject(next))) {
    return [matchShape(old.length === 1 ? old[0] : undefined, next)]
  }
  if (isPlainObject(old) && isPlainObject(next)) {
    const out: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(next)) out[k] = matchShape(old[k], v)
    return out
  }
  if (Array.isArray(old) && Array.isArray(next)) {
    const pairs = pairItems(old, next)
    return next.map((item, j) => {
      const i = pairs[j]
      return i === undefined ? item : matchShape(old[i], item)
    })
  }
  return next
}

/**
 * For each new array item, the index of the old item it continues (or undefined when it is new).
 * Items are matched in order: equal values first, then statements with the same `Sid`, then
 * statements that differ only in their action lists.
 */
export function pairItems(
  old: readonly unknown[],
  next: readonly unknown[],
): (number | undefined)[] {
  if (old.length === next.length && old.every((o, i) => corresponds(o, next[i]))) {
    return next.map((_, i) => i)
  }
  const pairs: (number | undefined)[] = []
  let from = 0
  for (const item of next) {
    let found = old.findIndex((o, i) => i >= from && deepEqual(o, item))
    if (found === -1) found = old.findIndex((o, i) => i >= from && corresponds(o, item))
    pairs.push(found === -1 ? undefined : found)
    if (found !== -1) from = found + 1
  }
  return pairs
}

const ACTION_KEYS = new Set(['Action', 'NotAction'])

function corresponds(old: unknown, next: unknown): boolean {
  if (deepEqual(old, next)) return true
  if (!isPlainObject(old) || !isPlainObject(next)) return false
  if (typeof old.Sid === 'string' && old.Sid !== '') return old.Sid === next.Sid
  const keys = new Set([...Object.keys(old), ...Object.keys(next)])
  return [...keys].every((k) => ACTION_KEYS.has(k) || deepEqual(old[k], next[k]))
}

function render(content: string, node: ValueNode, next: unknown, dialect: Dialect): string {
  if (deepEqual(toValue(node), next)) return content.slice(node.start, node.end)
  if (node.kind === 'object' && isPlainObject(next))
    return renderObject(content, node, next, dialect)
  if (node.kind === 'array' && Array.isArray(next)) return renderArray(content, node, next, dialect)
  return dialect.serialize(next, indentAt(content, node.start))
}

/** One child of a container: a member (key to value) or an array item. */
interface Child {
  start: number
  end: number
  value: ValueNode
}

/** What a rebuilt container holds at one position: an old child carried over, or fresh text. */
type Entry = { old: number; next: unknown } | { fresh: (indent: string) => string }

function renderObject(
  content: string,
  node: ObjectNode,
  next: Record<string, unknown>,
  d: Dialect,
) {
  const oldIndex = new Map(node.members.map((m, i) => [m.key, i]))
  const added = Object.keys(next).filter((k) => !oldIndex.has(k))
  // Keys the file already has keep their order. A new key that swaps with its `Not` twin
  // (`NotAction` becoming `Action`) takes its twin's place; other new keys go last.
  const ordered: string[] = []
  for (const [i, member] of node.members.entries()) {
    if (oldIndex.get(member.key) !== i) continue
    if (member.key in next) ordered.push(member.key)
    else ordered.push(...added.filter((k) => isNotTwin(k, member.key)))
  }
  ordered.push(...added.filter((k) => !ordered.includes(k)))
  const entries: Entry[] = ordered.map((key) => {
    const old = oldIndex.get(key)
    return old === undefined
      ? { fresh: (indent: string) => d.memberText(key, next[key], indent) }
      : { old, next: next[key] }
  })
  return renderContainer(content, node, node.members, entries, 'object', d)
}

const isNotTwin = (a: string, b: string) => a === `Not${b}` || b === `Not${a}`

function renderArray(content: string, node: ArrayNode, next: readonly unknown[], d: Dialect) {
  const pairs = pairItems(node.items.map(toValue), next)
  const entries: Entry[] = next.map((item, j) => {
    const old = pairs[j]
    return old === undefined
      ? { fresh: (indent: string) => d.serialize(item, indent) }
      : { old, next: item }
  })
  const children = node.items.map((value) => ({ start: value.start, end: value.end, value }))
  return renderContainer(content, node, children, entries, 'array', d)
}

function renderContainer(
  content: string,
  node: ValueNode,
  children: readonly Child[],
  entries: readonly Entry[],
  kind: 'object' | 'array',
  d: Dialect,
): string {
  const open = content[node.start] ?? ''
  const close = content[node.end - 1] ?? ''
  if (entries.length === 0) return open + close

  const childText = (entry: Entry, indent: string) => {
    if ('fresh' in entry) return entry.fresh(indent)
    const child = children[entry.old]
    if (child === undefined) return ''
    const keyPart = content.slice(child.start, child.value.start)
    return keyPart + render(content, child.value, entry.next, d)
  }

  const kept = entries.flatMap((e) => ('old' in e ? [e.old] : []))
  const deletionsOnly =
    kept.length === entries.length && kept.every((old, i) => i === 0 || old > (kept[i - 1] ?? 0))
  const inline = !content.slice(node.start, node.end).includes('\n')

  if (inline && children.length > 0) {
    return rebuildInline(content, node, children, entries, childText, d)
  }
  if (deletionsOnly) {
    const text = deleteChildLines(content, node, children, entries, d)
    if (text !== undefined) return text
  }
  return rebuildMultiLine(content, node, children, entries, kind, childText, d)
}

/** Re-join a one-line container, keeping its padding and separator (`[ "a", "b" ]`). */
function rebuildInline(
  content: string,
  node: ValueNode,
  children: readonly Child[],
  entries: readonly Entry[],
  childText: (entry: Entry, indent: string) => string,
  d: Dialect,
): string {
  const first = children[0] as Child
  const last = children[children.length - 1] as Child
  const lastComma = commaAfter(content, last.end)
  const padStart = content.slice(node.start + 1, first.start)
  const padEnd = content.slice(lastComma === undefined ? last.end : lastComma + 1, node.end - 1)
  const second = children[1]
  const firstComma = commaAfter(content, first.end)
  const separator =
    second !== undefined && firstComma !== undefined
      ? content.slice(firstComma, second.start)
      : `${d.separator('array') || ','} `
  const indent = indentAt(content, node.start)
  return (
    (content[node.start] ?? '') +
    padStart +
    entries.map((e) => childText(e, indent)).join(separator) +
    (lastComma === undefined ? '' : ',') +
    padEnd +
    (content[node.end - 1] ?? '')
  )
}

/**
 * Drop whole lines of removed children from a multi-line container and edit kept children in
 * place, so comments and blank lines between kept children survive. Undefined when a removed
 * child shares a line with something else.
 */
function deleteChildLines(
  content: string,
  node: ValueNode,
  children: readonly Child[],
  entries: readonly Entry[],
  d: Dialect,
): string | undefined {
  const keptOld = new Map<number, unknown>()
  for (const e of entries) if ('old' in e) keptOld.set(e.old, e.next)
  const edits: { start: number; end: number; text: string }[] = []
  for (const [i, child] of children.entries()) {
    if (keptOld.has(i)) {
      const text = render(content, child.value, keptOld.get(i), d)
      edits.push({ start: child.value.start, end: child.value.end, text })
      continue
    }
    const lines = ownLines(content, child, d)
    if (lines === undefined) return undefined
    edits.push({ ...lines, text: '' })
  }
  // A removed last child may leave the new last child with a separator the file never had.
  const lastOld = children.length - 1
  const lastKept = Math.max(...keptOld.keys())
  if (!keptOld.has(lastOld)) {
    const hadTrailing = commaAfter(content, (children[lastOld] as Child).end) !== undefined
    const comma = commaAfter(content, (children[lastKept] as Child).end)
    if (!hadTrailing && comma !== undefined) edits.push({ start: comma, end: comma + 1, text: '' })
  }
  const inner = applyEdits(content.slice(0, node.end), edits)
  return inner.slice(node.start)
}

/**
 * The lines a child occupies, with its separator, trailing comment and any comment lines just
 * above it. Undefined if the child does not have its lines to itself.
 */
function ownLines(
  content: string,
  child: Child,
  d: Dialect,
): { start: number; end: number } | undefined {
  if (!startsLine(content, child.start)) return undefined
  let pos = child.end
  const comma = commaAfter(content, pos)
  if (comma !== undefined) pos = comma + 1
  const lineEnd = nextLineStart(content, pos)
  const rest = content.slice(pos, lineEnd).trim()
  if (rest !== '' && !d.commentStarts.some((c) => rest.startsWith(c))) return undefined
  let start = lineStart(content, child.start)
  for (;;) {
    if (start === 0) break
    const above = lineStart(content, start - 1)
    const text = content.slice(above, start).trim()
    if (text === '' || !d.commentStarts.some((c) => text.startsWith(c))) break
    start = above
  }
  return { start, end: lineEnd }
}

/** Rebuild a multi-line container one child per line, in the indentation the file uses. */
function rebuildMultiLine(
  content: string,
  node: ValueNode,
  children: readonly Child[],
  entries: readonly Entry[],
  kind: 'object' | 'array',
  childText: (entry: Entry, indent: string) => string,
  d: Dialect,
): string {
  const first = children[0]
  const baseIndent = indentAt(content, node.start)
  const childIndent =
    first !== undefined && startsLine(content, first.start)
      ? indentAt(content, first.start)
      : baseIndent + d.indentUnit
  const closeIndent = startsLine(content, node.end - 1)
    ? indentAt(content, node.end - 1)
    : baseIndent
  const last = children[children.length - 1]
  const trailing =
    last !== undefined
      ? commaAfter(content, last.end) !== undefined && d.separator(kind) !== ''
      : d.trailingSeparator(kind)
  const separator = d.separator(kind)
  let texts = entries.map((e) => childText(e, childIndent))
  if (kind === 'object' && d.realignMembers) texts = d.realignMembers(texts)
  const lines = texts.map((text, i) => {
    const end = i < entries.length - 1 || trailing ? separator : ''
    return childIndent + text + end
  })
  const open = content[node.start] ?? ''
  const close = content[node.end - 1] ?? ''
  return `${open}${d.eol}${lines.join(d.eol)}${d.eol}${closeIndent}${close}`
}

/** Offset of a comma right after `pos` (spaces and tabs allowed before it), if any. */
function commaAfter(content: string, pos: number): number | undefined {
  let i = pos
  while (content[i] === ' ' || content[i] === '\t') i++
  return content[i] === ',' ? i : undefined
}
