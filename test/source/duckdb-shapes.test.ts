import { afterAll, describe, expect, it } from 'vitest'
import { createDuckDbSource } from '../../src/source/duckdb.js'
import type { UsageResult } from '../../src/source/types.js'
import {
  ACCOUNT,
  event,
  iamUser,
  type Json,
  tempFolder,
  writeFile,
  writeS3Log,
} from './cloudtrail-builders.js'

// The same three events in every shape users have; each shape must give the same answer.
const EVENTS: Json[] = [
  event({ time: '2026-10-01T10:00:00Z', name: 'ListBuckets' }),
  event({ time: '2026-10-01T11:00:00Z', name: 'ListBuckets', errorCode: 'AccessDenied' }),
  event({
    time: '2026-10-01T12:00:00Z',
    source: 'iam.amazonaws.com',
    name: 'GetUser',
    identity: iamUser('bob'),
  }),
]
const WINDOW = { start: '2026-10-01T00:00:00.000Z', end: '2026-10-02T00:00:00.000Z' }

const compact = (value: unknown) => JSON.stringify(value)
const pretty = (value: unknown) => JSON.stringify(value, null, 2)
const lookupOutput = (events: Json[]) => ({
  Events: events.map((e, i) => ({
    EventId: `id-${i}`,
    EventName: e.eventName,
    ReadOnly: 'true',
    EventTime: e.eventTime,
    EventSource: e.eventSource,
    Resources: [],
    CloudTrailEvent: JSON.stringify(e),
  })),
  NextToken: 'token',
})

const SHAPES: { name: string; write: (dir: string) => void }[] = [
  { name: 'S3 delivery file, gzipped, in the S3 layout', write: (dir) => writeS3Log(dir, EVENTS) },
  {
    name: 'S3 delivery file, plain, in an organization trail layout',
    write: (dir) => writeS3Log(dir, EVENTS, { gzip: false, org: 'o-abc123def4' }),
  },
  {
    name: 'pretty-printed {"Records": [...]} file',
    write: (dir) => writeFile(dir, 'export.json', pretty({ Records: EVENTS })),
  },
  {
    name: 'pretty-printed records behind an S3 delivery name (.json.gz)',
    write: (dir) =>
      writeFile(
        dir,
        `${ACCOUNT}_CloudTrail_us-east-1_20261001T1205Z_Pretty123.json.gz`,
        pretty({ Records: EVENTS }),
        true,
      ),
  },
  {
    name: 'plain JSON behind an S3 delivery name ending in .gz',
    write: (dir) =>
      writeFile(
        dir,
        `${ACCOUNT}_CloudTrail_us-east-1_20261001T1205Z_NotGzip12.json.gz`,
        compact({ Records: EVENTS }),
      ),
  },
  {
    name: 'concatenated delivery files, one {"Records"} object per line',
    write: (dir) =>
      writeFile(
        dir,
        'all.json',
        `${compact({ Records: EVENTS.slice(0, 2) })}\n${compact({ Records: EVENTS.slice(2) })}\n`,
      ),
  },
  {
    name: 'JSON array of events, pretty-printed',
    write: (dir) => writeFile(dir, 'events.json', pretty(EVENTS)),
  },
  {
    name: 'JSON array of events, gzipped',
    write: (dir) => writeFile(dir, 'events.json.gz', compact(EVENTS), true),
  },
  {
    name: 'JSON Lines of events',
    write: (dir) => writeFile(dir, 'events.jsonl', `${EVENTS.map(compact).join('\n')}\n`),
  },
  {
    name: 'JSON Lines of events with a byte order mark (Windows tools)',
    write: (dir) => writeFile(dir, 'events.jsonl', `\uFEFF${EVENTS.map(compact).join('\r\n')}\r\n`),
  },
  {
    name: 'JSON Lines of events, gzipped, named .json',
    write: (dir) => writeFile(dir, 'lake-export.json', EVENTS.map(compact).join('\n'), true),
  },
  {
    name: 'lookup-events output, pretty-printed as the AWS CLI prints it',
    write: (dir) => writeFile(dir, 'lookup.json', pretty(lookupOutput(EVENTS))),
  },
  {
    name: 'lookup-events output, compact and gzipped',
    write: (dir) => writeFile(dir, 'lookup.json.gz', compact(lookupOutput(EVENTS)), true),
  },
  {
    name: 'pretty-printed events, one after another',
    write: (dir) => writeFile(dir, 'events.json', EVENTS.map(pretty).join('\n')),
  },
]

const folders: (() => void)[] = []
afterAll(() => {
  for (const cleanup of folders) cleanup()
})

async function readShape(write: (dir: string) => void): Promise<UsageResult> {
  const { dir, cleanup } = tempFolder()
  folders.push(cleanup)
  write(dir)
  const source = await createDuckDbSource({ paths: [dir], threads: 1 })
  try {
    return await source.usage({ window: WINDOW })
  } finally {
    await source.close()
  }
}

describe('DuckDB source: input shapes', () => {
  it.each(SHAPES)('reads $name', async ({ write }) => {
    const result = await readShape(write)
    expect(result.inputs).toMatchObject({
      filesRead: 1,
      unreadable: [],
      badRecords: 0,
      eventsInWindow: 3,
    })
    expect(
      result.calls.map((c) => [c.principalArn, c.eventSource, c.eventName, c.count, c.deniedCount]),
    ).toEqual([
      [`arn:aws:iam::${ACCOUNT}:role/app`, 's3.amazonaws.com', 'ListBuckets', 2, 1],
      [`arn:aws:iam::${ACCOUNT}:user/bob`, 'iam.amazonaws.com', 'GetUser', 1, 0],
    ])
    expect(result.calls[0]).toMatchObject({
      firstSeen: '2026-10-01T10:00:00.000Z',
      lastSeen: '2026-10-01T11:00:00.000Z',
      regions: ['us-east-1'],
    })
  })

  it('reads Logstash JSON Lines that carry @timestamp instead of eventTime', async () => {
    const lines = EVENTS.map((e) => {
      const { eventTime, ...rest } = e
      return compact({
        ...rest,
        '@timestamp': String(eventTime).replace('Z', '.000Z'),
        '@version': '1',
      })
    })
    const result = await readShape((dir) => writeFile(dir, 'logstash.json', lines.join('\n')))
    expect(result.inputs).toMatchObject({ filesRead: 1, eventsInWindow: 3, badRecords: 0 })
    expect(result.calls.map((c) => c.count)).toEqual([2, 1])
  })
})
