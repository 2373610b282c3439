import { beforeAll, describe, expect, it } from 'vitest'
import type { IamAction } from '../../src/model.js'
import { type PlanInput, planPolicyGroup, planScopedown } from '../../src/plan/plan.js'
import type { PlannedPolicy, PlanRules } from '../../src/plan/types.js'
import { parsePolicy } from '../../src/policy/parse.js'
import type { ApiCall, Coverage, UnreadableInput } from '../../src/source/types.js'
import { type ActionCatalog, loadCatalog } from '../../src/usage/catalog.js'
import type { UsedAction } from '../../src/usage/types.js'

/**
 * The planner's group and evidence rules: shared documents, evidence shortfalls, unmapped
 * services by IAM prefix, contradictions, and protected statements over the size quota.
 */

let catalog: ActionCatalog
beforeAll(async () => {
  catalog = await loadCatalog()
})

const WINDOW = { start: '2026-08-03T00:00:00.000Z', end: '2026-11-01T00:00:00.000Z' }
const ACCOUNT = '111111111111'
const role = (name: string) => ({
  accountId: ACCOUNT,
  name,
  path: '/',
  arn: `arn:aws:iam::${ACCOUNT}:role/${name}`,
})
const COVERAGE: Coverage[] = [
  {
    accountId: ACCOUNT,
    region: 'us-east-1',
    firstEvent: WINDOW.start,
    lastEvent: '2026-10-31T23:00:00.000Z',
    daysWithEvents: 90,
    missingDays: [],
  },
]
const RULES: PlanRules = {
  neverRemove: [],
  protectedSidPrefix: 'ScopedownKeep',
  minRoleAgeDays: 30,
  minCoverageDays: 81,
  narrowResources: false,
  mode: 'batch',
}

function used(action: string, resources: string[] = []): UsedAction {
  return {
    action,
    calls: 5,
    firstSeen: WINDOW.start,
    lastSeen: '2026-10-20T10:00:00.000Z',
    resources,
    resourcesCapped: false,
    via: [],
  }
}

function policy(id: string, doc: unknown, location?: string): PlannedPolicy {
  return {
    id,
    kind: id.startsWith('managed') ? 'managed' : 'inline',
    name: id.split(':')[1] ?? id,
    editable: true,
    document: parsePolicy(doc),
    ...(location ? { location } : {}),
  }
}

function input(name: string, parts: Partial<PlanInput> & { used?: UsedAction[] } = {}): PlanInput {
  const { used: actions = [], ...rest } = parts
  return {
    role: role(name),
    createDate: '2025-01-01T00:00:00.000Z',
    policies: [],
    usage: {
      principalArn: role(name).arn,
      window: WINDOW,
      used: actions,
      denied: [],
      unmapped: [],
      permissionless: [],
      coverage: COVERAGE,
    },
    rules: RULES,
    observability: () => ({ trusted: true, class: 'management' }),
    now: WINDOW.end,
    source: 'duckdb',
    ...rest,
  }
}

const SHARED = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: ['sqs:*', 'sns:*'], Resource: '*' }],
}
const sharedPolicy = () => policy('managed:team-common', SHARED, 'policies/team-common.json#0')
const keptIn = (plan: ReturnType<typeof planScopedown>) =>
  JSON.stringify(plan.changes.find((c) => c.policy.id === 'managed:team-common')?.after)

