import { describe, expect, it } from 'vitest'
import { grantedActions } from '../../src/policy/grants.js'
import { allow, deny, policy, smallCatalog } from './support.js'

const catalog = smallCatalog()

describe('grantedActions', () => {
  const docs = [
    policy(
      { Sid: 'Read', ...allow(['s3:GetObject*', 'newsvc:Thing'], 'arn:aws:s3:::reports/*') },
      deny('s3:GetObjectAcl'),
    ),
    policy({
      Effect: 'Allow',
      NotAction: ['s3:*', 'iam:*'],
      Resource: '*',
      Condition: { Bool: { 'aws:SecureTransport': 'true' } },
    }),
    policy(allow('s3:GetObject')),
  ]
  const report = grantedActions(docs, catalog)

  it('lists every granted catalog action once, sorted', () => {
    expect(report.actions.map((a) => a.action)).toEqual([
      's3:GetObject',
      's3:GetObjectAcl',
      's3:GetObjectTagging',
      'sqs:DeleteMessage',
      'sqs:ListQueues',
      'sqs:ReceiveMessage',
      'sqs:SendMessage',
    ])
  })

  it('names the statements granting and denying each action', () => {
    const get = report.actions.find((a) => a.action === 's3:GetObject')
    expect(get?.grants).toEqual([
      {
        policy: 0,
        statement: 0,
        sid: 'Read',
        effect: 'Allow',
        conditional: false,
        resourceScoped: true,
      },
      { policy: 2, statement: 0, effect: 'Allow', conditional: false, resourceScoped: false },
    ])
    const acl = report.actions.find((a) => a.action === 's3:GetObjectAcl')
    expect(acl?.denies).toEqual([
      { policy: 0, statement: 1, effect: 'Deny', conditional: false, resourceScoped: false },
    ])
    const send = report.actions.find((a) => a.action === 'sqs:SendMessage')
    expect(send?.grants).toEqual([
      { policy: 1, statement: 0, effect: 'Allow', conditional: true, resourceScoped: false },
    ])
  })

  it('reports Allow patterns the catalog does not know', () => {
    expect(report.unknown).toEqual([
      {
        pattern: 'newsvc:Thing',
        ref: {
          policy: 0,
          statement: 0,
          sid: 'Read',
          effect: 'Allow',
          conditional: false,
          resourceScoped: true,
        },
      },
    ])
  })
})
