import { mkdtemp, readFile, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, inject, it } from 'vitest'
import { DEMO_END } from '../../fixtures/demo-org/org.js'
import { runCli } from '../../src/cli-program.js'
import { memoryIo } from '../../src/commands/io.js'
import { DEMO_REPO_SOURCE } from '../helpers/demo-repo.js'

const ACCOUNTS = join(DEMO_REPO_SOURCE, 'accounts')
const WINDOW = ['--start', '2026-08-03', '--end', '2026-11-01']

async function analyze(args: string[]) {
  const { io, stdout, stderr } = memoryIo({ now: new Date(DEMO_END) })
  const code = await runCli(['analyze', '--logs', inject('demoLogs'), ...WINDOW, ...args], io)
  return { code, stdout: stdout(), stderr: stderr() }
}

/** An `aws iam get-account-authorization-details` dump of one demo role, boundary included. */
async function dumpOf(account: string, role: string, boundary?: string): Promise<string> {
  const manifest = JSON.parse(
    await readFile(join(ACCOUNTS, account, 'roles', role, 'role.json'), 'utf8'),
  )
  const inline = JSON.parse(
    await readFile(join(ACCOUNTS, account, 'roles', role, 'inline', 'analytics.json'), 'utf8'),
  )
  const policies = boundary
    ? [
        {
          PolicyName: boundary,
          Arn: manifest.permissionsBoundaryArn,
          DefaultVersionId: 'v1',
          PolicyVersionList: [
            {
              VersionId: 'v1',
              IsDefaultVersion: true,
              Document: JSON.parse(
                await readFile(join(ACCOUNTS, account, 'boundaries', `${boundary}.json`), 'utf8'),
              ),
            },
          ],
        },
      ]
    : []
  const dump = {
    RoleDetailList: [
      {
        Path: manifest.path,
        RoleName: manifest.name,
        Arn: manifest.arn,
        CreateDate: manifest.createDate,
        Tags: Object.entries(manifest.tags).map(([Key, Value]) => ({ Key, Value })),
        // The raw API returns documents URL-encoded; the CLI decodes them. Accept both.
        RolePolicyList: [
          { PolicyName: 'analytics', PolicyDocument: encodeURIComponent(JSON.stringify(inline)) },
        ],
        AttachedManagedPolicies: [],
        PermissionsBoundary: {
          PermissionsBoundaryType: 'Policy',
          PermissionsBoundaryArn: manifest.permissionsBoundaryArn,
        },
      },
    ],
    Policies: policies,
  }
  const file = join(await mkdtemp(join(tmpdir(), 'scopedown-dump-')), 'authorization-details.json')
  await writeFile(file, JSON.stringify(dump))
  return file
}

