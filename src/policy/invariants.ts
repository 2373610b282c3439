import type { IamAction } from '../model.js'
import type { ActionCatalog } from '../usage/catalog.js'
import { InvariantError } from '../util/errors.js'
import { stableStringify } from '../util/stable-json.js'
import { actionIndex, partitionActions } from './action-classes.js'
import {
  isConditional,
  listOf,
  type PolicyDocument,
  type Statement,
  statementsOf,
} from './document.js'
import {
  type AccessRequest,
  type Decision,
  type Evaluation,
  evaluate,
  evaluateEach,
  type PolicySet,
} from './evaluate.js'
import { compareText, hasWildcard } from './match.js'
import {
  allowedSet,
  allStatements,
  type ClassLayers,
  classLayers,
  sitesOf,
  statementSets,
} from './regions.js'
import { and, findMember, not, or, type ResourceSet, STATE_BUDGET } from './resource-set.js'

/** What `assertTightening` compares. Boundary and SCPs are the same before and after. */
export interface TighteningInput {
  before: readonly PolicyDocument[]
  after: readonly PolicyDocument[]
  boundary?: PolicyDocument
  scps?: readonly (readonly PolicyDocument[])[]
  /** Used actions with the ARNs they were observed on; empty = unknown, so every resource counts. */
  used: readonly { action: IamAction; resources: readonly string[] }[]
}

/** One request on which `after` is not a tightening of `before`. */
export interface TighteningViolation {
  kind: 'wider' | 'breaks-usage'
  request: AccessRequest
  before: { decision: Decision; permissive: Decision }
  after: { decision: Decision; permissive: Decision }
  why: string
  /** How many other actions the same statements cover, and so fail the same way. */
  alike?: number
}

/**
 * Decides whether `after` is a tightening of `before`, exactly, and lists a witness request for
 * every way it is not:
 * (a) wider: some request `after` allows (in either reading of conditions) that `before` does
 *     not, or `after` grants through a condition that granted nothing there before. Decided
 *     over every resource string at once, for every class of actions that the same statements
 *     cover (catalog actions, plus exact names the catalog does not know), with NotAction,
 *     NotResource and overlapping wildcards taken as IAM reads them.
 * (b) breaks usage: a used action that `before` allows and `after` does not (in either
 *     reading), at each ARN it was observed on; with no observed ARN, at any resource. A used
 *     action `before` already refuses is not `after`'s doing.
 * A question too big to decide (see `STATE_BUDGET`) is reported as a violation: the proof fails
 * closed. An empty list therefore means "proved", not "sampled".
 */
