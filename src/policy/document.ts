/**
 * The IAM policy document model. Documents keep the shape their authors wrote (a scalar or an
 * array per element, a single Statement object or an array, key order), so that a statement
 * rewritten by `prune` reads naturally in a diff. Element names are spelled as AWS spells them.
 *
 * Grammar: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html
 */

/** A string element that IAM accepts either as one value or as a list. */
export type OneOrMany = string | readonly string[]

/** Condition values: strings in the grammar, but JSON booleans and numbers are accepted too. */
export type ConditionValue = string | number | boolean

/** `{ operator: { key: value | values } }`, e.g. `{ StringEquals: { 'aws:RequestedRegion': 'eu-west-1' } }`. */
export type ConditionBlock = Readonly<
  Record<string, Readonly<Record<string, ConditionValue | readonly ConditionValue[]>>>
>

export type Effect = 'Allow' | 'Deny'

/**
 * One statement as written. Exactly one of Action/NotAction and one of Resource/NotResource is
 * present once `parsePolicy` accepted it. Principal/NotPrincipal are tolerated and kept verbatim
 * (they are meaningless in identity policies, which is all scopedown evaluates).
 */
export interface Statement {
  readonly Sid?: string
  readonly Effect: Effect
  readonly Principal?: unknown
  readonly NotPrincipal?: unknown
  readonly Action?: OneOrMany
  readonly NotAction?: OneOrMany
  readonly Resource?: OneOrMany
  readonly NotResource?: OneOrMany
  readonly Condition?: ConditionBlock
}

/**
 * A parsed policy document. `Statement` is a single object when the author wrote one. Documents
 * are treated as immutable everywhere: rewriting returns new objects and reuses untouched
 * statements by reference (so "unchanged" is checkable with `===`).
 */
export interface PolicyDocument {
  readonly Version?: string
  readonly Id?: string
  readonly Statement: readonly Statement[] | Statement
}

/** The two policy-language versions IAM accepts; a missing Version means 2008-10-17. */
export const POLICY_VERSIONS = ['2012-10-17', '2008-10-17'] as const

/** The statements of a document as a list, whatever shape it was written in. */
export function statementsOf(doc: PolicyDocument): readonly Statement[] {
  return Array.isArray(doc.Statement) ? doc.Statement : [doc.Statement as Statement]
}

/** A OneOrMany element as a list (an absent element is an empty list). */
export function listOf(value: OneOrMany | undefined): readonly string[] {
  if (value == null) return []
  return typeof value === 'string' ? [value] : value
}

/**
 * Writes `values` back in the shape of `original`: a scalar stays a scalar when one value is
 * left, otherwise a list.
 */
export function shapedLike(original: OneOrMany | undefined, values: readonly string[]): OneOrMany {
  if (typeof original === 'string' && values.length === 1) return values[0] as string
  return [...values]
}

/** Whether the statement has a non-empty Condition block (whose outcome logs cannot tell). */
export function isConditional(statement: Statement): boolean {
  const block = statement.Condition
  if (block == null) return false
  return Object.values(block).some((keys) => Object.keys(keys).length > 0)
}

/** Whether a statement is exempt from rewriting because of its Sid (repokid's NOREPO idea). */
export function isProtected(statement: Statement, protectedSidPrefix: string | undefined): boolean {
  return (
    protectedSidPrefix != null &&
    protectedSidPrefix !== '' &&
    statement.Sid?.startsWith(protectedSidPrefix) === true
  )
}

/**
 * A copy of `statement` with some elements replaced (or removed with `undefined`), keeping the
 * original key order. `rename` moves a value to a new key in the old key's place, which is how
 * NotAction becomes Action without jumping to the end of the statement.
 */
export function rewriteStatement(
  statement: Statement,
  replace: Partial<Record<keyof Statement, unknown>>,
  rename: Partial<Record<keyof Statement, keyof Statement>> = {},
): Statement {
  const out: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(statement)) {
    const target = rename[key as keyof Statement] ?? key
    const next = key in replace ? replace[key as keyof Statement] : value
    if (next !== undefined) out[target] = next
  }
  for (const [key, value] of Object.entries(replace)) {
    if (!(key in statement) && value !== undefined) out[key] = value
  }
  return out as unknown as Statement
}

/** A copy of `doc` with new statements, keeping the single-object shape when one is left. */
export function withStatements(
  doc: PolicyDocument,
  statements: readonly Statement[],
): PolicyDocument {
  const single = !Array.isArray(doc.Statement) && statements.length === 1
  const out: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(doc)) {
    out[key] = key === 'Statement' ? (single ? statements[0] : [...statements]) : value
  }
  return out as unknown as PolicyDocument
}

/** The parts of a condition operator: `ForAnyValue:StringLikeIfExists` → set, base, ifExists. */
export interface ConditionOperator {
  set?: 'ForAllValues' | 'ForAnyValue'
  base: string
  ifExists: boolean
}

/** Condition operators IAM knows (without the IfExists suffix and set prefixes). */
export const CONDITION_OPERATORS: ReadonlySet<string> = new Set([
  'StringEquals',
  'StringNotEquals',
  'StringEqualsIgnoreCase',
  'StringNotEqualsIgnoreCase',
  'StringLike',
  'StringNotLike',
  'NumericEquals',
  'NumericNotEquals',
  'NumericLessThan',
  'NumericLessThanEquals',
  'NumericGreaterThan',
  'NumericGreaterThanEquals',
  'DateEquals',
  'DateNotEquals',
  'DateLessThan',
  'DateLessThanEquals',
  'DateGreaterThan',
  'DateGreaterThanEquals',
  'Bool',
  'BinaryEquals',
  'IpAddress',
  'NotIpAddress',
  'ArnEquals',
  'ArnNotEquals',
  'ArnLike',
  'ArnNotLike',
  'Null',
])

/** Splits an operator into its parts, or returns undefined when IAM would reject it. */
export function parseConditionOperator(operator: string): ConditionOperator | undefined {
  let rest = operator
  let set: ConditionOperator['set']
  for (const prefix of ['ForAllValues', 'ForAnyValue'] as const) {
    if (rest.startsWith(`${prefix}:`)) {
      set = prefix
      rest = rest.slice(prefix.length + 1)
    }
  }
  // `Null` takes no IfExists suffix (IAM docs, "...IfExists condition operators").
  const ifExists = rest.endsWith('IfExists') && rest !== 'IfExists'
  const base = ifExists ? rest.slice(0, -'IfExists'.length) : rest
  if (!CONDITION_OPERATORS.has(base) || (ifExists && base === 'Null')) return undefined
  return set ? { set, base, ifExists } : { base, ifExists }
}
