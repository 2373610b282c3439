import { ScopedownError } from '../util/errors.js'
import {
  type ConditionValue,
  POLICY_VERSIONS,
  type PolicyDocument,
  parseConditionOperator,
  type Statement,
} from './document.js'

/** One problem found in a policy, located by a JSON path such as `Statement[2].Effect`. */
export interface PolicyIssue {
  path: string
  message: string
}

/** What `checkPolicy` found: a document, or every issue (never just the first). */
export type PolicyCheck =
  | { ok: true; document: PolicyDocument }
  | { ok: false; issues: readonly PolicyIssue[] }

const DOCUMENT_KEYS = new Set(['Version', 'Id', 'Statement'])
const STATEMENT_KEYS = new Set([
  'Sid',
  'Effect',
  'Principal',
  'NotPrincipal',
  'Action',
  'NotAction',
  'Resource',
  'NotResource',
  'Condition',
])

type Json = Record<string, unknown>

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/**
 * Validates IAM policy JSON (an object, or the JSON text of one) and returns it as a
 * PolicyDocument, or every issue found. Non-throwing twin of {@link parsePolicy}.
 */
export function checkPolicy(json: unknown): PolicyCheck {
  let value = json
  if (typeof json === 'string') {
    try {
      value = JSON.parse(json)
    } catch (cause) {
      return {
        ok: false,
        issues: [{ path: '$', message: `not JSON (${(cause as Error).message})` }],
      }
    }
  }
  const issues: PolicyIssue[] = []
  if (!isObject(value)) {
    return { ok: false, issues: [{ path: '$', message: 'expected a JSON object' }] }
  }
  for (const key of Object.keys(value)) {
    if (!DOCUMENT_KEYS.has(key)) issues.push({ path: key, message: 'unknown policy element' })
  }
  const version = value.Version
  if (version !== undefined && !POLICY_VERSIONS.includes(version as never)) {
    issues.push({ path: 'Version', message: `expected ${POLICY_VERSIONS.map(quote).join(' or ')}` })
  }
  if (value.Id !== undefined && typeof value.Id !== 'string') {
    issues.push({ path: 'Id', message: 'expected a string' })
  }
  const statement = value.Statement
  if (statement === undefined) {
    issues.push({ path: 'Statement', message: 'missing' })
  } else if (Array.isArray(statement)) {
    statement.forEach((s, i) => {
      checkStatement(s, `Statement[${i}]`, issues)
    })
  } else {
    checkStatement(statement, 'Statement', issues)
  }
  if (issues.length > 0) return { ok: false, issues }
  // A frozen copy: evaluation caches compiled documents by identity, so they must not change.
  return { ok: true, document: deepFreeze(structuredClone(value)) as unknown as PolicyDocument }
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const child of Object.values(value)) deepFreeze(child)
    Object.freeze(value)
  }
  return value
}

/**
 * Parses IAM policy JSON in any legal shape. Throws ScopedownError('POLICY_INVALID') listing
 * every issue with its JSON path, prefixed with `label` (a file path or Terraform address) when
 * given. The returned document is a deep-frozen copy, with the input's key order and shapes.
 */
export function parsePolicy(json: unknown, options: { label?: string } = {}): PolicyDocument {
  const result = checkPolicy(json)
  if (result.ok) return result.document
  const where = options.label ? `${options.label}: ` : ''
  const count = result.issues.length
  const lines = result.issues.map((issue) => `  ${issue.path}: ${issue.message}`)
  throw new ScopedownError(
    'POLICY_INVALID',
    `${where}invalid IAM policy (${count} problem${count === 1 ? '' : 's'})\n${lines.join('\n')}`,
    { hint: 'fix the policy so that IAM would accept it, or exclude this file from the run' },
  )
}

function quote(text: string): string {
  return JSON.stringify(text)
}

