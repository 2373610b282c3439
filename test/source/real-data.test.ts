import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { gunzipSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import type { Window } from '../../src/model.js'
import { createDuckDbSource } from '../../src/source/duckdb.js'
import type { UsageResult } from '../../src/source/types.js'
import { SHARED_DATA } from '../helpers/shared-data.js'

// Real public CloudTrail logs (see SOURCES.md there). Expectations are computed here with plain
// JSON.parse and the attribution rules written out again, independently of the SQL.
const DATA = SHARED_DATA
const skipNote = (folder: string) => `(skipped when ${join(DATA, folder)} is absent)`
const present = (folder: string) => existsSync(join(DATA, folder))

type Rec = Record<string, unknown>
const DENIED = new Set([
  'AccessDenied',
  'AccessDeniedException',
  'Client.UnauthorizedOperation',
  'UnauthorizedOperation',
])

/** Records of one file: {"Records"} (any whitespace, gz or not) or JSON Lines; throws if invalid. */
function recordsOf(file: string): Rec[] {
  const bytes = readFileSync(file)
  const text = (bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzipSync(bytes) : bytes)
    .toString('utf8')
    .trim()
  if (text.startsWith('{"Records"') || /^\{\s*"Records"/.test(text))
    return (JSON.parse(text) as { Records: Rec[] }).Records
  return text.split('\n').map((line) => JSON.parse(line) as Rec)
}

function principalOf(record: Rec): string | undefined {
  const identity = (record.userIdentity ?? {}) as Rec
  const issuer = ((identity.sessionContext ?? {}) as Rec).sessionIssuer as Rec | undefined
  if (identity.type === 'AssumedRole' || identity.type === 'FederatedUser')
    return (issuer?.arn ?? undefined) as string | undefined
  if (identity.type === 'IAMUser' || identity.type === 'Root')
    return identity.arn as string | undefined
  return undefined
}

interface Expected {
  calls: Record<string, [number, number]>
  unattributed: Record<string, number>
  events: number
  badRecords: number
  unreadable: string[]
  invokedBy: number
}

/** What the source must report, from the files' own JSON. */
function expectedFrom(files: string[], window: Window): Expected {
  const expected: Expected = {
    calls: {},
    unattributed: {},
    events: 0,
    badRecords: 0,
    unreadable: [],
    invokedBy: 0,
  }
  const [start, end] = [Date.parse(window.start), Date.parse(window.end)]
  for (const file of files) {
    let records: Rec[]
    try {
      records = recordsOf(file)
    } catch {
      expected.unreadable.push(file)
      continue
    }
    for (const record of records) {
      const timeText = (record.eventTime ?? record['@timestamp']) as string | undefined
      const time =
        typeof timeText === 'string' && /^\d{4}-\d\d-\d\dT/.test(timeText)
          ? Date.parse(timeText)
          : Number.NaN
      if (Number.isNaN(time) || record.eventSource == null || record.eventName == null) {
        expected.badRecords++
        continue
      }
      if (time < start || time >= end) continue
      expected.events++
      const call = `${record.eventSource}|${record.eventName}`
      const principal = principalOf(record)
      if (principal === undefined) {
        const type = ((record.userIdentity ?? {}) as Rec).type ?? 'none'
        const key = `${type}|${call}`
        expected.unattributed[key] = (expected.unattributed[key] ?? 0) + 1
        continue
      }
      const key = `${principal}|${call}`
      const [count, denied] = expected.calls[key] ?? [0, 0]
      expected.calls[key] = [count + 1, denied + (DENIED.has(String(record.errorCode)) ? 1 : 0)]
      if (((record.userIdentity ?? {}) as Rec).invokedBy) expected.invokedBy++
    }
  }
  return expected
}

function actualFrom(result: UsageResult): Omit<Expected, 'unreadable'> & { unreadable: string[] } {
  return {
    calls: Object.fromEntries(
      result.calls.map((c) => [
        `${c.principalArn}|${c.eventSource}|${c.eventName}`,
        [c.count, c.deniedCount],
      ]),
    ),
    unattributed: Object.fromEntries(
      result.unattributed.map((u) => [
        `${u.identityType}|${u.eventSource}|${u.eventName}`,
        u.count,
      ]),
    ),
    events: result.inputs.eventsInWindow,
    badRecords: result.inputs.badRecords,
    unreadable: result.inputs.unreadable.map((f) => f.input),
    invokedBy: result.calls
      .flatMap((c) => c.details)
      .filter((d) => d.params.invokedBy !== undefined)
      .reduce((sum, d) => sum + d.count, 0),
  }
}

async function compare(folder: string, window: Window) {
  const dir = join(DATA, folder)
  const files = readdirSync(dir)
    .filter((f) => /\.json(l)?(\.gz)?$/.test(f))
    .sort()
    .map((f) => join(dir, f))
  const source = await createDuckDbSource({ paths: [dir] })
  try {
    const result = await source.usage({ window })
    expect(actualFrom(result)).toEqual(expectedFrom(files, window))
    return result
  } finally {
    await source.close()
  }
}

describe.skipIf(!present('cloudtrail/invictus-ir-aws_dataset'))(
  `real logs: invictus-ir S3 delivery files ${skipNote('cloudtrail/invictus-ir-aws_dataset')}`,
  () => {
    it('counts all 2,900 records per principal and call, as plain JSON.parse does', async () => {
      const result = await compare('cloudtrail/invictus-ir-aws_dataset', {
        start: '2023-07-10T00:00:00.000Z',
        end: '2023-07-11T00:00:00.000Z',
      })
      expect(result.inputs).toMatchObject({ filesRead: 55, eventsInWindow: 2900, badRecords: 0 })
      expect(result.coverage).toEqual([
        {
          accountId: '123837392027',
          region: 'us-east-1',
          firstEvent: '2023-07-10T11:42:18.000Z',
          lastEvent: '2023-07-10T12:37:50.000Z',
          daysWithEvents: 1,
          missingDays: [],
        },
      ])
    })
  },
)

describe.skipIf(!present('cloudtrail/otrf-security-datasets'))(
  `real logs: OTRF Logstash JSON Lines with @timestamp and no eventTime ${skipNote('cloudtrail/otrf-security-datasets')}`,
  () => {
    it('dates the records by @timestamp and counts all 103', async () => {
      const result = await compare('cloudtrail/otrf-security-datasets', {
        start: '2020-09-14T00:00:00.000Z',
        end: '2020-09-15T00:00:00.000Z',
      })
      expect(result.inputs).toMatchObject({ filesRead: 1, eventsInWindow: 103, badRecords: 0 })
      const stolen = result.calls.filter((c) =>
        c.principalArn.endsWith('role/MordorNginxStack-BankingWAFRole-9S3E0UAE1MM0'),
      )
      expect(
        stolen
          .filter((c) => c.eventSource === 's3.amazonaws.com')
          .map((c) => [c.eventName, c.count]),
      ).toEqual([
        ['GetObject', 2],
        ['ListBuckets', 2],
        ['ListObjects', 7],
      ])
    })
  },
)

describe.skipIf(!present('cloudtrail/edge-cases/aws-cloudtrail-processing-library'))(
  `real logs: AWS parser edge cases ${skipNote('cloudtrail/edge-cases/aws-cloudtrail-processing-library')}`,
  () => {
    it('skips the malformed file, counts records without a usable time, reads the rest', async () => {
      const result = await compare('cloudtrail/edge-cases/aws-cloudtrail-processing-library', {
        start: '2013-11-01T00:00:00.000Z',
        end: '2013-11-02T00:00:00.000Z',
      })
      expect(result.inputs.unreadable).toEqual([
        {
          kind: 'file',
          input: join(
            DATA,
            'cloudtrail/edge-cases/aws-cloudtrail-processing-library/SerializerTestFileBadJsonFormat.json',
          ),
          reason: 'invalid JSON: Expected double-quoted property name in JSON at position 1293',
        },
      ])
      expect(result.inputs.filesRead).toBe(12)
    })
  },
)

describe.skipIf(!present('peers/trailscraper/cloudtrail'))(
  `real logs: trailscraper fixtures, pretty-printed behind S3 names ${skipNote('peers/trailscraper/cloudtrail')}`,
  () => {
    it('reads pretty-printed delivery files, gzipped or not, and carries invokedBy', async () => {
      const result = await compare('peers/trailscraper/cloudtrail', {
        start: '2010-01-01T00:00:00.000Z',
        end: '2020-01-01T00:00:00.000Z',
      })
      expect(result.inputs).toMatchObject({ filesRead: 3, unreadable: [], eventsInWindow: 7 })
      const describe = result.calls.find((c) => c.eventName === 'DescribeLaunchConfigurations')
      expect(describe?.details).toEqual([
        { params: { invokedBy: 'config.amazonaws.com' }, count: 3, deniedCount: 0 },
      ])
    })
  },
)
