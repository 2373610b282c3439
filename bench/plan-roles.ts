/**
 * Planning speed: 1,000 synthetic roles with policies of realistic size (service wildcards,
 * Get, List and Describe families, a NotAction statement now and then, resource-scoped statements, a Deny),
 * each with 5-60 used actions. Prints roles/s and peak memory; asserts nothing.
 *
 *   npx tsx bench/plan-roles.ts [roles=1000]
 */

import { planScopedown } from '../src/plan/plan.js'
import type { PlannedPolicy, PlanRules } from '../src/plan/types.js'
import { parsePolicy } from '../src/policy/parse.js'
import { loadCatalog } from '../src/usage/catalog.js'
import { createObservability } from '../src/usage/observability.js'
import type { UsedAction } from '../src/usage/types.js'

const ROLES = Number(process.argv[2] ?? 1000)
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

function randomRole(i: number) {
  const services = Array.from({ length: 2 + Math.floor(random() * 6) }, () => pick(SERVICES))
  const statements: unknown[] = services.map((service, j) => {
    const shape = random()
    const Action =
      shape < 0.5
        ? `${service}:*`
        : shape < 0.8
          ? [`${service}:Get*`, `${service}:List*`, `${service}:Describe*`]
          : [`${service}:Put*`, `${service}:Create*`]
    return {
      Sid: `S${j}`,
      Effect: 'Allow',
      Action,
      Resource: random() < 0.7 ? '*' : [`arn:aws:${service}:eu-west-1:111111111111:*`],
    }
  })
  if (random() < 0.1)
    statements.push({ Effect: 'Allow', NotAction: ['iam:*', 'organizations:*'], Resource: '*' })
  if (random() < 0.3)
    statements.push({ Effect: 'Deny', Action: `${pick(services)}:Delete*`, Resource: '*' })
  const policies: PlannedPolicy[] = [
    {
      id: 'inline:main',
      kind: 'inline',
      name: 'main',
      editable: true,
      document: parsePolicy({ Version: '2012-10-17', Statement: statements }),
    },
  ]
  const pool = services.flatMap((s) => catalog.actions(s).map((a) => a.action))
  const used: UsedAction[] = Array.from({ length: 5 + Math.floor(random() * 55) }, () => ({
    action: pick(pool),
    calls: 10,
    firstSeen: WINDOW.start,
    lastSeen: WINDOW.end,
    resources: [],
    resourcesCapped: false,
    via: [],
  }))
  const unique = [...new Map(used.map((u) => [u.action, u])).values()]
  return { i, policies, used: unique }
}

const roles = Array.from({ length: ROLES }, (_, i) => randomRole(i))
const started = performance.now()
let actions = 0
for (const role of roles) {
  const plan = planScopedown(
    {
      role: {
        accountId: '111111111111',
        name: `role-${role.i}`,
        arn: `arn:aws:iam::111111111111:role/role-${role.i}`,
      },
      createDate: '2025-01-01T00:00:00.000Z',
      policies: role.policies,
      usage: {
        principalArn: `arn:aws:iam::111111111111:role/role-${role.i}`,
        window: WINDOW,
        used: role.used,
        denied: [],
        unmapped: [],
        permissionless: [],
        coverage: [
          {
            accountId: '111111111111',
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
    },
    catalog,
  )
  actions += plan.summary.grantedBefore
}
const seconds = (performance.now() - started) / 1000
console.log(
  `planned ${ROLES} roles (${actions} granted actions judged, each plan proven) in ${seconds.toFixed(1)} s`,
)
console.log(
  `  ${(ROLES / seconds).toFixed(1)} roles/s, ${(actions / seconds / 1000).toFixed(0)}k actions/s, peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`,
)
