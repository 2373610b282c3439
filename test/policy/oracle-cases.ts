/**
 * Seeded random cases for the differential test against @cloud-copilot/iam-simulate (AGPL, a
 * devDependency used only in tests as an oracle; src/ never imports it). Cases stay in services
 * the oracle evaluates with its default authorizer (s3, iam, kms and sts have service-specific
 * rules about resource policies that are out of our scope).
 */
import { runUnsafeSimulation } from '@cloud-copilot/iam-simulate'
import type { PolicyDocument, Statement } from '../../src/policy/document.js'
import { type Decision, type Evaluation, evaluate } from '../../src/policy/evaluate.js'
import { parsePolicy } from '../../src/policy/parse.js'
import type { Random } from './support.js'

const ACCOUNT = '111111111111'
const PRINCIPAL = `arn:aws:iam::${ACCOUNT}:role/app`

const ACTIONS = [
  'sqs:SendMessage',
  'sqs:ReceiveMessage',
  'sqs:DeleteMessage',
  'sqs:GetQueueUrl',
  'dynamodb:GetItem',
  'dynamodb:PutItem',
  'dynamodb:Query',
  'dynamodb:DeleteItem',
  'dynamodb:DescribeTable',
  'lambda:InvokeFunction',
  'lambda:GetFunction',
  'lambda:UpdateFunctionCode',
  'sns:Publish',
  'sns:Subscribe',
]

const ACTION_PATTERNS = [
  ...ACTIONS,
  'SQS:sendmessage',
  'sqs:*',
  'sqs:*Message',
  'sqs:Get*',
  'dynamodb:*',
  'dynamodb:*Item',
  'dynamodb:Get?tem',
  'dynamodb:De*',
  'lambda:*Function*',
  'lambda:Get*',
  'sns:*',
  'sns:NoSuchAction',
  '*',
]

const RESOURCES = [
  `arn:aws:sqs:us-east-1:${ACCOUNT}:orders`,
  `arn:aws:sqs:us-east-1:${ACCOUNT}:orders-dlq`,
  `arn:aws:sqs:eu-west-1:${ACCOUNT}:orders`,
  `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/Orders`,
  `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/Orders/index/ByDate`,
  `arn:aws:lambda:us-east-1:${ACCOUNT}:function:fn`,
  `arn:aws:lambda:us-east-1:${ACCOUNT}:function:fn:prod`,
  `arn:aws:sns:us-east-1:${ACCOUNT}:alerts`,
]

const RESOURCE_PATTERNS = [
  ...RESOURCES,
  '*',
  `arn:aws:sqs:*:${ACCOUNT}:orders`,
  `arn:aws:sqs:us-east-1:${ACCOUNT}:orders*`,
  `arn:aws:sqs:us-east-1:${ACCOUNT}:order?`,
  `arn:aws:sqs:us-east-?:${ACCOUNT}:orders`,
  'arn:aws:sqs:*',
  `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/Orders*`,
  `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/orders`,
  'arn:aws:dynamodb:*:*:table/*',
  `arn:aws:lambda:us-east-1:${ACCOUNT}:function:fn*`,
  `arn:aws:*:us-east-1:${ACCOUNT}:*`,
  `arn:aws:sns:us-east-1:999999999999:alerts`,
]

const CONDITIONS = [
  { StringEquals: { 'aws:RequestedRegion': 'us-east-1' } },
  { StringNotEquals: { 'aws:RequestedRegion': ['us-east-1', 'eu-west-1'] } },
  { StringEqualsIfExists: { 'aws:RequestedRegion': 'eu-west-1' } },
  { Bool: { 'aws:SecureTransport': 'true' } },
]

export interface Case {
  identity: PolicyDocument[]
  boundary?: PolicyDocument
  scps?: PolicyDocument[][]
  action: string
  resource: string
  context: Record<string, string>
}

function randomStatement(rng: Random, withConditions: boolean, allowBias: number): Statement {
  const element = (patterns: readonly string[]) => {
    const values = [...new Set(rng.some(patterns, 1, 3))]
    return values.length === 1 && rng.chance(0.5) ? (values[0] as string) : values
  }
  const statement: Record<string, unknown> = { Effect: rng.chance(allowBias) ? 'Allow' : 'Deny' }
  statement[rng.chance(0.2) ? 'NotAction' : 'Action'] = element(ACTION_PATTERNS)
  statement[rng.chance(0.2) ? 'NotResource' : 'Resource'] = element(RESOURCE_PATTERNS)
  if (withConditions && rng.chance(0.4)) statement.Condition = rng.pick(CONDITIONS)
  return statement as unknown as Statement
}

function randomPolicy(rng: Random, withConditions: boolean, allowBias: number): PolicyDocument {
  const statements = Array.from({ length: 1 + rng.int(3) }, () =>
    randomStatement(rng, withConditions, allowBias),
  )
  return parsePolicy({ Version: '2012-10-17', Statement: statements })
}

export function randomCase(rng: Random, withConditions: boolean): Case {
  const identity = Array.from({ length: 1 + rng.int(3) }, () =>
    randomPolicy(rng, withConditions, 0.75),
  )
  const result: Case = {
    identity,
    action: rng.chance(0.9) ? rng.pick(ACTIONS) : 'sqs:ListQueues',
    resource: rng.pick(RESOURCES),
    context: {},
  }
  if (rng.chance(0.3)) result.boundary = randomPolicy(rng, withConditions, 0.85)
  if (rng.chance(0.3)) {
    result.scps = Array.from({ length: 1 + rng.int(2) }, () =>
      Array.from({ length: 1 + rng.int(2) }, () => randomPolicy(rng, withConditions, 0.85)),
    )
  }
  if (withConditions) {
    if (rng.chance(0.7))
      result.context['aws:RequestedRegion'] = rng.pick(['us-east-1', 'eu-west-1'])
    if (rng.chance(0.5)) result.context['aws:SecureTransport'] = rng.pick(['true', 'false'])
  }
  return result
}

