/**
 * Dead weight: a granted action that no request could be allowed, on any resource, in any
 * request context, because the boundary, an SCP level or a Deny refuses it wherever the role's
 * policies grant it. Removing it changes nothing that can happen, so the planner removes it
 * before the rules that keep what the logs cannot show (never-remove, unmapped service,
 * unobservable). That ordering is only safe if "refused everywhere" is decided exactly: a
 * sample of resources misses the overlap of `role/app-*` and `role/*-prod`, and a NotResource
 * boundary, and would remove a live grant. Here it is decided over every resource at once
 * (policy/regions.ts), and anything too big to decide is not dead weight.
 */
import type { IamAction } from '../model.js'
import { actionIndex, partitionActions } from '../policy/action-classes.js'
import type { PolicySet } from '../policy/evaluate.js'
import {
  allStatements,
  classLayers,
  type LayerSets,
  layerAllows,
  type SitedStatement,
  sitesOf,
  statementSets,
} from '../policy/regions.js'
import { ALL, and, isEmpty, type ResourceSet } from '../policy/resource-set.js'
import type { ActionCatalog } from '../usage/catalog.js'

/** Why an action is dead weight, and which policy (and statements) refuse it. */
export interface DeadWeight {
  because: 'outside-boundary' | 'denied-by-scp' | 'denied-by-policy'
  /** One sentence naming the policy and statement, for the report and the PR body. */
  detail: string
  refusedBy: {
    layer: 'identity' | 'boundary' | 'scp'
    /** The policy's name (or names, for an SCP level that allows it nowhere). */
    policies: readonly string[]
    /** The Deny statements that refuse it (`Sid X` or `Statement[i]`); empty when nothing allows it. */
    statements: readonly string[]
  }
}

/**
 * Builds the judge for one role's policies: call it per granted action. Actions are grouped
 * into classes the same statements cover, so each class is decided once.
 */
export function deadWeightJudge(
  policies: PolicySet,
  catalog: ActionCatalog,
): (action: IamAction) => DeadWeight | undefined {
  const sites = sitesOf(policies)
  let partition: ReturnType<typeof partitionActions> | undefined
  const decided = new Map<number, DeadWeight | undefined>()
  return (action) => {
    partition ??= partitionActions(allStatements(sites), actionIndex(catalog))
    const c = partition.classOf(action)
    if (c === undefined) return undefined
    if (!decided.has(c)) {
      const covering = partition
      decided.set(
        c,
        judgeClass(
          classLayers(sites, (s) => covering.covers(c, s)),
          policies,
        ),
      )
    }
    return decided.get(c)
  }
}

function judgeClass(
  layers: ReturnType<typeof classLayers>,
  policies: PolicySet,
): DeadWeight | undefined {
  const allowed = and(
    layerAllows(layers.identity, 'permissive'),
    ...(layers.boundary ? [layerAllows(layers.boundary, 'permissive')] : []),
    ...layers.scps.map((level) => layerAllows(level, 'permissive')),
  )
  if (!isEmpty(allowed)) return undefined
  const names = namesOf(policies)
  // A layer that refuses it on its own is the clearest reason.
  if (layers.boundary && isEmpty(layerAllows(layers.boundary, 'permissive'))) {
    return refusal('outside-boundary', layers.boundary, ALL, names, 0)
  }
  for (const [k, level] of layers.scps.entries()) {
    if (isEmpty(layerAllows(level, 'permissive')))
      return refusal('denied-by-scp', level, ALL, names, k)
  }
  const granted = layerAllows(layers.identity, 'permissive')
  if (isEmpty(granted)) {
    // Granted nowhere although an Allow covers it (`NotResource: "*"`): no Deny to name, and
    // nothing to gain from calling it dead weight.
    if (isEmpty(layers.identity.allowMaybe)) return undefined
    return refusal('denied-by-policy', layers.identity, ALL, names, 0)
  }
  // Otherwise the layers refuse it together: name the first one after which nothing is left.
  let left: ResourceSet = granted
  if (layers.boundary) {
    const next = and(left, layerAllows(layers.boundary, 'permissive'))
    if (isEmpty(next)) return refusal('outside-boundary', layers.boundary, left, names, 0)
    left = next
  }
  for (const [k, level] of layers.scps.entries()) {
    const next = and(left, layerAllows(level, 'permissive'))
    if (isEmpty(next)) return refusal('denied-by-scp', level, left, names, k)
    left = next
  }
  return undefined
}