describe('a policy shared by several roles', () => {
  it('keeps what any attaching role uses, writes one document, and says why', () => {
    const [a, b] = planPolicyGroup(
      [
        input('a', { policies: [sharedPolicy()], used: [used('sqs:SendMessage')] }),
        input('b', { policies: [sharedPolicy()], used: [used('sns:Publish')] }),
      ],
      catalog,
    )
    if (!a || !b) throw new Error('two plans expected')
    expect(keptIn(a)).toBe(keptIn(b))
    expect(keptIn(a)).toContain('sqs:SendMessage')
    expect(keptIn(a)).toContain('sns:Publish')
    expect(keptIn(a)).not.toContain('sqs:DeleteQueue')
    const publish = a.decisions.find((d) => d.action === 'sns:Publish')
    expect(publish).toMatchObject({ verdict: 'keep', because: 'shared-policy' })
    expect(a.shared).toEqual([{ policy: 'team-common', with: [role('b').arn] }])
  })

  it('keeps everything when a role outside the group attaches it', () => {
    const [a] = planPolicyGroup(
      [input('a', { policies: [sharedPolicy()], used: [used('sqs:SendMessage')] })],
      catalog,
      {
        outsideAttachers: new Map([
          ['policies/team-common.json#0', [{ arn: role('x').arn, why: 'excluded' }]],
        ]),
      },
    )
    expect(a?.changes[0]?.changed).toBe(false)
    expect(a?.warnings.join('\n')).toContain(`${role('x').arn} (excluded)`)
  })

  it('loses only dead weight when an attaching role is skipped, and proves the skipped role too', () => {
    const boundary = parsePolicy({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: ['sqs:*', 'sns:Publish'], Resource: '*' }],
    })
    const [a, young] = planPolicyGroup(
      [
        input('a', { policies: [sharedPolicy()], used: [used('sqs:SendMessage')], boundary }),
        input('young', {
          policies: [sharedPolicy()],
          createDate: '2026-10-25T00:00:00.000Z',
          boundary,
        }),
      ],
      catalog,
    )
    expect(young?.status).toBe('skipped')
    const after = keptIn(a as ReturnType<typeof planScopedown>)
    // sqs:* is not dead weight for the young role: its unknown usage may need any of it.
    expect(after).toContain('"sqs:*"')
    expect(after).toContain('sns:Publish')
    expect(after).not.toContain('sns:CreateTopic')
    expect(young?.warnings.join('\n')).toMatch(/team-common is shared with .*role\/a/)
  })
})

describe('evidence shortfalls', () => {
  const hole = (over: Partial<UnreadableInput>): UnreadableInput => ({
    kind: 'file',
    input: '/logs/x.json.gz',
    reason: 'truncated gzip',
    accountId: ACCOUNT,
    region: 'us-east-1',
    days: ['2026-10-03', '2026-10-04'],
    ...over,
  })
  const admin = () => [
    policy('inline:admin', { Statement: { Effect: 'Allow', Action: 'sqs:*', Resource: '*' } }),
  ]

  it('skips a role whose account has unreadable input, naming the cause first', () => {
    const plan = planScopedown(
      input('a', { policies: admin(), unreadable: [hole({}), hole({ input: '/logs/y.json.gz' })] }),
      catalog,
    )
    expect(plan.status).toBe('skipped')
    expect(plan.skipped?.reason).toBe('unreadable-input')
    expect(plan.skipped?.detail).toMatch(
      /^2 unreadable files in 111111111111\/us-east-1 on 2 days: what the role did there is unknown/,
    )
    expect(plan.evidence.unreadable).toMatchObject({ count: 2, days: 2 })
  })

  it('ignores holes of other accounts, and fails closed on holes of unknown accounts', () => {
    const other = planScopedown(
      input('a', { policies: admin(), unreadable: [hole({ accountId: '999999999999' })] }),
      catalog,
    )
    expect(other.status).toBe('tighten')
    const { accountId: _a, days: _d, ...unplaced } = hole({})
    const unknown = planScopedown(
      input('a', { policies: admin(), unreadable: [unplaced] }),
      catalog,
    )
    expect(unknown.skipped?.detail).toMatch(/in an unknown account on any day of the window/)
    expect(unknown.evidence.unreadable.days).toBe(90)
  })

  it('tolerates holes when told to, counting their days as not covered', () => {
    const many = Array.from({ length: 10 }, (_, i) =>
      hole({ input: `/logs/${i}.json.gz`, days: [`2026-09-${String(i + 10).padStart(2, '0')}`] }),
    )
    const plan = planScopedown(
      input('a', {
        policies: admin(),
        unreadable: many,
        rules: { ...RULES, maxUnreadableInputs: 10, minCoverageDays: 85 },
      }),
      catalog,
    )
    expect(plan.skipped?.reason).toBe('insufficient-coverage')
    expect(plan.skipped?.detail).toMatch(
      /logs cover 80 of 90 days .* counting days with unreadable input as not covered/,
    )
  })

  it('says when the logs hold no event of the account at all', () => {
    const plan = planScopedown(
      input('a', {
        policies: admin(),
        usage: { ...input('a').usage, coverage: [] },
      }),
      catalog,
    )
    expect(plan.skipped?.reason).toBe('no-evidence')
    expect(plan.skipped?.detail).toContain('the logs hold no event of account 111111111111')
  })
})

