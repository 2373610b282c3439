import { mkdirSync, symlinkSync } from 'node:fs'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import {
  discoverLogFiles,
  globToRegExp,
  holesInWindow,
  ignoredByName,
  layoutDayOf,
  layoutScopeOf,
  pruneByWindow,
} from '../../src/source/discover.js'
import { tempFolder, writeFile } from './cloudtrail-builders.js'

let cleanups: (() => void)[] = []
afterEach(() => {
  for (const cleanup of cleanups) cleanup()
  cleanups = []
})

describe('S3 layout', () => {
  it.each([
    ['/b/AWSLogs/111111111111/CloudTrail/us-east-1/2026/10/01/x.json.gz', '2026-10-01'],
    [
      '/b/prefix/AWSLogs/o-abc123/111111111111/CloudTrail/eu-west-1/2026/02/28/x.json.gz',
      '2026-02-28',
    ],
    ['/dl/111111111111_CloudTrail_us-east-1_20261001T2355Z_AbCd1234.json.gz', '2026-10-01'],
    ['/b/AWSLogs/111111111111/CloudTrail/us-east-1/2026/02/30/x.json.gz', undefined],
    ['/b/AWSLogs/111111111111/CloudTrail/us-east-1/2026/10/x.json.gz', undefined],
    ['/exports/events.jsonl', undefined],
  ])('dates %s by %s', (file, day) => {
    expect(layoutDayOf(file)).toBe(day)
  })

  it.each([
    [
      '/b/AWSLogs/1/CloudTrail-Digest/us-east-1/2026/10/01/1_CloudTrail-Digest_us-east-1_t_us-east-1_20261001T000000Z.json.gz',
      'a CloudTrail-Digest file',
    ],
    [
      '/dl/111111111111_CloudTrail-Digest_us-east-1_t_us-east-1_20261001T000000Z.json.gz',
      'a CloudTrail-Digest file',
    ],
    [
      '/b/AWSLogs/1/CloudTrail-Insight/us-east-1/2026/10/01/x.json.gz',
      'a CloudTrail Insights file',
    ],
    ['/b/AWSLogs/1/CloudTrail/us-east-1/2026/10/01/x.json.gz', undefined],
  ])('ignores %s by name: %s', (file, reason) => {
    expect(ignoredByName(file)).toBe(reason)
  })

  // Window [2026-10-10T06:00, 2026-10-12T06:00): keep day folders 10-09 .. 10-14.
  const window = { start: new Date('2026-10-10T06:00:00Z'), end: new Date('2026-10-12T06:00:00Z') }
  it.each([
    ['2026-10-08', false],
    ['2026-10-09', true],
    ['2026-10-12', true],
    ['2026-10-14', true],
    ['2026-10-15', false],
    [undefined, true],
  ])('prunes a file of day %s: kept=%s', (layoutDay, kept) => {
    const file = layoutDay ? { path: 'f', layoutDay } : { path: 'f' }
    const result = pruneByWindow([file], window)
    expect(result.kept.length === 1).toBe(kept)
    expect(result.pruned.length === 1).toBe(!kept)
  })
})

describe('globs', () => {
  it.each([
    ['/l/**/*.json.gz', '/l/a/b/c.json.gz', true],
    ['/l/**/*.json.gz', '/l/c.json.gz', true],
    ['/l/*/x.json', '/l/a/b/x.json', false],
    ['/l/2026/1?/*', '/l/2026/10/f', true],
    ['/l/{us-east-1,eu-west-1}/*', '/l/eu-west-1/f', true],
    ['/l/{us-east-1,eu-west-1}/*', '/l/ap-south-1/f', false],
    ['/l/[ab].json', '/l/b.json', true],
    ['/l/a.json', '/l/aXjson', false],
  ])('%s matches %s: %s', (glob, file, match) => {
    expect(globToRegExp(glob).test(file)).toBe(match)
  })
})

