import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Command, type Option } from 'commander'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { COMMANDS } from '../../src/cli-program.js'
import { memoryIo } from '../../src/commands/io.js'
import { validateConfig } from '../../src/config/load.js'
import {
  allSteps,
  CURL_FROM_DISK,
  EXAMPLE_DIR,
  loadWorkflow,
  runStep,
  standIn,
  stepRunning,
  type Workflow,
} from './workflow.js'

/**
 * examples/github-actions/scopedown-monthly.yml: valid YAML, every scopedown command and flag it
 * calls exists, every file it names ships beside it, it installs from a pinned tarball (never a
 * registry name), and its sync step, run with a stand-in `aws`, lists the bucket once for exactly
 * the window's days. The install step itself runs in test/package/pack-install.test.ts.
 */
let workflow: Workflow
let work: string

beforeAll(async () => {
  workflow = loadWorkflow()
  work = await mkdtemp(join(tmpdir(), 'scopedown-workflow-'))
})
afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true })
})

/** Every `scopedown ...` invocation in the workflow's scripts, split into words. */
function scopedownCalls(): string[][] {
  return allSteps(workflow).flatMap((step) =>
    (step.run ?? '')
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => /^scopedown\b/.test(line))
      .map((line) => line.split(/\s+/)),
  )
}

/** The long flags a command accepts, its own and the program's. */
async function flagsOf(name: string): Promise<Set<string>> {
  const entry = COMMANDS.find((e) => e.name === name)
  if (!entry) throw new Error(`scopedown has no command ${name}`)
  const program = new Command().option('--log-format <format>').option('--debug')
  ;(await entry.load()).register(program, memoryIo().io, { set: () => {} })
  const command = program.commands.find((c) => c.name() === name)
  const long = (options: readonly Option[]) => options.map((o) => o.long ?? '')
  return new Set([...long(program.options), ...long(command?.options ?? []), '--help'])
}

