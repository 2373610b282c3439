/**
 * Property test: the exact answers (dead weight, the tightening proof) against brute force over
 * a finite universe of every catalog action and a generated set of ARNs, on random policy sets
 * with identity, boundary and SCP levels, NotAction, NotResource, overlapping wildcards, policy
 * variables and conditions.
 * Brute force is `evaluate` on each concrete request. It can only see the universe, so:
 * - whatever brute force finds (a live grant, a widening, lost usage) the exact answer must
 *   find too;
 * - whatever the exact answer finds must hold at its witness request, checked with `evaluate`.
 */
import { describe, expect, it } from 'vitest'
import { deadWeightJudge } from '../../src/plan/dead-weight.js'
import { actionIndex, partitionActions } from '../../src/policy/action-classes.js'
import type { PolicyDocument, Statement } from '../../src/policy/document.js'
import {
  type Evaluation,
  evaluate,
  evaluateEach,
  type PolicySet,
} from '../../src/policy/evaluate.js'
import { grantedActions } from '../../src/policy/grants.js'
import { checkTightening } from '../../src/policy/invariants.js'
import { parsePolicy } from '../../src/policy/parse.js'
import { allowedSet, allStatements, classLayers, sitesOf } from '../../src/policy/regions.js'
import { findMember } from '../../src/policy/resource-set.js'
import { type Random, seededRandom, smallCatalog, variable } from './support.js'

const catalog = smallCatalog()
const ACTIONS = catalog.expand('*').map((info) => info.action)

const PREFIXES = ['arn:aws:s3:::', 'arn:aws:sqs:eu:1:']
/** Every ARN under the two prefixes whose tail is up to 4 characters of {a, b, /}, and `*`. */
const UNIVERSE = (() => {
  const tails = ['']
  let layer = ['']
  for (let n = 1; n <= 4; n++) {
    layer = layer.flatMap((t) => ['a', 'b', '/'].map((c) => t + c))
    tails.push(...layer)
  }
  return ['*', ...PREFIXES.flatMap((prefix) => tails.map((t) => prefix + t))]
})()

const ACTION_PATTERNS = [
  '*',
  's3:*',
  's3:Get*',
  's3:*Object',
  's3:GetObject*',
  's3:PutObject',
  's3:List*',
  'sqs:*',
  'sqs:SendMessage',
  'sqs:*Message',
  'iam:*',
  'iam:PassRole',
]

function randomResource(rng: Random): string {
  if (rng.chance(0.1)) return rng.pick(['*', 'arn:aws:*', 'arn:aws:s3:::*', 'arn:aws:sqs:*:1:*'])
  let tail = ''
  for (let i = rng.int(4); i >= 0; i--) tail += rng.pick(['a', 'b', '/', '*', '*', '?', 'V'])
  tail = tail.replaceAll('V', variable('aws:username'))
  return rng.pick(PREFIXES) + tail
}

function randomStatement(rng: Random, allowBias: number): Statement {
  const list = (pick: () => string) => [...new Set(Array.from({ length: 1 + rng.int(2) }, pick))]
  const statement: Record<string, unknown> = { Effect: rng.chance(allowBias) ? 'Allow' : 'Deny' }
  statement[rng.chance(0.2) ? 'NotAction' : 'Action'] = list(() => rng.pick(ACTION_PATTERNS))
  statement[rng.chance(0.2) ? 'NotResource' : 'Resource'] = list(() => randomResource(rng))
  if (rng.chance(0.1)) statement.Condition = { Bool: { 'aws:SecureTransport': 'true' } }
  return statement as unknown as Statement
}

function randomPolicy(rng: Random, allowBias: number, max = 3): PolicyDocument {
  const statements = Array.from({ length: 1 + rng.int(max) }, () => randomStatement(rng, allowBias))
  return parsePolicy({ Version: '2012-10-17', Statement: statements })
}

function randomSet(rng: Random): PolicySet {
  return {
    identity: [randomPolicy(rng, 0.8)],
    ...(rng.chance(0.5) ? { boundary: randomPolicy(rng, 0.85) } : {}),
    ...(rng.chance(0.5)
      ? {
          scps: Array.from({ length: 1 + rng.int(2) }, () => [
            parsePolicy({
              Version: '2012-10-17',
              Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }],
            }),
            randomPolicy(rng, 0.4, 2),
          ]),
        }
      : {}),
  }
}

/** A random edit of a document: what a buggy rewrite might do. */
function mutate(rng: Random, doc: PolicyDocument): PolicyDocument {
  const statements = [
    ...(Array.isArray(doc.Statement) ? doc.Statement : [doc.Statement]),
  ] as Statement[]
  const i = rng.int(statements.length)
  const target = statements[i] as Statement
  switch (rng.int(5)) {
    case 0:
      statements.splice(i, 1)
      break
    case 1:
      statements.push(randomStatement(rng, 0.8))
      break
    case 2: {
      const { Resource: _r, NotResource: _n, ...rest } = target
      statements[i] = { ...rest, Resource: [randomResource(rng)] }
      break
    }
    case 3: {
      const { Action: _a, NotAction: _n, ...rest } = target
      statements[i] = { ...rest, Action: [rng.pick(ACTION_PATTERNS)] }
      break
    }
    default: {
      const { Condition: _c, ...rest } = target
      statements[i] = rest
    }
  }
  if (statements.length === 0) statements.push(randomStatement(rng, 0.8))
  return parsePolicy({ Version: '2012-10-17', Statement: statements })
}

