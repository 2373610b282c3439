/**
 * Path templates such as `accounts/{accountId}/roles/{roleName}/**\/*.json`: `{name}` matches one
 * path segment and captures it, `**` any number of segments, `*` and `?` part of one segment.
 */

/** Values that a template's `{placeholders}` must equal; unset ones match anything. */
export type TemplateValues = Readonly<Record<string, string | undefined>>

/** A compiled template. */
export interface PathTemplate {
  readonly source: string
  /** The captured placeholders when `path` matches, else undefined. */
  match(path: string, known?: TemplateValues): Record<string, string> | undefined
  /** The template with placeholders filled in; undefined if one has no value. */
  fill(values: TemplateValues): string | undefined
  /** The placeholders the template uses. */
  readonly names: readonly string[]
}

const escapeRegExp = (text: string) => text.replace(/[.+^$()|[\]\\]/g, '\\$&')

/** Compile a template. Unknown characters match themselves. */
export function compileTemplate(source: string): PathTemplate {
  const names: string[] = []
  let pattern = ''
  const tokens = source.match(/\{[A-Za-z]+\}|\*\*\/|\*\*|\*|\?|[^{*?]+|\{/g) ?? []
  for (const token of tokens) {
    if (token.startsWith('{') && token.length > 1) {
      const name = token.slice(1, -1)
      if (names.includes(name)) pattern += `\\k<${name}>`
      else {
        names.push(name)
        pattern += `(?<${name}>[^/]+)`
      }
    } else if (token === '**/') pattern += '(?:[^/]+/)*'
    else if (token === '**') pattern += '.*'
    else if (token === '*') pattern += '[^/]*'
    else if (token === '?') pattern += '[^/]'
    else pattern += escapeRegExp(token)
  }
  const regex = new RegExp(`^${pattern}$`)
  return {
    source,
    names,
    match(path, known = {}) {
      const groups = regex.exec(path)?.groups
      if (groups === undefined && !regex.test(path)) return undefined
      const captured: Record<string, string> = { ...groups }
      for (const [name, value] of Object.entries(captured)) {
        const wanted = known[name]
        if (wanted !== undefined && wanted !== value) return undefined
      }
      return captured
    },
    fill(values) {
      let missing = false
      const filled = source.replace(/\{([A-Za-z]+)\}/g, (_, name: string) => {
        const value = values[name]
        if (value === undefined) missing = true
        return value ?? ''
      })
      return missing ? undefined : filled
    },
  }
}
