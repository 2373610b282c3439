import { mkdtemp, readFile, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { beforeAll, describe, expect, inject, it } from 'vitest'
import { DEMO_END, DEMO_PRINCIPALS, DEMO_TRAIL_DATA_EVENTS } from '../../fixtures/demo-org/org.js'
import { runCli } from '../../src/cli-program.js'
import { memoryIo } from '../../src/commands/io.js'
import { demoRepoClone, git } from '../helpers/demo-repo.js'

/** A config for the demo organization: git mode over a throwaway clone of its repo. */
async function demoConfig(repo: string, extra: Record<string, unknown> = {}): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'scopedown-batch-'))
  const file = join(dir, 'scopedown.config.json')
  const config = {
    source: { type: 'duckdb', paths: [inject('demoLogs')] },
    window: { days: 90, end: DEMO_END },
    repo: { path: repo },
    rules: { dataEvents: [...DEMO_TRAIL_DATA_EVENTS] },
    scps: [{ files: ['org/scps/protect-security-tooling.json', 'org/scps/region-guardrail.json'] }],
    publish: { mode: 'git', outDir: join(dir, 'reports') },
    ...extra,
  }
  await writeFile(file, JSON.stringify(config))
  return file
}

interface PlanJson {
  status: string
  skipped: { reason: string } | null
  summary: unknown
  decisions: { action: string; verdict: string; because: string }[]
  proposed: { policy: { id: string }; changed: boolean; documents: unknown }[]
  deniedAttempts: { action: string }[]
  unmapped: unknown[]
  warnings: string[]
}

/**
 * What a reviewer checks in a golden: the verdict, every kept action that was not simply used
 * (with its reason), how many actions each service loses, and the proposed documents.
 */
function planDigest(plan: PlanJson) {
  const removedByService: Record<string, number> = {}
  for (const d of plan.decisions.filter((x) => x.verdict === 'remove')) {
    const service = d.action.split(':')[0] ?? ''
    removedByService[service] = (removedByService[service] ?? 0) + 1
  }
  return {
    status: plan.status,
    skipped: plan.skipped?.reason ?? null,
    summary: plan.summary,
    used: plan.decisions.filter((d) => d.because === 'used').map((d) => d.action),
    keptBecause: plan.decisions
      .filter((d) => d.verdict === 'keep' && d.because !== 'used')
      .map((d) => `${d.action} (${d.because})`),
    removedByService,
    removedBecause: [
      ...new Set(plan.decisions.filter((d) => d.verdict === 'remove').map((d) => d.because)),
    ],
    deniedAttempts: plan.deniedAttempts.map((d) => d.action),
    unmapped: plan.unmapped,
    proposed: plan.proposed.filter((p) => p.changed),
    warnings: plan.warnings,
  }
}

interface Outcome {
  role: { arn: string; name: string; accountId: string }
  status: string
  detail: string
}

async function runReport(
  config: string,
): Promise<{ code: number; outcomes: Outcome[]; stdout: string; stderr: string }> {
  const { io, stdout, stderr } = memoryIo({ now: new Date(DEMO_END) })
  const code = await runCli(['run', '--config', config], io)
  const text = await readFile(join(config, '..', 'reports', 'run-report.json'), 'utf8')
  return { code, outcomes: JSON.parse(text).outcomes, stdout: stdout(), stderr: stderr() }
}

