import { mkdir, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { gunzipSync, gzipSync } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { runCli } from '../../src/cli-program.js'
import { memoryIo } from '../../src/commands/io.js'
import { buildMotoOrganization, MANAGEMENT, type MotoOrganization } from './moto-org.js'

const endpoint = inject('motoEndpoint')
const skip = inject('motoSkipReason')

/** The demo logs with moto's account ids written in (paths and records), for `run`. */
async function rewrittenLogs(from: string, ids: Record<string, string>): Promise<string> {
  const to = await mkdtemp(join(tmpdir(), 'scopedown-moto-logs-'))
  const swap = (text: string) =>
    Object.entries(ids).reduce((t, [demo, real]) => t.replaceAll(demo, real), text)
  for (const entry of await readdir(from, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue
    const path = join(entry.parentPath, entry.name)
    const target = join(to, swap(path.slice(from.length)))
    await mkdir(dirname(target), { recursive: true })
    const raw = await readFile(path)
    await writeFile(
      target,
      path.endsWith('.gz')
        ? gzipSync(swap(gunzipSync(raw).toString('utf8')))
        : swap(raw.toString('utf8')),
    )
  }
  return to
}

const ENV_KEYS = [
  'AWS_ENDPOINT_URL',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_REGION',
  'AWS_EC2_METADATA_DISABLED',
  'AWS_PROFILE',
]

describe.skipIf(!endpoint)(
  `against moto: an organization of three member accounts${endpoint ? '' : ` (skipped: ${skip})`}`,
  () => {
    let org: MotoOrganization
    let configFile: string
    let outDir: string
    const saved = new Map<string, string | undefined>()

    beforeAll(async () => {
      org = await buildMotoOrganization(endpoint)
      for (const k of ENV_KEYS) saved.set(k, process.env[k])
      Object.assign(process.env, {
        AWS_ENDPOINT_URL: endpoint,
        AWS_ACCESS_KEY_ID: org.runner.accessKeyId,
        AWS_SECRET_ACCESS_KEY: org.runner.secretAccessKey,
        AWS_REGION: 'us-east-1',
        AWS_EC2_METADATA_DISABLED: 'true',
      })
      delete process.env.AWS_PROFILE
      const dir = await mkdtemp(join(tmpdir(), 'scopedown-moto-'))
      outDir = join(dir, 'reports')
      configFile = join(dir, 'scopedown.config.json')
      await writeFile(
        configFile,
        JSON.stringify({
          source: { type: 'duckdb', paths: [inject('demoLogs')] },
          window: { days: 90, end: '2026-11-01T00:00:00Z' },
          repo: { path: org.repoDir, terraform: false },
          publish: { outDir },
          aws: {
            accounts: { organizations: { exclude: [MANAGEMENT] } },
            assumeRole: { role: 'scopedown-audit', externalId: 'replace-with-your-external-id' },
            scps: 'organizations',
            drift: {
              ignoreRoles: [
                'OrganizationAccountAccessRole',
                'scopedown-audit',
                '/aws-service-role/*',
              ],
            },
          },
        }),
      )
    })
    afterAll(() => {
      for (const [k, v] of saved) {
        if (v === undefined) delete process.env[k]
        else process.env[k] = v
      }
    })

    it('accounts: lists every account with why it is in or out, and fails on the one whose audit role cannot be assumed', async () => {
      const { io, stdout, stderr } = memoryIo()
      const code = await runCli(['accounts', '--config', configFile, '--format', 'json'], io)
      const lines = JSON.parse(stdout()) as {
        accountId: string
        included: boolean
        reason: string
        auditRole?: { ok: boolean; error?: string }
        scps?: { levels: number; documents: number }
      }[]
      expect(stderr()).toBe('')
      expect(code).toBe(1)
      const byId = new Map(lines.map((l) => [l.accountId, l]))
      expect(byId.get(MANAGEMENT)).toMatchObject({
        included: false,
        reason: 'excluded by aws.accounts.organizations.exclude',
      })
      expect(byId.get(org.ids['111111111111'] as string)).toMatchObject({
        included: true,
        auditRole: { ok: true },
        scps: { levels: 3, documents: 6 },
      })
      const shared = byId.get(org.ids[org.unassumable] as string)
      expect(shared?.auditRole?.ok).toBe(false)
      expect(shared?.auditRole?.error).toContain(
        `cannot assume arn:aws:iam::${org.ids[org.unassumable]}:role/scopedown-audit`,
      )
    })

    it('drift: names the drifted policy with its file and the live role the repo lacks; exit 1 while an account is unreadable', async () => {
      const { io, stdout } = memoryIo()
      const code = await runCli(['drift', '--config', configFile, '--format', 'json'], io)
      const report = JSON.parse(stdout()) as {
        accounts: {
          accountId: string
          status: string
          error?: { message: string }
          differences: {
            role: string
            kind: string
            file?: string
            line?: number
            liveOnly?: string[]
            repoOnly?: string[]
          }[]
        }[]
      }
      expect(code).toBe(1)
      const byId = new Map(report.accounts.map((a) => [a.accountId, a]))
      const prod = org.ids['111111111111'] as string
      expect(byId.get(prod)?.differences).toEqual([
        {
          accountId: prod,
          role: 'orders-api',
          kind: 'inline-differs',
          policy: 'orders-data',
          file: `accounts/${prod}/roles/orders-api/inline/orders-data.json`,
          line: 1,
          detail: 'inline policy orders-data differs',
          repoOnly: [],
          liveOnly: [
            '{"action":["sqs:sendmessage"],"effect":"Allow","resource":["*"],"sid":"ConsoleHotfix"}',
          ],
        },
      ])
      const data = org.ids['222222222222'] as string
      expect(byId.get(data)?.differences).toEqual([
        {
          accountId: data,
          role: 'hand-made',
          kind: 'role-missing-repo',
          detail: `arn:aws:iam::${data}:role/hand-made exists in IAM but not in the repo`,
        },
      ])
      const shared = byId.get(org.ids[org.unassumable] as string)
      expect(shared?.status).toBe('failed')
      expect(shared?.error?.message).toContain('cannot assume')
    })

    it('drift: exit 3 when the readable accounts differ, 0 when they agree, 2 on bad usage', async () => {
      const prod = org.ids['111111111111'] as string
      const data = org.ids['222222222222'] as string
      const differ = memoryIo()
      expect(
        await runCli(
          ['drift', '--config', configFile, '--account', prod, '--account', data],
          differ.io,
        ),
      ).toBe(3)
      expect(differ.stdout()).toContain(
        `| orders-api | inline policy orders-data differs | accounts/${prod}/roles/orders-api/inline/orders-data.json:1 |`,
      )
      const agreeConfig = configFile.replace(/\.json$/, '.agree.json')
      const config = JSON.parse(await readFile(configFile, 'utf8'))
      config.aws.drift.ignoreRoles.push('hand-made')
      await writeFile(agreeConfig, JSON.stringify(config))
      const agree = memoryIo()
      expect(await runCli(['drift', '--config', agreeConfig, '--account', data], agree.io)).toBe(0)
      expect(agree.stdout()).toContain('The repository and IAM agree.')
      expect(
        await runCli(['drift', '--config', configFile, '--account', '12'], memoryIo().io),
      ).toBe(2)
    })

    it('run: plans every readable account, skips the drifted role, fails the unassumable account as an evidence hole', async () => {
      const config = JSON.parse(await readFile(configFile, 'utf8'))
      config.source.paths = [await rewrittenLogs(inject('demoLogs'), org.ids)]
      config.rules = { dataEvents: ['AWS::S3::Object', 'AWS::DynamoDB::Table'] }
      const runConfig = configFile.replace(/\.json$/, '.run.json')
      await writeFile(runConfig, JSON.stringify(config))
      const { io, stdout } = memoryIo({ now: new Date('2026-11-01T00:00:00Z') })
      const code = await runCli(['run', '--config', runConfig], io)
      expect(code).toBe(1)
      const report = JSON.parse(await readFile(join(outDir, 'run-report.json'), 'utf8')) as {
        outcomes: {
          role: { accountId: string; name: string }
          status: string
          detail: string
          drift?: { kind: string }[]
        }[]
        unreadable: { count: number; inputs: { kind: string; accountId?: string }[] }
      }
      const status = (demo: string, name: string) =>
        report.outcomes.find((o) => o.role.accountId === org.ids[demo] && o.role.name === name)
      expect(status('111111111111', 'orders-api')).toMatchObject({
        status: 'drifted',
        drift: [{ kind: 'inline-differs' }],
      })
      expect(status('111111111111', 'admin-automation')?.status).toBe('tightened')
      expect(status('222222222222', 'etl-glue-job')?.status).toBe('tightened')
      expect(status('222222222222', 'DataAnalyst')?.status).toBe('skipped')
      const shared = report.outcomes.filter((o) => o.role.accountId === org.ids[org.unassumable])
      expect(shared.length).toBeGreaterThan(0)
      for (const o of shared) {
        expect(o.status).toBe('failed')
        expect(o.detail).toContain('cannot assume')
      }
      expect(report.unreadable.inputs).toContainEqual(
        expect.objectContaining({ kind: 'account', accountId: org.ids[org.unassumable] }),
      )
      expect(stdout()).toContain('drifted, not proposed:')
    })
  },
)
