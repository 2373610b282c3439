/**
 * Actions as dense ids over the catalog, and the partition of actions into classes that the
 * same statements cover. Two actions covered by exactly the same statements get the same
 * answer to every question about those statements (a statement's Resource and Condition do not
 * depend on the action), so exact questions are asked once per class, not once per catalog
 * action: a `NotAction` statement over 20,000 actions usually makes a handful of classes.
 */
import type { ActionCatalog } from '../usage/catalog.js'
import { listOf, type Statement } from './document.js'
import { compareText, compileActionPatterns } from './match.js'

/** The catalog's actions numbered 0..n-1, with cached pattern expansions as sorted id arrays. */
export interface ActionIndex {
  readonly size: number
  /** Catalog casing, by id. */
  readonly names: readonly string[]
  /** The id of a catalog action (any case), or undefined. */
  idOf(action: string): number | undefined
  /** Sorted ids of the catalog actions a pattern matches. */
  idsOf(pattern: string): Int32Array
  /** Every id in `compareText` order of the names: sorting by id rank is sorting by name. */
  readonly byName: Int32Array
  /** The position of each id in `byName`. */
  readonly rank: Int32Array
}

const indexes = new WeakMap<ActionCatalog, ActionIndex>()

/** The id numbering of a catalog, built once per catalog. */
export function actionIndex(catalog: ActionCatalog): ActionIndex {
  const known = indexes.get(catalog)
  if (known) return known
  const names = catalog.expand('*').map((info) => info.action)
  const ids = new Map(names.map((name, id) => [name.toLowerCase(), id]))
  const exact = new Map(names.map((name, id) => [name, id]))
  const expansions = new Map<string, Int32Array>()
  const byName = Int32Array.from(names.keys()).sort((a, b) =>
    compareText(names[a] as string, names[b] as string),
  )
  const rank = new Int32Array(names.length)
  byName.forEach((id, position) => {
    rank[id] = position
  })
  const index: ActionIndex = {
    size: names.length,
    names,
    byName,
    rank,
    // Callers mostly pass catalog casing: try it before lower-casing.
    idOf: (action) => exact.get(action) ?? ids.get(action.toLowerCase()),
    idsOf(pattern) {
      const key = pattern.toLowerCase()
      let hit = expansions.get(key)
      if (!hit) {
        const found = catalog.expand(pattern).map((info) => ids.get(info.action.toLowerCase()))
        hit = Int32Array.from(found.filter((id): id is number => id !== undefined)).sort()
        expansions.set(key, hit)
      }
      return hit
    },
  }
  indexes.set(catalog, index)
  return index
}

/**
 * The catalog actions a statement's Action (or NotAction) element covers: `ids` sorted, and
 * `negated` for NotAction, where the statement covers every action except `ids`.
 */
export interface Coverage {
  ids: Int32Array
  negated: boolean
  /** The smaller side (`ids` or its complement): splitting a partition by either is the same. */
  marks: Int32Array
}

function complement(ids: Int32Array, size: number): Int32Array {
  const out = new Int32Array(size - ids.length)
  let k = 0
  let next = 0
  for (let id = 0; id < size; id++) {
    if (next < ids.length && ids[next] === id) next++
    else out[k++] = id
  }
  return out
}

const coverages = new WeakMap<ActionIndex, WeakMap<Statement, Coverage>>()

/** A statement's coverage over the catalog, cached per statement object. */
export function coverageOf(statement: Statement, index: ActionIndex): Coverage {
  let cache = coverages.get(index)
  if (!cache) {
    cache = new WeakMap()
    coverages.set(index, cache)
  }
  const known = cache.get(statement)
  if (known) return known
  const negated = statement.NotAction !== undefined
  const patterns = listOf(negated ? statement.NotAction : statement.Action)
  let ids: Int32Array
  if (patterns.length === 1) ids = index.idsOf(patterns[0] as string)
  else {
    const all = new Set<number>()
    for (const pattern of patterns) for (const id of index.idsOf(pattern)) all.add(id)
    ids = Int32Array.from(all).sort()
  }
  const coverage = {
    ids,
    negated,
    marks: ids.length * 2 > index.size ? complement(ids, index.size) : ids,
  }
  cache.set(statement, coverage)
  return coverage
}

function hasId(ids: Int32Array, id: number): boolean {
  let lo = 0
  let hi = ids.length - 1
  while (lo <= hi) {
    const mid = (lo + hi) >> 1
    const value = ids[mid] as number
    if (value === id) return true
    if (value < id) lo = mid + 1
    else hi = mid - 1
  }
  return false
}

/** Whether a coverage includes catalog action `id`. */
export function covers(coverage: Coverage, id: number): boolean {
  return hasId(coverage.ids, id) !== coverage.negated
}

/**
 * Actions grouped by the statements that cover them. Ids 0..n-1 are the catalog's; action names
 * the catalog does not know (`extras`, such as an exact name written in a policy) follow.
 */
export interface ActionPartition {
  readonly index: ActionIndex
  /** The class of an action (catalog or extra), or undefined for an action outside both. */
  classOf(action: string): number | undefined
  /** Every class with at least one member covered by `statement`, each once, ascending. */
  classesCovering(statement: Statement): number[]
  /** Whether `statement` covers the members of class `c`. */
  covers(c: number, statement: Statement): boolean
  /** The members of a class, in catalog casing, sorted with compareText. */
  members(c: number): string[]
}

