import type { IamAction } from '../model.js'
import type { ActionCatalog } from '../usage/catalog.js'
import { InvariantError } from '../util/errors.js'
import { stableStringify } from '../util/stable-json.js'
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
  evaluateEach,
  type PolicySet,
} from './evaluate.js'
import {
  compareText,
  hasWildcard,
  statementActionMatch,
  statementActions,
  statementResourceMatch,
} from './match.js'

/** What `assertTightening` compares. Boundary and SCPs are the same before and after. */
export interface TighteningInput {
  before: readonly PolicyDocument[]
  after: readonly PolicyDocument[]
  boundary?: PolicyDocument
  scps?: readonly (readonly PolicyDocument[])[]
  /** Used actions with the ARNs they were observed on; empty = unknown, so every sample counts. */
  used: readonly { action: IamAction; resources: readonly string[] }[]
}

/** One request on which `after` is not a tightening of `before`. */
export interface TighteningViolation {
  kind: 'wider' | 'breaks-usage'
  request: AccessRequest
  before: { decision: Decision; permissive: Decision }
  after: { decision: Decision; permissive: Decision }
  why: string
}

/**
 * Checks that `after` is a tightening of `before` on sampled requests, and lists every request
 * where it is not:
 * (a) wider: `after` allows (in either reading of conditions) what `before` does not, or grants
 *     through a condition `before` never granted under. Checked for every catalog action an
 *     `after` Allow covers (and exact names the catalog does not know). An action whose every
 *     `after` grant has a twin in `before` (same Effect, Resource and Condition), and every
 *     `before` Deny a twin in `after`, is proved for all resources at once; the others are checked
 *     on sample resources: `*`, every Resource written in any of the policies, and every observed
 *     ARN, each read as a literal request.
 * (b) breaks usage: a used action, on its observed ARNs, that `before` allows and `after` does not
 *     (in either reading). A used action `before` already refuses is not `after`'s doing.
 * Sampling can miss a widening between samples; it never reports one that is not there.
 */
