import { describe, expect, it } from 'vitest'
import { type PolicyDocument, statementsOf } from '../../src/policy/document.js'
import { parsePolicy } from '../../src/policy/parse.js'
import { prune } from '../../src/policy/prune.js'
import { allow, deny, fixture, policy, smallCatalog } from './support.js'

const catalog = smallCatalog()
const opts = { protectedSidPrefix: 'ScopedownKeep' }

function statements(doc: PolicyDocument | null) {
  return doc ? statementsOf(doc) : []
}

describe('prune: statement by statement', () => {
  it.each([
    {
      name: 'an exact list keeps its kept actions, in place',
      input: {
        Sid: 'Rw',
        Effect: 'Allow',
        Action: ['s3:PutObject', 's3:GetObject'],
        Resource: '*',
      },
      keep: ['s3:GetObject'],
      expected: { Sid: 'Rw', Effect: 'Allow', Action: ['s3:GetObject'], Resource: '*' },
    },
    {
      name: 'a scalar stays a scalar',
      input: { Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::b/*' },
      keep: ['s3:GetObject'],
      expected: { Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::b/*' },
    },
    {
      name: 's3:* becomes an exact list, with word wildcards only where all is kept',
      input: { Effect: 'Allow', Action: 's3:*', Resource: '*' },
      keep: ['s3:GetObject', 's3:GetObjectAcl', 's3:GetObjectTagging', 's3:PutObject'],
      expected: { Effect: 'Allow', Action: ['s3:GetObject*', 's3:PutObject'], Resource: '*' },
    },
    {
      name: 'a wholly kept wildcard stays as written; the rest is sorted',
      input: { Effect: 'Allow', Action: ['sqs:*', 's3:GetObject*'], Resource: '*' },
      keep: ['s3:GetObject', 's3:GetObjectAcl', 's3:GetObjectTagging', 'sqs:SendMessage'],
      expected: { Effect: 'Allow', Action: ['s3:GetObject*', 'sqs:SendMessage'], Resource: '*' },
    },
    {
      name: '* becomes the kept actions',
      input: { Effect: 'Allow', Action: '*', Resource: '*' },
      keep: ['iam:PassRole', 'sqs:SendMessage'],
      expected: { Effect: 'Allow', Action: ['iam:PassRole', 'sqs:SendMessage'], Resource: '*' },
    },
    {
      name: 'Resource and Condition are kept',
      input: {
        Effect: 'Allow',
        Action: ['sqs:*'],
        Resource: 'arn:aws:sqs:eu-west-1:111111111111:orders',
        Condition: { Bool: { 'aws:SecureTransport': 'true' } },
      },
      keep: ['sqs:ReceiveMessage'],
      expected: {
        Effect: 'Allow',
        Action: ['sqs:ReceiveMessage'],
        Resource: 'arn:aws:sqs:eu-west-1:111111111111:orders',
        Condition: { Bool: { 'aws:SecureTransport': 'true' } },
      },
    },
    {
      name: 'NotAction becomes Action in the same place',
      input: { Effect: 'Allow', NotAction: ['iam:*', 's3:*'], Resource: '*', Sid: 'Ops' },
      keep: ['sqs:SendMessage', 'iam:PassRole'],
      expected: { Effect: 'Allow', Action: ['sqs:SendMessage'], Resource: '*', Sid: 'Ops' },
    },
    {
      name: 'an unknown action is kept verbatim',
      input: {
        Effect: 'Allow',
        Action: ['s3:PutObject', 'newsvc:DoThing', 's3:Nope*'],
        Resource: '*',
      },
      keep: [],
      expected: { Effect: 'Allow', Action: ['newsvc:DoThing', 's3:Nope*'], Resource: '*' },
    },
  ])('$name', ({ input, keep, expected }) => {
    const result = prune(policy(input as never), keep, catalog, opts)
    const [only, ...rest] = statements(result.document)
    expect(rest).toEqual([])
    expect(only).toEqual(expected)
    expect(Object.keys(only ?? {})).toEqual(Object.keys(expected))
  })

  it('leaves Deny statements and protected Sids as the same objects', () => {
    const doc = policy(
      { Sid: 'ScopedownKeepAll', Effect: 'Allow', Action: 's3:*', Resource: '*' },
      deny('s3:DeleteObject'),
      allow('s3:*'),
    )
    const result = prune(doc, ['s3:GetObject'], catalog, opts)
    const [kept, denied, pruned] = statements(result.document)
    expect(kept).toBe(statementsOf(doc)[0])
    expect(denied).toBe(statementsOf(doc)[1])
    expect(pruned?.Action).toBe('s3:GetObject')
    expect(result.statements.map((s) => s.outcome)).toEqual(['protected', 'deny', 'pruned'])
  })

  it('removes statements left with nothing, and returns null for an empty document', () => {
    const doc = policy(allow('sqs:*'), allow(['s3:GetObject', 's3:PutObject']))
    const some = prune(doc, ['s3:GetObject'], catalog)
    expect(statements(some.document)).toEqual([allow(['s3:GetObject'])])
    expect(some.statements.map((s) => [s.outcome, s.into])).toEqual([
      ['removed', []],
      ['pruned', [0]],
    ])
    expect(some.removed).toEqual([
      's3:PutObject',
      'sqs:DeleteMessage',
      'sqs:ListQueues',
      'sqs:ReceiveMessage',
      'sqs:SendMessage',
    ])
    expect(prune(doc, [], catalog).document).toBeNull()
  })

  it('returns the same document when nothing is removed', () => {
    const doc = parsePolicy(fixture('single-statement-object.json'))
    const all = catalog.actions('s3').map((a) => a.action)
    const result = prune(doc, all, catalog)
    expect(result.document).toBe(doc)
    expect(result.removed).toEqual([])
  })

  it('keeps a single Statement object and the document keys', () => {
    const doc = parsePolicy(fixture('single-statement-object.json'))
    const result = prune(doc, ['s3:GetObject'], catalog)
    expect(JSON.stringify(result.document)).toBe(
      JSON.stringify({
        Version: '2008-10-17',
        Statement: {
          Sid: 'ReadReports',
          Effect: 'Allow',
          Action: 's3:GetObject',
          Resource: 'arn:aws:s3:::reports/*',
        },
      }),
    )
  })

  it('reports unknown patterns and NotAction rewrites in notes', () => {
    const doc = parsePolicy(fixture('notaction-admin.json'))
    const result = prune(doc, ['s3:GetObject'], catalog)
    expect(JSON.stringify(statements(result.document)[0])).toBe(
      '{"Sid":"AlmostAdmin","Effect":"Allow","Action":["s3:GetObject"],"Resource":"*"}',
    )
    expect(statements(result.document)[1]).toBe(statementsOf(doc)[1])
    expect(result.notes).toEqual([
      'Statement[0] (Sid AlmostAdmin): NotAction rewritten as an explicit Action list',
    ])
    const unknown = prune(policy(allow(['x:Y', 's3:PutObject'])), [], catalog)
    expect(unknown.unknown).toEqual([{ pattern: 'x:Y', statement: 0 }])
  })

  it('is deterministic: the same input gives the same text', () => {
    const doc = policy(allow(['sqs:*', 's3:*']), allow('*', 'arn:aws:s3:::b/*'))
    const keep = ['sqs:SendMessage', 's3:GetObject', 's3:PutObject', 'iam:GetRole']
    const a = JSON.stringify(prune(doc, keep, catalog))
    const b = JSON.stringify(prune(doc, [...keep].reverse(), catalog))
    expect(a).toBe(b)
  })
})

describe('prune: resource narrowing (off by default)', () => {
  const bucket = 'arn:aws:s3:::reports/*'
  const doc = policy({
    Sid: 'Reports',
    Effect: 'Allow',
    Action: ['s3:GetObject', 's3:PutObject', 's3:ListAllMyBuckets'],
    Resource: bucket,
  })
  const keep = ['s3:GetObject', 's3:PutObject', 's3:ListAllMyBuckets']

  it('narrows only actions observed on ARNs the statement already covers', () => {
    const resources = new Map([
      ['s3:GetObject', ['arn:aws:s3:::reports/q2.csv', 'arn:aws:s3:::reports/q1.csv']],
      ['s3:PutObject', ['arn:aws:s3:::elsewhere/x']],
      ['s3:ListAllMyBuckets', ['arn:aws:s3:::reports/q1.csv']],
    ])
    const result = prune(doc, keep, catalog, { narrow: { resources } })
    expect(statements(result.document)).toEqual([
      {
        Sid: 'Reports',
        Effect: 'Allow',
        Action: ['s3:ListAllMyBuckets', 's3:PutObject'],
        Resource: bucket,
      },
      {
        Sid: 'ReportsNarrowed1',
        Effect: 'Allow',
        Action: ['s3:GetObject'],
        Resource: ['arn:aws:s3:::reports/q1.csv', 'arn:aws:s3:::reports/q2.csv'],
      },
    ])
    expect(result.statements[0]?.outcome).toBe('narrowed')
    expect(result.removed).toEqual([])
  })

  it('does nothing without the option, or with wildcards or too many ARNs', () => {
    expect(prune(doc, keep, catalog).document).toBe(doc)
    const wildcard = new Map([['s3:GetObject', ['arn:aws:s3:::reports/*']]])
    expect(prune(doc, keep, catalog, { narrow: { resources: wildcard } }).document).toBe(doc)
    const many = new Map([
      ['s3:GetObject', ['a', 'b', 'c'].map((k) => `arn:aws:s3:::reports/${k}`)],
    ])
    const capped = prune(doc, keep, catalog, { narrow: { resources: many, maxResources: 2 } })
    expect(capped.document).toBe(doc)
  })

  it('narrows in place when every action narrows to the same ARNs', () => {
    const single = policy(allow('s3:GetObject', bucket))
    const resources = new Map([['s3:getobject', ['arn:aws:s3:::reports/a']]])
    const result = prune(single, ['s3:GetObject'], catalog, { narrow: { resources } })
    expect(statements(result.document)).toEqual([allow('s3:GetObject', 'arn:aws:s3:::reports/a')])
  })
})
