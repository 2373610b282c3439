/**
 * The pattern algebra: sets of resources as boolean combinations of IAM Resource patterns,
 * decided by walking the product of their automata. Checked three ways: hand-picked cases with
 * IAM's segment rules, brute force over every short string, and refa (MIT, an independent
 * automata library, devDependency) on ARN-shaped patterns.
 */
import { DFA, JS, NFA } from 'refa'
import { describe, expect, it } from 'vitest'
import { resourceMatch } from '../../src/policy/match.js'
import { globTokens } from '../../src/policy/resource-glob.js'
import {
  ALL,
  and,
  contains,
  findMember,
  isEmpty,
  NONE,
  not,
  or,
  patternSet,
  type ResourceSet,
} from '../../src/policy/resource-set.js'
import { type Random, seededRandom, variable } from './support.js'

const p = (pattern: string, variables = true) => patternSet(pattern, variables)
const subset = (a: ResourceSet, b: ResourceSet) => isEmpty(and(a, not(b)))
const witness = (set: ResourceSet) => {
  const found = findMember(set)
  return found.empty === false ? found.witness : found.empty
}

describe('resource sets', () => {
  it('decides the overlap of two wildcards that no written pattern samples', () => {
    const app = p('arn:aws:iam::111111111111:role/app-*')
    const prod = p('arn:aws:iam::111111111111:role/*-prod')
    expect(witness(and(app, prod))).toBe('arn:aws:iam::111111111111:role/app-prod')
    expect(subset(app, prod)).toBe(false)
    expect(isEmpty(and(app, p('arn:aws:iam::111111111111:role/ops-*')))).toBe(true)
  })

  it.each([
    { a: 'arn:aws:s3:::reports/*', b: 'arn:aws:s3:::*', subset: true },
    { a: 'arn:aws:s3:::*', b: 'arn:aws:s3:::reports/*', subset: false },
    { a: 'arn:aws:s3:::reports/2026/*', b: 'arn:aws:s3:::reports/*/*', subset: true },
    { a: 'arn:aws:s3:::reports/q?.csv', b: 'arn:aws:s3:::reports/*.csv', subset: true },
    { a: 'arn:aws:s3:::reports/*.csv', b: 'arn:aws:s3:::reports/q?.csv', subset: false },
    { a: 'arn:aws:sqs:eu-west-1:111111111111:orders', b: 'arn:aws:sqs:*:*:*', subset: true },
    // In the first five segments `*` stays in its segment, unless it ends the segment.
    { a: 'arn:aws:sqs:eu-west-1:111111111111:orders', b: 'arn:aws:sqs:eu-*1:*', subset: true },
    {
      a: 'arn:aws:lambda:eu-west-1:1:function:fn:prod',
      b: 'arn:aws:lambda:*:1:function:fn',
      subset: false,
    },
    { a: 'arn:aws:sqs:eu:west:1:111111111111:q', b: 'arn:aws:sqs:eu*t:*', subset: false },
    { a: 'arn:aws:sqs:eu:1:q', b: 'arn:aws:sqs:*', subset: true },
    // After the fifth colon (the resource part) wildcards cross colons.
    {
      a: 'arn:aws:lambda:eu-west-1:1:function:fn:prod',
      b: 'arn:aws:lambda:eu-west-1:1:function*prod',
      subset: true,
    },
    { a: '*', b: 'arn:*', subset: false },
    { a: 'arn:aws:s3:::Reports/*', b: 'arn:aws:s3:::reports/*', subset: false },
  ])('$a ⊆ $b is $subset', ({ a, b, subset: expected }) => {
    expect(subset(p(a), p(b))).toBe(expected)
    if (!expected) {
      const w = witness(and(p(a), not(p(b)))) as string
      expect(resourceMatch(a, w)).toBe('yes')
      expect(resourceMatch(b, w)).toBe('no')
    }
  })

  it('reads NotResource as the complement: what a list leaves out', () => {
    const queues = or(p('arn:aws:sqs:*:*:orders'), p('arn:aws:sqs:*:*:orders-dlq'))
    const allowed = and(p('arn:aws:sqs:*'), not(queues))
    expect(contains(allowed, 'arn:aws:sqs:eu-west-1:1:jobs')).toBe(true)
    expect(contains(allowed, 'arn:aws:sqs:eu-west-1:1:orders')).toBe(false)
    expect(witness(allowed)).toMatch(/^arn:aws:sqs:/)
    expect(isEmpty(and(not(p('*')), p('arn:aws:s3:::x')))).toBe(true)
    expect(subset(not(p('arn:aws:s3:::a/*')), not(p('arn:aws:s3:::a/b*')))).toBe(true)
  })

  it('lets a policy variable match anything, and treats the star escape as a literal', () => {
    const home = p(`arn:aws:s3:::home/${variable('aws:username')}/*`)
    expect(contains(home, 'arn:aws:s3:::home/alice/notes.txt')).toBe(true)
    expect(contains(home, 'arn:aws:s3:::other/alice/notes.txt')).toBe(false)
    expect(globTokens(`arn:aws:s3:::home/${variable('aws:username')}/*`, true).hasVariable).toBe(
      true,
    )
    const star = p(`arn:aws:s3:::literal-${variable('*')}`)
    expect(contains(star, 'arn:aws:s3:::literal-*')).toBe(true)
    expect(contains(star, 'arn:aws:s3:::literal-x')).toBe(false)
    // Outside the 2012-10-17 language `${...}` is literal text.
    const old = p(`arn:aws:s3:::home/${variable('aws:username')}`, false)
    expect(contains(old, 'arn:aws:s3:::home/alice')).toBe(false)
    expect(contains(old, `arn:aws:s3:::home/${variable('aws:username')}`)).toBe(true)
  })

  it('simplifies what needs no search, and prefers a written resource as the witness', () => {
    const a = p('arn:aws:s3:::a/*')
    expect(and(a, not(a))).toBe(NONE)
    expect(or(a, not(a))).toBe(ALL)
    const both = and(a, p('arn:aws:s3:::*'))
    expect(and(both, not(both))).toBe(NONE)
    expect(p('*')).toBe(ALL)
    const found = findMember(a, ['arn:aws:s3:::b/x', 'arn:aws:s3:::a/report.csv'])
    expect(found).toEqual({ empty: false, witness: 'arn:aws:s3:::a/report.csv' })
  })

  it('fails closed when the product is too big to explore', () => {
    // Six independent `*x*y*` patterns: a state budget of 50 cannot settle their combination.
    const parts = ['a', 'b', 'c', 'd', 'e', 'f'].map((c) => p(`arn:aws:s3:::*${c}*${c}${c}*`))
    const hard = and(...parts.slice(0, 3), not(or(...parts.slice(3))))
    expect(findMember(hard, [], 50)).toMatchObject({ empty: 'undecided' })
  })
})

