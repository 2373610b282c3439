/**
 * CLI start-up: how long the built CLI takes for `--help`, `--version` and `explain-action`
 * (which loads the catalog), each in its own process, against `node -e 0` measured in the same
 * rounds, and against the checkout's bin (TypeScript compiled at start by tsx). Builds dist/
 * first so the figures are of the current source. Prints figures and ratios; asserts nothing.
 *
 *   npx tsx bench/cli-startup.ts [rounds=7] [--no-build]
 */
import { execFileSync } from 'node:child_process'
import { resolve } from 'node:path'
import { formatTable, type Measurement, measure, median } from './measure.js'

const ROOT = resolve(import.meta.dirname, '..')
const ROUNDS = Number(process.argv.find((a) => /^\d+$/.test(a)) ?? 7)

interface Case {
  label: string
  args: readonly string[]
  /** The start-up goal from the issue, in seconds. */
  goal?: number
}

const CASES: readonly Case[] = [
  { label: 'node -e 0 (the yardstick)', args: ['-e', '0'] },
  { label: 'scopedown --help', args: ['dist/cli.js', '--help'], goal: 0.3 },
  { label: 'scopedown --version', args: ['dist/cli.js', '--version'], goal: 0.3 },
  {
    label: 'scopedown explain-action s3:GetObject',
    args: ['dist/cli.js', 'explain-action', 's3:GetObject'],
    goal: 1,
  },
  { label: 'checkout bin --help (tsx)', args: ['bin/scopedown.js', '--help'] },
]

if (!process.argv.includes('--no-build')) {
  process.stderr.write('building dist/ (npm run build) ...\n')
  execFileSync('npm', ['run', 'build', '--silent'], {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'inherit'],
  })
}

const results = new Map<string, Measurement[]>(CASES.map((c) => [c.label, []]))
for (let round = 0; round < ROUNDS; round++) {
  // Alternate the order so no case always runs on a warmer machine than another.
  const order = round % 2 === 0 ? CASES : [...CASES].reverse()
  for (const c of order) {
    results
      .get(c.label)
      ?.push(await measure(process.execPath, c.args, { cwd: ROOT, stdoutToNull: true }))
  }
}

const wall = (label: string) => median((results.get(label) ?? []).map((m) => m.wallSeconds))
const baseline = wall(CASES[0]?.label ?? '')
const rows = CASES.map((c) => {
  const seconds = wall(c.label)
  const rss = median((results.get(c.label) ?? []).map((m) => m.peakRssMiB ?? Number.NaN))
  return [
    c.label,
    seconds.toFixed(3),
    (seconds / baseline).toFixed(2),
    Number.isNaN(rss) ? 'n/a' : rss.toFixed(0),
    c.goal === undefined ? '' : `< ${c.goal} s: ${seconds < c.goal ? 'yes' : 'NO'}`,
  ]
})
console.log(
  `\nCLI start-up, median of ${ROUNDS} alternating rounds, one process each (node ${process.version})`,
)
console.log(formatTable(['command', 'wall s', 'x node -e 0', 'peak RSS MiB', 'goal'], rows))