/** Partitions the catalog (plus `extras`) by the statements given: cost grows with what they mark. */
export function partitionActions(
  statements: readonly Statement[],
  index: ActionIndex,
  extras: readonly string[] = [],
): ActionPartition {
  const known = new Map<string, number>()
  const extraNames: string[] = []
  for (const name of extras) {
    const lower = name.toLowerCase()
    if (index.idOf(lower) === undefined && !known.has(lower)) {
      known.set(lower, index.size + extraNames.length)
      extraNames.push(name)
    }
  }
  const total = index.size + extraNames.length
  const classOf = new Int32Array(total)
  let classes = 1
  const unique = [...new Set(statements)]
  const extraCoverage = new Map<Statement, boolean[]>()
  for (const statement of unique) {
    const coverage = coverageOf(statement, index)
    // Splitting by a set or by its complement gives the same partition: mark the smaller side.
    const remap = new Map<number, number>()
    const mark = (id: number) => {
      const old = classOf[id] as number
      let moved = remap.get(old)
      if (moved === undefined) {
        moved = classes++
        remap.set(old, moved)
      }
      classOf[id] = moved
    }
    for (const id of coverage.marks) mark(id)
    if (extraNames.length > 0) {
      const negated = statement.NotAction !== undefined
      const matcher = compileActionPatterns(
        listOf(negated ? statement.NotAction : statement.Action),
      )
      const hits = extraNames.map((name) => matcher(name) !== negated)
      extraCoverage.set(statement, hits)
      // Extras are marked on the same side as the catalog ids: covered, or not covered.
      const markCovered = (coverage.marks === coverage.ids) !== negated
      hits.forEach((hit, i) => {
        if (hit === markCovered) mark(index.size + i)
      })
    }
  }
  const representative = new Map<number, number>()
  for (let id = 0; id < total; id++) {
    const c = classOf[id] as number
    if (!representative.has(c)) representative.set(c, id)
  }
  const coversId = (id: number, statement: Statement) => {
    if (id < index.size) return covers(coverageOf(statement, index), id)
    const hits = extraCoverage.get(statement)
    if (hits) return hits[id - index.size] === true
    const negated = statement.NotAction !== undefined
    const matcher = compileActionPatterns(listOf(negated ? statement.NotAction : statement.Action))
    return matcher(extraNames[id - index.size] as string) !== negated
  }
  const nameOf = (id: number) =>
    id < index.size ? (index.names[id] as string) : (extraNames[id - index.size] as string)
  return {
    index,
    classOf(action) {
      const id = index.idOf(action) ?? known.get(action.toLowerCase())
      return id === undefined ? undefined : classOf[id]
    },
    classesCovering(statement) {
      const coverage = coverageOf(statement, index)
      const found = new Set<number>()
      if (coverage.negated) {
        const excluded = new Set(coverage.ids)
        for (let id = 0; id < index.size; id++) {
          if (!excluded.has(id)) found.add(classOf[id] as number)
        }
      } else {
        for (const id of coverage.ids) found.add(classOf[id] as number)
      }
      for (let i = 0; i < extraNames.length; i++) {
        if (coversId(index.size + i, statement)) found.add(classOf[index.size + i] as number)
      }
      return [...found].sort((a, b) => a - b)
    },
    covers(c, statement) {
      const id = representative.get(c)
      return id !== undefined && coversId(id, statement)
    },
    members(c) {
      const out: string[] = []
      for (let id = 0; id < total; id++) if (classOf[id] === c) out.push(nameOf(id))
      return out.sort(compareText)
    },
  }
}

/** A mask over catalog ids: 1 for each of `actions` (any case) the catalog knows. */
export function maskOf(index: ActionIndex, actions: Iterable<string>): Uint8Array {
  const mask = new Uint8Array(index.size)
  for (const action of actions) {
    const id = index.idOf(action)
    if (id !== undefined) mask[id] = 1
  }
  return mask
}

/** Calls `visit` for every catalog id a coverage includes, ascending. */
export function forEachCovered(
  coverage: Coverage,
  index: ActionIndex,
  visit: (id: number) => void,
): void {
  if (!coverage.negated) {
    for (const id of coverage.ids) visit(id)
    return
  }
  let next = 0
  for (let id = 0; id < index.size; id++) {
    if (next < coverage.ids.length && coverage.ids[next] === id) next++
    else visit(id)
  }
}

/** Catalog names of `ids`, sorted with compareText (by rank, without comparing strings). */
export function namesOf(index: ActionIndex, ids: Iterable<number>): string[] {
  const list = Int32Array.from(ids)
  if (list.length * 8 > index.size) {
    const mask = new Uint8Array(index.size)
    for (const id of list) mask[id] = 1
    return Array.from(
      index.byName.filter((id) => mask[id] === 1),
      (id) => index.names[id] as string,
    )
  }
  return Array.from(
    new Set(list.sort((a, b) => (index.rank[a] as number) - (index.rank[b] as number))),
    (id) => index.names[id] as string,
  )
}
