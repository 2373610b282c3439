import { beforeAll, describe, expect, it } from 'vitest'
import type { IamAction } from '../../src/model.js'
import { type AccessAdvisorEvidence, accessAdvisorVerdict } from '../../src/plan/access-advisor.js'
import { planScopedown } from '../../src/plan/plan.js'
import { parsePolicy } from '../../src/policy/parse.js'
import { type ActionCatalog, loadCatalog } from '../../src/usage/catalog.js'

const WINDOW = { start: '2026-08-03T00:00:00.000Z', end: '2026-11-01T00:00:00.000Z' }
const EVIDENCE: AccessAdvisorEvidence = {
  roleArn: 'arn:aws:iam::111111111111:role/app',
  generatedAt: '2026-11-01T06:00:00.000Z',
  trackingStart: '2025-09-27T06:00:00.000Z',
  services: [
    { namespace: 'neptune-db' },
    { namespace: 'kafka-cluster', lastAccessed: '2026-01-10T00:00:00.000Z' },
    { namespace: 'rds-db', lastAccessed: '2026-10-01T00:00:00.000Z' },
    {
      namespace: 's3',
      lastAccessed: '2026-10-02T00:00:00.000Z',
      actions: [
        { name: 'GetObject', lastAccessed: '2026-10-02T00:00:00.000Z', lastRegion: 'eu-west-1' },
        { name: 'PutObject', lastAccessed: '2026-05-01T00:00:00.000Z' },
        { name: 'DeleteObject' },
      ],
    },
    { namespace: 'iam' },
  ],
}

describe('accessAdvisorVerdict', () => {
  it.each([
    [
      'neptune-db:ResetDatabase',
      'remove',
      'service-unused',
      'neptune-db not accessed in the tracking period (Access Advisor report of 2026-11-01, tracking since 2025-09-27)',
    ],
    [
      'kafka-cluster:DeleteTopic',
      'remove',
      'service-unused',
      'kafka-cluster last accessed 2026-01-10, before the window',
    ],
    ['s3:PutObject', 'remove', 'service-unused', 'last accessed 2026-05-01, before the window'],
    ['s3:DeleteObject', 'remove', 'service-unused', 'never accessed in the tracking period'],
    [
      's3:GetObject',
      'keep',
      'access-advisor',
      'Access Advisor saw s3:GetObject on 2026-10-02 in eu-west-1, inside the window, but CloudTrail did not',
    ],
  ])('%s: %s (%s)', (action, verdict, because, detail) => {
    const v = accessAdvisorVerdict(action, WINDOW, EVIDENCE)
    expect(v).toMatchObject({ verdict, because })
    expect(v?.detail).toContain(detail)
  })

  it.each([
    ['rds-db:connect', 'the service was used in the window, and it is not tracked per action'],
    ['iam:PassRole', 'permission-only: Access Advisor cannot see it'],
    ['kms:Decrypt', 'used through forward access sessions: blind'],
    ['execute-api:Invoke', 'a service the report does not list'],
  ])('%s: no opinion (%s)', (action) => {
    expect(accessAdvisorVerdict(action, WINDOW, EVIDENCE)).toBeUndefined()
  })

  it('has no opinion when the tracking period does not cover the window', () => {
    expect(
      accessAdvisorVerdict('neptune-db:ResetDatabase', WINDOW, {
        ...EVIDENCE,
        trackingStart: '2026-09-01T00:00:00.000Z',
      }),
    ).toBeUndefined()
    expect(
      accessAdvisorVerdict('neptune-db:ResetDatabase', WINDOW, {
        ...EVIDENCE,
        generatedAt: '2026-10-15T00:00:00.000Z',
      }),
    ).toBeUndefined()
  })
})

describe('the planner with Access Advisor', () => {
  let catalog: ActionCatalog
  beforeAll(async () => {
    catalog = await loadCatalog()
  })

  it('removes unobservable actions Access Advisor shows unused, keeps and flags the one it saw, and stays a proven tightening', () => {
    const unobservable = (action: IamAction) =>
      /^(neptune-db|s3|iam):/i.test(action)
        ? { trusted: false, class: 'unlogged', why: 'not in CloudTrail' }
        : { trusted: true, class: 'management' }
    const input = {
      role: { accountId: '111111111111', name: 'app', arn: EVIDENCE.roleArn, path: '/' },
      createDate: '2025-01-01T00:00:00.000Z',
      policies: [
        {
          id: 'inline:p',
          kind: 'inline' as const,
          name: 'p',
          editable: true,
          document: parsePolicy({
            Version: '2012-10-17',
            Statement: [
              {
                Effect: 'Allow',
                Action: [
                  'neptune-db:ResetDatabase',
                  's3:GetObject',
                  's3:PutObject',
                  'iam:PassRole',
                ],
                Resource: '*',
              },
            ],
          }),
        },
      ],
      usage: {
        principalArn: EVIDENCE.roleArn,
        window: WINDOW,
        used: [],
        denied: [],
        unmapped: [],
        permissionless: [],
        coverage: [
          {
            accountId: '111111111111',
            region: 'us-east-1',
            firstEvent: WINDOW.start,
            lastEvent: WINDOW.end,
            daysWithEvents: 90,
            missingDays: [],
          },
        ],
      },
      rules: {
        neverRemove: [],
        protectedSidPrefix: 'ScopedownKeep',
        minRoleAgeDays: 30,
        minCoverageDays: 81,
        narrowResources: false,
        mode: 'batch' as const,
      },
      observability: unobservable,
      now: WINDOW.end,
      source: 'duckdb',
    }
    const without = planScopedown(input, catalog)
    expect(
      without.decisions.every((d) => d.verdict === 'keep' && d.because === 'unobservable'),
    ).toBe(true)
    const plan = planScopedown({ ...input, accessAdvisor: EVIDENCE }, catalog)
    const by = Object.fromEntries(
      plan.decisions.map((d) => [d.action, `${d.verdict}:${d.because}`]),
    )
    expect(by).toEqual({
      'iam:PassRole': 'keep:unobservable',
      'neptune-db:ResetDatabase': 'remove:service-unused',
      's3:GetObject': 'keep:access-advisor',
      's3:PutObject': 'remove:service-unused',
    })
    expect(plan.status).toBe('tighten')
    expect(plan.changes[0]?.after?.[0]?.Statement).toEqual([
      { Effect: 'Allow', Action: ['iam:PassRole', 's3:GetObject'], Resource: '*' },
    ])
  })
})
