/** Shared builders for the policy suites: a small catalog, a seeded PRNG, policy builders. */

import { existsSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { gunzipSync } from 'node:zlib'
import type { PolicyDocument, Statement } from '../../src/policy/document.js'
import { parsePolicy } from '../../src/policy/parse.js'
import { type ActionCatalog, type ActionInfo, createCatalog } from '../../src/usage/catalog.js'
import { SHARED_DATA } from '../helpers/shared-data.js'

/** A small catalog: enough variety for wildcards (GetObject*, Get*, List*) and wildcard-only actions. */
export function smallCatalog(): ActionCatalog {
  const scoped = (action: string, accessLevel: ActionInfo['accessLevel'] = 'Read'): ActionInfo => ({
    action,
    service: action.split(':')[0] as string,
    accessLevel,
    resourceTypes: ['thing'],
    dependentActions: [],
  })
  const unscoped = (action: string): ActionInfo => ({
    ...scoped(action, 'List'),
    resourceTypes: [],
  })
  return createCatalog('test', [
    scoped('s3:GetObject'),
    scoped('s3:GetObjectAcl'),
    scoped('s3:GetObjectTagging'),
    scoped('s3:GetBucketPolicy'),
    scoped('s3:GetBucketPolicyStatus'),
    scoped('s3:ListBucket', 'List'),
    unscoped('s3:ListAllMyBuckets'),
    scoped('s3:PutObject', 'Write'),
    scoped('s3:PutObjectAcl', 'Permissions management'),
    scoped('s3:DeleteObject', 'Write'),
    scoped('sqs:SendMessage', 'Write'),
    scoped('sqs:ReceiveMessage'),
    scoped('sqs:DeleteMessage', 'Write'),
    unscoped('sqs:ListQueues'),
    scoped('iam:PassRole', 'Write'),
    scoped('iam:GetRole'),
    unscoped('iam:ListRoles'),
  ])
}

/** A policy document from statements, checked by the real parser. */
export function policy(...statements: Statement[]): PolicyDocument {
  return parsePolicy({ Version: '2012-10-17', Statement: statements })
}

export const allow = (Action: string | string[], Resource: string | string[] = '*'): Statement => ({
  Effect: 'Allow',
  Action,
  Resource,
})

export const deny = (Action: string | string[], Resource: string | string[] = '*'): Statement => ({
  Effect: 'Deny',
  Action,
  Resource,
})

/** mulberry32: a tiny seeded PRNG, so random tests are reproducible from their seed. */
export function seededRandom(seed: number) {
  let state = seed >>> 0
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  return {
    next,
    int: (max: number) => Math.floor(next() * max),
    chance: (p: number) => next() < p,
    pick<T>(items: readonly T[]): T {
      return items[Math.floor(next() * items.length)] as T
    },
    some<T>(items: readonly T[], min: number, max: number): T[] {
      if (items.length === 0) return []
      const count = min + Math.floor(next() * (max - min + 1))
      return Array.from({ length: count }, () => items[Math.floor(next() * items.length)] as T)
    },
  }
}

export type Random = ReturnType<typeof seededRandom>

export const DATA = SHARED_DATA
export const MANAGED_POLICIES = `${DATA}/policies/aws-managed-policies/iam-dataset-aws-managed-policies.json.gz`
export const BOUNDARIES = `${DATA}/policies/permissions-boundaries/aws-samples-example-permissions-boundary`

let managedPolicies: { name: string; document: unknown }[] | undefined

/** The AWS managed policies data set (absent on machines without shared data); read once. */
export function loadManagedPolicies(): readonly { name: string; document: unknown }[] {
  managedPolicies ??= JSON.parse(gunzipSync(readFileSync(MANAGED_POLICIES)).toString('utf8'))
  return managedPolicies ?? []
}

export const hasSharedData = existsSync(MANAGED_POLICIES)
export { SHARED_DATA }

/** Reads one of the small hand-written policies in fixtures/policies. */
export function fixture(name: string): unknown {
  const path = fileURLToPath(new URL(`../../fixtures/policies/${name}`, import.meta.url))
  return JSON.parse(readFileSync(path, 'utf8'))
}

/** An IAM policy variable such as `${aws:username}`, spelled so no linter takes it for a template. */
export function variable(key: string): string {
  return `$\{${key}}`
}
