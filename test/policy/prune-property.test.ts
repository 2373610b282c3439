/**
 * Properties of prune + assertTightening over seeded random policies and usage: a prune is always
 * a tightening that keeps observed usage, and deliberately wrong prunes are caught.
 */
import { beforeAll, describe, expect, it } from 'vitest'
import {
  listOf,
  type PolicyDocument,
  rewriteStatement,
  type Statement,
  statementsOf,
  withStatements,
} from '../../src/policy/document.js'
import { evaluate, mayAllow } from '../../src/policy/evaluate.js'
import { grantedActions } from '../../src/policy/grants.js'
import { checkTightening, type TighteningInput } from '../../src/policy/invariants.js'
import { parsePolicy } from '../../src/policy/parse.js'
import { prune } from '../../src/policy/prune.js'
import { type ActionCatalog, createCatalog, loadCatalog } from '../../src/usage/catalog.js'
import { type Random, seededRandom, variable } from './support.js'

const SERVICES = ['s3', 'sqs', 'iam', 'dynamodb', 'kms']
const ARNS = [
  'arn:aws:s3:::reports/q1.csv',
  'arn:aws:s3:::reports/q2.csv',
  'arn:aws:s3:::logs/app.log',
  'arn:aws:sqs:eu-west-1:111111111111:orders',
  'arn:aws:dynamodb:eu-west-1:111111111111:table/Orders',
  'arn:aws:iam::111111111111:role/app',
  'arn:aws:kms:eu-west-1:111111111111:key/k1',
]
const RESOURCE_PATTERNS = [
  '*',
  ...ARNS,
  'arn:aws:s3:::reports/*',
  'arn:aws:s3:::*',
  'arn:aws:sqs:*:111111111111:*',
  'arn:aws:dynamodb:eu-west-1:111111111111:table/*',
  `arn:aws:s3:::home/${variable('aws:username')}/*`,
  'arn:aws:iam::111111111111:role/*',
]
const CONDITION = { StringEquals: { 'aws:RequestedRegion': 'eu-west-1' } }

let catalog: ActionCatalog
beforeAll(async () => {
  // The real catalog's actions for a few services: real names and wildcard families, small
  // enough that checking every action of every mentioned service stays fast.
  const real = await loadCatalog()
  catalog = createCatalog(
    'subset',
    SERVICES.flatMap((s) => real.actions(s)),
  )
})

function actionPattern(rng: Random): string {
  const service = rng.pick(SERVICES)
  const actions = catalog.actions(service)
  switch (rng.int(8)) {
    case 0:
      return `${service}:*`
    case 1:
      return `${service}:${rng.pick(['Get', 'List', 'Describe', 'Put', 'Delete'])}*`
    case 2:
      return rng.chance(0.2) ? '*' : `${service}:NoSuchAction`
    default:
      return rng.pick(actions).action
  }
}

function randomStatement(rng: Random, index: number): Statement {
  const statement: Record<string, unknown> = {}
  if (rng.chance(0.1)) statement.Sid = `ScopedownKeep${index}`
  else if (rng.chance(0.4)) statement.Sid = `S${index}`
  statement.Effect = rng.chance(0.8) ? 'Allow' : 'Deny'
  const actions = [...new Set(Array.from({ length: 1 + rng.int(4) }, () => actionPattern(rng)))]
  statement[rng.chance(0.12) ? 'NotAction' : 'Action'] =
    actions.length === 1 && rng.chance(0.5) ? actions[0] : actions
  const resources = [...new Set(rng.some(RESOURCE_PATTERNS, 1, 2))]
  statement[rng.chance(0.08) ? 'NotResource' : 'Resource'] = resources
  if (rng.chance(0.2)) statement.Condition = CONDITION
  return statement as unknown as Statement
}

function randomPolicy(rng: Random): PolicyDocument {
  const statements = Array.from({ length: 1 + rng.int(4) }, (_, i) => randomStatement(rng, i))
  return parsePolicy({ Version: '2012-10-17', Statement: statements })
}

interface World {
  before: PolicyDocument[]
  boundary?: PolicyDocument
  scps?: PolicyDocument[][]
  used: { action: string; resources: string[] }[]
  keep: string[]
  narrow?: Map<string, string[]>
}

function randomWorld(rng: Random): World {
  const before = Array.from({ length: 1 + rng.int(2) }, () => randomPolicy(rng))
  const granted = grantedActions(before, catalog).actions.map((g) => g.action)
  // One entry per action, as RoleUsage has; resources [] = not known.
  const used = [...new Set(rng.some(granted, 0, 6))].map((action) => ({
    action,
    resources: rng.chance(0.3) ? [] : [...new Set(rng.some(ARNS, 1, 2))],
  }))
  const extra = granted.filter(() => rng.chance(0.1))
  const world: World = {
    before,
    used,
    keep: [...new Set([...used.map((u) => u.action), ...extra])],
  }
  if (rng.chance(0.3)) world.boundary = randomPolicy(rng)
  if (rng.chance(0.2)) world.scps = [[randomPolicy(rng)]]
  if (rng.chance(0.4)) world.narrow = new Map(used.map((u) => [u.action, u.resources]))
  return world
}

