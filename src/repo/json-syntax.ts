/**
 * JSON with positions: a small recursive-descent parser that keeps the span of every value, and a
 * detector for the file's layout (indent unit, line breaks, spacing) that the serializer mimics.
 */
import type { ArrayNode, MemberNode, ObjectNode, ScalarNode, ValueNode } from './syntax-tree.js'
import { detectEol } from './text.js'

/** Raised for malformed JSON; `offset` points at the offending character. */
export class JsonSyntaxError extends Error {
  readonly offset: number
  constructor(message: string, offset: number) {
    super(message)
    this.name = 'JsonSyntaxError'
    this.offset = offset
  }
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y
const WHITESPACE = /[ \t\r\n]*/y

/**
 * Parse exactly one JSON value found in `content[from, to)`, allowing surrounding whitespace
 * (and a byte-order mark at the start of the file). Throws {@link JsonSyntaxError}.
 */
export function parseJsonValue(content: string, from = 0, to = content.length): ValueNode {
  let pos = from
  if (pos === 0 && content.charCodeAt(0) === 0xfeff) pos = 1

  const fail = (what: string): never => {
    const found = pos < to ? JSON.stringify(content[pos]) : 'end of input'
    throw new JsonSyntaxError(`expected ${what}, found ${found}`, pos)
  }
  const skipWhitespace = () => {
    WHITESPACE.lastIndex = pos
    WHITESPACE.test(content)
    pos = Math.min(WHITESPACE.lastIndex, to)
  }
  const expect = (ch: string) => {
    if (content[pos] !== ch || pos >= to) fail(`'${ch}'`)
    pos++
  }

  const parseString = (): ScalarNode => {
    const start = pos
    pos++ // opening quote
    while (pos < to && content[pos] !== '"') {
      if (content[pos] === '\\') pos++
      else if (content.charCodeAt(pos) < 0x20) fail('a character allowed in strings')
      pos++
    }
    if (pos >= to) fail('closing quote')
    pos++
    const raw = content.slice(start, pos)
    try {
      return { kind: 'scalar', value: JSON.parse(raw) as string, start, end: pos }
    } catch {
      throw new JsonSyntaxError(`invalid escape in string ${raw}`, start)
    }
  }

  const parseObject = (): ObjectNode => {
    const start = pos
    pos++
    const members: MemberNode[] = []
    skipWhitespace()
    if (content[pos] === '}') {
      pos++
      return { kind: 'object', members, start, end: pos }
    }
    for (;;) {
      skipWhitespace()
      if (content[pos] !== '"') fail('a quoted key')
      const key = parseString()
      skipWhitespace()
      expect(':')
      skipWhitespace()
      const value = parseValue()
      members.push({ key: key.value as string, value, start: key.start, end: value.end })
      skipWhitespace()
      if (content[pos] === ',') {
        pos++
        continue
      }
      expect('}')
      return { kind: 'object', members, start, end: pos }
    }
  }

  const parseArray = (): ArrayNode => {
    const start = pos
    pos++
    const items: ValueNode[] = []
    skipWhitespace()
    if (content[pos] === ']') {
      pos++
      return { kind: 'array', items, start, end: pos }
    }
    for (;;) {
      skipWhitespace()
      items.push(parseValue())
      skipWhitespace()
      if (content[pos] === ',') {
        pos++
        continue
      }
      expect(']')
      return { kind: 'array', items, start, end: pos }
    }
  }

  const parseLiteral = (): ScalarNode => {
    const start = pos
    for (const [word, value] of [
      ['true', true],
      ['false', false],
      ['null', null],
    ] as const) {
      if (content.startsWith(word, pos)) {
        pos += word.length
        return { kind: 'scalar', value, start, end: pos }
      }
    }
    NUMBER.lastIndex = pos
    const match = NUMBER.exec(content)
    if (!match || match[0] === '' || pos + match[0].length > to) return fail('a JSON value')
    pos += match[0].length
    return { kind: 'scalar', value: Number(match[0]), start, end: pos }
  }

  const parseValue = (): ValueNode => {
    if (pos >= to) return fail('a JSON value')
    const ch = content[pos]
    if (ch === '{') return parseObject()
    if (ch === '[') return parseArray()
    if (ch === '"') return parseString()
    return parseLiteral()
  }

  skipWhitespace()
  const root = parseValue()
  skipWhitespace()
  if (pos < to) fail('end of input')
  return root
}

/** How a JSON file is laid out, so new text looks like the text around it. */
export interface JsonStyle {
  /** One level of indentation: two spaces, four spaces, a tab... */
  indentUnit: string
  eol: '\n' | '\r\n'
  /** Text between a key and its value, usually `': '`. */
  colon: string
  /** Whether short arrays of strings are written on one line (`["a", "b"]`). */
  inlineScalarArrays: boolean
  /** Separator between items of a one-line array, `', '` or `','`. */
  inlineSeparator: string
}

/** Detect the layout of a JSON text from its own lines; falls back to 2 spaces and LF. */
export function detectJsonStyle(text: string): JsonStyle {
  const eol = detectEol(text)
  const indentUnit = detectIndentUnit(text)
  const colon = /"\s*:[ \t]*(?=\S)/.exec(text)?.[0].slice(1) ?? ': '
  const inlineArray = /\[[ \t]*"[^"\n]*"[ \t]*(,[ \t]*)"/.exec(text)
  const inlineArrays = text.match(/\[[ \t]*"[^"\n]*"[ \t]*[,\]]/g)?.length ?? 0
  const multiLineArrays = text.match(/\[[ \t]*\r?\n[ \t]*"/g)?.length ?? 0
  return {
    indentUnit,
    eol,
    colon,
    inlineScalarArrays: inlineArrays > multiLineArrays,
    inlineSeparator: inlineArray?.[1] ?? ', ',
  }
}

/**
 * The indentation step of a text: a tab if lines are tab-indented, else the smallest difference
 * between two indentation depths (so a block indented as a whole, as in a heredoc, still reads as
 * its own step). Two spaces when the text shows no nesting.
 */
export function detectIndentUnit(text: string): string {
  const indents = text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => /^[ \t]*/.exec(line)?.[0] ?? '')
  if (indents.some((i) => i.startsWith('\t'))) return '\t'
  const depths = [...new Set(indents.map((i) => i.length))].sort((a, b) => a - b)
  let step = Number.POSITIVE_INFINITY
  for (let i = 1; i < depths.length; i++)
    step = Math.min(step, (depths[i] ?? 0) - (depths[i - 1] ?? 0))
  return Number.isFinite(step) ? ' '.repeat(step) : '  '
}
