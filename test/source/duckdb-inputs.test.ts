import { readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { gzipSync } from 'node:zlib'
import { afterEach, describe, expect, it } from 'vitest'
import { createDuckDbSource } from '../../src/source/duckdb.js'
import type { UsageResult } from '../../src/source/types.js'
import { ScopedownError } from '../../src/util/errors.js'
import { memoryLogger } from '../../src/util/log.js'
import {
  ACCOUNT,
  event,
  type Json,
  tempFolder,
  writeFile,
  writeS3Log,
} from './cloudtrail-builders.js'

const WINDOW = { start: '2026-10-01T00:00:00.000Z', end: '2026-10-02T00:00:00.000Z' }
const GOOD = [event({ time: '2026-10-01T10:00:00Z', name: 'ListBuckets' })]

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

async function read(paths: string[], window = WINDOW) {
  const logger = memoryLogger()
  const progress: [number, number][] = []
  const source = await createDuckDbSource({
    paths,
    logger,
    threads: 1,
    onProgress: (done, total) => progress.push([done, total]),
  })
  try {
    const result: UsageResult = await source.usage({ window })
    const lines = logger.lines
      .map((l) => `${l.level}: ${l.msg}`)
      .filter((l) => !l.startsWith('debug'))
    return { result, lines, progress }
  } finally {
    await source.close()
  }
}

/** Many records, so the gzip is well past the 16 KiB a peek inflates. */
function bigRecords(count: number): Json[] {
  return Array.from({ length: count }, (_, i) =>
    event({
      time: '2026-10-01T10:00:00Z',
      name: 'GetObject',
      params: { key: `object-${i}-${'x'.repeat(40)}` },
    }),
  )
}

describe('DuckDB source: bad and odd inputs', () => {
  // Each row: a file and the reason the user sees; the good file next to it is still read.
  const BAD_FILES: { name: string; write: (dir: string) => string; reason: RegExp }[] = [
    {
      name: 'a truncated gzip delivery file (named, so not peeked)',
      write: (dir) => {
        const file = writeS3Log(dir, bigRecords(3000), { id: 'Truncated1' })
        const bytes = readFileSync(file)
        writeFileSync(file, bytes.subarray(0, Math.floor(bytes.length / 2)))
        return file
      },
      reason: /^truncated gzip: the compressed data ends early/,
    },
    {
      name: 'a small truncated gzip file (caught when peeking)',
      write: (dir) => {
        const bytes = gzipSync(JSON.stringify({ Records: GOOD }))
        return writeFile(dir, 'small.json.gz', bytes.subarray(0, bytes.length - 12))
      },
      reason: /^truncated gzip/,
    },
    {
      name: 'invalid JSON (a missing brace, as in AWS parser fixtures)',
      write: (dir) =>
        writeFile(
          dir,
          'broken.json',
          `{"Records":[${JSON.stringify(GOOD[0])},\n {"eventTime": "x",, }]}`,
        ),
      reason: /^invalid JSON at byte \d+: unexpected character$/,
    },
    {
      name: 'plain JSON cut off mid-record',
      write: (dir) =>
        writeFile(dir, 'cut.json', `{"Records":[${JSON.stringify(GOOD[0]).slice(0, 80)}`),
      reason: /^invalid JSON: the file ends before its first value is complete \(truncated\?\)$/,
    },
    {
      name: 'an empty file',
      write: (dir) => writeFile(dir, 'empty.json', ''),
      reason: /^the file is empty$/,
    },
    {
      name: 'a file that is not JSON',
      write: (dir) => writeFile(dir, 'notes.json', 'hello, these are notes'),
      reason: /^not JSON: the file starts with "hello, these are"$/,
    },
    {
      name: 'an Athena export with lower-case field names',
      write: (dir) =>
        writeFile(dir, 'athena.jsonl', '{"eventtime":"2026-10-01T10:00:00Z","eventname":"X"}\n'),
      reason: /lower-case .* Athena export/,
    },
  ]

  it.each(BAD_FILES)(
    'reports $name by path with a reason, and goes on',
    async ({ write, reason }) => {
      const dir = folder()
      writeS3Log(dir, GOOD)
      const bad = write(dir)
      const { result, lines } = await read([dir])
      expect(result.inputs.unreadable).toEqual([
        expect.objectContaining({
          kind: 'file',
          input: bad,
          reason: expect.stringMatching(reason),
        }),
      ])
      expect(result.inputs.filesRead).toBe(1)
      expect(result.calls.map((c) => [c.eventName, c.count])).toEqual([['ListBuckets', 1]])
      expect(lines).toContain(`warn: cannot read ${bad}: ${result.inputs.unreadable[0]?.reason}`)
    },
  )

  it('ignores digest and Insights files and other JSON quietly or with a note, counting them', async () => {
    const dir = folder()
    writeS3Log(dir, GOOD)
    writeFile(
      dir,
      `AWSLogs/${ACCOUNT}/CloudTrail-Digest/us-east-1/2026/10/01/${ACCOUNT}_CloudTrail-Digest_us-east-1_trail_us-east-1_20261001T100000Z.json.gz`,
      JSON.stringify({
        awsAccountId: ACCOUNT,
        digestStartTime: '2026-10-01T09:00:00Z',
        logFiles: [],
      }),
      true,
    )
    writeFile(
      dir,
      `AWSLogs/${ACCOUNT}/CloudTrail-Insight/us-east-1/2026/10/01/insight.json.gz`,
      '{"Records":[]}',
      true,
    )
    const other = writeFile(dir, 'package.json', JSON.stringify({ name: 'x', version: '1.0.0' }))
    writeFile(dir, 'README.md', '# logs')
    const { result, lines } = await read([dir])
    expect(result.inputs).toMatchObject({
      filesRead: 1,
      filesIgnored: 4,
      unreadable: [],
      eventsInWindow: 1,
    })
    expect(lines).toEqual([
      `info: ignored ${other}: JSON without CloudTrail records (top-level keys: name, version)`,
    ])
  })

  it('counts records without a usable eventTime, and reads the rest of their file', async () => {
    const dir = folder()
    const { eventTime: _dropped, ...noTime } = event({ time: 'unused', name: 'NoTime' })
    writeS3Log(
      dir,
      [
        ...GOOD,
        noTime,
        event({ time: 'ThisIsAWrongEventTime', name: 'BadTime' }),
        event({
          time: '2026-10-01T11:00:00Z',
          name: 'NoIdentity',
          identity: null,
          override: { userIdentity: undefined },
        }),
      ],
      { delivered: '2026-10-01T12:00:00Z' },
    )
    const { result } = await read([dir])
    expect(result.inputs).toMatchObject({
      filesRead: 1,
      badRecords: 2,
      eventsInWindow: 2,
      unreadable: [],
    })
    expect(result.unattributed).toEqual([
      { identityType: 'none', eventSource: 's3.amazonaws.com', eventName: 'NoIdentity', count: 1 },
    ])
  })

  it('reads a file whose records do not fit the schema one by one (tolerant reader)', async () => {
    const dir = folder()
    writeS3Log(dir, [
      ...GOOD,
      'not an object',
      event({ time: '2026-10-01T11:00:00Z', name: 'Odd', identity: 'a string' as unknown as Json }),
    ] as Json[])
    const { result } = await read([dir])
    expect(result.inputs).toMatchObject({
      filesRead: 1,
      unreadable: [],
      badRecords: 1,
      eventsInWindow: 2,
    })
    expect(result.calls.map((c) => c.eventName)).toEqual(['ListBuckets'])
    expect(result.unattributed.map((u) => [u.identityType, u.eventName])).toEqual([['none', 'Odd']])
  })

  it('prunes day folders outside the window but keeps a late-delivered in-window event', async () => {
    const dir = folder()
    const at = (time: string, name: string) => event({ time, name })
    writeS3Log(dir, [at('2026-09-20T10:00:00Z', 'Old')], { id: 'Old1' })
    writeS3Log(dir, [at('2026-10-01T10:00:00Z', 'Normal')], { id: 'Normal1' })
    // 23:58 on the last window day, delivered in the next day's folder.
    writeS3Log(dir, [at('2026-10-01T23:58:00Z', 'Late')], {
      delivered: '2026-10-02T00:04:00Z',
      id: 'Late1',
    })
    writeS3Log(dir, [at('2026-10-09T10:00:00Z', 'Future')], { id: 'Future1' })
    const { result, progress } = await read([dir])
    expect(result.inputs).toMatchObject({ filesRead: 2, filesPruned: 2, eventsInWindow: 2 })
    expect(result.calls.map((c) => c.eventName).sort()).toEqual(['Late', 'Normal'])
    expect(progress[0]).toEqual([0, 2])
    expect(progress.at(-1)).toEqual([2, 2])
  })

  it('never prunes files outside the S3 layout, and reads overlapping inputs once', async () => {
    const dir = folder()
    const file = writeFile(dir, 'export/events.jsonl', `${JSON.stringify(GOOD[0])}\n`)
    const { result } = await read([dir, file, path.join(dir, 'export', '*.jsonl')])
    expect(result.inputs).toMatchObject({ filesRead: 1, filesPruned: 0, eventsInWindow: 1 })
  })

  it('rejects an input that matches nothing, as a usage error naming it', async () => {
    const dir = folder()
    const missing = path.join(dir, 'nope')
    const error = await createDuckDbSource({ paths: [missing] }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ScopedownError)
    expect(error).toMatchObject({
      code: 'USAGE',
      message: `--logs ${missing}: no such file or folder`,
    })
    await expect(
      createDuckDbSource({ paths: [path.join(dir, '*.json.gz')] }),
    ).rejects.toMatchObject({
      code: 'USAGE',
      message: expect.stringContaining('no file matches this pattern'),
    })
  })

  it('rejects an empty or malformed window', async () => {
    const dir = folder()
    writeS3Log(dir, GOOD)
    const source = await createDuckDbSource({ paths: [dir] })
    try {
      await expect(
        source.usage({ window: { start: WINDOW.end, end: WINDOW.start } }),
      ).rejects.toMatchObject({
        code: 'USAGE',
      })
      await expect(
        source.usage({ window: { start: 'yesterday', end: WINDOW.end } }),
      ).rejects.toMatchObject({
        code: 'USAGE',
        message: 'window start "yesterday" is not a date',
      })
    } finally {
      await source.close()
    }
  })
})
