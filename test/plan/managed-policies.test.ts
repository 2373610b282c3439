import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { gunzipSync } from 'node:zlib'
import { beforeAll, describe, expect, it } from 'vitest'
import { planScopedown } from '../../src/plan/plan.js'
import { parsePolicy } from '../../src/policy/parse.js'
import { type ActionCatalog, loadCatalog } from '../../src/usage/catalog.js'
import type { UsedAction } from '../../src/usage/types.js'
import { hasSharedData, SHARED_DATA } from '../helpers/shared-data.js'

const WINDOW = { start: '2026-08-03T00:00:00.000Z', end: '2026-11-01T00:00:00.000Z' }

describe.skipIf(!hasSharedData)(
  'planning every AWS managed policy (skipped when ../shared/data is absent)',
  () => {
    let catalog: ActionCatalog
    let policies: { name: string; document: unknown }[]
    beforeAll(async () => {
      catalog = await loadCatalog()
      const file = join(
        SHARED_DATA,
        'policies/aws-managed-policies/iam-dataset-aws-managed-policies.json.gz',
      )
      policies = JSON.parse(gunzipSync(readFileSync(file)).toString('utf8'))
    })

    it('plans all 1,641 as an editable policy, keeping every third granted action as used, and proves each plan', () => {
      let planned = 0
      for (const policy of policies) {
        const document = parsePolicy(policy.document, { label: policy.name })
        const first = planScopedown(input(policy.name, document, []), catalog)
        // Mark every third granted action used: those must be kept, the proof runs inside.
        const used: UsedAction[] = first.decisions
          .filter((_, i) => i % 3 === 0)
          .map((d) => ({
            action: d.action,
            calls: 1,
            firstSeen: WINDOW.start,
            lastSeen: WINDOW.start,
            resources: [],
            resourcesCapped: false,
            via: [],
          }))
        const plan = planScopedown(input(policy.name, document, used), catalog)
        const kept = new Set(
          plan.decisions.filter((d) => d.verdict === 'keep').map((d) => d.action),
        )
        expect(
          used.every((u) => kept.has(u.action)),
          policy.name,
        ).toBe(true)
        expect(plan.summary.grantedBefore).toBe(first.summary.grantedBefore)
        planned++
      }
      expect(planned).toBe(1641)
    }, 180_000)
  },
)

function input(name: string, document: ReturnType<typeof parsePolicy>, used: UsedAction[]) {
  return {
    role: { accountId: '111111111111', name: 'r', arn: 'arn:aws:iam::111111111111:role/r' },
    policies: [
      {
        id: `managed:${name}`,
        kind: 'managed' as const,
        name,
        arn: `arn:aws:iam::111111111111:policy/${name}`,
        editable: true,
        document,
      },
    ],
    usage: {
      principalArn: 'arn:aws:iam::111111111111:role/r',
      window: WINDOW,
      used,
      denied: [],
      unmapped: [],
      permissionless: [],
      coverage: [],
    },
    rules: {
      neverRemove: [],
      protectedSidPrefix: 'ScopedownKeep',
      minRoleAgeDays: 0,
      minCoverageDays: 0,
      narrowResources: false,
      mode: 'adhoc' as const,
    },
    observability: () => ({ trusted: true, class: 'management' }),
    now: WINDOW.end,
    source: 'test',
  }
}