export function checkTightening(
  input: TighteningInput,
  catalog: ActionCatalog,
  options: { stateBudget?: number } = {},
): TighteningViolation[] {
  const budget = options.stateBudget ?? STATE_BUDGET
  const beforeSet: PolicySet = { identity: input.before, ...context(input) }
  const afterSet: PolicySet = { identity: input.after, ...context(input) }
  const beforeSites = sitesOf(beforeSet)
  const afterSites = sitesOf(afterSet)
  const partition = partitionActions(
    [...allStatements(beforeSites), ...afterSites.identity.map((s) => s.statement)],
    actionIndex(catalog),
    unknownActions(input, catalog),
  )
  const samples = sampleResources(input)
  const violations: TighteningViolation[] = []
  const layersOf = (c: number) => ({
    before: classLayers(beforeSites, (s) => partition.covers(c, s)),
    after: classLayers(afterSites, (s) => partition.covers(c, s)),
  })
  const report = (
    kind: Kind,
    c: number,
    found: Found,
    action = partition.members(c)[0] as string,
  ) => {
    const alike = kind === 'wider' ? partition.members(c).length - 1 : 0
    const resource = found.empty === 'undecided' ? '*' : found.witness
    const request = { action, resource }
    const before = evaluate(request, beforeSet)
    const after = evaluate(request, afterSet)
    violations.push({
      kind,
      request,
      before: { decision: before.decision, permissive: before.permissive },
      after: { decision: after.decision, permissive: after.permissive },
      why:
        found.empty === 'undecided'
          ? `could not be decided exactly (more than ${found.states} automaton states): not proved`
          : found.why,
      ...(alike > 0 ? { alike } : {}),
    })
  }

  // (a) after ⊆ before, per class of actions some Allow of `after` covers.
  const afterAllows = afterSites.identity.filter((s) => s.statement.Effect === 'Allow')
  const classes = new Set(afterAllows.flatMap((s) => partition.classesCovering(s.statement)))
  for (const c of [...classes].sort((x, y) => x - y)) {
    const { before, after } = layersOf(c)
    const found = wider(before, after, samples, budget)
    if (found) report('wider', c, found)
  }

  // (b) used ⊆ after, wherever before allowed it.
  const seen = new Set<string>()
  const lostClasses = new Map<number, Found | undefined>()
  for (const use of input.used) {
    if (use.resources.length === 0) {
      const c = partition.classOf(use.action)
      if (c === undefined) continue
      if (!lostClasses.has(c)) {
        const { before, after } = layersOf(c)
        lostClasses.set(c, lost(before, after, samples, budget))
      }
      const found = lostClasses.get(c)
      const key = `${use.action.toLowerCase()} `
      if (found && !seen.has(key)) {
        seen.add(key)
        report('breaks-usage', c, found, use.action)
      }
      continue
    }
    const todo = use.resources.filter((resource) => {
      const key = `${use.action.toLowerCase()} ${resource}`
      if (seen.has(key)) return false
      seen.add(key)
      return true
    })
    const beforeEach = evaluateEach(use.action, todo, beforeSet)
    const afterEach = evaluateEach(use.action, todo, afterSet)
    todo.forEach((resource, i) => {
      const found = judgeUse(
        { action: use.action, resource },
        beforeEach[i] as Evaluation,
        afterEach[i] as Evaluation,
      )
      if (found) violations.push(found)
    })
  }
  return violations.sort(
    (a, b) =>
      compareText(a.request.action, b.request.action) ||
      compareText(a.request.resource, b.request.resource),
  )
}

/** A member of a violating set with the rule it breaks, or a question too big to decide. */
type Found = { empty: false; witness: string; why: string } | { empty: 'undecided'; states: number }

function first(
  set: ResourceSet,
  samples: readonly string[],
  why: string,
  budget: number,
): Found | undefined {
  const found = findMember(set, samples, budget)
  if (found.empty === true) return undefined
  return found.empty === false ? { empty: false, witness: found.witness, why } : found
}

/** Where `after` allows what `before` did not, by the rules of `judge`, in their order. */
function wider(
  before: ClassLayers,
  after: ClassLayers,
  samples: readonly string[],
  budget: number,
): Found | undefined {
  const afterMay = allowedSet(after, 'permissive')
  const beforeMay = allowedSet(before, 'permissive')
  const beforeSurely = allowedSet(before, 'cautious')
  const found =
    first(and(afterMay, not(beforeMay)), samples, 'allowed after, never allowed before', budget) ??
    first(
      and(allowedSet(after, 'cautious'), not(beforeSurely)),
      samples,
      'allowed unconditionally after, only under conditions before',
      budget,
    )
  if (found) return found
  // Both allow only under conditions: each condition `after` grants under must be one `before`
  // granted under for the same request, or `after` may allow in other contexts.
  const conditionKey = (s: Statement) => stableStringify(s.Condition ?? null)
  for (const grant of after.identity.statements) {
    if (grant.statement.Effect !== 'Allow' || !isConditional(grant.statement)) continue
    const key = conditionKey(grant.statement)
    const twins = before.identity.statements.filter(
      (s) => s.statement.Effect === 'Allow' && conditionKey(s.statement) === key,
    )
    const fresh = first(
      and(
        afterMay,
        not(beforeSurely),
        statementSets(grant).maybe,
        not(or(...twins.map((s) => statementSets(s).maybe))),
      ),
      samples,
      'granted under a condition that granted nothing here before',
      budget,
    )
    if (fresh) return fresh
  }
  return undefined
}