describe('scopedown run on the demo organization (git mode)', () => {
  let repo: string
  let first: Awaited<ReturnType<typeof runReport>>
  let config: string

  beforeAll(async () => {
    repo = await demoRepoClone()
    config = await demoConfig(repo)
    first = await runReport(config)
  }, 180_000)

  it('does what the ground truth says for every role in the repo', () => {
    expect(first.code).toBe(0)
    const byArn = new Map(first.outcomes.map((o) => [o.role.arn, o]))
    const expected = {
      tighten: 'tightened',
      'skip-young-role': 'skipped',
      'skip-low-coverage': 'skipped',
      'exclude-human': 'skipped',
    } as Record<string, string>
    for (const principal of DEMO_PRINCIPALS.filter((p) => p.inRepo && p.kind !== 'iam-user')) {
      const outcome = byArn.get(principal.arn)
      expect(outcome?.status, `${principal.arn}: ${outcome?.detail}`).toBe(
        expected[principal.truth.expect],
      )
    }
    const detail = (expect_: string) =>
      DEMO_PRINCIPALS.filter((p) => p.truth.expect === expect_).map((p) => byArn.get(p.arn)?.detail)
    expect(detail('skip-young-role').every((d) => /days old/.test(d ?? ''))).toBe(true)
    expect(
      detail('skip-low-coverage').every((d) => /logs cover \d+ of 90 days/.test(d ?? '')),
    ).toBe(true)
    expect(detail('exclude-human').every((d) => /human role/.test(d ?? ''))).toBe(true)
  })

  it('keeps every action each tightened role really needs, and grants nothing it was refused', async () => {
    for (const principal of DEMO_PRINCIPALS.filter((p) => p.truth.expect === 'tighten')) {
      const plan = JSON.parse(
        await readFile(
          join(config, '..', 'reports', principal.accountId, principal.name, 'plan.json'),
          'utf8',
        ),
      ) as { decisions: { action: string; verdict: string; because: string }[]; removed: string[] }
      const decided = new Map(plan.decisions.map((d) => [d.action.toLowerCase(), d]))
      const needed = [
        ...principal.truth.used,
        ...principal.truth.implied,
        ...principal.truth.unlogged.map((u) => u.action),
      ]
      for (const action of needed) {
        const decision = decided.get(action.toLowerCase())
        // Granted before: must be kept. Not granted before: must not appear (it was allowed elsewhere).
        if (decision) expect(decision.verdict, `${principal.name} ${action}`).toBe('keep')
      }
      expect(plan.removed.length, principal.name).toBeGreaterThan(0)
    }
  })

  it('matches the reviewed golden plan of every demo role (npm run goldens to refresh)', async () => {
    const planned = DEMO_PRINCIPALS.filter((p) => p.inRepo && p.kind === 'service-role')
    expect(planned.length).toBeGreaterThan(10)
    for (const principal of planned) {
      const file = join(config, '..', 'reports', principal.accountId, principal.name, 'plan.json')
      const plan = JSON.parse(await readFile(file, 'utf8'))
      await expect(`${JSON.stringify(planDigest(plan), null, 2)}\n`).toMatchFileSnapshot(
        `../../fixtures/scenarios/demo-org/${principal.accountId}-${principal.name}.json`,
      )
    }
  })

  it('leaves one branch per tightened role, carrying only policy edits', () => {
    const branches = git(repo, 'branch', '--list', 'scopedown/*')
      .split('\n')
      .map((b) => b.replace(/^[*+ ]+/, '').trim())
    // Roles sharing a changed policy land in one branch, named after the policy.
    const shared = new Set(['streaming-ingest', 'clickstream-replay'])
    const tightened = first.outcomes.filter((o) => o.status === 'tightened')
    expect(branches.sort()).toEqual(
      [
        ...tightened
          .filter((o) => !shared.has(o.role.name))
          .map((o) => `scopedown/${o.role.accountId}/${o.role.name}`),
        'scopedown/222222222222/shared-streaming-ingest-access',
      ].sort(),
    )
    const ordersBranch = 'scopedown/111111111111/orders-api'
    const changed = git(repo, 'diff', '--name-only', `main...${ordersBranch}`).split('\n')
    expect(
      changed.every(
        (f) =>
          f.startsWith('accounts/111111111111/roles/orders-api/') ||
          f.startsWith('accounts/111111111111/policies/'),
      ),
    ).toBe(true)
    expect(git(repo, 'rev-parse', '--abbrev-ref', 'HEAD')).toBe('main')
    expect(git(repo, 'status', '--porcelain')).toBe('')
  })

  it('adds no commit on a second run with the same evidence', async () => {
    const before = git(
      repo,
      'for-each-ref',
      '--format=%(refname) %(objectname)',
      'refs/heads/scopedown',
    )
    const second = await runReport(config)
    expect(second.code).toBe(0)
    expect(
      git(repo, 'for-each-ref', '--format=%(refname) %(objectname)', 'refs/heads/scopedown'),
    ).toBe(before)
    expect(second.stdout).toMatch(/unchanged/)
  })
})

