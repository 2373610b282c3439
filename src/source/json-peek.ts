/** What the start of a JSON text says about its first top-level value. */
export interface FirstValue {
  /** The first value's opening character. */
  opener: '{' | '['
  /**
   * Keys of the first value when it is an object, or of its first element when it is an array of
   * objects; in order, possibly partial when the text is cut off.
   */
  keys: string[]
  /** For arrays: what the first element is (`none` = empty array, `cut` = text ended first). */
  firstElement?: 'object' | 'other' | 'none' | 'cut'
  /** Index just after the first value, or -1 when the text ends before the value closes. */
  end: number
  /** True when the first value spans more than one line (pretty-printed). */
  multiLine: boolean
}

const MAX_KEYS = 64

/**
 * Scans the first top-level JSON value of `text` (which must start with `{` or `[`) without
 * parsing it: enough to tell CloudTrail's shapes apart from a file's first bytes. Not a
 * validator: DuckDB validates when it reads the file.
 */
export function scanFirstValue(text: string): FirstValue {
  const opener = text[0] === '[' ? '[' : '{'
  const keys: string[] = []
  // Keys are collected at this container depth: the object itself, or the array's first element.
  const keyDepth = opener === '{' ? 1 : 2
  let firstElement: FirstValue['firstElement'] = opener === '[' ? 'cut' : undefined
  let collecting = true
  const stack: string[] = []
  let expectKey = false
  let sawNewline = false
  let i = 0
  while (i < text.length) {
    const ch = text[i] as string
    if (ch === '"') {
      let j = i + 1
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1
      if (j >= text.length) break
      if (expectKey && collecting && stack.length === keyDepth && keys.length < MAX_KEYS) {
        try {
          keys.push(JSON.parse(text.slice(i, j + 1)) as string)
        } catch {
          // A malformed key: leave it out, DuckDB will report the file.
        }
      }
      if (stack.length === 1 && firstElement === 'cut') firstElement = 'other'
      expectKey = false
      i = j + 1
      continue
    }
    if (ch === '\n') sawNewline = true
    if (stack.length === 1 && firstElement === 'cut' && !/[\s\]]/.test(ch)) {
      firstElement = ch === '{' ? 'object' : 'other'
    }
    if (ch === '{' || ch === '[') {
      stack.push(ch)
      expectKey = ch === '{'
    } else if (ch === '}' || ch === ']') {
      if (stack.length === 1 && firstElement === 'cut') firstElement = 'none'
      stack.pop()
      if (opener === '[' && stack.length === 1) collecting = false
      if (stack.length === 0)
        return { opener, keys, firstElement, end: i + 1, multiLine: sawNewline }
    } else if (ch === ',') {
      expectKey = stack.at(-1) === '{'
      if (opener === '[' && stack.length === 1) collecting = false
    }
    i++
  }
  return { opener, keys, firstElement, end: -1, multiLine: sawNewline }
}
