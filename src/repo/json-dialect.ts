/** The JSON flavour of {@link Dialect}: a serializer that writes values in a file's own style. */

import type { JsonStyle } from './json-syntax.js'
import type { Dialect } from './structured-edit.js'
import { isPlainObject } from './syntax-tree.js'

/**
 * Serialize a value the way the file around it is written: its indent unit, line breaks, colon
 * spacing and one-line-versus-multi-line arrays of strings. `indent` is the indentation of the
 * line the value starts on. With the style detected from a canonical file this reproduces the
 * file's text exactly.
 */
export function serializeJson(value: unknown, style: JsonStyle, indent = ''): string {
  const inner = indent + style.indentUnit
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]'
    const scalars = value.every((v) => v === null || typeof v !== 'object')
    if (scalars && style.inlineScalarArrays) {
      return `[${value.map((v) => JSON.stringify(v)).join(style.inlineSeparator)}]`
    }
    const items = value.map((v) => inner + serializeJson(v, style, inner))
    return `[${style.eol}${items.join(`,${style.eol}`)}${style.eol}${indent}]`
  }
  if (isPlainObject(value)) {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined)
    if (entries.length === 0) return '{}'
    const members = entries.map(
      ([k, v]) => `${inner}${JSON.stringify(k)}${style.colon}${serializeJson(v, style, inner)}`,
    )
    return `{${style.eol}${members.join(`,${style.eol}`)}${style.eol}${indent}}`
  }
  return JSON.stringify(value ?? null)
}

/** The JSON dialect for {@link renderEdit}, bound to a file's detected style. */
export function jsonDialect(style: JsonStyle): Dialect {
  return {
    indentUnit: style.indentUnit,
    eol: style.eol,
    serialize: (value, indent) => serializeJson(value, style, indent),
    memberText: (key, value, indent) =>
      `${JSON.stringify(key)}${style.colon}${serializeJson(value, style, indent)}`,
    separator: () => ',',
    trailingSeparator: () => false,
    commentStarts: [],
  }
}
