/**
 * Where a set of policies allows one class of actions, as sets of resources (resource-set.ts):
 * the exact counterpart of `evaluate`, which answers for one concrete request. For a class of
 * actions covered by the same statements (action-classes.ts) every layer (identity, boundary,
 * each SCP level) is a boolean combination of its statements' Resource/NotResource patterns,
 * read both ways as `evaluate` does: conditions and policy variables may or may not apply.
 */
import {
  isConditional,
  listOf,
  type PolicyDocument,
  type Statement,
  statementsOf,
} from './document.js'
import type { PolicySet } from './evaluate.js'
import { globTokens } from './resource-glob.js'
import { and, NONE, not, or, patternSet, type ResourceSet } from './resource-set.js'

/** Where one statement sits in a PolicySet. */
export interface StatementSite {
  layer: 'identity' | 'boundary' | 'scp'
  /** Index into `identity`, 0 for the boundary, or the OU level for SCPs. */
  policy: number
  /** For SCPs: the index of the document within its level. */
  document?: number
  /** Index of the statement within its document. */
  statement: number
  sid?: string
}

export interface SitedStatement {
  statement: Statement
  site: StatementSite
  /** Whether `${...}` is a policy variable (documents in the 2012-10-17 language). */
  variables: boolean
}

/** The statements of a PolicySet, layer by layer. */
export interface PolicySites {
  identity: readonly SitedStatement[]
  boundary?: readonly SitedStatement[]
  scps: readonly (readonly SitedStatement[])[]
}

function sited(
  doc: PolicyDocument,
  where: Omit<StatementSite, 'statement' | 'sid'>,
): SitedStatement[] {
  const variables = doc.Version === '2012-10-17'
  return statementsOf(doc).map((statement, i) => ({
    statement,
    variables,
    site: {
      ...where,
      statement: i,
      ...(statement.Sid === undefined ? {} : { sid: statement.Sid }),
    },
  }))
}

export function sitesOf(policies: PolicySet): PolicySites {
  return {
    identity: policies.identity.flatMap((doc, i) => sited(doc, { layer: 'identity', policy: i })),
    ...(policies.boundary
      ? { boundary: sited(policies.boundary, { layer: 'boundary', policy: 0 }) }
      : {}),
    scps: (policies.scps ?? []).map((level, k) =>
      level.flatMap((doc, j) => sited(doc, { layer: 'scp', policy: k, document: j })),
    ),
  }
}

/** Every statement of the sites, for partitioning actions. */
export function allStatements(sites: PolicySites): Statement[] {
  return [...sites.identity, ...(sites.boundary ?? []), ...sites.scps.flat()].map(
    (s) => s.statement,
  )
}

/**
 * Where a statement applies, in the two readings: `sure` (it applies whatever the request
 * context) and `maybe` (some request context could make it apply).
 */
export interface StatementSets {
  sure: ResourceSet
  maybe: ResourceSet
}

const statementCache = new WeakMap<Statement, Partial<Record<'v' | 'l', StatementSets>>>()

export function statementSets(s: SitedStatement): StatementSets {
  const slot = s.variables ? 'v' : 'l'
  let cached = statementCache.get(s.statement)
  if (!cached) {
    cached = {}
    statementCache.set(s.statement, cached)
  }
  const known = cached[slot]
  if (known) return known
  const negated = s.statement.NotResource !== undefined
  const patterns = listOf(negated ? s.statement.NotResource : s.statement.Resource)
  const loose = or(...patterns.map((p) => patternSet(p, s.variables)))
  const sure = or(
    ...patterns
      .filter((p) => !globTokens(p, s.variables).hasVariable)
      .map((p) => patternSet(p, s.variables)),
  )
  const matchSure = negated ? not(loose) : sure
  const matchMaybe = negated ? not(sure) : loose
  const result = {
    sure: isConditional(s.statement) ? NONE : matchSure,
    maybe: matchMaybe,
  }
  cached[slot] = result
  return result
}

/** One layer's Allow and Deny statements covering a class, as sets of resources. */
export interface LayerSets {
  allowSure: ResourceSet
  allowMaybe: ResourceSet
  denySure: ResourceSet
  denyMaybe: ResourceSet
  /** The statements of the layer covering the class. */
  statements: readonly SitedStatement[]
}

export function layerSets(statements: readonly SitedStatement[]): LayerSets {
  const pick = (effect: 'Allow' | 'Deny', reading: keyof StatementSets) =>
    or(
      ...statements
        .filter((s) => s.statement.Effect === effect)
        .map((s) => statementSets(s)[reading]),
    )
  return {
    allowSure: pick('Allow', 'sure'),
    allowMaybe: pick('Allow', 'maybe'),
    denySure: pick('Deny', 'sure'),
    denyMaybe: pick('Deny', 'maybe'),
    statements,
  }
}

export type Reading = 'cautious' | 'permissive'

/**
 * Where one layer alone allows: cautious, its Allows surely apply and no Deny may; permissive,
 * some Allow may apply and no Deny surely does.
 */
export function layerAllows(layer: LayerSets, reading: Reading): ResourceSet {
  return reading === 'cautious'
    ? and(layer.allowSure, not(layer.denyMaybe))
    : and(layer.allowMaybe, not(layer.denySure))
}

/** The layers of a PolicySet restricted to the statements covering one class of actions. */
export interface ClassLayers {
  identity: LayerSets
  boundary?: LayerSets
  scps: readonly LayerSets[]
}

export function classLayers(
  sites: PolicySites,
  coversClass: (statement: Statement) => boolean,
): ClassLayers {
  const keep = (list: readonly SitedStatement[]) =>
    layerSets(list.filter((s) => coversClass(s.statement)))
  return {
    identity: keep(sites.identity),
    ...(sites.boundary ? { boundary: keep(sites.boundary) } : {}),
    scps: sites.scps.map(keep),
  }
}

/**
 * Where IAM allows the class (its `evaluate` rules, over every resource at once): no layer
 * denies, identity allows, and so do the boundary and every SCP level.
 */
export function allowedSet(layers: ClassLayers, reading: Reading): ResourceSet {
  return and(
    layerAllows(layers.identity, reading),
    ...(layers.boundary ? [layerAllows(layers.boundary, reading)] : []),
    ...layers.scps.map((level) => layerAllows(level, reading)),
  )
}
