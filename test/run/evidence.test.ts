import { cp, mkdtemp, readdir, readFile, truncate, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gunzipSync } from 'node:zlib'
import { beforeAll, describe, expect, inject, it } from 'vitest'
import { DEMO_END, DEMO_TRAIL_DATA_EVENTS } from '../../fixtures/demo-org/org.js'
import { runCli } from '../../src/cli-program.js'
import { memoryIo } from '../../src/commands/io.js'
import { demoRepoClone } from '../helpers/demo-repo.js'

/**
 * The evidence ledger end to end on the demo organization: input that could not be read is a
 * hole in the evidence, never evidence of non-use.
 */

const CI_DEPLOYER = 'arn:aws:iam::111111111111:role/service/ci-deployer'

interface Outcome {
  role: { arn: string; name: string; accountId: string }
  status: string
  reason?: string
  detail: string
}

/** Every log file under `dir` (S3 layout, gzipped). */
async function logFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true })
  return entries
    .filter((e) => e.isFile() && e.name.endsWith('.json.gz'))
    .map((e) => join(e.parentPath, e.name))
    .sort()
}

interface LoggedCall {
  eventName: string
  userIdentity?: { sessionContext?: { sessionIssuer?: { arn?: string } } }
}

/** The files holding calls of `role` to one of `names`. */
async function filesWithCalls(dir: string, role: string, names: readonly string[]) {
  const out: string[] = []
  for (const file of await logFiles(dir)) {
    const records = JSON.parse(gunzipSync(await readFile(file)).toString('utf8')).Records as
      | LoggedCall[]
      | undefined
    if (
      records?.some(
        (r) =>
          names.includes(r.eventName) &&
          r.userIdentity?.sessionContext?.sessionIssuer?.arn === role,
      )
    )
      out.push(file)
  }
  return out
}

/** A private copy of the demo logs, to break. */
async function demoLogsCopy(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'scopedown-evidence-logs-'))
  await cp(inject('demoLogs'), dir, { recursive: true })
  return dir
}

async function runDemo(logs: string, extra: Record<string, unknown> = {}) {
  const repo = await demoRepoClone()
  const dir = await mkdtemp(join(tmpdir(), 'scopedown-evidence-'))
  const outDir = join(dir, 'reports')
  const config = join(dir, 'scopedown.config.json')
  await writeFile(
    config,
    JSON.stringify({
      source: { type: 'duckdb', paths: [logs] },
      window: { days: 90, end: DEMO_END },
      repo: { path: repo },
      rules: { dataEvents: [...DEMO_TRAIL_DATA_EVENTS] },
      scps: [
        { files: ['org/scps/protect-security-tooling.json', 'org/scps/region-guardrail.json'] },
      ],
      publish: { mode: 'dry-run', outDir },
      ...extra,
    }),
  )
  const { io, stdout, stderr } = memoryIo({ now: new Date(DEMO_END) })
  const code = await runCli(['run', '--config', config], io)
  const report = JSON.parse(await readFile(join(outDir, 'run-report.json'), 'utf8'))
  const byArn = new Map<string, Outcome>(report.outcomes.map((o: Outcome) => [o.role.arn, o]))
  return { code, report, byArn, outDir, stdout: stdout(), stderr: stderr() }
}

describe('truncated files that hold a role’s only calls of an action', () => {
  let run: Awaited<ReturnType<typeof runDemo>>
  let broken: string[]

  beforeAll(async () => {
    const logs = await demoLogsCopy()
    broken = await filesWithCalls(logs, CI_DEPLOYER, ['RunInstances', 'CreateFunction20150331'])
    // A partial download: the first half of each gzip file.
    for (const file of broken) {
      const size = (await readFile(file)).length
      await truncate(file, Math.floor(size / 2))
    }
    run = await runDemo(logs)
  }, 180_000)

  it('finds the files to break', () => {
    expect(broken.length).toBeGreaterThan(0)
  })

  it('does not tighten any role of that account, and names the cause, not a coverage figure', () => {
    const outcome = run.byArn.get(CI_DEPLOYER)
    expect(outcome?.status).toBe('skipped')
    expect(outcome?.reason).toBe('unreadable-input')
    expect(outcome?.detail).toMatch(
      /^\d+ unreadable files? in 111111111111\/us-east-1 on \d+ days?|unreadable file/,
    )
    expect(outcome?.detail).not.toMatch(/logs cover/)
    const account = [...run.byArn.values()].filter((o) => o.role.accountId === '111111111111')
    expect(account.every((o) => o.status !== 'tightened')).toBe(true)
  })

  it('still tightens the other accounts, and exits 1', () => {
    const others = [...run.byArn.values()].filter(
      (o) => o.role.accountId !== '111111111111' && o.status === 'tightened',
    )
    expect(others.length).toBeGreaterThan(4)
    expect(run.code).toBe(1)
  })

  it('lists every broken file in the run report and on stdout', () => {
    const listed = run.report.unreadable.inputs.map((u: { input: string }) => u.input)
    expect(run.report.unreadable.count).toBe(broken.length)
    for (const file of broken) expect(listed).toContain(file)
    expect(run.stdout).toContain(`${broken.length} input(s) could not be read`)
    expect(run.stdout).toContain('not tightened, evidence missing: arn:aws:iam::111111111111:role')
  })

  it('writes the holes into the role’s own report', async () => {
    const plan = JSON.parse(
      await readFile(join(run.outDir, '111111111111', 'ci-deployer', 'plan.json'), 'utf8'),
    )
    expect(plan.evidence.unreadable.count).toBe(broken.length)
    expect(plan.removed).toEqual([])
  })

  it('with holes tolerated, judges on what was readable and says so', async () => {
    const logs = await demoLogsCopy()
    const files = await filesWithCalls(logs, CI_DEPLOYER, ['RunInstances'])
    const [one] = files
    if (!one) throw new Error('no file with RunInstances')
    await truncate(one, 10)
    const tolerated = await runDemo(logs, {
      rules: { dataEvents: [...DEMO_TRAIL_DATA_EVENTS], maxUnreadableInputs: 5 },
    })
    expect(tolerated.code).toBe(1)
    const plan = JSON.parse(
      await readFile(join(tolerated.outDir, '111111111111', 'ci-deployer', 'plan.json'), 'utf8'),
    )
    expect(plan.warnings.join('\n')).toMatch(/1 unreadable input\(s\) tolerated/)
    expect(plan.evidence.unreadable.inputs[0].input).toBe(one)
  }, 180_000)
})

describe('a whole missing day', () => {
  it('counts the day as not covered and says which', async () => {
    const logs = await demoLogsCopy()
    const { rm } = await import('node:fs/promises')
    for (const account of ['111111111111', '222222222222', '333333333333']) {
      // Events of a day are delivered into its folder or the next: take both sides away.
      for (const region of ['us-east-1', 'eu-west-1', 'us-west-2'])
        for (const day of ['14', '15', '16'])
          await rm(join(logs, 'AWSLogs', account, 'CloudTrail', region, '2026', '10', day), {
            recursive: true,
            force: true,
          })
    }
    const run = await runDemo(logs, {
      rules: { dataEvents: [...DEMO_TRAIL_DATA_EVENTS], minCoverageDays: 90 },
    })
    const outcome = run.byArn.get(CI_DEPLOYER)
    expect(outcome?.status).toBe('skipped')
    expect(outcome?.detail).toMatch(/logs cover 8[78] of 90 days/)
  }, 180_000)
})
