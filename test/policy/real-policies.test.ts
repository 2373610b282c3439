/**
 * Every AWS managed policy (iam-dataset, MIT) and AWS's sample permissions boundaries, from
 * /work/shared/data: they parse, prune, and prunes are tightenings. Skipped without the data.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { beforeAll, describe, expect, it } from 'vitest'
import { type PolicyDocument, statementsOf } from '../../src/policy/document.js'
import { grantedActions } from '../../src/policy/grants.js'
import { assertTightening, checkTightening } from '../../src/policy/invariants.js'
import { parsePolicy } from '../../src/policy/parse.js'
import { prune } from '../../src/policy/prune.js'
import { type ActionCatalog, loadCatalog } from '../../src/usage/catalog.js'
import { BOUNDARIES, hasSharedData, loadManagedPolicies } from './support.js'

let catalog: ActionCatalog
beforeAll(async () => {
  catalog = await loadCatalog()
})

/** A deterministic "planner": keep every other granted action. */
function halfOf(doc: PolicyDocument): string[] {
  return grantedActions([doc], catalog)
    .actions.map((a) => a.action)
    .filter((_, i) => i % 2 === 0)
}

describe.skipIf(!hasSharedData)(
  'AWS managed policies (skipped when ../shared/data is absent)',
  () => {
    it('all 1,641 parse, prune without error, and every prune is a tightening', () => {
      const policies = loadManagedPolicies()
      expect(policies.length).toBe(1641)
      let pruned = 0
      let unknownPatterns = 0
      const failures: string[] = []
      for (const { name, document } of policies) {
        const doc = parsePolicy(document, { label: name })
        const keep = halfOf(doc)
        const result = prune(doc, keep, catalog, { protectedSidPrefix: 'ScopedownKeep' })
        if (result.document !== doc) pruned++
        unknownPatterns += result.unknown.length
        // Deny statements come out as the very same objects.
        const out = result.document ? statementsOf(result.document) : []
        for (const deny of statementsOf(doc).filter((s) => s.Effect === 'Deny')) {
          if (!out.includes(deny)) failures.push(`${name}: a Deny statement changed`)
        }
        const used = keep.slice(0, 20).map((action) => ({ action, resources: [] }))
        const after = result.document ? [result.document] : []
        const violations = checkTightening({ before: [doc], after, used }, catalog)
        if (violations.length > 0) failures.push(`${name}: ${JSON.stringify(violations[0])}`)
      }
      expect(failures).toEqual([])
      expect(pruned).toBeGreaterThan(1400)
      expect(unknownPatterns).toBeGreaterThan(0)
    })

    it.each(['ReadOnlyAccess', 'SecurityAudit', 'ViewOnlyAccess', 'AmazonS3FullAccess'])(
      '%s: a prune passes assertTightening, with usage kept',
      (name) => {
        const entry = loadManagedPolicies().find((p) => p.name === name)
        if (!entry) throw new Error(`${name} missing from the data set`)
        const doc = parsePolicy(entry.document, { label: name })
        const keep = halfOf(doc)
        const result = prune(doc, keep, catalog)
        expect(result.removed.length).toBeGreaterThan(0)
        const used = keep.slice(0, 50).map((action) => ({ action, resources: [] }))
        const after = result.document ? [result.document] : []
        expect(() => assertTightening({ before: [doc], after, used }, catalog)).not.toThrow()
      },
    )
  },
)

describe.skipIf(!hasSharedData)('AWS sample permissions boundaries (skipped: data absent)', () => {
  it.each(['MinifiedPermissionsBoundary.json', 'VerbosePermissionsBoundary.json'])(
    '%s parses, prunes, and bounds an admin role',
    (file) => {
      expect(readdirSync(BOUNDARIES)).toContain(file)
      const boundary = parsePolicy(readFileSync(`${BOUNDARIES}/${file}`, 'utf8'), { label: file })
      const result = prune(boundary, halfOf(boundary), catalog)
      const out = result.document ? statementsOf(result.document) : []
      for (const s of statementsOf(boundary).filter((x) => x.Effect === 'Deny')) {
        expect(out).toContain(s)
      }
      // As a boundary on an admin role: pruning the admin policy stays a tightening.
      const admin = parsePolicy({
        Version: '2012-10-17',
        Statement: { Effect: 'Allow', Action: '*', Resource: '*' },
      })
      const after = prune(admin, ['s3:GetObject', 'iam:CreateRole', 'sts:AssumeRole'], catalog)
      expect(() =>
        assertTightening(
          {
            before: [admin],
            after: after.document ? [after.document] : [],
            boundary,
            used: [{ action: 's3:GetObject', resources: ['arn:aws:s3:::reports/q1.csv'] }],
          },
          catalog,
        ),
      ).not.toThrow()
    },
  )
})
