import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runCli } from '../../src/cli-program.js'
import { type CliIo, memoryIo } from '../../src/commands/io.js'
import { parseRoleFilter, renderCsv } from '../../src/commands/usage.js'
import type { ApiCall } from '../../src/source/types.js'
import { stableStringify } from '../../src/util/stable-json.js'
import {
  ACCOUNT,
  assumedRole,
  event,
  iamUser,
  OTHER_ACCOUNT,
  tempFolder,
  writeFile,
  writeS3Log,
} from '../source/cloudtrail-builders.js'

const NOW = new Date('2026-11-15T12:00:00.000Z')
const daysAgo = (days: number) =>
  new Date(NOW.getTime() - days * 86_400_000).toISOString().replace('.000Z', 'Z')

let dir: string
let cleanup: () => void
let badFile: string

beforeAll(() => {
  ;({ dir, cleanup } = tempFolder())
  writeS3Log(dir, [
    event({
      time: daysAgo(91),
      name: 'TooOld',
      identity: assumedRole('reader', { path: '/apps/' }),
    }),
    event({
      time: daysAgo(89),
      source: 's3.amazonaws.com',
      name: 'GetObject',
      identity: assumedRole('reader', { path: '/apps/' }),
    }),
    event({
      time: daysAgo(2),
      source: 's3.amazonaws.com',
      name: 'GetObject',
      identity: assumedRole('reader', { path: '/apps/' }),
      errorCode: 'AccessDenied',
    }),
    event({
      time: daysAgo(1),
      source: 'iam.amazonaws.com',
      name: 'GetUser',
      identity: iamUser('bob'),
    }),
  ])
  writeS3Log(
    dir,
    [
      event({
        time: daysAgo(3),
        source: 'sqs.amazonaws.com',
        name: 'SendMessage',
        account: OTHER_ACCOUNT,
        identity: assumedRole('Reader', { account: OTHER_ACCOUNT }),
      }),
    ],
    { account: OTHER_ACCOUNT },
  )
  // Unreadable in every window: each command below names it and exits 1 (a hole in the evidence).
  badFile = writeFile(dir, 'broken.json', '{"Records": [')
})
afterAll(() => cleanup())

async function cli(args: string[], options: { tty?: boolean } = {}) {
  const memory = memoryIo({ now: NOW })
  const io: CliIo = { ...memory.io, stderrIsTTY: options.tty ?? false }
  const code = await runCli(['usage', '--logs', dir, ...args], io)
  return { code, stdout: memory.stdout(), stderr: memory.stderr() }
}