const ORACLE_DECISIONS: Record<string, Decision> = {
  Allowed: 'allow',
  ExplicitlyDenied: 'explicit-deny',
  ImplicitlyDenied: 'implicit-deny',
}

export function oracle(c: Case): Decision {
  const result = runUnsafeSimulation(
    {
      request: {
        principal: PRINCIPAL,
        action: c.action,
        resource: { resource: c.resource, accountId: ACCOUNT },
        contextVariables: c.context,
      },
      identityPolicies: c.identity.map((policy, i) => ({ name: `identity-${i}`, policy })),
      serviceControlPolicies: (c.scps ?? []).map((level, i) => ({
        orgIdentifier: `ou-${i}`,
        policies: level.map((policy, j) => ({ name: `scp-${i}-${j}`, policy })),
      })),
      resourceControlPolicies: [],
      ...(c.boundary
        ? { permissionBoundaryPolicies: [{ name: 'boundary', policy: c.boundary }] }
        : {}),
    },
    {},
  )
  const decision = ORACLE_DECISIONS[result]
  if (!decision) throw new Error(`unexpected oracle result ${result}`)
  return decision
}

export function ours(c: Case): Evaluation {
  return evaluate(
    { action: c.action, resource: c.resource },
    {
      identity: c.identity,
      ...(c.boundary ? { boundary: c.boundary } : {}),
      ...(c.scps ? { scps: c.scps } : {}),
    },
  )
}

/** A short ARN ending in `*` (`arn:aws:sqs:*`) written out to six segments (`arn:aws:sqs:*:*:*`). */
function padShortArn(pattern: string): string {
  const segments = pattern.split(':')
  if (!pattern.startsWith('arn:') || segments.length >= 6 || !pattern.endsWith('*')) return pattern
  while (segments.length < 6) segments.push('*')
  return segments.join(':')
}

function padDocument(doc: PolicyDocument): PolicyDocument {
  const statements = (Array.isArray(doc.Statement) ? doc.Statement : [doc.Statement]).map(
    (s: Statement) => {
      if (s.NotResource === undefined) return s
      const padded =
        typeof s.NotResource === 'string'
          ? padShortArn(s.NotResource)
          : s.NotResource.map(padShortArn)
      return { ...s, NotResource: padded }
    },
  )
  return parsePolicy({ ...doc, Statement: statements })
}

/** The same case with every short ARN in a NotResource written out to six segments. */
export function padNotResourceShortArns(c: Case): Case {
  return {
    ...c,
    identity: c.identity.map(padDocument),
    ...(c.boundary ? { boundary: padDocument(c.boundary) } : {}),
    ...(c.scps ? { scps: c.scps.map((level) => level.map(padDocument)) } : {}),
  }
}

/** Queue names chosen so that wildcards overlap: `app-*` and `*-prod` share `app-prod`. */
const QUEUE = `arn:aws:sqs:us-east-1:${ACCOUNT}`
export const OVERLAP_RESOURCES = [
  `${QUEUE}:app-prod`,
  `${QUEUE}:app-dev`,
  `${QUEUE}:ops-prod`,
  `${QUEUE}:ops-dev`,
  `${QUEUE}:app-prod-dlq`,
  `${QUEUE}:other`,
]
const OVERLAP_PATTERNS = [
  `${QUEUE}:app-*`,
  `${QUEUE}:*-prod`,
  `${QUEUE}:*-dev`,
  `${QUEUE}:ops-*`,
  `${QUEUE}:*-prod*`,
  `${QUEUE}:app-?rod`,
  `arn:aws:sqs:*:${ACCOUNT}:*`,
  '*',
]

function overlapStatement(rng: Random, allowBias: number): Statement {
  const values = [...new Set(rng.some(OVERLAP_PATTERNS, 1, 2))]
  const statement: Record<string, unknown> = {
    Effect: rng.chance(allowBias) ? 'Allow' : 'Deny',
    Action: rng.pick(['sqs:*', 'sqs:SendMessage', 'sqs:*Message', '*']),
  }
  statement[rng.chance(0.35) ? 'NotResource' : 'Resource'] = values
  return statement as unknown as Statement
}

function overlapPolicy(rng: Random, allowBias: number): PolicyDocument {
  const statements = Array.from({ length: 1 + rng.int(2) }, () => overlapStatement(rng, allowBias))
  return parsePolicy({ Version: '2012-10-17', Statement: statements })
}

/** Policy sets whose identity, boundary and SCP patterns intersect, often through NotResource. */
export function randomOverlapCase(rng: Random): Case {
  const result: Case = {
    identity: [overlapPolicy(rng, 0.8)],
    action: 'sqs:SendMessage',
    resource: rng.pick(OVERLAP_RESOURCES),
    context: {},
  }
  if (rng.chance(0.7)) result.boundary = overlapPolicy(rng, 0.85)
  if (rng.chance(0.4)) result.scps = [[overlapPolicy(rng, 0.85)]]
  return result
}
