/**
 * Approach (c): the `usage` scan through scopedown's DuckDB source, as the CLI runs it.
 * Prints a JSON summary. Usage: node --import tsx bench/scan-duckdb.ts <logs-dir> <start> <end>
 */
import { createDuckDbSource } from '../src/source/duckdb.js'

const [dir, start, end] = process.argv.slice(2)
if (!dir || !start || !end) throw new Error('usage: scan-duckdb.ts <logs-dir> <start> <end>')
const started = performance.now()
const source = await createDuckDbSource({ paths: [dir] })
try {
  const result = await source.usage({ window: { start, end } })
  const scanSeconds = (performance.now() - started) / 1000
  const summary = { events: result.inputs.eventsInWindow, groups: result.calls.length, scanSeconds }
  console.log(JSON.stringify(summary))
} finally {
  await source.close()
}
