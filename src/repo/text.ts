/** Small line-and-column helpers over file content; offsets are JavaScript string indices. */

/** Offset of the first character of the line holding `pos`. */
export function lineStart(content: string, pos: number): number {
  return content.lastIndexOf('\n', pos - 1) + 1
}

/** Offset just after the line break ending the line holding `pos` (or the content's length). */
export function nextLineStart(content: string, pos: number): number {
  const nl = content.indexOf('\n', pos)
  return nl === -1 ? content.length : nl + 1
}

/** The spaces and tabs that begin the line holding `pos`. */
export function indentAt(content: string, pos: number): string {
  const start = lineStart(content, pos)
  return /^[ \t]*/.exec(content.slice(start, pos))?.[0] ?? ''
}

/** True when only spaces or tabs stand between the line start and `pos`. */
export function startsLine(content: string, pos: number): boolean {
  return /^[ \t]*$/.test(content.slice(lineStart(content, pos), pos))
}

/** The line break the content uses: CRLF if any line ends with it, else LF. */
export function detectEol(content: string): '\n' | '\r\n' {
  return content.includes('\r\n') ? '\r\n' : '\n'
}

/** 1-based line and column of an offset, for error messages. */
export function lineAndColumn(content: string, pos: number): { line: number; column: number } {
  const before = content.slice(0, pos)
  const line = before.split('\n').length
  return { line, column: pos - lineStart(content, pos) + 1 }
}

/** Replace `[start, end)` of `content` with `text`. */
export function splice(content: string, start: number, end: number, text: string): string {
  return content.slice(0, start) + text + content.slice(end)
}

/** Apply non-overlapping edits (any order) to a string. */
export function applyEdits(
  content: string,
  edits: readonly { start: number; end: number; text: string }[],
): string {
  let out = content
  for (const e of [...edits].sort((a, b) => b.start - a.start))
    out = splice(out, e.start, e.end, e.text)
  return out
}
