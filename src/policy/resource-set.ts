/**
 * Sets of resources as boolean combinations of Resource patterns, and the one question asked of
 * them: is the set empty, and if not, which concrete resource is in it? Inclusion (A ⊆ B is
 * A ∧ ¬B empty), intersection and NotResource all reduce to it.
 *
 * The answer walks the product of the patterns' automata (resource-glob.ts) breadth-first, built
 * only as far as needed: it stops at the first member (the shortest one), and prunes a product
 * state as soon as the combination can no longer hold whatever follows (every pattern that
 * decides it is dead or matches everything from there). Past a state budget it answers
 * `undecided`, and callers fail closed. Answers are memoised by the set's canonical key, since
 * roles sharing managed policies, boundaries and SCPs ask the same questions.
 */
import { type Glob, globOf } from './resource-glob.js'

/** A set of resource strings (ARNs, or `*`), built with the constructors below. */
export type ResourceSet =
  | { readonly kind: 'all' | 'none'; readonly key: string }
  | { readonly kind: 'glob'; readonly glob: Glob; readonly key: string }
  | { readonly kind: 'not'; readonly of: ResourceSet; readonly key: string }
  | { readonly kind: 'and' | 'or'; readonly of: readonly ResourceSet[]; readonly key: string }

export const ALL: ResourceSet = { kind: 'all', key: '1' }
export const NONE: ResourceSet = { kind: 'none', key: '0' }

/** The resources one pattern matches (policy variables matching anything). */
export function patternSet(pattern: string, variables: boolean): ResourceSet {
  const glob = globOf(pattern, variables)
  if (glob.status(0) === 'universal') return ALL
  return { kind: 'glob', glob, key: `g${glob.id}` }
}

export function not(set: ResourceSet): ResourceSet {
  if (set.kind === 'all') return NONE
  if (set.kind === 'none') return ALL
  if (set.kind === 'not') return set.of
  return { kind: 'not', of: set, key: `!${set.key}` }
}

export function and(...sets: readonly ResourceSet[]): ResourceSet {
  return combine('and', sets)
}

export function or(...sets: readonly ResourceSet[]): ResourceSet {
  return combine('or', sets)
}