describe('a customer-managed policy shared by two roles', () => {
  it('is planned once, keeps what either role uses, and is proposed once', async () => {
    const repo = await demoRepoClone()
    const config = await demoConfig(repo)
    const run = await runReport(config)
    const reports = join(config, '..', 'reports', '222222222222')
    const planOf = async (name: string) =>
      JSON.parse(await readFile(join(reports, name, 'plan.json'), 'utf8')) as PlanJson & {
        shared: { policy: string; with: string[] }[]
      }
    const ingest = await planOf('streaming-ingest')
    const replay = await planOf('clickstream-replay')
    const documents = (plan: PlanJson) =>
      JSON.stringify(plan.proposed.find((p) => p.policy.id.includes('streaming-ingest-access')))
    // One document: both plans propose the same bytes for it.
    expect(documents(ingest)).toBe(documents(replay))
    const verdict = (plan: PlanJson, action: string) =>
      plan.decisions.find((d) => d.action === action)
    for (const plan of [ingest, replay]) {
      for (const action of [
        'dynamodb:Scan',
        'dynamodb:DescribeTable',
        'ssm:GetParametersByPath',
        'ssm:GetParameter',
        'kinesis:DescribeStreamSummary',
        'kinesis:DescribeStream',
      ])
        expect(verdict(plan, action)?.verdict, `${plan.shared[0]?.policy} ${action}`).toBe('keep')
    }
    expect(verdict(ingest, 'dynamodb:Scan')?.because).toBe('shared-policy')
    expect(verdict(replay, 'dynamodb:DescribeTable')?.because).toBe('shared-policy')
    expect(ingest.shared).toEqual([
      {
        policy: 'streaming-ingest-access',
        with: ['arn:aws:iam::222222222222:role/service/clickstream-replay'],
      },
    ])
    // Its sessions without an issuer name the path-less role: still this role's usage.
    expect(verdict(replay, 'ssm:GetParametersByPath')?.because).toBe('used')
    const changed = git(
      repo,
      'diff',
      '--name-only',
      'main...scopedown/222222222222/shared-streaming-ingest-access',
    )
    expect(changed).toBe('accounts/222222222222/policies/streaming-ingest-access.json')
    expect(run.code).toBe(0)
  }, 180_000)

  it('loses only dead weight when an attaching role is not planned', async () => {
    const repo = await demoRepoClone()
    const config = await demoConfig(repo, { roles: { exclude: ['clickstream-replay'] } })
    await runReport(config)
    const plan = JSON.parse(
      await readFile(
        join(config, '..', 'reports', '222222222222', 'streaming-ingest', 'plan.json'),
        'utf8',
      ),
    ) as PlanJson
    const proposed = plan.proposed.find((p) => p.policy.id.includes('streaming-ingest-access'))
    expect(proposed?.changed).toBe(false)
    expect(plan.warnings.join('\n')).toMatch(
      /clickstream-replay \(.*\); it loses only what no attaching role can use/,
    )
  }, 180_000)
})

describe('scopedown run with a broken policy file', () => {
  it('finishes the other roles, names the broken file, and exits non-zero', async () => {
    const repo = await demoRepoClone()
    const broken = join(repo, 'accounts/111111111111/roles/orders-api/inline/orders-data.json')
    await writeFile(broken, '{ "Version": "2012-10-17", "Statement": [ { "Effect": "Allow", ')
    git(repo, 'commit', '-qam', 'oops')
    const outDir = await mkdtemp(join(tmpdir(), 'scopedown-broken-'))
    const config = await demoConfig(repo, { publish: { mode: 'dry-run', outDir } })
    const { io, stdout } = memoryIo({ now: new Date(DEMO_END) })
    const code = await runCli(['run', '--config', config], io)
    const report = JSON.parse(await readFile(join(outDir, 'run-report.json'), 'utf8'))
    const orders = report.outcomes.find((o: Outcome) => o.role.name === 'orders-api')
    expect(orders.detail).toContain('orders-data.json')
    expect(
      report.totals.tightened,
      JSON.stringify(report.outcomes.map((o: Outcome) => [o.role.name, o.status, o.detail])),
    ).toBeGreaterThan(5)
    expect(orders.status).toBe('failed')
    expect(code).toBe(1)
    expect(stdout()).toMatch(/1 failed/)
    expect(stdout()).toContain('orders-data.json')
  })
})

describe('scopedown run with one proposal per account', () => {
  it('leaves one branch per account holding every tightened role, and a second run adds nothing', async () => {
    const repo = await demoRepoClone()
    const config = await demoConfig(repo, {
      publish: { mode: 'git', grouping: 'account', outDir: join(repo, '..', `acct-${Date.now()}`) },
    })
    const { io, stdout } = memoryIo({ now: new Date(DEMO_END) })
    expect(await runCli(['run', '--config', config], io)).toBe(0)
    const branches = git(repo, 'branch', '--list', 'scopedown/*')
      .split('\n')
      .map((b) => b.replace(/^[*+ ]+/, '').trim())
    expect(branches.sort()).toEqual([
      'scopedown/111111111111',
      'scopedown/222222222222',
      'scopedown/333333333333',
    ])
    const changed = git(repo, 'diff', '--name-only', 'main...scopedown/111111111111').split('\n')
    expect(changed).toEqual(
      expect.arrayContaining([
        'accounts/111111111111/roles/orders-api/inline/orders-data.json',
        'accounts/111111111111/roles/admin-automation/inline/admin.json',
      ]),
    )
    expect(stdout()).toMatch(/3 branch-created/)
    const heads = git(repo, 'for-each-ref', '--format=%(objectname)', 'refs/heads/scopedown')
    const again = memoryIo({ now: new Date(DEMO_END) })
    expect(await runCli(['run', '--config', config], again.io)).toBe(0)
    expect(git(repo, 'for-each-ref', '--format=%(objectname)', 'refs/heads/scopedown')).toBe(heads)
    expect(again.stdout()).toMatch(/3 branch-unchanged/)
  })
})