describe('unmapped events keep their service by its IAM prefix', () => {
  it('an unmapped monitoring.amazonaws.com event keeps cloudwatch:*', () => {
    const unmapped: ApiCall = {
      principalArn: role('a').arn,
      principalType: 'AssumedRole',
      accountId: ACCOUNT,
      eventSource: 'monitoring.amazonaws.com',
      eventName: 'BrandNewCall',
      count: 3,
      deniedCount: 0,
      firstSeen: WINDOW.start,
      lastSeen: WINDOW.start,
      regions: ['us-east-1'],
      resources: [],
      resourcesCapped: false,
      details: [],
    }
    const plan = planScopedown(
      input('a', {
        policies: [
          policy('inline:cw', {
            Statement: { Effect: 'Allow', Action: 'cloudwatch:*', Resource: '*' },
          }),
        ],
        usage: { ...input('a').usage, unmapped: [unmapped] },
        servicePrefix: (source) => (source === 'monitoring.amazonaws.com' ? 'cloudwatch' : source),
      }),
      catalog,
    )
    expect(plan.decisions.every((d) => d.verdict === 'keep')).toBe(true)
    expect(plan.decisions.find((d) => d.action === 'cloudwatch:PutMetricData')?.because).toBe(
      'unmapped-service',
    )
  })
})

describe('contradictions', () => {
  it('lists a used action the boundary, an SCP or a Deny refuses, and keeps it', () => {
    const plan = planScopedown(
      input('a', {
        policies: [
          policy('inline:app', {
            Version: '2012-10-17',
            Statement: [
              { Effect: 'Allow', Action: ['sqs:*', 'sns:*', 'kms:*'], Resource: '*' },
              { Effect: 'Deny', Action: 'kms:ScheduleKeyDeletion', Resource: '*' },
            ],
          }),
        ],
        boundary: parsePolicy({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Action: ['sqs:*', 'kms:*'], Resource: '*' }],
        }),
        scps: [
          [
            parsePolicy({ Statement: { Effect: 'Allow', Action: '*', Resource: '*' } }),
            parsePolicy({
              Statement: { Effect: 'Deny', Action: 'sqs:DeleteQueue', Resource: '*' },
            }),
          ],
        ],
        used: [
          used('sns:Publish'),
          used('sqs:DeleteQueue'),
          used('kms:ScheduleKeyDeletion'),
          used('sqs:SendMessage'),
        ],
      }),
      catalog,
    )
    const by = Object.fromEntries(plan.contradictions.map((c) => [c.action, c.refusedBy]))
    expect(by).toEqual({
      'kms:ScheduleKeyDeletion': 'a Deny statement of the role',
      'sns:Publish': 'the permission boundary',
      'sqs:DeleteQueue': 'the service control policies at OU level 0 (0 = root)',
    })
    const keep = (action: IamAction) => plan.decisions.find((d) => d.action === action)?.verdict
    expect(keep('sqs:SendMessage')).toBe('keep')
  })
})

describe('protected statements over the size quota', () => {
  it('are never split or rewritten', () => {
    const actions = catalog
      .actions('ec2')
      .map((a) => a.action)
      .slice(0, 500)
    const plan = planScopedown(
      input('a', {
        policies: [
          policy('managed:big', {
            Version: '2012-10-17',
            Statement: [
              { Sid: 'ScopedownKeepAll', Effect: 'Allow', Action: actions, Resource: '*' },
              { Effect: 'Allow', Action: 'sqs:*', Resource: '*' },
            ],
          }),
        ],
        used: [used('sqs:SendMessage')],
      }),
      catalog,
    )
    const documents = plan.changes[0]?.after ?? []
    const statements = documents.flatMap((d) =>
      Array.isArray(d.Statement) ? d.Statement : [d.Statement],
    )
    const kept = statements.filter((s) => s.Sid?.startsWith('ScopedownKeep'))
    expect(kept).toHaveLength(1)
    expect(kept[0]?.Action).toEqual(actions)
  })
})