describe('exact answers against brute force', () => {
  it('dead weight: refused on the whole universe whenever the judge says so, and only then', () => {
    const rng = seededRandom(4242)
    let dead = 0
    let live = 0
    let liveOutsideUniverse = 0
    for (let i = 0; i < 250; i++) {
      const set = randomSet(rng)
      const judge = deadWeightJudge(set, catalog)
      const sites = sitesOf(set)
      const partition = partitionActions(allStatements(sites), actionIndex(catalog))
      for (const { action } of grantedActions(set.identity, catalog).actions) {
        const anywhere = evaluateEach(action, UNIVERSE, set).some((e) => e.permissive === 'allow')
        const verdict = judge(action)
        if (verdict) {
          dead++
          expect(anywhere, `${action} judged ${verdict.because} but allowed in the universe`).toBe(
            false,
          )
          continue
        }
        live++
        if (anywhere) continue
        // Not dead weight, yet nothing in the universe is allowed: the witness must be real.
        const c = partition.classOf(action) as number
        const allowed = allowedSet(
          classLayers(sites, (s) => partition.covers(c, s)),
          'permissive',
        )
        const found = findMember(allowed)
        if (found.empty === false) {
          liveOutsideUniverse++
          expect(evaluate({ action, resource: found.witness }, set).permissive).toBe('allow')
        } else {
          // Granted nowhere at all (e.g. NotResource "*"): the judge leaves it to the other rules.
          expect(found.empty).toBe(true)
        }
      }
    }
    expect(dead).toBeGreaterThan(200)
    expect(live).toBeGreaterThan(200)
    expect(liveOutsideUniverse).toBeLessThan(live / 4)
  })

  it('tightening: every widening or lost use brute force finds is reported, with a true witness', () => {
    const rng = seededRandom(777)
    let wider = 0
    let broken = 0
    let proved = 0
    for (let i = 0; i < 250; i++) {
      const set = randomSet(rng)
      const before = set.identity
      const after = [mutate(rng, before[0] as PolicyDocument)]
      const used = Array.from({ length: rng.int(3) }, () => ({
        action: rng.pick(ACTIONS),
        resources: rng.chance(0.5) ? [] : [rng.pick(UNIVERSE)],
      }))
      const context = {
        ...(set.boundary ? { boundary: set.boundary } : {}),
        ...(set.scps ? { scps: set.scps } : {}),
      }
      const violations = checkTightening({ before, after, used, ...context }, catalog)
      const beforeSet = { identity: before, ...context }
      const afterSet = { identity: after, ...context }
      const at = (action: string) => ({
        b: evaluateEach(action, UNIVERSE, beforeSet),
        a: evaluateEach(action, UNIVERSE, afterSet),
      })
      const gains = (b: Evaluation, a: Evaluation) =>
        (a.permissive === 'allow' && b.permissive !== 'allow') ||
        (a.decision === 'allow' && b.decision !== 'allow')
      // Completeness within the universe.
      for (const action of ACTIONS) {
        const { b, a } = at(action)
        if (UNIVERSE.some((_, k) => gains(b[k] as Evaluation, a[k] as Evaluation))) {
          expect(
            violations.some((v) => v.kind === 'wider'),
            `${action}: wider in the universe, not reported`,
          ).toBe(true)
        }
      }
      for (const use of used) {
        const resources = use.resources.length > 0 ? use.resources : UNIVERSE
        const b = evaluateEach(use.action, resources, beforeSet)
        const a = evaluateEach(use.action, resources, afterSet)
        if (resources.some((_, k) => gains(a[k] as Evaluation, b[k] as Evaluation))) {
          expect(
            violations.some((v) => v.kind === 'breaks-usage' && v.request.action === use.action),
          ).toBe(true)
        }
      }
      // Soundness: each witness is a real violation.
      for (const v of violations) {
        expect(v.why).not.toMatch(/could not be decided/)
        const b = evaluate(v.request, beforeSet)
        const a = evaluate(v.request, afterSet)
        if (v.kind === 'wider') {
          wider++
          const conditional = v.why.startsWith('granted under a condition')
          expect(
            conditional ? a.permissive === 'allow' && b.decision !== 'allow' : gains(b, a),
          ).toBe(true)
        } else {
          broken++
          expect(gains(a, b)).toBe(true)
        }
      }
      if (violations.length === 0) proved++
    }
    expect(wider).toBeGreaterThan(30)
    expect(broken).toBeGreaterThan(10)
    expect(proved).toBeGreaterThan(30)
  })
})
