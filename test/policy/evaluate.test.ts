import { describe, expect, it } from 'vitest'
import { evaluate, mayAllow, type PolicySet, surelyAllows } from '../../src/policy/evaluate.js'
import { parsePolicy } from '../../src/policy/parse.js'
import { allow, deny, policy, variable } from './support.js'

const OBJECT = 'arn:aws:s3:::reports/q1.csv'
const read = { action: 's3:GetObject', resource: OBJECT }

const conditional = (effect: 'Allow' | 'Deny', action: string) =>
  policy({
    Effect: effect,
    Action: action,
    Resource: '*',
    Condition: { StringEquals: { 'aws:RequestedRegion': 'eu-west-1' } },
  })

describe('evaluate: IAM rules without conditions', () => {
  it.each<{ name: string; set: PolicySet; expected: object }>([
    { name: 'nothing allows', set: { identity: [] }, expected: { decision: 'implicit-deny' } },
    {
      name: 'an identity Allow',
      set: { identity: [policy(allow('s3:Get*'))] },
      expected: { decision: 'allow' },
    },
    {
      name: 'an Allow on another resource',
      set: { identity: [policy(allow('s3:GetObject', 'arn:aws:s3:::other/*'))] },
      expected: { decision: 'implicit-deny' },
    },
    {
      name: 'a Deny in another policy wins',
      set: {
        identity: [policy(allow('*')), policy(deny('s3:GetObject', 'arn:aws:s3:::reports/*'))],
      },
      expected: { decision: 'explicit-deny' },
    },
    {
      name: 'NotAction allows what it does not name',
      set: { identity: [policy({ Effect: 'Allow', NotAction: 'iam:*', Resource: '*' })] },
      expected: { decision: 'allow' },
    },
    {
      name: 'NotAction does not allow what it names',
      set: { identity: [policy({ Effect: 'Allow', NotAction: 's3:*', Resource: '*' })] },
      expected: { decision: 'implicit-deny' },
    },
    {
      name: 'Deny with NotResource denies everything else',
      set: {
        identity: [
          policy(allow('*'), { Effect: 'Deny', Action: '*', NotResource: 'arn:aws:s3:::public/*' }),
        ],
      },
      expected: { decision: 'explicit-deny' },
    },
    {
      name: 'the boundary must also allow',
      set: { identity: [policy(allow('*'))], boundary: policy(allow('sqs:*')) },
      expected: { decision: 'implicit-deny', byBoundary: true },
    },
    {
      name: 'a boundary Deny is an explicit deny',
      set: { identity: [policy(allow('*'))], boundary: policy(allow('*'), deny('s3:Get*')) },
      expected: { decision: 'explicit-deny', byBoundary: true },
    },
    {
      name: 'a boundary allow alone grants nothing',
      set: { identity: [], boundary: policy(allow('*')) },
      expected: { decision: 'implicit-deny' },
    },
    {
      name: 'every OU level must allow',
      set: {
        identity: [policy(allow('*'))],
        scps: [[policy(allow('*'))], [policy(allow('sqs:*')), policy(allow('iam:*'))]],
      },
      expected: { decision: 'implicit-deny', bySCP: { level: 1 } },
    },
    {
      name: 'an allow at each level, from any policy at that level',
      set: {
        identity: [policy(allow('s3:GetObject'))],
        scps: [[policy(allow('*'))], [policy(allow('sqs:*')), policy(allow('s3:*'))]],
      },
      expected: { decision: 'allow' },
    },
    {
      name: 'an SCP Deny is an explicit deny',
      set: { identity: [policy(allow('*'))], scps: [[policy(allow('*'), deny('s3:*'))]] },
      expected: { decision: 'explicit-deny', bySCP: { level: 0 } },
    },
    {
      name: 'an empty SCP list means no SCPs',
      set: { identity: [policy(allow('*'))], scps: [] },
      expected: { decision: 'allow' },
    },
  ])('$name', ({ set, expected }) => {
    const result = evaluate(read, set)
    expect(result).toEqual({ permissive: result.decision, ...expected })
  })

  it('wildcard-only actions are requested on "*", which only a "*" Resource covers', () => {
    const set = { identity: [policy(allow('s3:ListAllMyBuckets', 'arn:aws:s3:::*'))] }
    expect(evaluate({ action: 's3:ListAllMyBuckets', resource: '*' }, set).decision).toBe(
      'implicit-deny',
    )
    const star = { identity: [policy(allow('s3:ListAllMyBuckets'))] }
    expect(evaluate({ action: 's3:ListAllMyBuckets', resource: '*' }, star).decision).toBe('allow')
  })
})

