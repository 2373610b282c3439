import { describe, expect, it } from 'vitest'
import type { PolicyDocument } from '../../src/policy/document.js'
import { assertTightening, checkTightening } from '../../src/policy/invariants.js'
import { InvariantError } from '../../src/util/errors.js'
import { allow, deny, policy, smallCatalog } from './support.js'

const catalog = smallCatalog()
const BUCKET = 'arn:aws:s3:::reports/*'
const OBJECT = 'arn:aws:s3:::reports/q1.csv'
const ROLE = 'arn:aws:iam::111111111111:role'
const QUEUE = 'arn:aws:sqs:eu-west-1:111111111111'
const inEu = { StringEquals: { 'aws:RequestedRegion': 'eu-west-1' } }

function check(before: PolicyDocument[], after: PolicyDocument[], extra: object = {}) {
  return checkTightening({ before, after, used: [], ...extra }, catalog)
}

describe('checkTightening', () => {
  it('accepts identical and narrower policies', () => {
    const before = [
      policy(allow(['s3:Get*', 's3:PutObject'], BUCKET), deny('s3:PutObject', OBJECT)),
    ]
    expect(check(before, before)).toEqual([])
    expect(check(before, [policy(allow('s3:GetObject', BUCKET))])).toEqual([])
    expect(check(before, [])).toEqual([])
  })

  it.each([
    {
      name: 'an added action',
      before: [policy(allow('s3:GetObject', BUCKET))],
      after: [policy(allow(['s3:GetObject', 's3:PutObject'], BUCKET))],
      first: {
        action: 's3:PutObject',
        resource: BUCKET,
        why: 'allowed after, never allowed before',
      },
    },
    {
      name: 'a wider resource',
      before: [policy(allow('s3:GetObject', BUCKET))],
      after: [policy(allow('s3:GetObject', 'arn:aws:s3:::*'))],
      first: { action: 's3:GetObject', resource: 'arn:aws:s3:::*' },
    },
    {
      name: 'a dropped Deny',
      before: [policy(allow('s3:*'), deny('s3:DeleteObject'))],
      after: [policy(allow('s3:*'))],
      first: { action: 's3:DeleteObject', resource: '*' },
    },
    {
      name: 'a dropped Condition',
      before: [policy({ ...allow('sqs:SendMessage'), Condition: inEu })],
      after: [policy(allow('sqs:SendMessage'))],
      first: { why: 'allowed unconditionally after, only under conditions before' },
    },
    {
      name: 'a changed Condition',
      before: [policy({ ...allow('sqs:SendMessage'), Condition: inEu })],
      after: [
        policy({
          ...allow('sqs:SendMessage'),
          Condition: { StringEquals: { 'aws:RequestedRegion': 'us-east-1' } },
        }),
      ],
      first: { why: 'granted under a condition that granted nothing here before' },
    },
    {
      name: 'NotAction that grants more than the list it replaced',
      before: [policy(allow('sqs:*'))],
      after: [policy({ Effect: 'Allow', NotAction: 's3:*', Resource: '*' })],
      first: { action: 'iam:GetRole', kind: 'wider' },
    },
  ])('reports $name', ({ before, after, first }) => {
    const violations = check(before, after)
    expect(violations.length).toBeGreaterThan(0)
    expect({ ...violations[0]?.request, ...violations[0] }).toMatchObject(first)
  })

  it('reports a used action that is no longer allowed where it was used', () => {
    const before = [policy(allow(['s3:GetObject', 's3:PutObject'], BUCKET))]
    const after = [policy(allow('s3:GetObject', BUCKET))]
    const used = [{ action: 's3:PutObject', resources: [OBJECT] }]
    expect(check(before, after, { used })).toMatchObject([
      { kind: 'breaks-usage', request: { action: 's3:PutObject', resource: OBJECT } },
    ])
  })

  it('checks used actions with unknown resources on every sample', () => {
    const before = [policy(allow('s3:PutObject', BUCKET))]
    const used = [{ action: 's3:PutObject', resources: [] }]
    expect(check(before, [], { used }).map((v) => v.request.resource)).toEqual([BUCKET])
  })

  it('does not blame the rewrite for usage the boundary or before never allowed', () => {
    const before = [policy(allow('s3:GetObject', BUCKET))]
    const used = [{ action: 's3:PutObject', resources: [OBJECT] }]
    expect(check(before, before, { used })).toEqual([])
    const boundary = policy(allow('sqs:*'))
    expect(check([policy(allow('s3:*'))], [], { used, boundary })).toEqual([])
  })

  it('counts the boundary and SCPs: widening only what they block is no widening', () => {
    const before = [policy(allow('sqs:SendMessage'))]
    const after = [policy(allow(['sqs:SendMessage', 's3:PutObject']))]
    expect(check(before, after, { boundary: policy(allow('sqs:*')) })).toEqual([])
    expect(check(before, after, { scps: [[policy(allow('*'), deny('s3:*'))]] })).toEqual([])
    expect(check(before, after).length).toBeGreaterThan(0)
  })
})