describe('scopedown usage', () => {
  it('prints an aligned table on stdout and a summary of inputs and coverage on stderr', async () => {
    const { code, stdout, stderr } = await cli([])
    expect(code).toBe(1)
    const lines = stdout.trimEnd().split('\n')
    expect(lines[0]).toMatch(
      /^PRINCIPAL\s+EVENT SOURCE\s+EVENT NAME\s+CALLS\s+DENIED\s+FIRST SEEN\s+LAST SEEN$/,
    )
    expect(lines.slice(1).map((l) => l.split(/\s+/).slice(0, 5))).toEqual([
      [`arn:aws:iam::${ACCOUNT}:role/apps/reader`, 's3.amazonaws.com', 'GetObject', '2', '1'],
      [`arn:aws:iam::${ACCOUNT}:user/bob`, 'iam.amazonaws.com', 'GetUser', '1', '0'],
      [`arn:aws:iam::${OTHER_ACCOUNT}:role/Reader`, 'sqs.amazonaws.com', 'SendMessage', '1', '0'],
    ])
    const eventNameColumn = (lines[0] ?? '').indexOf('EVENT NAME')
    for (const line of lines.slice(1))
      expect(line.slice(eventNameColumn)).toMatch(/^(GetObject|GetUser|SendMessage) /)
    expect(stderr).toContain(`warn: cannot read ${badFile}: invalid JSON`)
    expect(stderr).toContain('window: [2026-08-17T12:00:00Z, 2026-11-15T12:00:00Z)')
    expect(stderr).toContain(
      'inputs: 2 files read, 0 outside the window, 0 not CloudTrail, 1 unreadable',
    )
    expect(stderr).toContain(
      'events: 4 in the window (0 not attributable to an IAM principal), 0 bad records skipped',
    )
  })

  it('prints the whole UsageResult as stable JSON', async () => {
    const { code, stdout } = await cli(['--format', 'json', '--days', '30'])
    expect(code).toBe(1)
    const result = JSON.parse(stdout)
    expect(stdout).toBe(`${stableStringify(result, 2)}\n`)
    expect(Object.keys(result)).toEqual(['calls', 'coverage', 'inputs', 'unattributed'])
    expect(result.calls.map((c: ApiCall) => [c.eventName, c.count])).toEqual([
      ['GetObject', 1],
      ['GetUser', 1],
      ['SendMessage', 1],
    ])
    expect(result.inputs.unreadable).toEqual([
      expect.objectContaining({
        kind: 'file',
        input: badFile,
        reason: expect.stringMatching(/^invalid JSON/),
      }),
    ])
  })

  it('prints one JSON object per call with --format jsonl', async () => {
    const { code, stdout } = await cli(['--format', 'jsonl'])
    expect(code).toBe(1)
    const rows = stdout
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line))
    expect(rows).toHaveLength(3)
    expect(rows[0]).toMatchObject({
      principalArn: `arn:aws:iam::${ACCOUNT}:role/apps/reader`,
      eventSource: 's3.amazonaws.com',
      eventName: 'GetObject',
      count: 2,
      deniedCount: 1,
      firstSeen: `${daysAgo(89).replace('Z', '.000Z')}`,
      lastSeen: `${daysAgo(2).replace('Z', '.000Z')}`,
    })
  })

  it('prints CSV with a header, quoting where needed', async () => {
    const { code, stdout } = await cli(['--format', 'csv', '--role', 'bob'])
    expect(code).toBe(1)
    expect(stdout.split('\n')[0]).toBe(
      'principalArn,principalType,accountId,eventSource,eventName,count,deniedCount,firstSeen,lastSeen,regions,resources,resourcesCapped',
    )
    const odd: ApiCall = {
      principalArn: 'arn:aws:iam::111111111111:role/r',
      principalType: 'AssumedRole',
      accountId: ACCOUNT,
      eventSource: 'x.amazonaws.com',
      eventName: 'Say "hi", twice',
      count: 3,
      deniedCount: 0,
      firstSeen: '2026-11-01T00:00:00.000Z',
      lastSeen: '2026-11-02T00:00:00.000Z',
      regions: ['us-east-1', 'eu-west-1'],
      resources: [],
      resourcesCapped: false,
      details: [],
    }
    expect(renderCsv([odd]).split('\n')[1]).toBe(
      `arn:aws:iam::111111111111:role/r,AssumedRole,${ACCOUNT},x.amazonaws.com,"Say ""hi"", twice",3,0,` +
        '2026-11-01T00:00:00.000Z,2026-11-02T00:00:00.000Z,us-east-1 eu-west-1,,false',
    )
  })

  it('matches --role by name in any account and path, ignoring case, or by exact ARN', async () => {
    const byName = await cli(['--format', 'jsonl', '--role', 'reader'])
    expect(
      byName.stdout
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l).principalArn),
    ).toEqual([
      `arn:aws:iam::${ACCOUNT}:role/apps/reader`,
      `arn:aws:iam::${OTHER_ACCOUNT}:role/Reader`,
    ])
    const byArn = await cli([
      '--format',
      'jsonl',
      '--role',
      `arn:aws:iam::${OTHER_ACCOUNT}:role/Reader`,
    ])
    expect(byArn.stdout.trimEnd().split('\n')).toHaveLength(1)
    const nobody = await cli(['--role', 'nobody'])
    expect(nobody).toMatchObject({ code: 1, stdout: '' })
    expect(nobody.stderr).toContain('warn: no calls by nobody in the window')
  })

  it('says which days the files hold when the window misses them all, and the flags to use', async () => {
    const { code, stdout, stderr } = await cli(['--start', '2020-01-01', '--end', '2020-02-01'])
    expect(code).toBe(1)
    expect(stdout).toBe('')
    expect(stderr).toContain('inputs: 0 files read, 2 outside the window')
    expect(stderr).toMatch(
      /warn: every file lies outside the window: the files are dated (\d{4}-\d{2}-\d{2}) to (\d{4}-\d{2}-\d{2}) by their S3 folders; to cover them pass --start \1 --end \d{4}-\d{2}-\d{2}/,
    )
  })

  it('draws a progress bar only when stderr is a terminal', async () => {
    expect((await cli(['--format', 'json'], { tty: true })).stderr).toMatch(
      /\rreading CloudTrail \[#+\] 2\/2 files/,
    )
    expect((await cli(['--format', 'json'])).stderr).not.toContain('reading CloudTrail')
  })

  it.each([
    {
      args: ['--format', 'yaml'],
      message: '--format "yaml" is not a format',
      hint: 'use one of: table, json, jsonl, csv',
    },
    {
      args: ['--start', 'last week'],
      message: '--start "last week" is not a date',
      hint: 'write a UTC date like 2026-11-01',
    },
    { args: ['--days', 'ten'], message: '--days "ten" is not a number of days', hint: '--days 30' },
    {
      args: ['--start', '2026-10-01', '--end', '2026-11-01', '--days', '3'],
      message: 'were all given',
      hint: 'at most two',
    },
    {
      args: ['--role', 'arn:aws:sts::111111111111:assumed-role/reader/session-1'],
      message: 'is a role session, not a role',
      hint: '--role reader',
    },
    {
      args: ['--role', 'not a role!'],
      message: 'is neither a role name nor an IAM ARN',
      hint: '--role app-reader',
    },
    {
      args: ['--logs', '/no/such/folder'],
      message: '--logs /no/such/folder: no such file or folder',
      hint: 'pass CloudTrail files',
    },
  ])('exits 2 on $args, saying what to type instead', async ({ args, message, hint }) => {
    const { code, stdout, stderr } = await cli(args)
    expect(code).toBe(2)
    expect(stdout).toBe('')
    expect(stderr).toMatch(/^error: /)
    expect(stderr).toContain(message)
    expect(stderr.split('\n').find((line) => line.startsWith('hint: '))).toContain(hint)
  })

  it('exits 2 when --logs is missing', async () => {
    const memory = memoryIo({ now: NOW })
    expect(await runCli(['usage'], memory.io)).toBe(2)
    expect(memory.stderr()).toContain("required option '--logs <path...>' not specified")
  })
})

describe('parseRoleFilter', () => {
  it('splits role names from principal ARNs', () => {
    expect(
      parseRoleFilter([
        'app',
        `arn:aws:iam::${ACCOUNT}:role/p/app`,
        `arn:aws-cn:iam::${ACCOUNT}:user/u`,
        `arn:aws:iam::${ACCOUNT}:root`,
      ]),
    ).toEqual({
      names: ['app'],
      arns: [
        `arn:aws:iam::${ACCOUNT}:role/p/app`,
        `arn:aws-cn:iam::${ACCOUNT}:user/u`,
        `arn:aws:iam::${ACCOUNT}:root`,
      ],
    })
  })
})