describe('evaluate: what logs cannot decide', () => {
  it('a conditional Allow may allow, and is not sure to', () => {
    const result = evaluate(read, { identity: [conditional('Allow', 's3:*')] })
    expect(result.decision).toBe('implicit-deny')
    expect(result.permissive).toBe('allow')
    expect(mayAllow(result)).toBe(true)
    expect(surelyAllows(result)).toBe(false)
    expect(result.uncertain).toEqual([
      { layer: 'identity', policy: 0, statement: 0, effect: 'Allow', because: 'condition' },
    ])
  })

  it('a conditional Deny may deny: the cautious reading counts it', () => {
    const result = evaluate(read, { identity: [policy(allow('*')), conditional('Deny', 's3:*')] })
    expect(result).toMatchObject({ decision: 'explicit-deny', permissive: 'allow' })
    expect(result.uncertain?.[0]).toMatchObject({ policy: 1, effect: 'Deny' })
  })

  it('a conditional boundary Allow and SCP Deny are uncertain too', () => {
    const boundary = evaluate(read, {
      identity: [policy(allow('*'))],
      boundary: conditional('Allow', '*'),
    })
    expect(boundary).toMatchObject({
      decision: 'implicit-deny',
      permissive: 'allow',
      byBoundary: true,
    })
    const scp = evaluate(read, {
      identity: [policy(allow('*'))],
      scps: [[policy(allow('*')), conditional('Deny', 's3:*')]],
    })
    expect(scp).toMatchObject({ decision: 'explicit-deny', permissive: 'allow' })
    expect(scp.uncertain?.[0]).toMatchObject({ layer: 'scp', policy: 0, document: 1 })
  })

  it('a policy variable in the Resource is uncertain', () => {
    const own = policy(allow('s3:GetObject', `arn:aws:s3:::reports/${variable('aws:username')}*`))
    const result = evaluate(read, { identity: [own] })
    expect(result).toMatchObject({ decision: 'implicit-deny', permissive: 'allow' })
    expect(result.uncertain?.[0]?.because).toBe('policy-variable')
  })

  it('without Version 2012-10-17 a policy variable is literal text', () => {
    const home = `arn:aws:s3:::home/${variable('aws:username')}/*`
    const old = parsePolicy({ Version: '2008-10-17', Statement: [allow('s3:GetObject', home)] })
    const ana = { action: 's3:GetObject', resource: 'arn:aws:s3:::home/ana/x' }
    expect(evaluate(ana, { identity: [old] })).toEqual({
      decision: 'implicit-deny',
      permissive: 'implicit-deny',
    })
    const literal = { ...ana, resource: home.replace('*', 'x') }
    expect(evaluate(literal, { identity: [old] }).decision).toBe('allow')
  })

  it('is certain when an unconditional statement settles it', () => {
    const result = evaluate(read, { identity: [policy(allow('*')), conditional('Allow', 's3:*')] })
    expect(result).toEqual({ decision: 'allow', permissive: 'allow' })
  })

  it('an empty Condition block is no condition', () => {
    const doc = policy({ Effect: 'Allow', Action: '*', Resource: '*', Condition: {} })
    expect(evaluate(read, { identity: [doc] })).toEqual({ decision: 'allow', permissive: 'allow' })
  })
})
