import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, inject, it } from 'vitest'
import { DEMO_END, DEMO_TRAIL_DATA_EVENTS } from '../../fixtures/demo-org/org.js'
import { runCli } from '../../src/cli-program.js'
import { memoryIo } from '../../src/commands/io.js'
import { validateConfig } from '../../src/config/load.js'
import { demoRepoClone } from '../helpers/demo-repo.js'

/** Config mistakes are caught before any work, named by path, with what was probably meant. */

async function configFile(
  content: Record<string, unknown>,
): Promise<{ dir: string; file: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'scopedown-strict-'))
  const file = join(dir, 'scopedown.config.json')
  await writeFile(file, JSON.stringify(content))
  return { dir, file }
}

async function cli(args: string[]) {
  const { io, stdout, stderr } = memoryIo({ now: new Date(DEMO_END) })
  const code = await runCli(args, io)
  return { code, stdout: stdout(), stderr: stderr() }
}

describe('unknown keys at every depth', () => {
  it.each([
    [{ roles: { acounts: ['111111111111'] } }, 'roles.acounts', 'accounts'],
    [{ rules: { narowResources: true } }, 'rules.narowResources', 'narrowResources'],
    [{ publish: { git: { authorNmae: 'x' } } }, 'publish.git.authorNmae', 'authorName'],
    [{ scps: [{ files: [], acounts: [] }] }, 'scps.0.acounts', 'accounts'],
    [{ windows: { days: 30 } }, 'windows', 'window'],
    [{ source: { type: 'duckdb', paths: ['x'], path: ['y'] } }, 'source.path', 'paths'],
  ])('%j: %s, did you mean %s', (extra, path, meant) => {
    const { issues } = validateConfig({ source: { type: 'duckdb', paths: ['logs'] }, ...extra })
    const issue = issues.find((i) => i.path === path)
    expect(issue?.message).toContain(`did you mean \`${meant}\`?`)
  })

  it('validate-config exits 2 and prints each with its path', async () => {
    const { file } = await configFile({
      source: { type: 'duckdb', paths: ['logs'] },
      roles: { acounts: ['111111111111'] },
    })
    const { code, stderr } = await cli(['validate-config', '--config', file])
    expect(code).toBe(2)
    expect(stderr).toContain('roles.acounts: unknown key: did you mean `accounts`?')
  })
})

describe('values and paths the schema cannot check', () => {
  it('names a misspelt data event type, a missing repo, SCP file and selectors file', async () => {
    const { dir, file } = await configFile({
      source: { type: 'duckdb', paths: ['logs'] },
      repo: { path: 'no-such-repo' },
      rules: { dataEvents: ['AWS::S3::Objects'], eventSelectorsFile: 'selectors.json' },
      scps: [{ files: ['org/deny.json'], accounts: ['222222222222'] }],
    })
    await mkdir(join(dir, 'logs'))
    const { code, stderr } = await cli(['validate-config', '--config', file])
    expect(code).toBe(2)
    expect(stderr).toContain(`repo.path: ${join(dir, 'no-such-repo')} cannot be read`)
    expect(stderr).toContain(
      "rules.dataEvents: dataEvents: 'AWS::S3::Objects' is not a CloudTrail data event resource type: did you mean 'AWS::S3::Object'?",
    )
    expect(stderr).toContain('rules.eventSelectorsFile:')
    expect(stderr).toMatch(
      /scps\.0\.files\.0: .*org\/deny\.json cannot be read.*accounts 222222222222/,
    )
  })

  it('run refuses a repo.path that does not exist, before any work, and still writes its report', async () => {
    const { dir, file } = await configFile({
      source: { type: 'duckdb', paths: [inject('demoLogs')] },
      repo: { path: 'missing' },
      publish: { mode: 'dry-run', outDir: 'out' },
    })
    const { code, stderr } = await cli(['run', '--config', file])
    expect(code).toBe(2)
    expect(stderr).toContain(`error: ${file}: repo.path: ${join(dir, 'missing')} cannot be read`)
    expect(stderr).not.toMatch(/ENOENT.*\n\s+at /)
    const report = JSON.parse(await readFile(join(dir, 'out', 'run-report.json'), 'utf8'))
    expect(report.error).toMatch(/did not start/)
    expect(report.issues[0].path).toBe('repo.path')
  })

  it('a missing SCP file fails only the accounts that use it; the rest is planned', async () => {
    const repo = await demoRepoClone()
    const { dir, file } = await configFile({
      source: { type: 'duckdb', paths: [inject('demoLogs')] },
      window: { days: 90, end: DEMO_END },
      repo: { path: repo },
      rules: { dataEvents: [...DEMO_TRAIL_DATA_EVENTS] },
      scps: [
        { files: ['org/scps/protect-security-tooling.json'] },
        { files: ['org/scps/gone.json'], accounts: ['222222222222'] },
      ],
      publish: { mode: 'dry-run', outDir: 'out' },
    })
    const { code, stderr } = await cli(['run', '--config', file])
    expect(code).toBe(1)
    expect(stderr).toContain('scps.1.files.0:')
    const report = JSON.parse(await readFile(join(dir, 'out', 'run-report.json'), 'utf8'))
    const outcomes = report.outcomes as {
      role: { accountId: string }
      status: string
      detail: string
    }[]
    const data = outcomes.filter(
      (o) => o.role.accountId === '222222222222' && o.status === 'failed',
    )
    expect(data.length).toBeGreaterThan(2)
    expect(
      data.every((o) =>
        /SCPs of account 222222222222: cannot read the SCP file .*gone\.json: no such file/.test(
          o.detail,
        ),
      ),
    ).toBe(true)
    expect(
      outcomes.filter((o) => o.role.accountId !== '222222222222' && o.status === 'tightened')
        .length,
    ).toBeGreaterThan(4)
  }, 180_000)
})

describe('analyze with a missing boundary file', () => {
  it('names the file and exits 1 without a stack', async () => {
    const repo = await demoRepoClone()
    const { code, stderr } = await cli([
      'analyze',
      '--logs',
      inject('demoLogs'),
      '--role',
      'arn:aws:iam::111111111111:role/service/orders-api',
      '--policy',
      join(repo, 'accounts/111111111111/roles/orders-api/inline/orders-data.json'),
      '--boundary',
      '/nowhere/boundary.json',
    ])
    expect(code).toBe(1)
    expect(stderr).toContain('error: cannot read policy file /nowhere/boundary.json')
    expect(stderr).not.toMatch(/\n\s+at /)
  })
})
