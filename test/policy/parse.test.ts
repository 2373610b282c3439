import { describe, expect, it } from 'vitest'
import {
  listOf,
  parseConditionOperator,
  rewriteStatement,
  statementsOf,
  withStatements,
} from '../../src/policy/document.js'
import { checkPolicy, parsePolicy } from '../../src/policy/parse.js'
import { ScopedownError } from '../../src/util/errors.js'
import { fixture } from './support.js'

describe('parsePolicy: legal shapes', () => {
  it.each([
    'single-statement-object.json',
    'notaction-admin.json',
    'mixed-shapes.json',
    'protected-sid.json',
  ])('accepts %s and keeps its shape and key order', (name) => {
    const json = fixture(name)
    const doc = parsePolicy(json)
    expect(JSON.stringify(doc)).toBe(JSON.stringify(json))
  })

  it('keeps a single Statement object as an object, and scalars as scalars', () => {
    const doc = parsePolicy(fixture('single-statement-object.json'))
    expect(Array.isArray(doc.Statement)).toBe(false)
    expect(statementsOf(doc)).toHaveLength(1)
    expect(statementsOf(doc)[0]?.Action).toBe('s3:*')
    expect(doc.Version).toBe('2008-10-17')
  })

  it('accepts a missing Version, Principal, NotResource and condition values of every JSON type', () => {
    const doc = parsePolicy(fixture('mixed-shapes.json'))
    expect(doc.Version).toBeUndefined()
    const [first, , last] = statementsOf(doc)
    expect(first?.Condition?.Bool?.['aws:SecureTransport']).toBe(true)
    expect(first?.Condition?.NumericLessThan?.['aws:MultiFactorAuthAge']).toBe(3600)
    expect(last?.Principal).toBe('*')
    expect(listOf(last?.NotResource)).toEqual(['arn:aws:s3:::reports/*'])
  })

  it('parses JSON text and returns a frozen copy', () => {
    const text = JSON.stringify(fixture('protected-sid.json'))
    const doc = parsePolicy(text)
    expect(Object.isFrozen(doc)).toBe(true)
    expect(Object.isFrozen(statementsOf(doc)[0])).toBe(true)
  })
})

describe('parsePolicy: errors', () => {
  it('collects every issue with its JSON path', () => {
    const result = checkPolicy(fixture('invalid-many-problems.json'))
    expect(result.ok).toBe(false)
    if (result.ok) return
    expect(result.issues).toEqual([
      { path: 'Version', message: 'expected "2012-10-17" or "2008-10-17"' },
      { path: 'Statement[1].Effect', message: 'expected "Allow" or "Deny"' },
      { path: 'Statement[1].Action[1]', message: 'expected a string' },
      { path: 'Statement[1].Resource', message: 'expected "*" or an ARN, got "bucket"' },
      { path: 'Statement[2]', message: 'has both Action and NotAction; IAM allows only one' },
      { path: 'Statement[2]', message: 'missing Resource (or NotResource)' },
      { path: 'Statement[3].Extra', message: 'unknown element' },
      { path: 'Statement[3].Action', message: 'expected a string or a non-empty list' },
      { path: 'Statement[3].Condition.StringEqualz', message: 'unknown condition operator' },
    ])
  })

  it('throws POLICY_INVALID naming the label and each path', () => {
    let error: unknown
    try {
      parsePolicy(fixture('invalid-many-problems.json'), { label: 'iam/app.json' })
    } catch (e) {
      error = e
    }
    expect(error).toBeInstanceOf(ScopedownError)
    const e = error as ScopedownError
    expect(e.code).toBe('POLICY_INVALID')
    expect(e.message).toMatch(/^iam\/app\.json: invalid IAM policy \(9 problems\)/)
    expect(e.message).toContain('Statement[1].Effect: expected "Allow" or "Deny"')
    expect(e.hint).toBeTruthy()
  })

  it.each([
    { name: 'not an object', input: [], path: '$' },
    { name: 'not JSON text', input: '{"Statement": ', path: '$' },
    { name: 'no Statement', input: { Version: '2012-10-17' }, path: 'Statement' },
    { name: 'a statement that is a string', input: { Statement: ['x'] }, path: 'Statement[0]' },
    {
      name: 'an action without a service',
      input: { Statement: { Effect: 'Allow', Action: 'GetObject', Resource: '*' } },
      path: 'Statement.Action',
    },
    {
      name: 'a Condition that is a list',
      input: { Statement: { Effect: 'Allow', Action: 's3:Get*', Resource: '*', Condition: [] } },
      path: 'Statement.Condition',
    },
    {
      name: 'a condition value that is an object',
      input: {
        Statement: {
          Effect: 'Deny',
          Action: '*',
          Resource: '*',
          Condition: { Null: { 'aws:TokenIssueTime': { x: 1 } } },
        },
      },
      path: 'Statement.Condition.Null.aws:TokenIssueTime',
    },
  ])('rejects $name at $path', ({ input, path }) => {
    const result = checkPolicy(input)
    expect(result.ok).toBe(false)
    if (!result.ok) expect(result.issues.map((i) => i.path)).toContain(path)
  })
})

describe('condition operators', () => {
  it.each([
    ['StringEquals', { base: 'StringEquals', ifExists: false }],
    ['StringLikeIfExists', { base: 'StringLike', ifExists: true }],
    ['ForAllValues:StringEquals', { set: 'ForAllValues', base: 'StringEquals', ifExists: false }],
    ['ForAnyValue:ArnLikeIfExists', { set: 'ForAnyValue', base: 'ArnLike', ifExists: true }],
    ['Null', { base: 'Null', ifExists: false }],
  ])('%s', (operator, expected) => {
    expect(parseConditionOperator(operator)).toEqual(expected)
  })

  it.each(['StringEqualz', 'NullIfExists', 'ForSomeValues:StringEquals', 'IfExists'])(
    'rejects %s',
    (operator) => {
      expect(parseConditionOperator(operator)).toBeUndefined()
    },
  )
})

describe('rewriting helpers', () => {
  it('renames a key in place and keeps the others in order', () => {
    const statement = statementsOf(parsePolicy(fixture('notaction-admin.json')))[0]
    if (!statement) throw new Error('fixture changed')
    const next = rewriteStatement(
      statement,
      { NotAction: ['s3:GetObject'] },
      { NotAction: 'Action' },
    )
    expect(Object.keys(next)).toEqual(['Sid', 'Effect', 'Action', 'Resource'])
    expect(next.Action).toEqual(['s3:GetObject'])
  })

  it('keeps a single statement object when one statement is left', () => {
    const doc = parsePolicy(fixture('single-statement-object.json'))
    const statement = statementsOf(doc)[0]
    if (!statement) throw new Error('fixture changed')
    expect(Array.isArray(withStatements(doc, [statement]).Statement)).toBe(false)
    expect(Array.isArray(withStatements(doc, [statement, statement]).Statement)).toBe(true)
  })
})
