import { describe, expect, it } from 'vitest'
import type { PolicyDocument } from '../../src/policy/document.js'
import { assertTightening, checkTightening } from '../../src/policy/invariants.js'
import { InvariantError } from '../../src/util/errors.js'
import { allow, deny, policy, smallCatalog } from './support.js'

const catalog = smallCatalog()
const BUCKET = 'arn:aws:s3:::reports/*'
const OBJECT = 'arn:aws:s3:::reports/q1.csv'
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
