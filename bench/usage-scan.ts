/**
 * `npm run bench`: how fast the usage scan reads CloudTrail, against two yardsticks.
 *
 * Data: about 1 million demo events in the S3 layout under .bench/logs (generated once, reused
 * while complete). Approaches, each its own process so peak memory is its own:
 *   (a) zcat of every log file in one process to /dev/null: the yardstick
 *   (b) a plain Node.js loop: gunzip + JSON.parse + Map aggregate, one thread
 *   (c) the `usage` scan through createDuckDbSource
 * Each runs 3 times, alternating, after one warm-up zcat; medians are reported. Figures are
 * printed only; nothing here is asserted by the tests.
 */
import { statSync, writeFileSync } from 'node:fs'
import { readdir } from 'node:fs/promises'
import { availableParallelism, loadavg } from 'node:os'
import { join, resolve } from 'node:path'
import { ensureDemoLogs } from '../fixtures/demo-org/cache.js'
import { DEMO_DAYS, DEMO_END } from '../fixtures/demo-org/org.js'
import { formatTable, type Measurement, measure, median } from './measure.js'

const ROOT = resolve(import.meta.dirname, '..')
const BENCH = join(ROOT, '.bench')
const LOGS = join(BENCH, 'logs')
const END = new Date(DEMO_END)
const START = new Date(END.getTime() - DEMO_DAYS * 86_400_000)
/** Scale 20 of the demo organization is about 1.0 million events. */
const SCALE = 20
/** About what real busy trails put in a file (1M events in ~1,600 files). */
const EVENTS_PER_FILE = 620
const ROUNDS = 3
/** Stay well under Linux's 2 MiB ARG_MAX when handing zcat every file at once. */
const MAX_ARGS_BYTES = 1_500_000

interface Approach {
  name: string
  run(): Promise<Measurement>
}

/** Log files (not digests), relative to LOGS, sorted. */
async function logFiles(): Promise<string[]> {
  const entries = await readdir(LOGS, { recursive: true })
  return entries
    .map((e) => e.split('\\').join('/'))
    .filter((e) => e.endsWith('.json.gz') && e.includes('/CloudTrail/'))
    .sort()
}

async function main(): Promise<void> {
  console.log(`dataset: demo organization x${SCALE}, ${DEMO_DAYS} days, in ${LOGS}`)
  const data = await ensureDemoLogs({
    outDir: LOGS,
    end: END,
    days: DEMO_DAYS,
    scale: SCALE,
    eventsPerFile: EVENTS_PER_FILE,
  })
  const files = await logFiles()
  const gzBytes = files.reduce((sum, f) => sum + statSync(join(LOGS, f)).size, 0)
  console.log(
    `  ${data.reused ? 'reused' : 'generated'}: ${data.events.toLocaleString('en-US')} events, ` +
      `${files.length} log files, ${(gzBytes / 2 ** 20).toFixed(0)} MiB gzip`,
  )
  if (files.reduce((sum, f) => sum + f.length + 1, 0) > MAX_ARGS_BYTES) {
    throw new Error('too many files to pass to one zcat process')
  }
  const listPath = join(BENCH, 'files.txt')
  writeFileSync(listPath, `${files.map((f) => join(LOGS, f)).join('\n')}\n`)

  const node = (script: string, args: readonly string[]) => () =>
    measure(process.execPath, ['--import', 'tsx', script, ...args], { cwd: ROOT })
  const approaches: readonly Approach[] = [
    {
      name: '(a) zcat, one process',
      run: () => measure('zcat', files, { cwd: LOGS, stdoutToNull: true }),
    },
    { name: '(b) node gunzip+parse+Map, 1 thread', run: node('bench/scan-plain.ts', [listPath]) },
    {
      name: '(c) scopedown usage (duckdb)',
      run: node('bench/scan-duckdb.ts', [LOGS, START.toISOString(), END.toISOString()]),
    },
  ]

  const loadBefore = loadavg()[0] ?? 0
  console.log('warm-up: one zcat pass (page cache)')
  await approaches[0]?.run()
  const results = new Map<string, Measurement[]>(approaches.map((a) => [a.name, []]))
  for (let round = 1; round <= ROUNDS; round++) {
    for (const approach of approaches) {
      const m = await approach.run()
      results.get(approach.name)?.push(m)
      checkEventCount(approach.name, m, data.events)
      console.log(
        `  round ${round}/${ROUNDS}  ${approach.name.padEnd(36)} ${m.wallSeconds.toFixed(2)} s`,
      )
    }
  }
  report(approaches, results, data.events)
  const load = Math.max(loadBefore, loadavg()[0] ?? 0)
  const cores = availableParallelism()
  console.log(`\nload average (1 min) around the run: up to ${load.toFixed(1)} on ${cores} cores`)
  if (load > cores)
    console.log('  the machine was busy: figures are noisy, ratios more than seconds')
}

/** The scanners print {"events": n}; a different n means they did not read the same data. */
function checkEventCount(name: string, m: Measurement, expected: number): void {
  if (m.stdout.trim() === '') return
  const { events } = JSON.parse(m.stdout) as { events: number }
  if (events !== expected)
    console.log(`  warning: ${name} saw ${events} events, expected ${expected}`)
}

function report(
  approaches: readonly Approach[],
  results: ReadonlyMap<string, readonly Measurement[]>,
  events: number,
): void {
  const wall = (name: string) => median((results.get(name) ?? []).map((m) => m.wallSeconds))
  const rss = (name: string) => {
    const values = (results.get(name) ?? []).flatMap((m) =>
      m.peakRssMiB === undefined ? [] : [m.peakRssMiB],
    )
    return values.length > 0 ? median(values) : undefined
  }
  const inProcess = (name: string) => {
    const values = (results.get(name) ?? []).flatMap((m) => {
      const seconds = m.stdout.trim()
        ? (JSON.parse(m.stdout) as { scanSeconds?: number }).scanSeconds
        : undefined
      return seconds === undefined ? [] : [seconds]
    })
    return values.length > 0 ? median(values).toFixed(2) : 'n/a'
  }
  const [zcat, plain, duck] = approaches.map((a) => a.name) as [string, string, string]
  const rows = approaches.map((a) => {
    const seconds = wall(a.name)
    const mib = rss(a.name)
    return [
      a.name,
      seconds.toFixed(2),
      Math.round(events / seconds).toLocaleString('en-US'),
      (seconds / wall(zcat)).toFixed(2),
      mib === undefined ? 'n/a' : mib.toFixed(0),
      inProcess(a.name),
    ]
  })
  console.log(`\nmedians of ${ROUNDS} runs, ${events.toLocaleString('en-US')} events:\n`)
  const header = ['approach', 'wall s', 'events/s', 'ratio to zcat', 'peak RSS MiB', 'scan s']
  console.log(formatTable(header, rows))
  console.log('(wall: the whole process, start-up included; scan: inside it, after the imports)')
  const verdict = (ok: boolean) => (ok ? 'yes' : 'NO')
  console.log('\ntargets:')
  console.log(`  duckdb faster than zcat:       ${verdict(wall(duck) < wall(zcat))}`)
  console.log(`  duckdb faster than plain loop: ${verdict(wall(duck) < wall(plain))}`)
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error)
  process.exitCode = 1
})
