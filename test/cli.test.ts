import { readFileSync, writeFileSync } from 'node:fs'
import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Command } from 'commander'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { DEMO_END, DEMO_TRAIL_DATA_EVENTS } from '../fixtures/demo-org/org.js'
import { COMMANDS, runCli, scanArgv } from '../src/cli-program.js'
import { memoryIo } from '../src/commands/io.js'
import { demoRepoClone } from './helpers/demo-repo.js'
import { assumedRole, event, tempFolder, writeS3Log } from './source/cloudtrail-builders.js'

const VERSION = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))
  .version as string

/** Every stderr line under --log-format json, parsed; fails on a line that is not an object. */
function jsonLines(text: string): Record<string, unknown>[] {
  const lines = text.split('\n').filter((line) => line !== '')
  return lines.map((line) => {
    let parsed: unknown
    expect(() => (parsed = JSON.parse(line)), `not JSON: ${line}`).not.toThrow()
    expect(parsed, line).toMatchObject({ level: expect.any(String), msg: expect.any(String) })
    return parsed as Record<string, unknown>
  })
}

describe('cli', () => {
  it('prints help with every command and the exit codes, and exits 0', async () => {
    const { io, stdout } = memoryIo()
    expect(await runCli(['--help'], io)).toBe(0)
    for (const entry of COMMANDS) expect(stdout()).toContain(`  ${entry.name} `)
    expect(stdout()).toMatch(/Exit codes: 0 success.*1 a role.*2 bad usage/s)
    expect(stdout()).toContain('--log-format <format>')
  })

  it('prints the package version with --version and -V', async () => {
    for (const flag of ['--version', '-V']) {
      const { io, stdout } = memoryIo()
      expect(await runCli([flag], io)).toBe(0)
      expect(stdout()).toBe(`${VERSION}\n`)
    }
  })

  it('exits 2 on an unknown command, saying what to type instead', async () => {
    const { io, stderr } = memoryIo()
    expect(await runCli(['frobnicate'], io)).toBe(2)
    expect(stderr()).toMatch(/scopedown --help/)
  })

  it("shows a command's own options in its help, with the global ones", async () => {
    const { io, stdout } = memoryIo()
    expect(await runCli(['help', 'usage'], io)).toBe(0)
    expect(stdout()).toContain('--logs <path...>')
    expect(stdout()).toMatch(/Global Options:[\s\S]*--log-format/)
  })

  it.each([[['--log-format', 'xml', 'usage']], [['usage', '--log-format=yaml', '--logs', '.']]])(
    'refuses an unknown --log-format with a hint (%j), exit 2',
    async (argv) => {
      const { io, stderr } = memoryIo()
      expect(await runCli(argv, io)).toBe(2)
      expect(stderr()).toMatch(/^error: --log-format "(xml|yaml)" is not a log format\n/)
      expect(stderr()).toContain('hint: use --log-format text or --log-format json')
    },
  )
})

describe('the command table', () => {
  it.each(COMMANDS)(
    '$name: its module registers it with the summary --help shows',
    async (entry) => {
      const program = new Command()
      const { io } = memoryIo()
      ;(await entry.load()).register(program, io, { set: () => {} })
      const command = program.commands.find((c) => c.name() === entry.name)
      expect(command?.description()).toBe(entry.summary)
    },
  )

  it('lists every command any module registers', async () => {
    const names = new Set<string>()
    for (const entry of COMMANDS) {
      const program = new Command()
      ;(await entry.load()).register(program, memoryIo().io, { set: () => {} })
      for (const c of program.commands) names.add(c.name())
    }
    expect([...names].sort()).toEqual(COMMANDS.map((e) => e.name).sort())
  })

  it.each([
    [['usage', '--logs', 'run'], 'usage', undefined],
    [['--debug', '--log-format', 'json', 'run', '--config', 'x'], 'run', 'json'],
    [['help', 'explain-action'], 'explain-action', undefined],
    [['analyze', '--log-format=text'], 'analyze', 'text'],
    [['--', 'map'], undefined, undefined],
  ])('finds the command and log format in %j', (argv, command, logFormat) => {
    expect(scanArgv(argv)).toEqual({
      ...(command ? { command } : {}),
      ...(logFormat ? { logFormat } : {}),
    })
  })
})