describe('scopedown analyze', () => {
  it('plans a role from plain policy files and prints the reviewer report', async () => {
    const dir = join(ACCOUNTS, '111111111111/roles/orders-api/inline')
    const { code, stdout } = await analyze([
      '--role',
      'arn:aws:iam::111111111111:role/service/orders-api',
      '--policy',
      join(dir, 'orders-data.json'),
      '--policy',
      join(dir, 'orders-pricing.json'),
      '--data-events',
      'AWS::S3::Object',
      '--data-events',
      'AWS::DynamoDB::Table',
    ])
    expect(code).toBe(0)
    expect(stdout).toMatch(/^# scopedown: orders-api \(111111111111\)/)
    expect(stdout).toMatch(/\| Granted before \| \d+ \|/)
    expect(stdout).toContain('### Removed, by service')
    expect(stdout).toContain('secretsmanager:GetSecretValue') // a denied attempt, listed
    expect(stdout).toContain('## Proposed policies')
  })

  it('prints JSON with the fields a pipeline reads, keeping every used action', async () => {
    const dir = join(ACCOUNTS, '111111111111/roles/orders-api/inline')
    const { code, stdout } = await analyze([
      '--role',
      'arn:aws:iam::111111111111:role/service/orders-api',
      '--policy',
      join(dir, 'orders-data.json'),
      '--format',
      'json',
    ])
    expect(code).toBe(0)
    const plan = JSON.parse(stdout)
    for (const key of [
      'role',
      'window',
      'decisions',
      'proposed',
      'removed',
      'kept',
      'deniedAttempts',
      'unmapped',
    ]) {
      expect(plan).toHaveProperty(key)
    }
    expect(plan.window).toEqual({
      start: '2026-08-03T00:00:00.000Z',
      end: '2026-11-01T00:00:00.000Z',
    })
    expect(plan.kept).toEqual(
      expect.arrayContaining([
        'dynamodb:GetItem',
        'dynamodb:Query',
        's3:GetObject',
        's3:PutObject',
      ]),
    )
    expect(plan.removed).toContain('dynamodb:DeleteTable')
  })

  it('reads an authorization-details dump, boundary included, and removes grants outside the boundary', async () => {
    const dump = await dumpOf('222222222222', 'analytics-readonly', 'analytics-boundary')
    const { code, stdout } = await analyze([
      '--role',
      'analytics-readonly',
      '--policy',
      dump,
      '--format',
      'json',
    ])
    expect(code).toBe(0)
    const plan = JSON.parse(stdout)
    const createUser = plan.decisions.find((d: { action: string }) => d.action === 'iam:CreateUser')
    expect(createUser).toMatchObject({ verdict: 'remove', because: 'outside-boundary' })
  })

  it('refuses a role with thin coverage, naming role, account and window, unless --force', async () => {
    const args = [
      '--role',
      'arn:aws:iam::333333333333:role/service/legacy-batch',
      '--policy',
      join(ACCOUNTS, '333333333333/roles/legacy-batch/inline/batch.json'),
      '--format',
      'json',
    ]
    const refused = await analyze(args)
    expect(refused.code).toBe(1)
    expect(refused.stdout).toBe('')
    expect(refused.stderr).toMatch(
      /error: no plan for arn:aws:iam::333333333333:role\/service\/legacy-batch \(account 333333333333, window \[2026-08-03T00:00:00\.000Z, 2026-11-01T00:00:00\.000Z\)\): logs cover 6 of 90 days/,
    )
    expect(refused.stderr).toContain('--force')
    const forced = await analyze([...args, '--force'])
    expect(forced.code).toBe(0)
    const plan = JSON.parse(forced.stdout)
    expect(plan.status).toBe('tighten')
    expect(plan.warnings[0]).toMatch(/logs cover 6 of 90 days/)
  })

  it("refuses when the logs hold no event of the role's account in the window", async () => {
    const { code, stdout, stderr } = await analyze([
      '--role',
      'arn:aws:iam::444444444444:role/elsewhere',
      '--policy',
      join(ACCOUNTS, '111111111111/roles/orders-api/inline/orders-data.json'),
    ])
    expect(code).toBe(1)
    expect(stdout).toBe('')
    expect(stderr).toContain(
      'error: no plan for arn:aws:iam::444444444444:role/elsewhere (account 444444444444',
    )
    expect(stderr).toContain('the logs hold no event of account 444444444444 in the window')
  })

  it('leaves a human role alone unless asked', async () => {
    const policy = join(ACCOUNTS, '111111111111/roles/orders-api/inline/orders-data.json')
    const human = 'arn:aws:iam::111111111111:role/humans/PlatformAdmin'
    const skipped = await analyze(['--role', human, '--policy', policy])
    expect(skipped.code).toBe(0)
    expect(skipped.stdout).toContain('left alone: human role')
    expect(skipped.stderr).toContain('--include-human-roles')
    const forced = await analyze([
      '--role',
      human,
      '--policy',
      policy,
      '--include-human-roles',
      '--format',
      'json',
    ])
    expect(JSON.parse(forced.stdout).status).toBe('tighten')
  })

  it('names a malformed policy file and exits 1; a bad flag exits 2 with what to type', async () => {
    const bad = join(await mkdtemp(join(tmpdir(), 'scopedown-bad-')), 'broken.json')
    await writeFile(
      bad,
      JSON.stringify({
        Statement: [
          { Effect: 'Allow', Action: 's3:GetObject', Resource: '*' },
          { Effect: 'Maybe' },
        ],
      }),
    )
    const broken = await analyze(['--role', 'arn:aws:iam::111111111111:role/x', '--policy', bad])
    expect(broken.code).toBe(1)
    expect(broken.stderr).toContain(bad)
    expect(broken.stderr).toMatch(/Statement\[1\]\.Effect/)
    const format = await analyze([
      '--role',
      'arn:aws:iam::111111111111:role/x',
      '--policy',
      bad,
      '--format',
      'html',
    ])
    expect(format.code).toBe(2)
    expect(format.stderr).toContain('use --format md or --format json')
  })

  it('writes report.md and plan.json under --out', async () => {
    const out = await mkdtemp(join(tmpdir(), 'scopedown-out-'))
    const { code, stdout } = await analyze([
      '--role',
      'arn:aws:iam::333333333333:role/service/dns-updater',
      '--policy',
      join(ACCOUNTS, '333333333333/roles/dns-updater/inline/dns.json'),
      '--out',
      out,
    ])
    expect(code).toBe(0)
    expect(stdout).toContain('wrote')
    const plan = JSON.parse(
      await readFile(join(out, '333333333333', 'dns-updater', 'plan.json'), 'utf8'),
    )
    expect(plan.kept).toEqual(
      expect.arrayContaining(['route53:ChangeResourceRecordSets', 'route53:ListHostedZones']),
    )
    expect(await readFile(join(out, '333333333333', 'dns-updater', 'report.md'), 'utf8')).toContain(
      'dns-updater',
    )
  })
})