/** Where a used action with no observed ARN was allowed before and no longer is. */
function lost(
  before: ClassLayers,
  after: ClassLayers,
  samples: readonly string[],
  budget: number,
): Found | undefined {
  return (
    first(
      and(allowedSet(before, 'permissive'), not(allowedSet(after, 'permissive'))),
      samples,
      'used, allowed before, no longer allowed',
      budget,
    ) ??
    first(
      and(allowedSet(before, 'cautious'), not(allowedSet(after, 'cautious'))),
      samples,
      'used, allowed unconditionally before, now only under conditions',
      budget,
    )
  )
}

/**
 * Throws InvariantError listing the offending requests when `after` is not a tightening of
 * `before` (see {@link checkTightening}). Every plan passes through this before it is emitted.
 */
export function assertTightening(input: TighteningInput, catalog: ActionCatalog): void {
  const violations = checkTightening(input, catalog)
  if (violations.length === 0) return
  const shown = violations.slice(0, 20).map((v) => {
    const b = `${v.before.decision}/${v.before.permissive}`
    const a = `${v.after.decision}/${v.after.permissive}`
    const alike = v.alike ? ` (and ${v.alike} actions alike)` : ''
    return `  ${v.kind}: ${v.request.action} on ${v.request.resource}${alike} (before ${b}, after ${a}): ${v.why}`
  })
  const more = violations.length > 20 ? `\n  ... and ${violations.length - 20} more` : ''
  throw new InvariantError(
    `the rewritten policies are not a tightening (${violations.length} requests; decisions are cautious/permissive):\n${shown.join('\n')}${more}`,
  )
}

function context(input: TighteningInput): Omit<PolicySet, 'identity'> {
  return {
    ...(input.boundary ? { boundary: input.boundary } : {}),
    ...(input.scps ? { scps: input.scps } : {}),
  }
}

type Kind = TighteningViolation['kind']

/** Rule (b) on one concrete request. */
function judgeUse(
  request: AccessRequest,
  before: Evaluation,
  after: Evaluation,
): TighteningViolation | undefined {
  const report = (why: string): TighteningViolation => ({
    kind: 'breaks-usage',
    request,
    before: { decision: before.decision, permissive: before.permissive },
    after: { decision: after.decision, permissive: after.permissive },
    why,
  })
  if (before.permissive === 'allow' && after.permissive !== 'allow') {
    return report('used, allowed before, no longer allowed')
  }
  if (before.decision === 'allow' && after.decision !== 'allow') {
    return report('used, allowed unconditionally before, now only under conditions')
  }
  return undefined
}

/** `*`, every Resource/NotResource written in any policy involved, and every observed ARN. */
function sampleResources(input: TighteningInput): string[] {
  const samples = new Set<string>(['*'])
  const docs = [
    ...input.before,
    ...input.after,
    ...(input.boundary ? [input.boundary] : []),
    ...(input.scps ?? []).flat(),
  ]
  for (const doc of docs) {
    for (const statement of statementsOf(doc)) {
      for (const r of listOf(statement.Resource ?? statement.NotResource)) samples.add(r)
    }
  }
  for (const use of input.used) for (const r of use.resources) samples.add(r)
  return [...samples].sort(compareText)
}

/** Exact action names written in the identity documents or used that the catalog does not know. */
function unknownActions(input: TighteningInput, catalog: ActionCatalog): string[] {
  const names = new Set<string>()
  for (const use of input.used) if (!catalog.get(use.action)) names.add(use.action)
  for (const doc of [...input.before, ...input.after]) {
    for (const statement of statementsOf(doc)) {
      for (const pattern of listOf(statement.Action ?? statement.NotAction)) {
        if (!hasWildcard(pattern) && !catalog.get(pattern)) names.add(pattern)
      }
    }
  }
  return [...names]
}