describe('--log-format json: everything on stderr is one JSON object per line', () => {
  const NOW = new Date('2026-11-15T12:00:00.000Z')
  let logs: string
  let cleanup: () => void

  beforeAll(() => {
    ;({ dir: logs, cleanup } = tempFolder())
    writeS3Log(logs, [
      event({
        time: '2026-11-10T10:00:00Z',
        source: 's3.amazonaws.com',
        name: 'ListBuckets',
        identity: assumedRole('reader'),
      }),
    ])
    // A truncated gzip: the source names it in a warning and skips it.
    writeFileSync(join(logs, 'broken.json.gz'), Buffer.from([0x1f, 0x8b, 0x08, 0x00]))
  })
  afterAll(() => cleanup())

  it('usage: warnings about unreadable files and the summary, and no progress bar', async () => {
    const { io, stdout, stderr } = memoryIo({ now: NOW })
    // On a terminal, usage draws a progress bar; a JSON log never gets one.
    const terminal = { ...io, stderrIsTTY: true }
    const code = await runCli(['usage', '--logs', logs, '--log-format', 'json'], terminal)
    expect(code).toBe(1) // an unreadable file is a hole in the evidence
    expect(stdout()).toContain('ListBuckets')
    const lines = jsonLines(stderr())
    expect(lines).toContainEqual(
      expect.objectContaining({ level: 'warn', msg: expect.stringContaining('broken.json.gz') }),
    )
    expect(lines).toContainEqual({ level: 'info', msg: expect.stringMatching(/^window: \[/) })
    expect(stderr()).not.toContain('reading CloudTrail [')
  })

  it('a usage error from commander and a scopedown error with its hint', async () => {
    const unknown = memoryIo()
    expect(await runCli(['--log-format', 'json', 'usage', '--frobnicate'], unknown.io)).toBe(2)
    expect(jsonLines(unknown.stderr())).toContainEqual({
      level: 'error',
      msg: "required option '--logs <path...>' not specified",
    })

    const bad = memoryIo({ now: NOW })
    const argv = ['usage', '--logs', logs, '--format', 'xml', '--log-format', 'json']
    expect(await runCli(argv, bad.io)).toBe(2)
    expect(jsonLines(bad.stderr())).toEqual([
      {
        level: 'error',
        msg: '--format "xml" is not a format',
        code: 'USAGE',
        hint: 'use one of: table, json, jsonl, csv',
      },
    ])
  })

  it("run: the batch's progress lines and the warning naming an unreadable file", async () => {
    const repo = await demoRepoClone()
    const dir = await mkdtemp(join(tmpdir(), 'scopedown-cli-json-'))
    const config = join(dir, 'scopedown.config.json')
    await writeFile(
      config,
      JSON.stringify({
        source: { type: 'duckdb', paths: [inject('demoLogs'), logs] },
        window: { days: 90, end: DEMO_END },
        roles: { accounts: ['111111111111'], include: ['orders-api', 'ci-deployer'] },
        repo: { path: repo },
        rules: { dataEvents: [...DEMO_TRAIL_DATA_EVENTS] },
        publish: { mode: 'dry-run', outDir: join(dir, 'reports') },
      }),
    )
    const { io, stdout, stderr } = memoryIo({ now: new Date(DEMO_END) })
    await runCli(['run', '--config', config, '--log-format', 'json'], io)
    expect(stdout()).toMatch(/roles: \d+ tightened/)
    const lines = jsonLines(stderr())
    const progress = lines.filter((l) => /^\[\d+\/\d+\] /.test(String(l.msg)))
    expect(progress.map((l) => l.msg)).toEqual([
      expect.stringContaining('111111111111/ci-deployer'),
      expect.stringContaining('111111111111/orders-api'),
    ])
    // The broken file is a hole in the evidence: named in a warning.
    expect(lines).toContainEqual(
      expect.objectContaining({ level: 'warn', msg: expect.stringContaining('broken.json.gz') }),
    )
  }, 120_000)
})
