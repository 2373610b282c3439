import { readFile } from 'node:fs/promises'
import { dirname, isAbsolute, resolve } from 'node:path'
import type { z } from 'zod'
import { closest } from '../util/closest.js'
import { ScopedownError } from '../util/errors.js'
import { type Config, ConfigSchema } from './schema.js'

/** One problem in a config file, addressed by its dotted path (`publish.github.owner`). */
export interface ConfigIssue {
  path: string
  message: string
}

/**
 * Every issue zod found, flattened to dotted paths, in document order. An unknown key is one
 * issue per key, at the key's own path, with the closest known key as a suggestion
 * (`roles.acounts`: did you mean `accounts`?).
 */
export function flattenIssues(error: z.ZodError, schema: z.ZodType = ConfigSchema): ConfigIssue[] {
  const dotted = (path: readonly PropertyKey[]) =>
    path.length > 0 ? path.map(String).join('.') : '(root)'
  return error.issues.flatMap((issue) => {
    if (issue.code !== 'unrecognized_keys') {
      return [{ path: dotted(issue.path), message: issue.message }]
    }
    const known = knownKeysAt(schema, issue.path)
    return issue.keys.map((key) => {
      const near = closest(key, known)
      return {
        path: dotted([...issue.path, key]),
        message: `unknown key${near ? `: did you mean \`${near}\`?` : ''}${known.length > 0 ? ` (known here: ${known.join(', ')})` : ''}`,
      }
    })
  })
}

/** The keys an object schema at `path` accepts (options of a union pooled), for suggestions. */
function knownKeysAt(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  const keys = new Set<string>()
  const visit = (node: unknown, rest: readonly PropertyKey[]) => {
    const def = (node as { _zod?: { def?: Record<string, unknown> } })?._zod?.def
    if (!def) return
    const inner = def.innerType ?? (def.type === 'pipe' ? def.in : undefined)
    if (inner) return visit(inner, rest)
    if (def.type === 'union') {
      for (const option of def.options as unknown[]) visit(option, rest)
      return
    }
    if (def.type === 'array' && rest.length > 0 && typeof rest[0] === 'number')
      return visit(def.element, rest.slice(1))
    if (def.type === 'record' && rest.length > 0) return visit(def.valueType, rest.slice(1))
    if (def.type !== 'object') return
    const shape = def.shape as Record<string, unknown>
    if (rest.length === 0) {
      for (const key of Object.keys(shape)) keys.add(key)
      return
    }
    visit(shape[String(rest[0])], rest.slice(1))
  }
  visit(schema, path)
  return [...keys].sort()
}

/** Validates a parsed config object. Returns every issue at once rather than the first. */
export function validateConfig(raw: unknown): { config?: Config; issues: ConfigIssue[] } {
  const parsed = ConfigSchema.safeParse(raw)
  return parsed.success
    ? { config: parsed.data, issues: [] }
    : { issues: flattenIssues(parsed.error) }
}

/**
 * Reads and validates `scopedown.config.json`. Relative paths in it (log paths, repo path,
 * outDir, eventSelectorsFile) are resolved against the config file's folder, so a config works
 * from any working directory. Throws ScopedownError('CONFIG_INVALID') listing every issue.
 */
export async function loadConfig(file: string): Promise<Config> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (cause) {
    throw new ScopedownError('CONFIG_INVALID', `cannot read config file ${file}`, {
      cause,
      hint: 'pass an existing file with --config, e.g. --config scopedown.config.json',
    })
  }
  let raw: unknown
  try {
    raw = JSON.parse(text)
  } catch (cause) {
    throw new ScopedownError(
      'CONFIG_INVALID',
      `${file} is not valid JSON: ${(cause as Error).message}`,
      {
        cause,
      },
    )
  }
  const { config, issues } = validateConfig(raw)
  if (!config) {
    const list = issues.map((i) => `  - ${i.path}: ${i.message}`).join('\n')
    throw new ScopedownError(
      'CONFIG_INVALID',
      `${file} has ${issues.length} problem(s):\n${list}`,
      {
        hint: 'run `scopedown validate-config --config <file>`; the JSON Schema is in scopedown.schema.json',
      },
    )
  }
  return resolveConfigPaths(config, dirname(resolve(file)))
}

function resolveConfigPaths(config: Config, base: string): Config {
  const at = (p: string) => (isAbsolute(p) ? p : resolve(base, p))
  return {
    ...config,
    source:
      config.source.type === 'duckdb'
        ? { ...config.source, paths: config.source.paths.map(at) }
        : config.source,
    repo: { ...config.repo, path: at(config.repo.path) },
    publish: { ...config.publish, outDir: at(config.publish.outDir) },
    rules: {
      ...config.rules,
      eventSelectorsFile: config.rules.eventSelectorsFile && at(config.rules.eventSelectorsFile),
    },
  }
}

/** minCoverageDays defaults to 90% of the window, rounded up. */
export function minCoverageDays(config: Config): number {
  return config.rules.minCoverageDays ?? Math.ceil(config.window.days * 0.9)
}