/**
 * The reason `layer` refuses the class on `region` (everything, or where the layers before it
 * still allow it): nothing in it allows it there, or its unconditional Denies cover that.
 */
function refusal(
  because: DeadWeight['because'],
  layer: LayerSets,
  region: ResourceSet,
  names: Names,
  level: number,
): DeadWeight {
  const where = region === ALL ? '' : " wherever the role's policies grant it"
  const allowedThere = and(region, layer.allowMaybe)
  const denies = isEmpty(allowedThere)
    ? []
    : layer.statements.filter(
        (s) => s.statement.Effect === 'Deny' && !isEmpty(and(allowedThere, statementSets(s).sure)),
      )
  const statements = denies.map(statementLabel)
  if (because === 'denied-by-policy') {
    const policies = [...new Set(denies.map((s) => names.identity(s.site.policy)))]
    const which = denies.map((s) => `${statementLabel(s)} of ${names.identity(s.site.policy)}`)
    return {
      because,
      detail: `the Deny statement${which.length === 1 ? '' : 's'} ${which.join(', ')} refuse${which.length === 1 ? 's' : ''} it${where || ' everywhere it is granted'}`,
      refusedBy: { layer: 'identity', policies, statements },
    }
  }
  if (because === 'outside-boundary') {
    const boundary = names.boundary()
    const detail =
      denies.length === 0
        ? `${boundary} allows it nowhere${where ? " the role's policies grant it" : ''}`
        : `${boundary} denies it (${statements.join(', ')})${where || ' everywhere it would allow it'}`
    return { because, detail, refusedBy: { layer: 'boundary', policies: [boundary], statements } }
  }
  const atLevel = names.scpLevel(level)
  if (denies.length === 0) {
    const policies = names.scpDocuments(level)
    return {
      because,
      detail: `no SCP ${atLevel} (${policies.join(', ')}) allows it${where ? " where the role's policies grant it" : ''}`,
      refusedBy: { layer: 'scp', policies, statements },
    }
  }
  const policies = [...new Set(denies.map((s) => names.scp(level, s.site.document ?? 0)))]
  return {
    because,
    detail: `${policies.join(', ')} ${atLevel} denies it (${statements.join(', ')})${where || ' everywhere it would allow it'}`,
    refusedBy: { layer: 'scp', policies, statements },
  }
}

function statementLabel(s: SitedStatement): string {
  return s.site.sid ? `Sid ${s.site.sid}` : `Statement[${s.site.statement}]`
}

/** The names a reason shows, falling back to positions when the caller gave none. */
interface Names {
  identity(i: number): string
  boundary(): string
  scp(level: number, document: number): string
  scpDocuments(level: number): string[]
  scpLevel(level: number): string
}

function namesOf(policies: PolicySet): Names {
  const given = policies.names
  const scp = (level: number, document: number) => {
    const name = given?.scps?.[level]?.[document]
    return name ? `SCP ${name}` : `SCP ${document + 1}`
  }
  return {
    identity: (i) => {
      const name = given?.identity?.[i]
      return name ? `policy ${name}` : `identity policy ${i + 1}`
    },
    boundary: () =>
      given?.boundary ? `the permission boundary ${given.boundary}` : 'the permission boundary',
    scp,
    scpDocuments: (level) => {
      const docs = policies.scps?.[level] ?? []
      return docs.length === 0 ? ['none attached'] : docs.map((_, j) => scp(level, j))
    },
    scpLevel: (level) => (level === 0 ? 'at the root' : `at OU level ${level} below the root`),
  }
}
