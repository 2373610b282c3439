/**
 * IAM Resource patterns as finite automata. A pattern is a glob: literal characters, `*` and
 * `?`, where in the first five colon-separated segments a wildcard stays within its segment
 * (a `*` that ends a segment may run past colons) and in the resource part matches anything.
 * Every such pattern is a regular language, so a boolean combination of them (see
 * resource-set.ts) can be decided exactly: that is what lets the proof and the dead-weight rule
 * reason about every resource at once instead of a few samples (Zelkova's idea, without a
 * solver for this fragment).
 *
 * `globTokens` is the one reading of a pattern: match.ts compiles the same tokens to a RegExp
 * for concrete requests, so the automaton and the evaluator cannot drift apart.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html
 */

/** One step of a pattern: a literal UTF-16 code unit, or a wildcard that may or may not cross `:`. */
export type GlobToken =
  | { kind: 'char'; code: number }
  | { kind: 'star' | 'one'; crossesColon: boolean }

const COLON = 58

// Policy-variable escapes that stand for a literal character (IAM docs, "Special characters").
const LITERAL_VARIABLES: Readonly<Record<string, string>> = {
  '${*}': '*',
  '${?}': '?',
  '${$}': '$',
}

/**
 * Reads a Resource pattern. `variables` is false outside the 2012-10-17 language, where
 * `${aws:username}` is literal text. A policy variable stands for an unknown value: in the
 * `loose` tokens it matches anything, and `hasVariable` tells callers that the pattern matches
 * nothing for sure.
 */
export function globTokens(
  pattern: string,
  variables: boolean,
): { tokens: readonly GlobToken[]; hasVariable: boolean } {
  type Raw = { kind: 'char'; code: number } | { kind: '*' | '?' | 'var' }
  const raw: Raw[] = []
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i] as string
    if (variables && ch === '$' && pattern[i + 1] === '{') {
      const end = pattern.indexOf('}', i + 2)
      if (end !== -1) {
        const literal = LITERAL_VARIABLES[pattern.slice(i, end + 1)]
        raw.push(literal ? { kind: 'char', code: literal.charCodeAt(0) } : { kind: 'var' })
        i = end
        continue
      }
    }
    if (ch === '*' || ch === '?') raw.push({ kind: ch })
    else raw.push({ kind: 'char', code: pattern.charCodeAt(i) })
  }
  const tokens: GlobToken[] = []
  let colons = 0
  let hasVariable = false
  raw.forEach((token, i) => {
    const inPrefix = colons < 5
    const next = raw[i + 1]
    const endsSegment = next === undefined || (next.kind === 'char' && next.code === COLON)
    if (token.kind === 'char') {
      if (token.code === COLON) colons++
      tokens.push(token)
    } else if (token.kind === '*') {
      tokens.push({ kind: 'star', crossesColon: !inPrefix || endsSegment })
    } else if (token.kind === '?') {
      tokens.push({ kind: 'one', crossesColon: !inPrefix })
    } else {
      hasVariable = true
      tokens.push({ kind: 'star', crossesColon: true })
    }
  })
  return { tokens, hasVariable }
}

/** Whether one DFA state accepts nothing more, everything from here on, or depends on the rest. */
export type GlobStatus = 'dead' | 'universal' | 'open'

interface GlobState {
  positions: readonly number[]
  accepts: boolean
  status: GlobStatus
  /** Next state per character class, -1 until computed. */
  next: Int32Array
}

/**
 * One pattern (in one reading) as a lazily determinised automaton. Characters fall into the
 * pattern's own classes: each literal it contains, `:` and "anything else"; states are the sets
 * of token positions reached (the subset construction, built only as far as it is explored).
 */
export class Glob {
  /** Small interned id, stable for the process: the key of memoised questions. */
  readonly id: number
  readonly pattern: string
  readonly tokens: readonly GlobToken[]
  /** The literal code units the pattern contains, as character classes 0..n-1. */
  readonly literals: ReadonlyMap<number, number>
  private readonly colonClass: number
  private readonly otherClass: number
  private readonly states: GlobState[] = []
  private readonly byKey = new Map<string, number>()

