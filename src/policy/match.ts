import type { IamAction } from '../model.js'
import { type ActionCatalog, patternToRegExp } from '../usage/catalog.js'
import { listOf, type Statement } from './document.js'
import { globTokens } from './resource-glob.js'

/**
 * A three-valued match. `maybe` means the answer depends on something the logs cannot tell,
 * such as the value of a policy variable like `${aws:username}` in a Resource.
 */
export type Tri = 'yes' | 'no' | 'maybe'

/** Kleene OR: yes wins, then maybe. */
export function triOr(a: Tri, b: Tri): Tri {
  if (a === 'yes' || b === 'yes') return 'yes'
  return a === 'maybe' || b === 'maybe' ? 'maybe' : 'no'
}

/** Kleene AND: no wins, then maybe. */
export function triAnd(a: Tri, b: Tri): Tri {
  if (a === 'no' || b === 'no') return 'no'
  return a === 'maybe' || b === 'maybe' ? 'maybe' : 'yes'
}

/** Kleene NOT: maybe stays maybe. */
export function triNot(a: Tri): Tri {
  return a === 'yes' ? 'no' : a === 'no' ? 'yes' : 'maybe'
}

const WILDCARD = /[*?]/

/** Whether `text` contains a `*` or `?` wildcard. */
export function hasWildcard(text: string): boolean {
  return WILDCARD.test(text)
}

const actionRegexCache = new Map<string, RegExp>()

/** Whether an IAM action pattern (`s3:Get*`, `*`) matches an action. Case-insensitive, as in IAM. */
export function actionMatches(pattern: string, action: string): boolean {
  if (pattern === '*') return true
  if (!hasWildcard(pattern)) return pattern.toLowerCase() === action.toLowerCase()
  let re = actionRegexCache.get(pattern)
  if (!re) {
    re = patternToRegExp(pattern)
    actionRegexCache.set(pattern, re)
  }
  return re.test(action)
}

/**
 * Compiles a list of action patterns into one fast test: exact names go in a set, wildcard
 * patterns are grouped by service so a lookup only tries its own service's patterns.
 */
export function compileActionPatterns(patterns: readonly string[]): (action: string) => boolean {
  if (patterns.includes('*')) return () => true
  const exact = new Set<string>()
  const byService = new Map<string, RegExp[]>()
  const anyService: RegExp[] = []
  for (const pattern of patterns) {
    if (!hasWildcard(pattern)) {
      exact.add(pattern.toLowerCase())
      continue
    }
    const service = pattern.slice(0, Math.max(0, pattern.indexOf(':'))).toLowerCase()
    const re = patternToRegExp(pattern)
    if (service === '' || hasWildcard(service)) anyService.push(re)
    else {
      const list = byService.get(service)
      if (list) list.push(re)
      else byService.set(service, [re])
    }
  }
  return (action) => {
    const lower = action.toLowerCase()
    if (exact.has(lower)) return true
    const service = lower.slice(0, Math.max(0, lower.indexOf(':')))
    const own = byService.get(service)
    if (own?.some((re) => re.test(action))) return true
    return anyService.some((re) => re.test(action))
  }
}

/** A Resource pattern compiled once: `sure` ignores policy variables, `loose` lets them match anything. */
interface CompiledResource {
  all: boolean
  sure: RegExp | undefined
  loose: RegExp
}

const resourceCache = new Map<string, CompiledResource>()

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')
}

/**
 * ARN globbing as the IAM docs describe it (see `globTokens`, shared with the automata that
 * decide questions over every resource): `*` and `?` work within a colon-separated segment; a
 * `*` that ends one of the first five segments may run past colons, and in the resource part
 * (after the fifth colon) wildcards match anything. Matching is case-sensitive.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html
 */
function compileResource(pattern: string, variables: boolean): CompiledResource {
  const key = `${variables ? 'v' : 'l'}${pattern}`
  const cached = resourceCache.get(key)
  if (cached) return cached
  const { tokens, hasVariable } = globTokens(pattern, variables)
  const source = tokens
    .map((token) => {
      if (token.kind === 'char') return escapeRegExp(String.fromCharCode(token.code))
      const one = token.crossesColon ? '.' : '[^:]'
      return token.kind === 'star' ? `${one}*` : one
    })
    .join('')
  const loose = new RegExp(`^${source}$`, 's')
  const compiled: CompiledResource = {
    all: pattern === '*',
    sure: hasVariable ? undefined : loose,
    loose,
  }
  resourceCache.set(key, compiled)
  return compiled
}