/** Every string over {a, b, :, x} up to `max` characters (x stands for any other character). */
function allStrings(max: number): string[] {
  const out = ['']
  let layer = ['']
  for (let n = 1; n <= max; n++) {
    layer = layer.flatMap((s) => ['a', 'b', ':', 'x'].map((c) => s + c))
    out.push(...layer)
  }
  return out
}

/** A random boolean combination of random short patterns, with the same tree read by RegExp. */
function randomSet(rng: Random, depth: number, patterns: string[]): ResourceSet {
  if (depth === 0 || rng.chance(0.3)) {
    const length = rng.int(7)
    let pattern = ''
    for (let i = 0; i < length; i++) pattern += rng.pick(['a', 'b', ':', ':', '*', '*', '?', 'V'])
    pattern = pattern.replaceAll('V', variable('v'))
    patterns.push(pattern)
    return p(pattern)
  }
  const kind = rng.pick(['and', 'or', 'not'] as const)
  if (kind === 'not') return not(randomSet(rng, depth - 1, patterns))
  const parts = Array.from({ length: 2 + rng.int(2) }, () => randomSet(rng, depth - 1, patterns))
  return kind === 'and' ? and(...parts) : or(...parts)
}

/** A set written out with its patterns, for failure messages. */
function show(set: ResourceSet): string {
  switch (set.kind) {
    case 'all':
    case 'none':
      return set.kind
    case 'glob':
      return JSON.stringify(set.glob.pattern)
    case 'not':
      return `!${show(set.of)}`
    default:
      return `${set.kind}(${set.of.map(show).join(', ')})`
  }
}

/** The evaluator's reading of membership (a RegExp per pattern, variables matching anything). */
function member(set: ResourceSet, resource: string): boolean {
  switch (set.kind) {
    case 'all':
      return true
    case 'none':
      return false
    case 'glob':
      return resourceMatch(set.glob.pattern, resource) !== 'no'
    case 'not':
      return !member(set.of, resource)
    case 'and':
      return set.of.every((s) => member(s, resource))
    case 'or':
      return set.of.some((s) => member(s, resource))
  }
}

