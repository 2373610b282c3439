import { spawn, spawnSync } from 'node:child_process'
import { chmodSync, mkdirSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { runCli } from '../../src/cli-program.js'
import { memoryIo } from '../../src/commands/io.js'
import { createDuckDbSource } from '../../src/source/duckdb.js'
import {
  ACCOUNT,
  assumedRole,
  event,
  type Json,
  tempFolder,
  writeFile,
  writeS3Log,
} from '../source/cloudtrail-builders.js'

/**
 * What a user sees when input cannot be read: the message names the input, the counts say it,
 * and the exit code is 1. Each test asserts the message, the exit code and what was kept.
 */

const BIN = path.resolve(import.meta.dirname, '../../bin/scopedown.js')
const WINDOW = ['--start', '2026-10-01', '--end', '2026-10-08']

let cleanups: (() => void)[] = []
afterEach(() => {
  for (const cleanup of cleanups) cleanup()
  cleanups = []
})

function folder(): string {
  const { dir, cleanup } = tempFolder()
  cleanups.push(cleanup)
  return dir
}

const call = (name: string, day = '2026-10-02'): Json =>
  event({
    time: `${day}T10:00:00Z`,
    source: 'ec2.amazonaws.com',
    name,
    identity: assumedRole('deployer', { path: '/service/' }),
  })

async function usage(args: string[]) {
  const { io, stdout, stderr } = memoryIo({ now: new Date('2026-10-08T00:00:00Z') })
  const code = await runCli(['usage', ...args], io)
  return { code, stdout: stdout(), stderr: stderr() }
}

describe('truncated and empty files, in every input shape', () => {
  const records = Array.from({ length: 40 }, (_, i) => call(i % 2 ? 'RunInstances' : 'CreateTags'))
  const shapes: [string, string, string | Buffer][] = [
    ['records.json', 'records', `${JSON.stringify({ Records: records })}\n`],
    ['events.jsonl', 'lines', `${records.map((r) => JSON.stringify(r)).join('\n')}\n`],
    ['events.json', 'array', `${JSON.stringify(records, null, 2)}\n`],
    [
      'lookup.json',
      'lookup',
      `${JSON.stringify({ Events: records.map((r) => ({ CloudTrailEvent: JSON.stringify(r) })) })}\n`,
    ],
  ]

  it.each(
    shapes.flatMap(([name, shape, text]) =>
      [false, true].flatMap((gzip) =>
        [0, 1, 10, 50, 0.25, 0.5, 0.9].map((cut) => ({ name, shape, text, gzip, cut })),
      ),
    ),
  )(
    '$shape (gzip $gzip) cut at $cut: unreadable, never fewer events read as all',
    async ({ name, text, gzip, cut }) => {
      const dir = folder()
      const file = writeFile(dir, gzip ? `${name}.gz` : name, text, gzip)
      const full = Buffer.byteLength(gzip ? (await import('node:zlib')).gzipSync(text) : text)
      // Fractions land 7 bytes past a point, so the cut falls inside a record (a cut exactly
      // between two records leaves a complete file, which nothing can tell from a whole one).
      const size = cut < 1 && cut > 0 ? Math.floor(full * cut) + 7 : cut
      truncateSync(file, size)
      const source = await createDuckDbSource({ paths: [dir], threads: 1 })
      try {
        const result = await source.usage({
          window: { start: '2026-10-01T00:00:00Z', end: '2026-10-08T00:00:00Z' },
        })
        const unreadable = result.inputs.unreadable.map((u) => u.input)
        // Either the file is a named hole, or every record was read (only a trailing byte went).
        if (!unreadable.includes(file)) expect(result.inputs.eventsInWindow).toBe(records.length)
        else
          expect(result.inputs.unreadable[0]?.reason).toMatch(
            /truncated|empty|invalid JSON|not JSON/,
          )
      } finally {
        await source.close()
      }
    },
  )

  it('names an unreadable file, counts it, and exits 1', async () => {
    const dir = folder()
    writeS3Log(dir, [call('DescribeInstances')])
    const bad = writeFile(dir, 'exports/events.jsonl', '{"eventTime": "2026-10-02T1')
    const { code, stderr } = await usage(['--logs', dir, ...WINDOW])
    expect(code).toBe(1)
    expect(stderr).toContain(`warn: cannot read ${bad}: invalid JSON`)
    expect(stderr).toContain('1 unreadable')
    expect(stderr).toContain('1 input(s) could not be read')
  })
})

describe('files and folders the user may not read', () => {
  // As root every file is readable: the CLI then runs as `nobody`, where permissions apply.
  const asRoot = process.getuid?.() === 0
  const run = (args: string[]) => {
    const command = asRoot ? 'setpriv' : process.execPath
    const argv = asRoot
      ? ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, BIN, ...args]
      : [BIN, ...args]
    const result = spawnSync(command, argv, { encoding: 'utf8', env: { ...process.env, CI: '' } })
    return { code: result.status, stdout: result.stdout, stderr: result.stderr }
  }

  it('makes an unreadable file and an unreadable folder holes, named, and exits 1', () => {
    const dir = folder()
    chmodSync(dir, 0o755)
    const good = writeS3Log(dir, [call('DescribeInstances')])
    const secret = writeS3Log(dir, [call('RunInstances', '2026-10-03')], {
      delivered: '2026-10-03T10:05:00Z',
    })
    const lockedDay = path.join(dir, `AWSLogs/${ACCOUNT}/CloudTrail/eu-west-1/2026/10/04`)
    mkdirSync(lockedDay, { recursive: true })
    writeFileSync(
      path.join(lockedDay, 'x.json'),
      JSON.stringify({ Records: [call('StopInstances')] }),
    )
    chmodSync(secret, 0o000)
    chmodSync(lockedDay, 0o000)
    try {
      const { code, stdout, stderr } = run(['usage', '--logs', dir, ...WINDOW, '--format', 'csv'])
      expect(code).toBe(1)
      expect(stderr).toContain(
        `cannot read ${secret}: cannot read the file: EACCES: permission denied\n`,
      )
      expect(stderr).toContain(`cannot read ${lockedDay}: cannot list the folder: EACCES`)
      expect(stderr).toContain('2 input(s) could not be read')
      expect(stdout).toContain('DescribeInstances')
      expect(stdout).not.toContain('RunInstances')
      expect(good).toBeTruthy()
    } finally {
      chmodSync(secret, 0o644)
      chmodSync(lockedDay, 0o755)
    }
  })
})