/**
 * Whether a Resource pattern covers a concrete resource string (an ARN, or `*`). `variables`
 * is false for documents whose Version is not 2012-10-17: there `${aws:username}` is literal
 * text (IAM docs, "IAM JSON policy elements: Version").
 */
export function resourceMatch(pattern: string, resource: string, variables = true): Tri {
  const compiled = compileResource(pattern, variables)
  if (compiled.all) return 'yes'
  if (compiled.sure) return compiled.sure.test(resource) ? 'yes' : 'no'
  return compiled.loose.test(resource) ? 'maybe' : 'no'
}

/** Whether a Resource pattern holds a policy variable such as `${aws:username}`. */
export function hasPolicyVariable(pattern: string): boolean {
  return globTokens(pattern, true).hasVariable
}

/** Whether the statement's Resource/NotResource element covers a resource. */
export function statementResourceMatch(statement: Statement, resource: string): Tri {
  const notResource = statement.NotResource !== undefined
  let result: Tri = 'no'
  for (const pattern of listOf(notResource ? statement.NotResource : statement.Resource)) {
    result = triOr(result, resourceMatch(pattern, resource))
    if (result === 'yes') break
  }
  return notResource ? triNot(result) : result
}

/** Whether the statement's Action/NotAction element covers an action. */
export function statementActionMatch(statement: Statement, action: string): boolean {
  if (statement.NotAction !== undefined) {
    return !listOf(statement.NotAction).some((p) => actionMatches(p, action))
  }
  return listOf(statement.Action).some((p) => actionMatches(p, action))
}

/** The result of expanding action patterns against the catalog. */
export interface ExpandedActions {
  /** Catalog actions matched, in catalog casing, sorted. */
  actions: readonly IamAction[]
  /** Patterns that match no catalog action (new services, typos): kept verbatim, reported. */
  unknown: readonly string[]
}

// Expansions per catalog and pattern list: roles share policies, so the same lists recur.
const expansions = new WeakMap<ActionCatalog, Map<string, ExpandedActions>>()

function remembered(
  catalog: ActionCatalog,
  key: string,
  compute: () => ExpandedActions,
): ExpandedActions {
  let cache = expansions.get(catalog)
  if (!cache) {
    cache = new Map()
    expansions.set(catalog, cache)
  }
  let hit = cache.get(key)
  if (!hit) {
    if (cache.size > 20_000) cache.clear()
    hit = compute()
    cache.set(key, hit)
  }
  return hit
}

/** Expands action patterns (`s3:Get*`, `*`, exact names) against the catalog. */
export function expandActions(
  patterns: readonly string[],
  catalog: ActionCatalog,
): ExpandedActions {
  return remembered(catalog, patterns.join('\n'), () => expandUncached(patterns, catalog))
}

function expandUncached(patterns: readonly string[], catalog: ActionCatalog): ExpandedActions {
  const actions = new Set<IamAction>()
  const unknown: string[] = []
  for (const pattern of patterns) {
    const hits = catalog.expand(pattern)
    if (hits.length === 0) unknown.push(pattern)
    for (const info of hits) actions.add(info.action)
  }
  return { actions: [...actions].sort(compareText), unknown }
}

/**
 * The catalog actions a statement's Action/NotAction covers (whatever its Effect), in catalog
 * casing. A NotAction statement covers every catalog action its list does not match.
 */
export function statementActions(statement: Statement, catalog: ActionCatalog): ExpandedActions {
  if (statement.NotAction === undefined) return expandActions(listOf(statement.Action), catalog)
  const notAction = listOf(statement.NotAction)
  return remembered(catalog, `!${notAction.join('\n')}`, () => {
    const excluded = compileActionPatterns(notAction)
    const actions = catalog
      .expand('*')
      .map((info) => info.action)
      .filter((action) => !excluded(action))
    return { actions: actions.sort(compareText), unknown: [] }
  })
}

/** Sorts strings case-insensitively, then by code unit, so output order never depends on locale. */
export function compareText(a: string, b: string): number {
  const la = a.toLowerCase()
  const lb = b.toLowerCase()
  if (la !== lb) return la < lb ? -1 : 1
  return a < b ? -1 : a > b ? 1 : 0
}
