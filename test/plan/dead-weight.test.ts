/**
 * Dead weight decided exactly: the cases that sampling `*` and each written Resource got wrong
 * (an overlap of two wildcards, a NotResource boundary, a reason blaming a Deny that does not
 * exist), and reasons that name the policy and statement refusing the action.
 */
import { beforeAll, describe, expect, it } from 'vitest'
import type { IamAction } from '../../src/model.js'
import { deadWeightJudge } from '../../src/plan/dead-weight.js'
import { type PlanInput, planScopedown } from '../../src/plan/plan.js'
import type { PlanRules } from '../../src/plan/types.js'
import type { PolicyDocument, Statement } from '../../src/policy/document.js'
import type { PolicySet } from '../../src/policy/evaluate.js'
import { parsePolicy } from '../../src/policy/parse.js'
import { type ActionCatalog, loadCatalog } from '../../src/usage/catalog.js'
import { allow, deny, policy, smallCatalog } from '../policy/support.js'

const small = smallCatalog()
const ROLES = 'arn:aws:iam::111111111111:role'
const judge = (set: PolicySet, action: string) => deadWeightJudge(set, small)(action)
const notResource = (Action: string, NotResource: string | string[]): Statement => ({
  Effect: 'Allow',
  Action,
  NotResource,
})

describe('deadWeightJudge', () => {
  it('keeps a grant where two wildcards overlap (role/app-* and role/*-prod share app-prod)', () => {
    const identity = [policy(allow('iam:PassRole', `${ROLES}/app-*`))]
    expect(
      judge({ identity, boundary: policy(allow('iam:*', `${ROLES}/*-prod`)) }, 'iam:PassRole'),
    ).toBeUndefined()
    expect(
      judge({ identity, boundary: policy(allow('iam:*', `${ROLES}/ops-*`)) }, 'iam:PassRole'),
    ).toMatchObject({
      because: 'outside-boundary',
      detail: "the permission boundary allows it nowhere the role's policies grant it",
      refusedBy: { layer: 'boundary', statements: [] },
    })
  })

  it('reads a NotResource boundary exactly', () => {
    // The boundary allows everything but app-*, and *-prod: app-prod is both granted and allowed,
    // though no written Resource, taken literally, is.
    const boundary = policy(
      notResource('s3:*', 'arn:aws:s3:::app-*'),
      allow('s3:*', 'arn:aws:s3:::*-prod'),
    )
    const identity = [policy(allow('s3:GetObject', 'arn:aws:s3:::app-*'))]
    expect(judge({ identity, boundary }, 's3:GetObject')).toBeUndefined()
    const strict = policy(notResource('s3:*', 'arn:aws:s3:::app-*'))
    expect(judge({ identity, boundary: strict }, 's3:GetObject')).toMatchObject({
      because: 'outside-boundary',
    })
  })

  it('never says denied-by-policy when the role has no Deny', () => {
    const identity = [policy(allow('s3:GetObject', 'arn:aws:s3:::a/*'))]
    const elsewhere = policy(allow('s3:*', 'arn:aws:s3:::b/*'))
    const byBoundary = judge({ identity, boundary: elsewhere }, 's3:GetObject')
    expect(byBoundary?.because).toBe('outside-boundary')
    const byScp = judge({ identity, scps: [[policy(allow('*'))], [elsewhere]] }, 's3:GetObject')
    expect(byScp).toMatchObject({
      because: 'denied-by-scp',
      detail:
        "no SCP at OU level 1 below the root (SCP 1) allows it where the role's policies grant it",
    })
  })

  it('names the Deny statement and the policy that refuse an action', () => {
    const set: PolicySet = {
      identity: [
        policy(allow('s3:*')),
        policy(
          { ...deny('s3:DeleteObject'), Sid: 'NoDeletes' },
          deny('s3:PutObject', 'arn:aws:s3:::a/*'),
        ),
      ],
      names: { identity: ['main', 'guardrails'] },
    }
    expect(judge(set, 's3:DeleteObject')).toEqual({
      because: 'denied-by-policy',
      detail:
        'the Deny statement Sid NoDeletes of policy guardrails refuses it everywhere it is granted',
      refusedBy: {
        layer: 'identity',
        policies: ['policy guardrails'],
        statements: ['Sid NoDeletes'],
      },
    })
    // Denied on some resources only: still allowed elsewhere.
    expect(judge(set, 's3:PutObject')).toBeUndefined()
    expect(judge(set, 's3:GetObject')).toBeUndefined()
  })

  it('names the SCP, its level and Sid, and the boundary by name', () => {
    const trail = policy(allow('*'), { ...deny('sqs:*'), Sid: 'DenySqs' })
    const set: PolicySet = {
      identity: [policy(allow(['sqs:SendMessage', 'iam:GetRole']))],
      boundary: policy(allow('*'), { ...deny('iam:*'), Sid: 'NoIam' }),
      scps: [[policy(allow('*'))], [trail]],
      names: { boundary: 'pb-workloads', scps: [['FullAWSAccess'], ['deny-sqs.json']] },
    }
    expect(judge(set, 'sqs:SendMessage')).toMatchObject({
      because: 'denied-by-scp',
      detail:
        'SCP deny-sqs.json at OU level 1 below the root denies it (Sid DenySqs) everywhere it would allow it',
      refusedBy: { layer: 'scp', policies: ['SCP deny-sqs.json'], statements: ['Sid DenySqs'] },
    })
    expect(judge(set, 'iam:GetRole')).toMatchObject({
      because: 'outside-boundary',
      detail:
        'the permission boundary pb-workloads denies it (Sid NoIam) everywhere it would allow it',
    })
  })

  it('is not dead weight when only a condition or a policy variable could refuse it', () => {
    const identity = [policy(allow('s3:GetObject'))]
    const conditional = policy(allow('*'), {
      ...deny('s3:*'),
      Condition: { Bool: { 'aws:SecureTransport': 'false' } },
    })
    expect(judge({ identity, scps: [[conditional]] }, 's3:GetObject')).toBeUndefined()
    const conditionalAllow = policy({
      ...allow('s3:*'),
      Condition: { StringEquals: { 'aws:RequestedRegion': 'eu-west-1' } },
    })
    expect(judge({ identity, boundary: conditionalAllow }, 's3:GetObject')).toBeUndefined()
  })

  it('covers NotAction statements and decides each class of actions once', () => {
    const set: PolicySet = {
      identity: [policy({ Effect: 'Allow', NotAction: 'iam:*', Resource: '*' })],
      boundary: policy({ Effect: 'Allow', NotAction: ['s3:*', 'iam:*'], Resource: '*' }),
    }
    const dead = deadWeightJudge(set, small)
    expect(dead('s3:GetObject')?.because).toBe('outside-boundary')
    expect(dead('s3:PutObject')?.because).toBe('outside-boundary')
    expect(dead('sqs:SendMessage')).toBeUndefined()
    expect(dead('not:InTheCatalog')).toBeUndefined()
  })
})