describe('links', () => {
  it('reads a file reached twice once, never loops, and says so in the summary', async () => {
    const dir = folder()
    writeS3Log(dir, [call('RunInstances')])
    const region = path.join(dir, `AWSLogs/${ACCOUNT}/CloudTrail/us-east-1`)
    symlinkSync(path.join(region, '2026'), path.join(region, 'latest'))
    symlinkSync(dir, path.join(region, 'loop'))
    const { code, stdout, stderr } = await usage(['--logs', dir, ...WINDOW])
    expect(code).toBe(0)
    expect(stdout.split('\n').filter((l) => l.includes('RunInstances'))).toHaveLength(1)
    expect(stdout).toMatch(/RunInstances\s+1\s+0\s/)
    expect(stderr).toContain('1 files read')
    expect(stderr).toContain('1 reached twice through links (read once)')
    expect(stderr).toContain('1 looping links not followed')
  })
})

describe('a closed stdout', () => {
  it('ends quietly with status 0 when the reader goes away (| head)', async () => {
    const dir = folder()
    const many = Array.from({ length: 3000 }, (_, i) =>
      event({
        time: '2026-10-02T10:00:00Z',
        name: `Call${i}`,
        identity: assumedRole(`role-${i % 50}`),
      }),
    )
    writeS3Log(dir, many)
    const child = spawn(process.execPath, [
      BIN,
      'usage',
      '--logs',
      dir,
      ...WINDOW,
      '--format',
      'jsonl',
    ])
    let stderr = ''
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString()
    })
    child.stdout.once('data', () => child.stdout.destroy())
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve))
    expect(code).toBe(0)
    expect(stderr).not.toMatch(/EPIPE|Error:/)
  })
})