describe('the example workflow', () => {
  it('is a scheduled GitHub Actions workflow with the permissions scopedown needs', () => {
    expect(Object.keys(workflow.on)).toEqual(expect.arrayContaining(['schedule']))
    expect(workflow.permissions).toEqual({
      contents: 'write',
      'pull-requests': 'write',
      issues: 'write',
      'id-token': 'write',
    })
  })

  it('calls only scopedown commands and flags that exist', async () => {
    const calls = scopedownCalls()
    expect(calls.map((c) => c[1])).toEqual(
      expect.arrayContaining(['--version', 'validate-config', 'run']),
    )
    for (const [, command, ...args] of calls) {
      if (command === '--version') continue
      const flags = await flagsOf(command ?? '')
      for (const arg of args.filter((a) => a.startsWith('--'))) {
        expect(flags, `scopedown ${command} ${arg}`).toContain(arg.split('=')[0])
      }
    }
  })

  it('names config files that ship beside it, valid, with the window it syncs', () => {
    const configs = scopedownCalls().flatMap((words) => {
      const at = words.indexOf('--config')
      return at === -1 ? [] : [words[at + 1] ?? '']
    })
    expect(configs.length).toBeGreaterThan(0)
    for (const path of configs) {
      // The workflow checks the repository out in repo/; the sample goes to its root.
      expect(path).toMatch(/^repo\//)
      const sample = join(EXAMPLE_DIR, path.replace(/^repo\//, ''))
      expect(existsSync(sample), sample).toBe(true)
      const { config, issues } = validateConfig(JSON.parse(readFileSync(sample, 'utf8')))
      expect(issues).toEqual([])
      expect(config?.window.days).toBe(Number(workflow.env.WINDOW_DAYS))
      expect(config?.publish.mode).toBe('github')
    }
  })

  it('installs scopedown from a tarball checked by SHA-256, never by a registry name', () => {
    const scripts = allSteps(workflow).map((s) => s.run ?? '')
    for (const script of scripts) {
      expect(script).not.toMatch(/\bnpx\b/)
      expect(script).not.toMatch(/npm (i|install|add)\b[^\n]*\bscopedown\b/)
    }
    const install = stepRunning(workflow, /npm ci/).run
    expect(install).toMatch(/sha256sum --check/)
    expect(install).toMatch(/npm ci --omit=dev --ignore-scripts/)
    // The checksum is verified before the tarball is unpacked or anything in it runs.
    expect(install.indexOf('sha256sum')).toBeLessThan(install.indexOf('tar -xzf'))
  })

  it('stops before unpacking a tarball whose SHA-256 is not the pinned one', async () => {
    const dir = join(work, 'bad-sum')
    const tools = join(dir, 'tools')
    await mkdir(tools, { recursive: true })
    standIn(tools, 'curl', CURL_FROM_DISK)
    const tarball = join(dir, 'scopedown-0.0.0.tgz')
    await writeFile(tarball, 'not the release')
    const runner = join(dir, 'runner')
    await mkdir(runner)
    const install = stepRunning(workflow, /npm ci/)
    const env = {
      SCOPEDOWN_TARBALL_URL: tarball,
      SCOPEDOWN_TARBALL_SHA256: '0'.repeat(64),
      RUNNER_TEMP: runner,
      GITHUB_PATH: join(dir, 'github-path'),
    }
    await expect(runStep(workflow, install, { cwd: dir, env, path: tools })).rejects.toThrow(
      /FAILED/,
    )
    expect(await readdir(runner)).toEqual(['scopedown.tgz'])
  })

  it('fails its first step when a repository variable is not set', async () => {
    const check = stepRunning(workflow, /repository variable/)
    const env = { SCOPEDOWN_TARBALL_URL: '', SCOPEDOWN_TARBALL_SHA256: 'x', TRAIL_BUCKET: 'b' }
    await expect(runStep(workflow, check, { cwd: work, env })).rejects.toThrow(
      /SCOPEDOWN_TARBALL_URL is not set/,
    )
  })
})

const gnuDate = (() => {
  try {
    execFileSync('date', ['-u', '-d', '-1 days', '+%Y'], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
})()

describe.skipIf(!gnuDate)('the sync step (needs GNU date, as on the runner)', () => {
  it("lists the trail bucket once, keeping exactly the window's day folders", async () => {
    const tools = join(work, 'sync-tools')
    await mkdir(tools, { recursive: true })
    const calls = join(work, 'aws-calls')
    standIn(tools, 'aws', `printf '%s\\n' "$@" > "${calls}.$$"`)
    const sync = stepRunning(workflow, /aws s3 sync/)
    const before = new Date()
    await runStep(workflow, sync, { cwd: work, env: { TRAIL_BUCKET: 'org-trail' }, path: tools })
    const after = new Date()
    const recorded = (await readdir(work)).filter((f) => f.startsWith('aws-calls.'))
    expect(recorded).toHaveLength(1)
    const args = readFileSync(join(work, recorded[0] ?? ''), 'utf8')
      .trim()
      .split('\n')
    expect(args.slice(0, 6)).toEqual([
      's3',
      'sync',
      's3://org-trail/AWSLogs/',
      'cloudtrail/AWSLogs/',
      '--exclude',
      '*',
    ])
    const includes = args.flatMap((a, i) => (args[i - 1] === '--include' ? [a] : []))
    // From the day before the window starts (CloudTrail delivers late) to today, each once.
    const days = Number(workflow.env.WINDOW_DAYS)
    const daysBack = (now: Date) =>
      Array.from({ length: days + 2 }, (_, ago) => {
        const day = new Date(now.getTime() - ago * 86_400_000).toISOString().slice(0, 10)
        return `*/CloudTrail/*/${day.replaceAll('-', '/')}/*`
      })
    // The script may have run either side of midnight UTC.
    expect([daysBack(before), daysBack(after)]).toContainEqual(includes)
  })
})