function checkStatement(value: unknown, path: string, issues: PolicyIssue[]): void {
  if (!isObject(value)) {
    issues.push({ path, message: 'expected a statement object' })
    return
  }
  for (const key of Object.keys(value)) {
    if (!STATEMENT_KEYS.has(key))
      issues.push({ path: `${path}.${key}`, message: 'unknown element' })
  }
  if (value.Sid !== undefined && typeof value.Sid !== 'string') {
    issues.push({ path: `${path}.Sid`, message: 'expected a string' })
  }
  if (value.Effect !== 'Allow' && value.Effect !== 'Deny') {
    issues.push({ path: `${path}.Effect`, message: 'expected "Allow" or "Deny"' })
  }
  checkPair(value, path, 'Action', 'NotAction', checkAction, issues)
  checkPair(value, path, 'Resource', 'NotResource', checkResource, issues)
  for (const key of ['Principal', 'NotPrincipal'] as const) {
    const principal = value[key]
    if (principal !== undefined && principal !== '*' && !isObject(principal)) {
      issues.push({ path: `${path}.${key}`, message: 'expected "*" or an object' })
    }
  }
  if (value.Condition !== undefined) checkCondition(value.Condition, `${path}.Condition`, issues)
}

/** Exactly one of `key`/`notKey` must be present, as a string or a non-empty list of strings. */
function checkPair(
  statement: Json,
  path: string,
  key: keyof Statement,
  notKey: keyof Statement,
  checkValue: (value: string) => string | undefined,
  issues: PolicyIssue[],
): void {
  const has = statement[key] !== undefined
  const hasNot = statement[notKey] !== undefined
  if (has && hasNot) {
    issues.push({ path, message: `has both ${key} and ${notKey}; IAM allows only one` })
  } else if (!has && !hasNot) {
    issues.push({ path, message: `missing ${key} (or ${notKey})` })
  }
  for (const name of [key, notKey]) {
    const element = statement[name]
    if (element === undefined) continue
    const values = typeof element === 'string' ? [element] : element
    if (!Array.isArray(values) || values.length === 0) {
      issues.push({ path: `${path}.${name}`, message: 'expected a string or a non-empty list' })
      continue
    }
    const single = typeof element === 'string'
    values.forEach((item: unknown, i) => {
      const at = single ? `${path}.${name}` : `${path}.${name}[${i}]`
      if (typeof item !== 'string') issues.push({ path: at, message: 'expected a string' })
      else {
        const problem = checkValue(item)
        if (problem) issues.push({ path: at, message: problem })
      }
    })
  }
}

function checkAction(action: string): string | undefined {
  if (action === '*') return undefined
  const colon = action.indexOf(':')
  if (colon <= 0 || colon === action.length - 1 || action.indexOf(':', colon + 1) !== -1) {
    return `expected "service:Action" or "*", got ${quote(action)}`
  }
  if (/\s/.test(action)) return `unexpected whitespace in ${quote(action)}`
  return undefined
}

function checkResource(resource: string): string | undefined {
  if (resource === '*' || resource.startsWith('arn:')) return undefined
  return `expected "*" or an ARN, got ${quote(resource)}`
}

function isConditionValue(value: unknown): value is ConditionValue {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean'
}

function checkCondition(block: unknown, path: string, issues: PolicyIssue[]): void {
  if (!isObject(block)) {
    issues.push({ path, message: 'expected an object of operator -> key -> values' })
    return
  }
  for (const [operator, keys] of Object.entries(block)) {
    const at = `${path}.${operator}`
    if (!parseConditionOperator(operator)) {
      issues.push({ path: at, message: 'unknown condition operator' })
    }
    if (!isObject(keys)) {
      issues.push({ path: at, message: 'expected an object of condition key -> values' })
      continue
    }
    for (const [key, values] of Object.entries(keys)) {
      const ok = Array.isArray(values) ? values.every(isConditionValue) : isConditionValue(values)
      if (!ok)
        issues.push({ path: `${at}.${key}`, message: 'expected a value or a list of values' })
    }
  }
}