describe('discoverLogFiles', () => {
  it('walks folders for .json/.jsonl/.ndjson (.gz), sets digests aside, and dedupes', async () => {
    const { dir, cleanup } = tempFolder()
    cleanups.push(cleanup)
    const log = writeFile(
      dir,
      'AWSLogs/111111111111/CloudTrail/us-east-1/2026/10/01/a.json.gz',
      'x',
    )
    const lines = writeFile(dir, 'exports/b.ndjson', 'x')
    const digest = writeFile(
      dir,
      'AWSLogs/111111111111/CloudTrail-Digest/us-east-1/2026/10/01/d.json.gz',
      'x',
    )
    const notes = writeFile(dir, 'notes.txt', 'x')
    const explicit = writeFile(dir, 'other/events.log', 'x')
    const found = await discoverLogFiles([dir, log, explicit])
    expect(found.files).toEqual(
      [{ path: log, layoutDay: '2026-10-01' }, { path: lines }, { path: explicit }].sort((a, b) =>
        a.path < b.path ? -1 : 1,
      ),
    )
    expect(found.ignored.map((f) => [path.basename(f.path), f.reason])).toEqual(
      [
        [path.basename(digest), 'a CloudTrail-Digest file'],
        [path.basename(notes), 'not a .json, .jsonl or .ndjson file'],
      ].sort((a, b) => ((a[0] ?? '') < (b[0] ?? '') ? -1 : 1)),
    )
  })

  it('expands a glob relative to the working directory', async () => {
    const { dir, cleanup } = tempFolder()
    cleanups.push(cleanup)
    const a = writeFile(dir, 'x/2026/10/01/a.json', 'x')
    writeFile(dir, 'x/2026/09/30/b.json', 'x')
    const relative = path.relative(process.cwd(), path.join(dir, 'x/2026/10/**/*.json'))
    expect((await discoverLogFiles([relative])).files).toEqual([{ path: a }])
  })
})

describe('links and holes', () => {
  const LAYOUT = 'AWSLogs/111111111111/CloudTrail/us-east-1'

  it('reads a file reached through a second link once, and says so', async () => {
    const { dir, cleanup } = tempFolder()
    cleanups.push(cleanup)
    const real = writeFile(dir, `${LAYOUT}/2023/10/01/a.json`, 'x')
    symlinkSync(path.join(dir, `${LAYOUT}/2023`), path.join(dir, `${LAYOUT}/latest`))
    symlinkSync(real, path.join(dir, 'also-a.json'))
    const found = await discoverLogFiles([dir])
    expect(found.files.map((f) => f.path)).toEqual([real])
    expect(found.duplicates).toBe(2)
    expect(found.loops).toBe(0)
    expect(found.unreadable).toEqual([])
  })

  it('never loops on a link back to an ancestor folder', async () => {
    const { dir, cleanup } = tempFolder()
    cleanups.push(cleanup)
    const real = writeFile(dir, 'logs/sub/a.json', 'x')
    symlinkSync(path.join(dir, 'logs'), path.join(dir, 'logs/sub/back-to-logs'))
    symlinkSync('.', path.join(dir, 'logs/sub/self'))
    const found = await discoverLogFiles([path.join(dir, 'logs')])
    expect(found.files.map((f) => f.path)).toEqual([real])
    expect(found.loops).toBe(2)
  })

  it('names a link that leads nowhere as a hole, placed by the S3 layout', async () => {
    const { dir, cleanup } = tempFolder()
    cleanups.push(cleanup)
    const day = path.join(dir, `${LAYOUT}/2026/10/05`)
    mkdirSync(day, { recursive: true })
    const dangling = path.join(day, '111111111111_CloudTrail_us-east-1_20261005T0000Z_x.json.gz')
    symlinkSync(path.join(dir, 'gone.json.gz'), dangling)
    const found = await discoverLogFiles([dir])
    expect(found.files).toEqual([])
    expect(found.unreadable).toEqual([
      {
        kind: 'file',
        input: dangling,
        reason: 'the symbolic link leads nowhere: ENOENT: no such file or folder',
        accountId: '111111111111',
        region: 'us-east-1',
        days: ['2026-10-03', '2026-10-04', '2026-10-05', '2026-10-06'],
      },
    ])
  })

  it.each([
    ['/l/AWSLogs/o-abc/111111111111/CloudTrail/eu-west-1/2026/02', 'eu-west-1', 31],
    ['/l/AWSLogs/111111111111/CloudTrail/us-east-1/2026/02/28', 'us-east-1', 4],
    ['/l/AWSLogs/111111111111/CloudTrail/us-east-1', 'us-east-1', undefined],
  ])('places the folder %s in its account, region and days', (folderPath, region, days) => {
    const scope = layoutScopeOf(folderPath)
    expect(scope.accountId).toBe('111111111111')
    expect(scope.region).toBe(region)
    // February 2026's 28 days plus the delivery margins (2 days before, 1 after) make 31.
    expect(scope.days?.length).toBe(days)
    expect(layoutScopeOf('/exports/x.jsonl')).toEqual({})
  })

  it('keeps only holes that can hold events of the window', () => {
    const hole = (days?: string[]) => ({
      kind: 'folder' as const,
      input: 'x',
      reason: 'r',
      ...(days ? { days } : {}),
    })
    const window = {
      start: new Date('2026-10-10T00:00:00Z'),
      end: new Date('2026-10-12T00:00:00Z'),
    }
    const holes = [hole(['2026-10-09']), hole(['2026-10-11', '2026-10-12']), hole()]
    expect(holesInWindow(holes, window)).toEqual([holes[1], holes[2]])
  })
})
