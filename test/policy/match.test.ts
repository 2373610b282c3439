import { describe, expect, it } from 'vitest'
import {
  actionMatches,
  compileActionPatterns,
  expandActions,
  hasPolicyVariable,
  resourceMatch,
  statementActions,
  statementResourceMatch,
} from '../../src/policy/match.js'
import { smallCatalog, variable } from './support.js'

describe('action patterns', () => {
  it.each([
    { pattern: 's3:GetObject', action: 's3:GetObject', expected: true },
    { pattern: 'S3:getobject', action: 's3:GetObject', expected: true },
    { pattern: 's3:Get*', action: 's3:GetObjectAcl', expected: true },
    { pattern: 's3:Get*', action: 's3:PutObject', expected: false },
    { pattern: 's3:*Object', action: 's3:PutObject', expected: true },
    { pattern: 's3:Get?bject', action: 's3:GetObject', expected: true },
    { pattern: 's3:Get?bject', action: 's3:GetObjectAcl', expected: false },
    { pattern: '*', action: 'anything:AtAll', expected: true },
    { pattern: 's3*:*', action: 's3express:CreateSession', expected: true },
    { pattern: 's3:GetObject', action: 's3:GetObjectAcl', expected: false },
    { pattern: 'sqs:Get.*', action: 'sqs:GetXAttributes', expected: false },
  ])('$pattern vs $action → $expected', ({ pattern, action, expected }) => {
    expect(actionMatches(pattern, action)).toBe(expected)
    expect(compileActionPatterns([pattern])(action)).toBe(expected)
  })

  it('compiled lists match if any pattern matches, across services', () => {
    const test = compileActionPatterns(['s3:GetObject', 'sqs:Send*', '*:List*'])
    expect(['s3:getobject', 'sqs:SendMessage', 'iam:ListRoles'].map(test)).toEqual([
      true,
      true,
      true,
    ])
    expect(['s3:PutObject', 'sqs:ReceiveMessage'].map(test)).toEqual([false, false])
  })
})

describe('resource patterns', () => {
  const queue = 'arn:aws:sqs:eu-west-1:111111111111:orders'
  const object = 'arn:aws:s3:::reports/2026/q1.csv'
  const alias = 'arn:aws:lambda:eu-west-1:111111111111:function:fn:prod'
  it.each([
    { pattern: '*', resource: queue, expected: 'yes' },
    { pattern: '*', resource: '*', expected: 'yes' },
    { pattern: queue, resource: queue, expected: 'yes' },
    { pattern: 'arn:aws:sqs:*:111111111111:orders', resource: queue, expected: 'yes' },
    { pattern: 'arn:aws:sqs:eu-*-1:111111111111:orders', resource: queue, expected: 'yes' },
    { pattern: 'arn:aws:sqs:eu-west-?:111111111111:ord?rs', resource: queue, expected: 'yes' },
    { pattern: 'arn:aws:s3:::reports/*', resource: object, expected: 'yes' },
    { pattern: 'arn:aws:s3:::reports/*/q?.csv', resource: object, expected: 'yes' },
    { pattern: 'arn:aws:s3:::Reports/*', resource: object, expected: 'no' },
    { pattern: 'arn:aws:s3:::reports', resource: object, expected: 'no' },
    { pattern: 'arn:aws:s3:::reports/*', resource: '*', expected: 'no' },
    // A `*` ending a segment may run past colons (IAM docs), so short ARNs cover longer ones.
    { pattern: 'arn:aws:sqs:*', resource: queue, expected: 'yes' },
    { pattern: 'arn:aws:lambda:*:111111111111:function:fn', resource: alias, expected: 'no' },
    { pattern: 'arn:aws:lambda:*:111111111111:function:fn*', resource: alias, expected: 'yes' },
    // A `*` inside one of the first five segments stays within it.
    { pattern: 'arn:aws:sqs:eu*1:orders', resource: queue, expected: 'no' },
    // Policy variables cannot be resolved from logs.
    {
      pattern: `arn:aws:s3:::home/${variable('aws:username')}/*`,
      resource: 'arn:aws:s3:::home/ana/x',
      expected: 'maybe',
    },
    {
      pattern: `arn:aws:s3:::home/${variable('aws:username')}/*`,
      resource: 'arn:aws:s3:::work/ana/x',
      expected: 'no',
    },
    // ${*} ${?} ${$} are literal characters.
    {
      pattern: `arn:aws:s3:::odd/${variable('*')}${variable('?')}${variable('$')}`,
      resource: 'arn:aws:s3:::odd/*?$',
      expected: 'yes',
    },
    {
      pattern: `arn:aws:s3:::odd/${variable('*')}`,
      resource: 'arn:aws:s3:::odd/x',
      expected: 'no',
    },
  ])('$pattern vs $resource → $expected', ({ pattern, resource, expected }) => {
    expect(resourceMatch(pattern, resource)).toBe(expected)
  })

  it('detects policy variables but not literal escapes', () => {
    expect(hasPolicyVariable(`arn:aws:s3:::home/${variable("aws:PrincipalTag/team, 'x'")}/*`)).toBe(
      true,
    )
    expect(hasPolicyVariable(`arn:aws:s3:::odd/${variable('*')}`)).toBe(false)
  })

  it.each([
    {
      Resource: ['arn:aws:s3:::a/*', 'arn:aws:s3:::b/*'],
      resource: 'arn:aws:s3:::b/x',
      expected: 'yes',
    },
    { NotResource: 'arn:aws:s3:::a/*', resource: 'arn:aws:s3:::b/x', expected: 'yes' },
    { NotResource: 'arn:aws:s3:::a/*', resource: 'arn:aws:s3:::a/x', expected: 'no' },
    {
      NotResource: `arn:aws:s3:::${variable('aws:username')}/*`,
      resource: 'arn:aws:s3:::a/x',
      expected: 'maybe',
    },
    { NotResource: 'arn:aws:s3:::a/*', resource: '*', expected: 'yes' },
  ])('statement resources: %o', ({ resource, expected, ...element }) => {
    expect(statementResourceMatch({ Effect: 'Allow', Action: '*', ...element }, resource)).toBe(
      expected,
    )
  })
})

describe('expansion against the catalog', () => {
  const catalog = smallCatalog()

  it('expands patterns and reports the ones matching nothing, never dropping them', () => {
    expect(expandActions(['s3:GetObject*', 'nosuch:Thing', 's3:Nope*'], catalog)).toEqual({
      actions: ['s3:GetObject', 's3:GetObjectAcl', 's3:GetObjectTagging'],
      unknown: ['nosuch:Thing', 's3:Nope*'],
    })
  })

  it('expands NotAction to every catalog action it does not name', () => {
    const expanded = statementActions(
      { Effect: 'Allow', NotAction: ['s3:*', 'iam:*'], Resource: '*' },
      catalog,
    )
    expect(expanded.actions).toEqual([
      'sqs:DeleteMessage',
      'sqs:ListQueues',
      'sqs:ReceiveMessage',
      'sqs:SendMessage',
    ])
  })
})