describe('checkTightening decides over every resource, not samples', () => {
  it('finds a widening between written resources', () => {
    // No written pattern taken literally is allowed after but not before; app-prod is.
    const before = [
      policy(allow('iam:PassRole', `${ROLE}/app-*`), deny('iam:PassRole', `${ROLE}/*-prod`)),
    ]
    const after = [policy(allow('iam:PassRole', `${ROLE}/app-*`))]
    expect(check(before, after)).toMatchObject([
      {
        kind: 'wider',
        request: { action: 'iam:PassRole', resource: `${ROLE}/app-prod` },
        before: { decision: 'explicit-deny' },
        after: { decision: 'allow' },
      },
    ])
  })

  it('reads NotResource both before and after', () => {
    const before = [policy({ Effect: 'Allow', Action: 'sqs:*', NotResource: `${QUEUE}:secret-*` })]
    const narrower = [
      policy({
        Effect: 'Allow',
        Action: 'sqs:SendMessage',
        NotResource: [`${QUEUE}:secret-*`, `${QUEUE}:x*`],
      }),
    ]
    expect(check(before, narrower)).toEqual([])
    const wider = [
      policy({ Effect: 'Allow', Action: 'sqs:SendMessage', NotResource: `${QUEUE}:secret-a*` }),
    ]
    const found = check(before, wider)
    expect(found).toHaveLength(1)
    expect(found[0]?.request.resource).toMatch(/^arn:aws:sqs:eu-west-1:111111111111:secret-/)
    expect(found[0]?.request.resource).not.toMatch(/secret-a/)
  })

  it('proves a narrowed Resource, and catches one that is not covered', () => {
    const before = [policy(allow('s3:GetObject', 'arn:aws:s3:::reports/*'))]
    const narrowed = [
      policy(allow('s3:GetObject', ['arn:aws:s3:::reports/2026/*', 'arn:aws:s3:::reports/q?.csv'])),
    ]
    expect(check(before, narrowed)).toEqual([])
    const escaped = [policy(allow('s3:GetObject', 'arn:aws:s3:::report*'))]
    expect(check(before, escaped)[0]?.request.resource).toBe('arn:aws:s3:::report*')
  })

  it('reports one violation per class of actions, with how many actions share it', () => {
    const before = [policy(allow('sqs:*'))]
    const after = [policy({ Effect: 'Allow', NotAction: 'sqs:*', Resource: '*' })]
    const found = check(before, after)
    expect(found).toHaveLength(1)
    expect(found[0]).toMatchObject({ request: { action: 'iam:GetRole' }, alike: 12 })
    expect(() => assertTightening({ before, after, used: [] }, catalog)).toThrow(
      /\(and 12 actions alike\)/,
    )
  })

  it('checks a used action with no observed ARN at every resource', () => {
    const before = [policy(allow('s3:PutObject', ['arn:aws:s3:::a/*', 'arn:aws:s3:::b/*']))]
    const after = [policy(allow('s3:PutObject', 'arn:aws:s3:::a/*'))]
    const used = [{ action: 's3:PutObject', resources: [] }]
    expect(check(before, after, { used })).toMatchObject([
      { kind: 'breaks-usage', request: { resource: 'arn:aws:s3:::b/*' } },
    ])
  })

  it('decides actions the catalog does not know, as written or used', () => {
    const before = [policy(allow(['newsvc:DoThing', 'sqs:SendMessage']))]
    expect(check(before, [policy(allow('newsvc:DoThing'))])).toEqual([])
    const wider = [policy(allow(['newsvc:DoThing', 'newsvc:DoOther']))]
    expect(check(before, wider).map((v) => v.request.action)).toEqual(['newsvc:DoOther'])
    const notAction = [policy({ Effect: 'Allow', NotAction: 'sqs:*', Resource: '*' })]
    const used = [{ action: 'newsvc:DoThing', resources: [] }]
    const lost = check(before, [policy(allow('sqs:SendMessage'))], { used })
    expect(lost).toMatchObject([{ kind: 'breaks-usage', request: { action: 'newsvc:DoThing' } }])
    // NotAction covers the unknown name too: the use is kept, the rest is a widening.
    const viaNotAction = check(before, notAction, { used })
    expect(viaNotAction.some((v) => v.kind === 'breaks-usage')).toBe(false)
    expect(viaNotAction.some((v) => v.kind === 'wider')).toBe(true)
  })

  it('fails closed on a question too big to decide', () => {
    const tangled = ['a', 'b', 'c', 'd', 'e', 'f'].map((c) => `arn:aws:s3:::*${c}*${c}${c}*`)
    const before = [
      policy(allow('s3:GetObject', tangled.slice(0, 3)), deny('s3:GetObject', tangled.slice(3))),
    ]
    const after = [policy(allow('s3:GetObject', tangled.slice(0, 3)))]
    // With the default budget the widening is found (a resource that both allows and denies)...
    expect(check(before, after)[0]?.request.resource).toMatch(/^arn:aws:s3:::/)
    // ...with a tiny one the question is undecided, and that is a violation, not a pass.
    const undecided = checkTightening({ before, after, used: [] }, catalog, { stateBudget: 20 })
    expect(undecided).toMatchObject([
      { kind: 'wider', why: expect.stringMatching(/could not be decided exactly/) },
    ])
    expect(
      checkTightening({ before, after: before, used: [] }, catalog, { stateBudget: 20 }),
    ).toEqual([])
  })
})

describe('assertTightening', () => {
  it('throws an InvariantError listing the offending requests', () => {
    const input = {
      before: [policy(allow('s3:GetObject', BUCKET))],
      after: [policy(allow(['s3:GetObject', 's3:PutObject'], BUCKET))],
      used: [],
    }
    expect(() => assertTightening(input, catalog)).toThrow(InvariantError)
    expect(() => assertTightening(input, catalog)).toThrow(
      /wider: s3:PutObject on arn:aws:s3:::reports\/\* \(before implicit-deny\/implicit-deny, after allow\/allow\)/,
    )
  })

  it('is silent for a tightening', () => {
    const before = [policy(allow('s3:*'))]
    const after = [policy(allow('s3:GetObject'))]
    expect(() =>
      assertTightening(
        { before, after, used: [{ action: 's3:GetObject', resources: [OBJECT] }] },
        catalog,
      ),
    ).not.toThrow()
  })
})