  constructor(id: number, pattern: string, tokens: readonly GlobToken[]) {
    this.id = id
    this.pattern = pattern
    this.tokens = tokens
    const literals = new Map<number, number>()
    for (const token of tokens) {
      if (token.kind === 'char' && !literals.has(token.code))
        literals.set(token.code, literals.size)
    }
    this.literals = literals
    this.colonClass = literals.get(COLON) ?? literals.size
    this.otherClass = literals.size + (literals.has(COLON) ? 0 : 1)
    this.intern(this.closure([0]))
  }

  /** The character class of a code unit for this pattern. */
  classOf(code: number): number {
    const literal = this.literals.get(code)
    if (literal !== undefined) return literal
    return code === COLON ? this.colonClass : this.otherClass
  }

  /** The start state is 0. */
  step(state: number, charClass: number): number {
    const from = this.states[state] as GlobState
    const known = from.next[charClass] as number
    if (known !== -1) return known
    const isColon = charClass === this.colonClass
    const reached: number[] = []
    for (const p of from.positions) {
      const token = this.tokens[p]
      if (token === undefined) continue
      if (token.kind === 'char') {
        if (this.literals.get(token.code) === charClass) reached.push(p + 1)
      } else if (token.crossesColon || !isColon) {
        reached.push(token.kind === 'star' ? p : p + 1)
      }
    }
    const id = this.intern(this.closure(reached))
    from.next[charClass] = id
    return id
  }

  accepts(state: number): boolean {
    return (this.states[state] as GlobState).accepts
  }

  status(state: number): GlobStatus {
    return (this.states[state] as GlobState).status
  }

  /** Whether the pattern matches a concrete string. */
  matches(text: string): boolean {
    let state = 0
    for (let i = 0; i < text.length; i++) {
      state = this.step(state, this.classOf(text.charCodeAt(i)))
      if (this.status(state) !== 'open') return this.status(state) === 'universal'
    }
    return this.accepts(state)
  }

  /** Positions reachable without reading a character: a `*` may match nothing. */
  private closure(positions: readonly number[]): number[] {
    const out = new Set<number>()
    for (let p of positions) {
      out.add(p)
      while (this.tokens[p]?.kind === 'star') out.add(++p)
    }
    return [...out].sort((a, b) => a - b)
  }

  private intern(reached: number[]): number {
    const end = this.tokens.length
    const universalAt = reached.find((p) => {
      let crosses = false
      for (let q = p; q < end; q++) {
        const token = this.tokens[q] as GlobToken
        if (token.kind !== 'star') return false
        crosses ||= token.crossesColon
      }
      return crosses
    })
    // Once everything that follows matches, the other positions are history: one state for all,
    // or the product of many patterns would remember which of them matched first.
    const universal = universalAt !== undefined
    let positions = reached
    if (universal) {
      // Keep only the star that crosses colons, and what follows it: all stars, all closed.
      const crossing = (q: number) => {
        const token = this.tokens[q]
        return token?.kind === 'star' && token.crossesColon
      }
      let q = universalAt
      while (!crossing(q)) q++
      positions = this.closure([q])
    }
    const key = positions.join(',')
    const known = this.byKey.get(key)
    if (known !== undefined) return known
    const state: GlobState = {
      positions,
      accepts: positions.includes(end),
      status: positions.length === 0 ? 'dead' : universal ? 'universal' : 'open',
      next: new Int32Array(this.otherClass + 1).fill(-1),
    }
    this.states.push(state)
    this.byKey.set(key, this.states.length - 1)
    return this.states.length - 1
  }
}

const globs = new Map<string, Glob>()

/**
 * The automaton of a pattern in its loose reading (a policy variable matches anything), interned
 * so equal patterns share one automaton and one id for the whole run.
 */
export function globOf(pattern: string, variables: boolean): Glob {
  // Without a `${` the reading of variables makes no difference: share the automaton.
  const key = variables && pattern.includes('${') ? `v${pattern}` : `l${pattern}`
  let glob = globs.get(key)
  if (!glob) {
    glob = new Glob(globs.size, pattern, globTokens(pattern, variables).tokens)
    globs.set(key, glob)
  }
  return glob
}
