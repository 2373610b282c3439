/**
 * `npm run demo`: the main job on the bundled demo organization (fixtures/demo-org), with no
 * cloud access. The window is fixed (the 90 days before DEMO_END), so every run prints the same.
 *
 * The job is a list of steps, each writing its outputs and returning their paths: make the logs,
 * the usage report, then the monthly batch (`scopedown run`) in git mode against a local git
 * repository of the organization's policies (.demo/repo): one branch per tightened role. A second
 * `npm run demo` adds no commit.
 */
import { execFileSync } from 'node:child_process'
import { cp, mkdir, stat, writeFile } from 'node:fs/promises'
import { join, relative, resolve } from 'node:path'
import { ensureDemoLogs } from '../fixtures/demo-org/cache.js'
import { DEMO_DAYS, DEMO_END, DEMO_TRAIL_DATA_EVENTS } from '../fixtures/demo-org/org.js'
import { runCli } from '../src/cli-program.js'
import { memoryIo } from '../src/commands/io.js'

const ROOT = resolve(import.meta.dirname, '..')
const LOGS = join(ROOT, '.demo', 'logs')
const REPORTS = join(ROOT, 'reports')
const REPO = join(ROOT, '.demo', 'repo')
const CONFIG = join(ROOT, '.demo', 'scopedown.config.json')
const END = new Date(DEMO_END)
const START = new Date(END.getTime() - DEMO_DAYS * 86_400_000)
const WINDOW = ['--start', START.toISOString(), '--end', END.toISOString()]

/** One stage of the demo; returns the files it wrote. */
interface DemoStep {
  title: string
  run(): Promise<readonly string[]>
}

const STEPS: readonly DemoStep[] = [
  {
    title: 'CloudTrail logs of the demo organization',
    async run() {
      const logs = await ensureDemoLogs({ outDir: LOGS, end: END, days: DEMO_DAYS })
      const how = logs.reused ? 'reused' : 'generated'
      console.log(`  ${how} ${logs.events} events in ${logs.files} files`)
      return [LOGS]
    },
  },
  {
    title: 'Usage report (what each principal did)',
    async run() {
      const usage = ['usage', '--logs', LOGS, ...WINDOW]
      const table = await capture([...usage, '--format', 'table'])
      process.stdout.write(table.stdout)
      process.stdout.write(table.stderr)
      const json = await capture([...usage, '--format', 'json'])
      await mkdir(REPORTS, { recursive: true })
      const jsonPath = join(REPORTS, 'demo-usage.json')
      const mdPath = join(REPORTS, 'demo-usage.md')
      await writeFile(jsonPath, json.stdout)
      await writeFile(mdPath, usageMarkdown(table))
      return [jsonPath, mdPath]
    },
  },
  {
    title: 'Monthly batch: plan every role, commit one branch per tightened role (git mode)',
    async run() {
      await ensureDemoRepo()
      await writeFile(CONFIG, `${JSON.stringify(demoConfig(), null, 2)}\n`)
      const result = await capture(['run', '--config', CONFIG])
      process.stdout.write(result.stderr)
      process.stdout.write(result.stdout)
      const branches = git('branch', '--list', 'scopedown/*')
      console.log(
        `  branches in .demo/repo:\n${branches
          .split('\n')
          .map((b) => `    ${b.trim()}`)
          .join('\n')}`,
      )
      return [join(REPORTS, 'run-report.json'), join(REPORTS, '<account>/<role>/report.md'), REPO]
    },
  },
]

/** The config a platform team would write for this organization. */
function demoConfig() {
  return {
    $schema: '../scopedown.schema.json',
    source: { type: 'duckdb', paths: [LOGS] },
    window: { days: DEMO_DAYS, end: END.toISOString() },
    repo: { path: REPO },
    rules: { dataEvents: [...DEMO_TRAIL_DATA_EVENTS] },
    scps: [{ files: ['org/scps/protect-security-tooling.json', 'org/scps/region-guardrail.json'] }],
    publish: { mode: 'git', outDir: REPORTS },
  }
}

function git(...args: string[]): string {
  const identity = { GIT_AUTHOR_NAME: 'Platform Team', GIT_AUTHOR_EMAIL: 'platform@example.com' }
  const env = {
    ...process.env,
    ...identity,
    GIT_COMMITTER_NAME: identity.GIT_AUTHOR_NAME,
    GIT_COMMITTER_EMAIL: identity.GIT_AUTHOR_EMAIL,
  }
  return execFileSync('git', args, { cwd: REPO, env, encoding: 'utf8' }).trim()
}

/** The source-of-truth repo: a git repository made once from fixtures/demo-org/repo. */
async function ensureDemoRepo(): Promise<void> {
  const exists = await stat(join(REPO, '.git')).then(
    () => true,
    () => false,
  )
  if (exists) return
  await cp(join(ROOT, 'fixtures', 'demo-org', 'repo'), REPO, { recursive: true })
  git('init', '-q', '-b', 'main')
  git('add', '-A')
  git('commit', '-q', '-m', 'IAM roles and policies of the demo organization')
}

/** Runs the CLI and returns what it printed on stdout and stderr. */
async function capture(args: readonly string[]): Promise<{ stdout: string; stderr: string }> {
  const { io, stdout, stderr } = memoryIo({ now: END, env: process.env as Record<string, string> })
  const code = await runCli(args, io)
  if (code !== 0) throw new Error(`scopedown ${args.join(' ')} exited with ${code}:\n${stderr()}`)
  return { stdout: stdout(), stderr: stderr() }
}

/** The usage report for people: the command's table and summary, until src/report renders it. */
function usageMarkdown(table: { stdout: string; stderr: string }): string {
  return [
    '# Usage report: demo organization',
    '',
    'Calls per principal, eventSource and eventName, from `npm run demo`',
    '(ground truth: `fixtures/demo-org/README.md`).',
    '',
    '```text',
    table.stderr.trimEnd(),
    '```',
    '',
    '```text',
    table.stdout.trimEnd(),
    '```',
    '',
  ].join('\n')
}

async function main(): Promise<void> {
  const written: string[] = []
  for (const [index, step] of STEPS.entries()) {
    console.log(`\n[${index + 1}/${STEPS.length}] ${step.title}`)
    const started = Date.now()
    written.push(...(await step.run()))
    console.log(`  done in ${((Date.now() - started) / 1000).toFixed(1)} s`)
  }
  console.log('\nWhere to look:')
  for (const path of written) console.log(`  ${relative(ROOT, path)}`)
  console.log('  fixtures/demo-org/README.md  (the roles and what a correct plan keeps)')
  console.log(
    '  git -C .demo/repo log --oneline --all  (the proposed changes, one branch per role)',
  )
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error)
  process.exitCode = 1
})
