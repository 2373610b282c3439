import { readFile } from 'node:fs/promises'
import { basename } from 'node:path'
import type { RoleRef } from '../model.js'
import type { PlannedPolicy } from '../plan/types.js'
import type { PolicyDocument } from '../policy/document.js'
import { parsePolicy } from '../policy/parse.js'
import { ScopedownError } from '../util/errors.js'
import {
  isAuthorizationDetails,
  type RawRoleDefinition,
  rolesFromAuthorizationDetails,
} from './authorization-details.js'

/** A role's parsed permissions, ready for the planner. */
export interface RoleDefinition {
  role: RoleRef
  createDate?: string
  tags: Readonly<Record<string, string>>
  policies: readonly PlannedPolicy[]
  boundary?: PolicyDocument
  /** The boundary's name (its ARN), for reasons that name what refuses an action. */
  boundaryName?: string
  /** Things we could not read; the role is still planned with what was read, and they are kept. */
  warnings: readonly string[]
}

async function readJson(file: string): Promise<unknown> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (cause) {
    throw new ScopedownError('POLICY_NOT_FOUND', `cannot read policy file ${file}`, { cause })
  }
  try {
    return JSON.parse(text)
  } catch (cause) {
    throw new ScopedownError(
      'POLICY_INVALID',
      `${file} is not valid JSON: ${(cause as Error).message}`,
      { cause },
    )
  }
}

/** Role name or ARN as typed by the user, against a role. Names match whatever the path. */
export function roleMatches(wanted: string, role: RoleRef): boolean {
  return wanted.startsWith('arn:') ? wanted === role.arn : wanted === role.name
}

/**
 * Turns raw documents into planner input. An AWS-managed policy is not editable (AWS owns it);
 * one whose document is missing cannot be planned, so the role is refused rather than guessed.
 */
export function parseRoleDefinition(raw: RawRoleDefinition, source: string): RoleDefinition {
  const policies: PlannedPolicy[] = raw.inline.map((p) => ({
    id: `inline:${p.name}`,
    kind: 'inline',
    name: p.name,
    editable: true,
    document: parsePolicy(p.document, {
      label: `${source}: inline policy ${p.name} of ${raw.role.name}`,
    }),
  }))
  for (const m of raw.managed) {
    if (m.document === undefined) {
      throw new ScopedownError(
        'POLICY_NOT_FOUND',
        `${source}: the document of ${m.arn} (attached to ${raw.role.name}) is missing`,
        {
          hint: 'take the dump with `aws iam get-account-authorization-details` without a --filter, or pass the policy with --policy',
        },
      )
    }
    policies.push({
      id: `managed:${m.arn}`,
      kind: 'managed',
      name: m.name,
      arn: m.arn,
      editable: !m.awsManaged,
      document: parsePolicy(m.document, { label: `${source}: managed policy ${m.arn}` }),
    })
  }
  let boundary: PolicyDocument | undefined
  if (raw.boundary) {
    if (raw.boundary.document === undefined) {
      throw new ScopedownError(
        'POLICY_NOT_FOUND',
        `${source}: the permission boundary ${raw.boundary.arn} of ${raw.role.name} is missing`,
        {
          hint: 'pass it with --boundary <file>',
        },
      )
    }
    boundary = parsePolicy(raw.boundary.document, {
      label: `${source}: boundary ${raw.boundary.arn}`,
    })
  }
  return {
    role: raw.role,
    ...(raw.createDate ? { createDate: raw.createDate } : {}),
    tags: raw.tags,
    policies,
    ...(boundary ? { boundary } : {}),
    warnings: [],
  }
}

/**
 * Reads `--policy` files for `analyze`: plain policy documents (each becomes an inline policy
 * named after its file) or one `get-account-authorization-details` dump, from which `--role`
 * picks the role with its inline, attached and boundary policies.
 */
export async function loadRoleFromFiles(args: {
  role: string
  policyFiles: readonly string[]
  boundaryFile?: string
}): Promise<{
  definition?: RoleDefinition
  plainPolicies: PlannedPolicy[]
  boundary?: PolicyDocument
}> {
  const plainPolicies: PlannedPolicy[] = []
  let definition: RoleDefinition | undefined
  for (const file of args.policyFiles) {
    const json = await readJson(file)
    if (isAuthorizationDetails(json)) {
      const roles = rolesFromAuthorizationDetails(json, file)
      const raw = roles.find((r) => roleMatches(args.role, r.role))
      if (!raw) {
        throw new ScopedownError(
          'POLICY_NOT_FOUND',
          `role ${args.role} is not in ${file} (${roles.length} roles there)`,
          {
            hint: 'give the role name exactly as in RoleDetailList, or its full ARN',
          },
        )
      }
      definition = parseRoleDefinition(raw, file)
    } else {
      const name = basename(file).replace(/\.json$/i, '')
      plainPolicies.push({
        id: `inline:${name}`,
        kind: 'inline',
        name,
        editable: true,
        document: parsePolicy(json, { label: file }),
      })
    }
  }
  const boundary = args.boundaryFile
    ? parsePolicy(await readJson(args.boundaryFile), { label: args.boundaryFile })
    : undefined
  return { ...(definition ? { definition } : {}), plainPolicies, ...(boundary ? { boundary } : {}) }
}

/** AWS attaches FullAWSAccess to every OU by default; deny-list SCPs sit beside it. */
export const FULL_AWS_ACCESS: PolicyDocument = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }],
}

/**
 * Reads SCP files as one OU level. FullAWSAccess is assumed attached beside them (AWS's default),
 * so deny-list SCPs work as written; pass `fullAwsAccess: false` for allow-list organizations.
 */
export async function loadScps(
  files: readonly string[],
  fullAwsAccess = true,
): Promise<PolicyDocument[][]> {
  if (files.length === 0) return []
  const docs = await Promise.all(
    files.map(async (f) => parsePolicy(await readJson(f), { label: f })),
  )
  return [fullAwsAccess ? [FULL_AWS_ACCESS, ...docs] : docs]
}
