import { isConditional, listOf, type PolicyDocument, statementsOf } from './document.js'
import { compileActionPatterns, resourceMatch, type Tri, triAnd, triNot, triOr } from './match.js'

/** One authorisation question: may the principal perform `action` on `resource`? */
export interface AccessRequest {
  /** `service:Action`, compared case-insensitively. */
  action: string
  /** A concrete ARN, or `*` for actions that take no resource (wildcard-only actions). */
  resource: string
}

/**
 * The policies that decide a request for one principal, in IAM's order of evaluation.
 * Resource policies, session policies and RCPs are out of scope: scopedown tightens identity
 * policies and compares them with themselves.
 */
export interface PolicySet {
  identity: readonly PolicyDocument[]
  /** The role's permissions boundary, when it has one. */
  boundary?: PolicyDocument
  /** SCPs, one list per OU level from the root down to the account; every level must allow. */
  scps?: readonly (readonly PolicyDocument[])[]
  /** Names to show for the documents (file, policy name or ARN), parallel to the lists above. */
  names?: PolicyNames
}

/** What a reason shows for each document of a PolicySet; any of them may be left out. */
export interface PolicyNames {
  identity?: readonly string[]
  boundary?: string
  scps?: readonly (readonly string[])[]
}

export type Decision = 'allow' | 'explicit-deny' | 'implicit-deny'

/** Where a statement that could not be decided sits. */
export interface Uncertainty {
  layer: 'identity' | 'boundary' | 'scp'
  /** Index into `identity`, 0 for the boundary, or the OU level for SCPs. */
  policy: number
  /** For SCPs: the index of the document within its level. */
  document?: number
  statement: number
  sid?: string
  effect: 'Allow' | 'Deny'
  because: 'condition' | 'policy-variable'
}

/**
 * IAM's answer, read two ways because Conditions (and policy variables) cannot be decided from
 * CloudTrail. When both readings agree `uncertain` is absent and the answer is definite.
 */
export interface Evaluation {
  /**
   * The cautious reading: undecidable Allows do not apply, undecidable Denies do. `allow` here
   * means allowed whatever the request context.
   */
  decision: Decision
  /**
   * The generous reading: undecidable Allows apply, undecidable Denies do not. Anything but
   * `allow` here means no request context could be allowed.
   */
  permissive: Decision
  /** In the cautious reading: the boundary denies, or does not allow what identity allows. */
  byBoundary?: true
  /** In the cautious reading: the first OU level (0 = root) whose SCPs deny or do not allow. */
  bySCP?: { level: number }
  /** The undecidable statements that made the two readings differ. */
  uncertain?: readonly Uncertainty[]
}

/** True when some request context could be allowed: the planner keeps such grants in doubt. */
export function mayAllow(evaluation: Evaluation): boolean {
  return evaluation.permissive === 'allow'
}

/** True when the request is allowed whatever the context. */
export function surelyAllows(evaluation: Evaluation): boolean {
  return evaluation.decision === 'allow'
}

interface CompiledStatement {
  index: number
  sid: string | undefined
  effect: 'Allow' | 'Deny'
  action: (action: string) => boolean
  resource: (resource: string) => Tri
  conditional: boolean
}

const compiledCache = new WeakMap<PolicyDocument, readonly CompiledStatement[]>()

function compileDocument(doc: PolicyDocument): readonly CompiledStatement[] {
  const cached = compiledCache.get(doc)
  if (cached) return cached
  // Policy variables only exist in the 2012-10-17 language; elsewhere `${...}` is literal.
  const variables = doc.Version === '2012-10-17'
  const compiled = statementsOf(doc).map((statement, index): CompiledStatement => {
    const notAction = statement.NotAction !== undefined
    const actions = compileActionPatterns(
      listOf(notAction ? statement.NotAction : statement.Action),
    )
    const notResource = statement.NotResource !== undefined
    const resources = listOf(notResource ? statement.NotResource : statement.Resource)
    const memo = new Map<string, Tri>()
    return {
      index,
      sid: statement.Sid,
      effect: statement.Effect,
      action: notAction ? (a) => !actions(a) : actions,
      resource: (r) => {
        const known = memo.get(r)
        if (known) return known
        let hit: Tri = 'no'
        for (const pattern of resources) {
          hit = triOr(hit, resourceMatch(pattern, r, variables))
          if (hit === 'yes') break
        }
        const result = notResource ? triNot(hit) : hit
        // Callers check many actions against the same few resources: remember, within bounds.
        if (memo.size > 10_000) memo.clear()
        memo.set(r, result)
        return result
      },
      conditional: isConditional(statement),
    }
  })
  compiledCache.set(doc, compiled)
  return compiled
}

/** How one layer (identity, boundary, or one OU level) answers, before reading uncertainty. */
interface LayerAnswer {
  allow: Tri
  deny: Tri
  maybes: Uncertainty[]
}

/** A statement whose Action/NotAction covers the action being evaluated, and where it sits. */
interface Candidate {
  statement: CompiledStatement
  where: Pick<Uncertainty, 'layer' | 'policy' | 'document'>
}