describe('resource sets against brute force', () => {
  it('agree with every string up to 7 characters on 600 random combinations', () => {
    const rng = seededRandom(9)
    const universe = allStrings(7)
    let nonEmpty = 0
    for (let i = 0; i < 600; i++) {
      const set = randomSet(rng, 3, [])
      const found = findMember(set)
      expect(found.empty).not.toBe('undecided')
      const shortest = universe.find((s) => member(set, s))
      if (found.empty === true) {
        expect(shortest, `${show(set)} is empty`).toBeUndefined()
        continue
      }
      if (found.empty !== false) continue
      nonEmpty++
      // The witness is a member, and the shortest one (breadth-first).
      expect(member(set, found.witness), `${show(set)} ∋ ${found.witness}`).toBe(true)
      if (set === ALL) expect(found.witness).toBe('*')
      else if (shortest !== undefined) expect(found.witness.length).toBe(shortest.length)
      else expect(found.witness.length).toBeGreaterThan(7)
    }
    expect(nonEmpty).toBeGreaterThan(120)
    expect(nonEmpty).toBeLessThan(580)
  })
})

/** The glob as a JS regular expression source, for refa (no anchors: refa reads whole words). */
function regexSource(pattern: string): string {
  return globTokens(pattern, true)
    .tokens.map((token) => {
      if (token.kind === 'char') {
        return String.fromCharCode(token.code).replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&')
      }
      const one = token.crossesColon ? '[^]' : '[^:]'
      return token.kind === 'star' ? `${one}*` : one
    })
    .join('')
}

function refaDfa(set: ResourceSet): DFA {
  switch (set.kind) {
    case 'all':
      return DFA.all({ maxCharacter: 0xffff })
    case 'none':
      return DFA.empty({ maxCharacter: 0xffff })
    case 'glob': {
      const { expression, maxCharacter } = JS.Parser.fromLiteral({
        source: regexSource(set.glob.pattern),
        flags: '',
      }).parse()
      return DFA.fromFA(NFA.fromRegex(expression, { maxCharacter }))
    }
    case 'not': {
      const inner = refaDfa(set.of)
      inner.complement()
      return inner
    }
    case 'and':
      return set.of.map(refaDfa).reduce((a, b) => DFA.fromIntersection(a, b))
    case 'or': {
      // De Morgan: a ∪ b = ¬(¬a ∩ ¬b).
      const result = set.of
        .map((s) => {
          const d = refaDfa(s)
          d.complement()
          return d
        })
        .reduce((a, b) => DFA.fromIntersection(a, b))
      result.complement()
      return result
    }
  }
}

const ARN_PATTERNS = [
  'arn:aws:iam::111111111111:role/app-*',
  'arn:aws:iam::111111111111:role/*-prod',
  'arn:aws:iam::*:role/*',
  'arn:aws:iam::111111111111:role/app-?rod',
  'arn:aws:s3:::reports/*',
  'arn:aws:s3:::reports/*/q?.csv',
  'arn:aws:s3:::*',
  'arn:aws:s3:::*/*',
  'arn:aws:sqs:*:111111111111:orders*',
  'arn:aws:sqs:eu-*-1:*:*',
  'arn:aws:*:*:111111111111:*',
  'arn:aws:lambda:*:111111111111:function:fn*',
  'arn:aws:lambda:*:111111111111:function:fn:*',
  'arn:*',
  `arn:aws:s3:::home/${variable('aws:username')}/*`,
]

describe('resource sets against refa', () => {
  it('agree on emptiness for 200 random combinations of ARN patterns', () => {
    const rng = seededRandom(31)
    let empty = 0
    for (let i = 0; i < 200; i++) {
      const pick = () => p(rng.pick(ARN_PATTERNS))
      const a = or(...Array.from({ length: 1 + rng.int(3) }, pick))
      const b = or(...Array.from({ length: 1 + rng.int(3) }, pick))
      const c = pick()
      const set = rng.chance(0.5) ? and(a, not(b)) : and(a, c, not(and(b, c)))
      const ours = findMember(set)
      expect(ours.empty).not.toBe('undecided')
      expect(ours.empty === true, show(set)).toBe(refaDfa(set).isEmpty)
      if (ours.empty === true) empty++
      else if (ours.empty === false) expect(member(set, ours.witness)).toBe(true)
    }
    expect(empty).toBeGreaterThan(20)
    expect(empty).toBeLessThan(180)
  })
})