function pruneAll(world: World, keep: readonly string[]): PolicyDocument[] {
  return world.before.flatMap((doc) => {
    const result = prune(doc, keep, catalog, {
      protectedSidPrefix: 'ScopedownKeep',
      ...(world.narrow ? { narrow: { resources: world.narrow } } : {}),
    })
    return result.document ? [result.document] : []
  })
}

/** What the checker samples: "*", every Resource written in the policies, every observed ARN. */
function sampledResources(set: TighteningInput): string[] {
  const docs = [
    ...set.before,
    ...set.after,
    ...(set.boundary ? [set.boundary] : []),
    ...(set.scps ?? []).flat(),
  ]
  const written = docs.flatMap((doc) =>
    statementsOf(doc).flatMap((s) => listOf(s.Resource ?? s.NotResource)),
  )
  return [...new Set(['*', ...written, ...set.used.flatMap((u) => u.resources)])]
}

function input(world: World, after: PolicyDocument[]): TighteningInput {
  return {
    before: world.before,
    after,
    used: world.used,
    ...(world.boundary ? { boundary: world.boundary } : {}),
    ...(world.scps ? { scps: world.scps } : {}),
  }
}

describe('prune is always a tightening', () => {
  it('on 250 seeded random policy sets and usages', () => {
    const rng = seededRandom(4242)
    let changed = 0
    for (let i = 0; i < 250; i++) {
      const world = randomWorld(rng)
      const after = pruneAll(world, world.keep)
      if (JSON.stringify(after) !== JSON.stringify(world.before)) changed++
      const violations = checkTightening(input(world, after), catalog)
      expect({ case: i, violations: violations.slice(0, 2) }).toEqual({ case: i, violations: [] })
    }
    expect(changed).toBeGreaterThan(180)
  })
})

describe('deliberately wrong prunes are caught', () => {
  it('a prune that also drops a used action', () => {
    const rng = seededRandom(99)
    let tried = 0
    for (let i = 0; i < 300 && tried < 60; i++) {
      const world = randomWorld(rng)
      const victim = world.used.find((u) => u.resources.length > 0)
      if (!victim) continue
      const after = pruneAll(
        world,
        world.keep.filter((a) => a !== victim.action),
      )
      // Only a real breakage counts: before allowed it there and the wrong prune does not.
      const set = input(world, after)
      const broken = victim.resources.some((resource) => {
        const request = { action: victim.action, resource }
        return (
          mayAllow(evaluate(request, { ...set, identity: world.before })) &&
          !mayAllow(evaluate(request, { ...set, identity: after }))
        )
      })
      if (!broken) continue
      tried++
      const violations = checkTightening(set, catalog)
      expect(
        violations.some((v) => v.kind === 'breaks-usage' && v.request.action === victim.action),
      ).toBe(true)
    }
    expect(tried).toBeGreaterThanOrEqual(20)
  })

  it('a prune that adds an action, or widens a Resource to "*"', () => {
    const rng = seededRandom(7)
    let tried = 0
    for (let i = 0; i < 300 && tried < 60; i++) {
      const world = randomWorld(rng)
      const after = pruneAll(world, world.keep)
      const isGrant = (s: Statement) => s.Effect === 'Allow' && s.Action !== undefined
      const target = after.findIndex((doc) => statementsOf(doc).some(isGrant))
      if (target === -1) continue
      const extra = rng.pick(catalog.actions(rng.pick(SERVICES))).action
      const widen = rng.chance(0.5)
      // The wrong prune: the first grant of the target document gets Resource "*" or an extra action.
      const wrong = after.map((doc, d) => {
        if (d !== target) return doc
        const first = statementsOf(doc).findIndex(isGrant)
        const statements = statementsOf(doc).map((s, i) => {
          if (i !== first) return s
          return widen
            ? rewriteStatement(s, { Resource: '*', NotResource: undefined })
            : rewriteStatement(s, { Action: [...listOf(s.Action), extra] })
        })
        return withStatements(doc, statements)
      })
      // Only a real widening at a point the checker samples counts.
      const set = input(world, wrong)
      const actions = widen ? catalog.expand('*').map((a) => a.action) : [extra]
      const widened = actions.some((action) =>
        sampledResources(set).some((resource) => {
          const request = { action, resource }
          return (
            mayAllow(evaluate(request, { ...set, identity: wrong })) &&
            !mayAllow(evaluate(request, { ...set, identity: world.before }))
          )
        }),
      )
      if (!widened) continue
      tried++
      expect(checkTightening(set, catalog).some((v) => v.kind === 'wider')).toBe(true)
    }
    expect(tried).toBeGreaterThanOrEqual(20)
  })
})