describe('planScopedown with exact dead weight', () => {
  let catalog: ActionCatalog
  beforeAll(async () => {
    catalog = await loadCatalog()
  })
  const WINDOW = { start: '2026-08-03T00:00:00.000Z', end: '2026-11-01T00:00:00.000Z' }
  const RULES: PlanRules = {
    neverRemove: ['iam:PassRole'],
    protectedSidPrefix: 'ScopedownKeep',
    minRoleAgeDays: 30,
    minCoverageDays: 81,
    narrowResources: false,
    mode: 'batch',
  }
  const trusted = (_action: IamAction) => ({ trusted: true, class: 'management' })
  const plan = (docs: PolicyDocument[], parts: Partial<PlanInput>) =>
    planScopedown(
      {
        role: { accountId: '111111111111', name: 'app', arn: `${ROLES}/app` },
        createDate: '2025-01-01T00:00:00.000Z',
        policies: docs.map((document, i) => ({
          id: `inline:p${i}`,
          kind: 'inline',
          name: `p${i}`,
          editable: true,
          document,
        })),
        usage: {
          principalArn: `${ROLES}/app`,
          window: WINDOW,
          used: [],
          denied: [],
          unmapped: [],
          permissionless: [],
          coverage: [
            {
              accountId: '111111111111',
              region: 'eu-west-1',
              firstEvent: WINDOW.start,
              lastEvent: WINDOW.end,
              daysWithEvents: 90,
              missingDays: [],
            },
          ],
        },
        rules: RULES,
        observability: trusted,
        now: WINDOW.end,
        source: 'test',
        ...parts,
      },
      catalog,
    )

  it('keeps PassRole on the app-*/*-prod overlap (never-remove), removes it without one', () => {
    const identity = parsePolicy({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: 'iam:PassRole', Resource: `${ROLES}/app-*` }],
    })
    const overlap = parsePolicy({
      Statement: [{ Effect: 'Allow', Action: 'iam:*', Resource: `${ROLES}/*-prod` }],
    })
    const kept = plan([identity], { boundary: overlap })
    expect(kept.decisions).toEqual([
      { action: 'iam:PassRole', verdict: 'keep', because: 'never-remove' },
    ])
    const apart = parsePolicy({
      Statement: [{ Effect: 'Allow', Action: 'iam:*', Resource: `${ROLES}/ops-*` }],
    })
    const removed = plan([identity], {
      boundary: apart,
      policyNames: { boundary: 'arn:aws:iam::111111111111:policy/pb-ops' },
    })
    expect(removed.decisions).toEqual([
      {
        action: 'iam:PassRole',
        verdict: 'remove',
        because: 'outside-boundary',
        detail:
          "the permission boundary arn:aws:iam::111111111111:policy/pb-ops allows it nowhere the role's policies grant it",
      },
    ])
    expect(removed.changes[0]?.after).toBeNull()
  })

  it('names the Deny statement of the role in the decision', () => {
    const doc = parsePolicy({
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Action: 'sqs:*', Resource: '*' },
        { Sid: 'NoPurge', Effect: 'Deny', Action: 'sqs:PurgeQueue', Resource: '*' },
      ],
    })
    const result = plan([doc], {})
    expect(result.decisions.find((d) => d.action === 'sqs:PurgeQueue')).toEqual({
      action: 'sqs:PurgeQueue',
      verdict: 'remove',
      because: 'denied-by-policy',
      detail: 'the Deny statement Sid NoPurge of policy p0 refuses it everywhere it is granted',
    })
    expect(result.decisions.find((d) => d.action === 'sqs:SendMessage')).toMatchObject({
      because: 'unused',
    })
  })
})