function combine(kind: 'and' | 'or', sets: readonly ResourceSet[]): ResourceSet {
  const absorbing = kind === 'and' ? NONE : ALL
  const neutral = kind === 'and' ? ALL : NONE
  const parts = new Map<string, ResourceSet>()
  for (const set of sets) {
    if (set.kind === absorbing.kind) return absorbing
    if (set.kind === neutral.kind) continue
    const flat = set.kind === kind ? (set as { of: readonly ResourceSet[] }).of : [set]
    for (const part of flat) parts.set(part.key, part)
  }
  if (parts.size === 0) return neutral
  for (const part of parts.values()) {
    // x ∧ ¬x, and a ∧ b ∧ ¬(a ∧ b) once flattened (dually for ∨): questions such as
    // "allowed after and not before" with equal sides are answered without any search.
    if (parts.has(`!${part.key}`)) return absorbing
    const inner = part.kind === 'not' ? part.of : undefined
    if (inner?.kind === kind && inner.of.every((p) => parts.has(p.key))) return absorbing
  }
  if (parts.size === 1) return [...parts.values()][0] as ResourceSet
  const of = [...parts.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
  const sign = kind === 'and' ? '&' : '|'
  return { kind, of, key: `${sign}(${of.map((s) => s.key).join(',')})` }
}

/** Whether a concrete string is in the set. */
export function contains(set: ResourceSet, resource: string): boolean {
  switch (set.kind) {
    case 'all':
      return true
    case 'none':
      return false
    case 'glob':
      return set.glob.matches(resource)
    case 'not':
      return !contains(set.of, resource)
    case 'and':
      return set.of.every((s) => contains(s, resource))
    case 'or':
      return set.of.some((s) => contains(s, resource))
  }
}

/** What {@link findMember} learned about a set. */
export type Membership =
  | { empty: true }
  | { empty: false; witness: string }
  /** Too many product states to explore: the caller must fail closed. */
  | { empty: 'undecided'; states: number }

/** Product states explored before a question is given up as too big. */
export const STATE_BUDGET = 50_000

const memo = new Map<string, Membership>()

/**
 * Decides whether `set` is empty; if not, returns a member. The member is the first of
 * `prefer` that belongs to the set (callers pass the resources written in the policies, which
 * read well in a message), else `*` for the set of everything, else a shortest member.
 */
export function findMember(
  set: ResourceSet,
  prefer: readonly string[] = [],
  budget = STATE_BUDGET,
): Membership {
  if (set.kind === 'none') return { empty: true }
  const key = budget === STATE_BUDGET ? set.key : `${budget}:${set.key}`
  let answer = memo.get(key)
  if (!answer) {
    answer = set.kind === 'all' ? { empty: false, witness: '*' } : explore(set, budget)
    if (memo.size > 100_000) memo.clear()
    memo.set(key, answer)
  }
  if (answer.empty !== false) return answer
  const nicer = prefer.find((resource) => contains(set, resource))
  return nicer === undefined ? answer : { empty: false, witness: nicer }
}

/** Whether `set` is surely empty (an undecided answer counts as not empty). */
export function isEmpty(set: ResourceSet): boolean {
  return findMember(set).empty === true
}

const READABLE = 'abcdefghijklmnopqrstuvwxyz0123456789-_/.'

function explore(set: ResourceSet, budget: number): Membership {
  const globList: Glob[] = []
  const index = new Map<number, number>()
  const collect = (s: ResourceSet) => {
    if (s.kind === 'glob') {
      if (!index.has(s.glob.id)) {
        index.set(s.glob.id, globList.length)
        globList.push(s.glob)
      }
    } else if (s.kind === 'not') collect(s.of)
    else if (s.kind === 'and' || s.kind === 'or') s.of.forEach(collect)
  }
  collect(set)

  // The alphabet: every literal of every pattern, `:`, and one character none of them names.
  const codes = new Set<number>([58])
  for (const glob of globList) for (const code of glob.literals.keys()) codes.add(code)
  let other = [...READABLE].map((c) => c.charCodeAt(0)).find((c) => !codes.has(c))
  for (let c = 0xe000; other === undefined; c++) if (!codes.has(c)) other = c
  const alphabet = [...codes].sort((a, b) => a - b)
  alphabet.unshift(other)
  const classes = globList.map((glob) => alphabet.map((code) => glob.classOf(code)))

  // Three-valued reading of the set in a product state: 1 holds, 0 fails, 2 not yet known.
  const holdsNow = (s: ResourceSet, states: Int32Array): boolean => {
    switch (s.kind) {
      case 'all':
        return true
      case 'none':
        return false
      case 'glob': {
        const i = index.get(s.glob.id) as number
        return s.glob.accepts(states[i] as number)
      }
      case 'not':
        return !holdsNow(s.of, states)
      case 'and':
        return s.of.every((p) => holdsNow(p, states))
      case 'or':
        return s.of.some((p) => holdsNow(p, states))
    }
  }
  const canStillHold = (s: ResourceSet, states: Int32Array): 0 | 1 | 2 => {
    switch (s.kind) {
      case 'all':
        return 1
      case 'none':
        return 0
      case 'glob': {
        const i = index.get(s.glob.id) as number
        const status = s.glob.status(states[i] as number)
        return status === 'dead' ? 0 : status === 'universal' ? 1 : 2
      }
      case 'not': {
        const inner = canStillHold(s.of, states)
        return inner === 2 ? 2 : ((1 - inner) as 0 | 1)
      }
      case 'and': {
        let result: 0 | 1 | 2 = 1
        for (const p of s.of) {
          const v = canStillHold(p, states)
          if (v === 0) return 0
          if (v === 2) result = 2
        }
        return result
      }
      case 'or': {
        let result: 0 | 1 | 2 = 0
        for (const p of s.of) {
          const v = canStillHold(p, states)
          if (v === 1) return 1
          if (v === 2) result = 2
        }
        return result
      }
    }
  }

  const start = new Int32Array(globList.length)
  const queue: Int32Array[] = [start]
  const parents: number[] = [-1]
  const symbols: number[] = [-1]
  const seen = new Map<string, number>([[start.join(','), 0]])
  const witness = (at: number): string => {
    const out: number[] = []
    for (let i = at; i > 0; i = parents[i] as number)
      out.push(alphabet[symbols[i] as number] as number)
    return String.fromCharCode(...out.reverse())
  }
  for (let head = 0; head < queue.length; head++) {
    const states = queue[head] as Int32Array
    if (holdsNow(set, states)) return { empty: false, witness: witness(head) }
    if (canStillHold(set, states) === 0) continue
    for (let symbol = 0; symbol < alphabet.length; symbol++) {
      const next = new Int32Array(globList.length)
      for (let g = 0; g < globList.length; g++) {
        const glob = globList[g] as Glob
        next[g] = glob.step(states[g] as number, (classes[g] as number[])[symbol] as number)
      }
      const key = next.join(',')
      if (seen.has(key)) continue
      if (queue.length >= budget) return { empty: 'undecided', states: queue.length }
      seen.set(key, queue.length)
      queue.push(next)
      parents.push(head)
      symbols.push(symbol)
    }
  }
  return { empty: true }
}