function candidates(
  docs: readonly PolicyDocument[],
  action: string,
  where: (docIndex: number) => Candidate['where'],
): Candidate[] {
  const out: Candidate[] = []
  docs.forEach((doc, docIndex) => {
    for (const statement of compileDocument(doc)) {
      if (statement.action(action)) out.push({ statement, where: where(docIndex) })
    }
  })
  return out
}

function answerLayer(layer: readonly Candidate[], resource: string): LayerAnswer {
  const answer: LayerAnswer = { allow: 'no', deny: 'no', maybes: [] }
  for (const { statement, where } of layer) {
    const match = statement.resource(resource)
    const applies = triAnd(match, statement.conditional ? 'maybe' : 'yes')
    if (applies === 'no') continue
    if (applies === 'maybe') {
      answer.maybes.push({
        ...where,
        statement: statement.index,
        ...(statement.sid === undefined ? {} : { sid: statement.sid }),
        effect: statement.effect,
        because: match === 'maybe' ? 'policy-variable' : 'condition',
      })
    }
    if (statement.effect === 'Allow') answer.allow = triOr(answer.allow, applies)
    else answer.deny = triOr(answer.deny, applies)
  }
  return answer
}

type Reading = 'cautious' | 'permissive'

function allows(answer: LayerAnswer, reading: Reading): boolean {
  return reading === 'cautious' ? answer.allow === 'yes' : answer.allow !== 'no'
}

function denies(answer: LayerAnswer, reading: Reading): boolean {
  return reading === 'cautious' ? answer.deny !== 'no' : answer.deny === 'yes'
}

interface Outcome {
  decision: Decision
  byBoundary?: true
  bySCP?: { level: number }
}

function decide(
  identity: LayerAnswer,
  boundary: LayerAnswer | undefined,
  scps: readonly LayerAnswer[],
  reading: Reading,
): Outcome {
  // An explicit deny in any policy type wins over every allow.
  // https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
  const scpDeny = scps.findIndex((level) => denies(level, reading))
  const boundaryDeny = boundary !== undefined && denies(boundary, reading)
  if (denies(identity, reading) || boundaryDeny || scpDeny !== -1) {
    return {
      decision: 'explicit-deny',
      ...(boundaryDeny ? { byBoundary: true as const } : {}),
      ...(scpDeny !== -1 ? { bySCP: { level: scpDeny } } : {}),
    }
  }
  if (!allows(identity, reading)) return { decision: 'implicit-deny' }
  // Identity allows: the boundary and every OU level must allow too (intersection).
  const boundaryBlocks = boundary !== undefined && !allows(boundary, reading)
  const scpBlock = scps.findIndex((level) => !allows(level, reading))
  if (!boundaryBlocks && scpBlock === -1) return { decision: 'allow' }
  return {
    decision: 'implicit-deny',
    ...(boundaryBlocks ? { byBoundary: true as const } : {}),
    ...(scpBlock !== -1 ? { bySCP: { level: scpBlock } } : {}),
  }
}

/**
 * Evaluates a request with IAM's rules for one principal in its own account: an explicit Deny
 * anywhere wins; otherwise the identity policies must allow AND the boundary (if any) must allow
 * AND every SCP level must allow. NotAction/NotResource invert their lists. Conditions and policy
 * variables are not decided: see {@link Evaluation} for the two readings.
 */
export function evaluate(request: AccessRequest, policies: PolicySet): Evaluation {
  return evaluateEach(request.action, [request.resource], policies)[0] as Evaluation
}

/**
 * {@link evaluate} for one action on many resources, in the order given. Faster than calling
 * `evaluate` per resource: statements are matched against the action once.
 */
export function evaluateEach(
  action: string,
  resources: readonly string[],
  policies: PolicySet,
): Evaluation[] {
  const identity = candidates(policies.identity, action, (i) => ({ layer: 'identity', policy: i }))
  const boundary = policies.boundary
    ? candidates([policies.boundary], action, () => ({ layer: 'boundary', policy: 0 }))
    : undefined
  const scps = (policies.scps ?? []).map((level, levelIndex) =>
    candidates(level, action, (i) => ({ layer: 'scp', policy: levelIndex, document: i })),
  )
  return resources.map((resource) =>
    combine(
      answerLayer(identity, resource),
      boundary && answerLayer(boundary, resource),
      scps.map((level) => answerLayer(level, resource)),
    ),
  )
}

function combine(
  identity: LayerAnswer,
  boundary: LayerAnswer | undefined,
  scps: readonly LayerAnswer[],
): Evaluation {
  const cautious = decide(identity, boundary, scps, 'cautious')
  const permissive = decide(identity, boundary, scps, 'permissive')
  const result: Evaluation = {
    decision: cautious.decision,
    permissive: permissive.decision,
    ...(cautious.byBoundary ? { byBoundary: true as const } : {}),
    ...(cautious.bySCP ? { bySCP: cautious.bySCP } : {}),
  }
  if (cautious.decision === permissive.decision) return result
  const maybes = [...identity.maybes, ...(boundary?.maybes ?? []), ...scps.flatMap((l) => l.maybes)]
  return { ...result, uncertain: maybes }
}
