/**
 * Planning speed: 1,000 synthetic roles shaped like an organization's, each planned and proven
 * exactly (`planScopedown`, which cannot return without `assertTightening`):
 * - 40 team policies shared by many roles (service wildcards, Get/List/Describe families,
 *   resource-scoped statements with wildcards such as `arn:aws:s3:::team-3-*\/*`, a Deny now and
 *   then), each role attaching 1-3 of them, parsed per role as the batch does;
 * - an inline policy per role, one in ten an `Allow` with `NotAction`;
 * - one of 5 permission boundaries for 60% of roles (NotAction, PassRole on `role/app-*`, Denies);
 * - two SCP levels: FullAWSAccess at the root, a deny list with a region lock (NotAction plus a
 *   condition) below it;
 * - 5-60 used actions per role.
 * Prints roles/s, granted actions judged/s and peak memory, and the ratio to a baseline measured
 * in the same run on the same roles: one concrete `evaluate` per granted action on `*` (what a
 * sampling planner did at the least), so the ratio says what exact planning costs beyond that on
 * this machine, whatever its speed. Asserts nothing.
 *
 *   npx tsx bench/plan-roles.ts [roles=1000]
 */

import { type PlanInput, planScopedown } from '../src/plan/plan.js'
import type { PlannedPolicy, PlanRules } from '../src/plan/types.js'
import type { PolicyDocument } from '../src/policy/document.js'
import { evaluateEach } from '../src/policy/evaluate.js'
import { grantedActions } from '../src/policy/grants.js'
import { parsePolicy } from '../src/policy/parse.js'
import { loadCatalog } from '../src/usage/catalog.js'
import { createObservability } from '../src/usage/observability.js'
import type { UsedAction } from '../src/usage/types.js'

const ROLES = Number(process.argv[2] ?? 1000)
const ACCOUNT = '111111111111'
const WINDOW = { start: '2026-08-03T00:00:00.000Z', end: '2026-11-01T00:00:00.000Z' }
const SERVICES = [
  's3',
  'dynamodb',
  'sqs',
  'sns',
  'lambda',
  'logs',
  'kms',
  'ec2',
  'ecs',
  'ecr',
  'secretsmanager',
  'ssm',
  'cloudwatch',
  'events',
  'states',
  'glue',
  'athena',
  'kinesis',
  'firehose',
  'rds',
  'elasticloadbalancing',
  'autoscaling',
  'route53',
  'acm',
  'apigateway',
  'cloudformation',
  'iam',
  'sts',
  'xray',
  'es',
]

let seed = 7
function random(): number {
  seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31
  return seed / 2 ** 31
}
const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T
const some = <T>(list: readonly T[], min: number, max: number): T[] => [
  ...new Set(
    Array.from({ length: min + Math.floor(random() * (max - min + 1)) }, () => pick(list)),
  ),
]

const catalog = await loadCatalog()
const observability = createObservability(catalog)
const rules: PlanRules = {
  neverRemove: [],
  protectedSidPrefix: 'ScopedownKeep',
  minRoleAgeDays: 30,
  minCoverageDays: 81,
  narrowResources: false,
  mode: 'batch',
}

function serviceStatement(service: string, team: number, j: number): unknown {
  const shape = random()
  const Action =
    shape < 0.4
      ? `${service}:*`
      : shape < 0.8
        ? [`${service}:Get*`, `${service}:List*`, `${service}:Describe*`]
        : [`${service}:Put*`, `${service}:Create*`, `${service}:Update*`]
  const scoped = random() < 0.4
  const Resource = !scoped
    ? '*'
    : service === 's3'
      ? [`arn:aws:s3:::team-${team}-*`, `arn:aws:s3:::team-${team}-*/*`]
      : [`arn:aws:${service}:*:${ACCOUNT}:*team-${team}*`]
  return { Sid: `S${j}`, Effect: 'Allow', Action, Resource }
}

/** The JSON of the shared team policies: each role parses its own copy, as the batch does. */
const teamPolicies = Array.from({ length: 40 }, (_, team) => {
  const services = some(SERVICES, 2, 6)
  const statements = services.map((service, j) => serviceStatement(service, team, j))
  if (random() < 0.3) {
    statements.push({ Effect: 'Deny', Action: `${pick(services)}:Delete*`, Resource: '*' })
  }
  return { name: `team-${team}`, services, json: { Version: '2012-10-17', Statement: statements } }
})

const boundaries = Array.from({ length: 5 }, (_, b) => ({
  Version: '2012-10-17',
  Statement: [
    {
      Sid: 'Workloads',
      Effect: 'Allow',
      NotAction: [
        'iam:*',
        'organizations:*',
        'account:*',
        ...some(SERVICES, 0, 3).map((s) => `${s}:*`),
      ],
      Resource: '*',
    },
    {
      Sid: 'PassAppRoles',
      Effect: 'Allow',
      Action: ['iam:PassRole', 'iam:GetRole'],
      Resource: `arn:aws:iam::${ACCOUNT}:role/app-*`,
    },
    { Sid: 'NoKeyDeletion', Effect: 'Deny', Action: 'kms:ScheduleKeyDeletion', Resource: '*' },
    ...(b % 2 === 0
      ? [
          {
            Sid: 'NoProdData',
            Effect: 'Deny',
            Action: 's3:Delete*',
            Resource: 'arn:aws:s3:::*-prod/*',
          },
        ]
      : []),
  ],
}))

