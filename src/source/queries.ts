import { readFileSync } from 'node:fs'
import { InvariantError } from '../util/errors.js'

/**
 * `queries/` at the package root, found from this module's own location (src/source/ when run
 * with tsx, dist/source/ when built), so queries load the same from any working directory.
 */
const QUERIES_DIR = new URL('../../queries/', import.meta.url)

const cache = new Map<string, string>()

/**
 * The text of one SQL file, e.g. `readQuery('duckdb/calls')` reads `queries/duckdb/calls.sql`.
 * The only place that knows where queries live. Values never go into the text: queries take
 * bound parameters.
 */
export function readQuery(name: string): string {
  const cached = cache.get(name)
  if (cached !== undefined) return cached
  if (!/^[a-z0-9-]+\/[a-z0-9-]+$/.test(name)) {
    throw new InvariantError(`query name ${JSON.stringify(name)} is not <engine>/<query>`)
  }
  let text: string
  try {
    text = readFileSync(new URL(`${name}.sql`, QUERIES_DIR), 'utf8')
  } catch (error) {
    throw new InvariantError(`query file queries/${name}.sql is missing: ${String(error)}`)
  }
  cache.set(name, text)
  return text
}
