import { readFile } from 'node:fs/promises'
import { isAbsolute, join } from 'node:path'
import type { Config } from '../config/schema.js'
import type { RoleRef } from '../model.js'
import { roleExemption } from '../plan/role-selection.js'
import type { DefinedRole, PolicyRepo } from '../repo/types.js'
import { roleRefOf } from './repo-role.js'

/** A role the batch will plan, with what the repository says about it besides its policies. */
export interface Candidate {
  role: RoleRef
  tags: Readonly<Record<string, string>>
  createDate?: string
}

/** A role the repository defines that this run does not plan, and why (for shared policies). */
export interface Bystander {
  role: RoleRef
  why: string
}

/** Step 1 of the batch: which roles are planned, which are left alone, which cannot be placed. */
export interface Selection {
  candidates: Candidate[]
  /** Left alone on purpose (human, service-linked): reported as skipped. */
  exempt: { role: RoleRef; detail: string }[]
  /** Cannot be planned (no account known): reported as failed. */
  unplaceable: { role: RoleRef; detail: string }[]
  /** Defined but not planned in this run (excluded, other accounts, exempt). */
  bystanders: Bystander[]
}

/**
 * Every role the repository defines, sorted into those this run plans and the rest. Roles left
 * out by `roles.exclude` or `roles.accounts` are not reported, but kept as bystanders: a policy
 * they share with a planned role must not lose what they use.
 */
export async function selectRoles(repo: PolicyRepo, config: Config): Promise<Selection> {
  const selection: Selection = { candidates: [], exempt: [], unplaceable: [], bystanders: [] }
  for (const defined of await repo.listRoles()) {
    if (!defined.accountId) {
      selection.unplaceable.push({
        role: { accountId: '?', name: defined.name, arn: defined.name },
        detail: `the repo does not say which account ${defined.name} (${defined.file}) is in`,
      })
      continue
    }
    const role = roleRefOf({ ...defined, accountId: defined.accountId })
    if (config.roles.accounts && !config.roles.accounts.includes(defined.accountId)) {
      selection.bystanders.push({ role, why: 'its account is not in roles.accounts' })
      continue
    }
    const meta = await manifestMeta(config.repo.path, defined)
    const exemption = roleExemption(role, meta.tags, config.roles)
    if (exemption) {
      selection.bystanders.push({ role, why: exemption.detail })
      if (exemption.reason !== 'excluded') selection.exempt.push({ role, detail: exemption.detail })
      continue
    }
    selection.candidates.push({ role, ...meta })
  }
  return selection
}

/** Tags and creation date from a role manifest (`role.json`), when the layout has one. */
async function manifestMeta(
  repoPath: string,
  defined: DefinedRole,
): Promise<{ tags: Record<string, string>; createDate?: string }> {
  if (defined.layout !== 'manifest') return { tags: {} }
  const file = isAbsolute(defined.file) ? defined.file : join(repoPath, defined.file)
  try {
    const json = JSON.parse(await readFile(file, 'utf8')) as {
      tags?: Record<string, string>
      createDate?: string
    }
    return {
      tags: json.tags ?? {},
      ...(json.createDate ? { createDate: new Date(json.createDate).toISOString() } : {}),
    }
  } catch {
    return { tags: {} }
  }
}