const scps = [
  [{ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] }],
  [
    {
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Action: '*', Resource: '*' },
        {
          Sid: 'DenyTrailChanges',
          Effect: 'Deny',
          Action: ['cloudtrail:Delete*', 'cloudtrail:Stop*', 'organizations:Leave*'],
          Resource: '*',
        },
        {
          Sid: 'RegionLock',
          Effect: 'Deny',
          NotAction: ['iam:*', 'sts:*', 'route53:*', 'cloudfront:*', 'support:*'],
          Resource: '*',
          Condition: { StringNotEquals: { 'aws:RequestedRegion': ['eu-west-1', 'eu-central-1'] } },
        },
      ],
    },
  ],
]

function randomRole(i: number) {
  const teams = some(teamPolicies, 1, 3)
  const own = some(SERVICES, 1, 3)
  const inline: unknown[] = own.map((service, j) => serviceStatement(service, 100 + i, j))
  if (random() < 0.1)
    inline.push({ Effect: 'Allow', NotAction: ['iam:*', 'organizations:*'], Resource: '*' })
  const boundary = random() < 0.6 ? pick(boundaries) : undefined
  const policies = [
    ...teams.map((t) => ({ name: t.name, kind: 'managed' as const, json: t.json })),
    { name: 'main', kind: 'inline' as const, json: { Version: '2012-10-17', Statement: inline } },
  ]
  const services = [...new Set([...teams.flatMap((t) => t.services), ...own])]
  const pool = services.flatMap((s) => catalog.actions(s).map((a) => a.action))
  const used: UsedAction[] = some(pool, 5, 60).map((action) => ({
    action,
    calls: 10,
    firstSeen: WINDOW.start,
    lastSeen: WINDOW.end,
    resources: [],
    resourcesCapped: false,
    via: [],
  }))
  return { i, policies, boundary, used }
}

type Role = ReturnType<typeof randomRole>

/** Parses a role's documents afresh (new objects per role, as the batch reads them). */
function inputOf(role: Role): PlanInput {
  const policies: PlannedPolicy[] = role.policies.map((p) => ({
    id: `${p.kind}:${p.name}`,
    kind: p.kind,
    name: p.name,
    ...(p.kind === 'managed' ? { arn: `arn:aws:iam::${ACCOUNT}:policy/${p.name}` } : {}),
    editable: true,
    document: parsePolicy(p.json),
  }))
  const arn = `arn:aws:iam::${ACCOUNT}:role/role-${role.i}`
  return {
    role: { accountId: ACCOUNT, name: `role-${role.i}`, arn },
    createDate: '2025-01-01T00:00:00.000Z',
    policies,
    ...(role.boundary ? { boundary: parsePolicy(role.boundary) } : {}),
    scps: scps.map((level) => level.map((doc) => parsePolicy(doc))),
    usage: {
      principalArn: arn,
      window: WINDOW,
      used: role.used,
      denied: [],
      unmapped: [],
      permissionless: [],
      coverage: [
        {
          accountId: ACCOUNT,
          region: 'eu-west-1',
          firstEvent: WINDOW.start,
          lastEvent: WINDOW.end,
          daysWithEvents: 90,
          missingDays: [],
        },
      ],
    },
    rules,
    observability: (a) => {
      const o = observability.classify(a)
      return { trusted: o.trusted, class: o.class, why: o.reason }
    },
    now: WINDOW.end,
    source: 'bench',
  }
}

const roles = Array.from({ length: ROLES }, (_, i) => randomRole(i))
const inputs = roles.map(inputOf)

// Baseline: one concrete evaluation per granted action, on `*`.
const baselineStart = performance.now()
let evaluated = 0
for (const input of inputs) {
  const documents: PolicyDocument[] = input.policies.map((p) => p.document)
  const set = {
    identity: documents,
    ...(input.boundary ? { boundary: input.boundary } : {}),
    scps: input.scps ?? [],
  }
  for (const { action } of grantedActions(documents, catalog).actions) {
    evaluateEach(action, ['*'], set)
    evaluated++
  }
}
const baseline = (performance.now() - baselineStart) / 1000

const fresh = roles.map(inputOf)
const started = performance.now()
let actions = 0
let removed = 0
for (const input of fresh) {
  const plan = planScopedown(input, catalog)
  actions += plan.summary.grantedBefore
  removed += plan.summary.removed
}
const seconds = (performance.now() - started) / 1000
const peak = process.resourceUsage().maxRSS / 1024
console.log(
  `planned ${ROLES} roles (${actions} granted actions judged, ${removed} removed, each plan proven exactly) in ${seconds.toFixed(2)} s`,
)
console.log(
  `  ${(ROLES / seconds).toFixed(0)} roles/s, ${(actions / seconds / 1000).toFixed(0)}k actions judged/s, peak RSS ${peak.toFixed(0)} MiB`,
)
console.log(
  `  baseline (one evaluate per granted action on *, same roles): ${baseline.toFixed(2)} s for ${evaluated} actions; planning = ${(seconds / baseline).toFixed(2)}x the baseline`,
)
