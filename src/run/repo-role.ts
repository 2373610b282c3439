import type { RoleRef } from '../model.js'
import type { PlannedPolicy } from '../plan/types.js'
import { parsePolicy } from '../policy/parse.js'
import type { DefinedRole, LocatedPolicy, PolicyRepo, RoleLocation } from '../repo/types.js'
import { errorMessage } from '../util/errors.js'
import type { RoleDefinition } from './role-policies.js'

/** A role as the repo defines it, parsed for the planner, with where each policy lives. */
export interface RepoRole {
  definition: RoleDefinition
  location: RoleLocation
  /** PlannedPolicy.id -> where it is written, for turning the plan back into file edits. */
  located: ReadonlyMap<string, LocatedPolicy>
}

/** `arn:aws:iam::<acct>:role<path><name>`: the ARN CloudTrail writes for the role's sessions. */
export function roleRefOf(role: DefinedRole & { accountId: string }): RoleRef {
  const path = role.path ?? '/'
  return {
    accountId: role.accountId,
    name: role.name,
    path,
    arn: `arn:aws:iam::${role.accountId}:role${path}${role.name}`,
  }
}

/**
 * Where a policy is written: roles whose policies have the same key share one document (a
 * customer-managed policy file, a Terraform module), and it is planned once for all of them.
 */
export function locationKey(policy: LocatedPolicy): string {
  return `${policy.file}#${policy.span.start}`
}

/** The location keys of every editable policy a role's location lists. */
export function editableLocations(location: RoleLocation): string[] {
  return [
    ...location.inline.map(locationKey),
    ...location.managed.flatMap((m) => (m.editable ? [locationKey(m.policy)] : [])),
  ]
}

/**
 * Reads what the repo says a role has: inline and customer-managed policies found in the repo
 * are editable; attached policies not in the repo (AWS-managed, or defined elsewhere) are not
 * seen, so they stay attached as they are and a warning says so. Returns a reason string when
 * nothing can be planned.
 */
export async function loadRepoRole(
  repo: PolicyRepo,
  role: RoleRef,
  meta: { tags: Readonly<Record<string, string>>; createDate?: string },
): Promise<RepoRole | { failure: string }> {
  const location = await repo.locate(role)
  const blocking = location.issues.filter((i) => i.code !== 'unsupported')
  if (
    !location.definedIn ||
    blocking.some(
      (i) => i.code === 'parse-error' || i.code === 'role-not-found' || i.code === 'ambiguous-role',
    )
  ) {
    return {
      failure:
        blocking.map((i) => `${i.message}${i.file ? ` (${i.file})` : ''}`).join('; ') ||
        'role not found in the repo',
    }
  }
  const warnings = location.issues.map((i) => `${i.message}${i.file ? ` (${i.file})` : ''}`)
  const located = new Map<string, LocatedPolicy>()
  const policies: PlannedPolicy[] = []
  try {
    for (const policy of location.inline) {
      const name = policy.policyName ?? policy.label
      const id = `inline:${name}`
      located.set(id, policy)
      policies.push({
        id,
        kind: 'inline',
        name,
        editable: true,
        location: locationKey(policy),
        document: parsePolicy(policy.document, { label: `${policy.file}: ${policy.label}` }),
      })
    }
    for (const attached of location.managed) {
      if (!attached.editable) {
        warnings.push(
          `${attached.arn} is ${attached.reason === 'aws-managed' ? 'AWS-managed' : 'not defined in this repo'}: it stays attached unchanged and was not analysed`,
        )
        continue
      }
      const id = `managed:${attached.arn}`
      located.set(id, attached.policy)
      policies.push({
        id,
        kind: 'managed',
        name: attached.policy.policyName ?? attached.arn.split('/').pop() ?? attached.arn,
        arn: attached.arn,
        editable: true,
        location: locationKey(attached.policy),
        document: parsePolicy(attached.policy.document, {
          label: `${attached.policy.file}: ${attached.policy.label}`,
        }),
      })
    }
    let boundary: RoleDefinition['boundary']
    if (location.boundary?.editable) {
      boundary = parsePolicy(location.boundary.policy.document, {
        label: `${location.boundary.policy.file}: boundary`,
      })
    } else if (location.boundary) {
      warnings.push(
        `the permission boundary ${location.boundary.arn} is not in this repo: grants outside it are not recognised as dead weight`,
      )
    }
    return {
      definition: {
        role,
        ...(meta.createDate ? { createDate: meta.createDate } : {}),
        tags: meta.tags,
        policies,
        ...(boundary ? { boundary } : {}),
        ...(boundary && location.boundary ? { boundaryName: location.boundary.arn } : {}),
        warnings,
      },
      location,
      located,
    }
  } catch (error) {
    return { failure: errorMessage(error) }
  }
}