export function checkTightening(
  input: TighteningInput,
  catalog: ActionCatalog,
): TighteningViolation[] {
  const beforeSet: PolicySet = { identity: input.before, ...context(input) }
  const afterSet: PolicySet = { identity: input.after, ...context(input) }
  const samples = sampleResources(input)
  const violations: TighteningViolation[] = []
  const seen = new Set<string>()
  const compare = (action: string, resources: readonly string[], kind: Kind) => {
    const todo = resources.filter((resource) => {
      const key = `${kind} ${action.toLowerCase()} ${resource}`
      if (seen.has(key)) return false
      seen.add(key)
      return true
    })
    const afterEach = evaluateEach(action, todo, afterSet)
    // Only where `after` may allow can it be wider than `before`.
    const pairs = todo
      .map((resource, i) => ({ resource, after: afterEach[i] as Evaluation }))
      .filter((pair) => kind === 'breaks-usage' || pair.after.permissive === 'allow')
    const beforeEach = evaluateEach(
      action,
      pairs.map((pair) => pair.resource),
      beforeSet,
    )
    pairs.forEach(({ resource, after }, i) => {
      const before = beforeEach[i] as Evaluation
      const found = judge({ action, resource }, before, after, input, kind)
      if (found) violations.push(found)
    })
  }

  // (a) after ⊆ before. For one action a statement acts through its Resource and Condition
  // only, so when every grant of `after` has a twin (same Effect, Resource, Condition) in
  // `before`, and every Deny of `before` one in `after`, `after` cannot be wider for that action
  // on any resource. Only the other actions are sampled.
  const extra = unknownActions(input, catalog)
  const afterAllows = shapesByAction(input.after, 'Allow', catalog, extra)
  const afterDenies = shapesByAction(input.after, 'Deny', catalog, extra)
  const beforeAllows = shapesByAction(input.before, 'Allow', catalog, extra)
  const beforeDenies = shapesByAction(input.before, 'Deny', catalog, extra)
  for (const [key, { action, shapes }] of afterAllows) {
    const kept = beforeAllows.get(key)?.shapes
    const denying = afterDenies.get(key)?.shapes
    const twins =
      [...shapes].every((shape) => kept?.has(shape)) &&
      [...(beforeDenies.get(key)?.shapes ?? [])].every((shape) => denying?.has(shape))
    if (!twins) compare(action, samples, 'wider')
  }
  // (b) used ⊆ after, wherever before allowed it.
  for (const use of input.used) {
    compare(use.action, use.resources.length > 0 ? use.resources : samples, 'breaks-usage')
  }
  return violations.sort(
    (a, b) =>
      compareText(a.request.action, b.request.action) ||
      compareText(a.request.resource, b.request.resource),
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
    return `  ${v.kind}: ${v.request.action} on ${v.request.resource} (before ${b}, after ${a}): ${v.why}`
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

/**
 * For the statements of one Effect: per action they cover (lower-cased key), the shapes of the
 * statements covering it. A shape is the statement without Action/NotAction and Sid, which is
 * all that decides, for a given action, where the statement applies.
 */
function shapesByAction(
  docs: readonly PolicyDocument[],
  effect: 'Allow' | 'Deny',
  catalog: ActionCatalog,
  extra: readonly string[],
): Map<string, { action: string; shapes: Set<string> }> {
  const index = new Map<string, { action: string; shapes: Set<string> }>()
  const add = (action: string, shape: string) => {
    const key = action.toLowerCase()
    const entry = index.get(key)
    if (entry) entry.shapes.add(shape)
    else index.set(key, { action, shapes: new Set([shape]) })
  }
  for (const statement of docs.flatMap((doc) => statementsOf(doc))) {
    if (statement.Effect !== effect) continue
    const { Action: _a, NotAction: _n, Sid: _s, ...rest } = statement
    const shape = stableStringify(rest)
    for (const action of statementActions(statement, catalog).actions) add(action, shape)
    for (const action of extra) if (statementActionMatch(statement, action)) add(action, shape)
  }
  return index
}

type Kind = TighteningViolation['kind']

function judge(
  request: AccessRequest,
  before: Evaluation,
  after: Evaluation,
  input: TighteningInput,
  kind: Kind,
): TighteningViolation | undefined {
  const report = (why: string): TighteningViolation => ({
    kind,
    request,
    before: { decision: before.decision, permissive: before.permissive },
    after: { decision: after.decision, permissive: after.permissive },
    why,
  })
  if (kind === 'breaks-usage') {
    if (before.permissive === 'allow' && after.permissive !== 'allow') {
      return report('used, allowed before, no longer allowed')
    }
    if (before.decision === 'allow' && after.decision !== 'allow') {
      return report('used, allowed unconditionally before, now only under conditions')
    }
    return undefined
  }
  if (after.permissive === 'allow' && before.permissive !== 'allow') {
    return report('allowed after, never allowed before')
  }
  if (after.decision === 'allow' && before.decision !== 'allow') {
    return report('allowed unconditionally after, only under conditions before')
  }
  if (after.permissive === 'allow' && before.decision !== 'allow') {
    // Both allow only under conditions: each condition `after` grants under must be one
    // `before` granted under for the same request, or `after` may allow in other contexts.
    const beforeConditions = new Set(
      applyingAllows(input.before, request).map((s) => stableStringify(s.Condition ?? null)),
    )
    const fresh = applyingAllows(input.after, request).find(
      (s) => isConditional(s) && !beforeConditions.has(stableStringify(s.Condition ?? null)),
    )
    if (fresh) return report('granted under a condition that granted nothing here before')
  }
  return undefined
}

function applyingAllows(docs: readonly PolicyDocument[], request: AccessRequest): Statement[] {
  return docs
    .flatMap((doc) => statementsOf(doc))
    .filter(
      (s) =>
        s.Effect === 'Allow' &&
        statementActionMatch(s, request.action) &&
        statementResourceMatch(s, request.resource) !== 'no',
    )
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
