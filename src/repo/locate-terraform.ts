/**
 * Layout (c): Terraform discovery. Every directory of `.tf` files is read as one module; a role is
 * the `aws_iam_role` whose name is the role's, and its policies are the resources of that module
 * that point at it (see `terraform-module.ts`).
 */
import type { RoleRef } from '../model.js'
import { errorMessage, ScopedownError } from '../util/errors.js'
import { accountOf, isPolicy, type LocateContext, readJsonPolicy } from './layout.js'
import { readTerraformFile, type TerraformFile } from './terraform-format.js'
import {
  type AttachedRef,
  createModule,
  dataDocumentOf,
  type HeldPolicy,
  type RoleFacts,
  roleFacts,
  rolesOf,
  type TerraformModule,
  type TerraformRole,
} from './terraform-module.js'
import type {
  AttachedPolicy,
  DefinedRole,
  LocatedPolicy,
  LocateIssue,
  RoleLocation,
} from './types.js'

/** A module and the files in it that could not be read. */
export interface ModuleReading {
  module: TerraformModule
  issues: readonly LocateIssue[]
}

const dirOf = (path: string) => (path.includes('/') ? path.slice(0, path.lastIndexOf('/')) : '')

/** Read every `.tf` file of the repo, grouped by directory. */
export async function readModules(ctx: LocateContext): Promise<ModuleReading[]> {
  const byDir = new Map<string, string[]>()
  for (const path of await ctx.files.list()) {
    if (!path.endsWith('.tf')) continue
    const dir = dirOf(path)
    byDir.set(dir, [...(byDir.get(dir) ?? []), path])
  }
  const readings: ModuleReading[] = []
  for (const [dir, paths] of byDir) {
    const files: TerraformFile[] = []
    const issues: LocateIssue[] = []
    for (const path of paths) {
      try {
        files.push(readTerraformFile((await ctx.files.read(path)) ?? '', path, ctx.parser))
      } catch (error) {
        if (!(error instanceof ScopedownError)) throw error
        issues.push({ code: 'parse-error', file: path, message: errorMessage(error) })
      }
    }
    const module = createModule(dir, files)
    readings.push({ module, issues: [...issues, ...files.flatMap((f) => f.issues)] })
  }
  return readings
}

const segments = (dir: string) => new Set(dir.split('/'))

/**
 * Locate a role among the modules. Undefined when no module defines it. When several do, modules
 * under a directory named after the account win; if that does not settle it, the location
 * carries an `ambiguous-role` issue and no policies.
 */
export async function locateByTerraform(
  role: RoleRef,
  readings: readonly ModuleReading[],
  ctx: LocateContext,
): Promise<RoleLocation | undefined> {
  let candidates = readings.flatMap((reading) =>
    rolesOf(reading.module)
      .filter((r) => r.name === role.name && r.block.repeated === undefined)
      .map((r) => ({ reading, role: r })),
  )
  if (candidates.length === 0) return undefined
  if (candidates.length > 1) {
    const accountName = ctx.layout.accountNames[role.accountId]
    const inAccount = candidates.filter(({ reading }) => {
      const parts = segments(reading.module.dir)
      return parts.has(role.accountId) || (accountName !== undefined && parts.has(accountName))
    })
    if (inAccount.length > 0) candidates = inAccount
  }
  if (candidates.length > 1) {
    const places = candidates
      .map((c) => `${c.role.block.file} (${c.role.block.address})`)
      .join(', ')
    return {
      role,
      inline: [],
      managed: [],
      issues: [
        {
          code: 'ambiguous-role',
          message: `${role.name} is defined in several modules: ${places}`,
        },
      ],
    }
  }
  const { reading, role: found } = candidates[0] as { reading: ModuleReading; role: TerraformRole }
  const partition = role.arn.split(':')[1] || 'aws'
  const facts = roleFacts(reading.module, found, { partition, accountId: role.accountId })
  return toLocation(role, found, facts, reading, ctx)
}

async function toLocation(
  role: RoleRef,
  found: TerraformRole,
  facts: RoleFacts,
  reading: ModuleReading,
  ctx: LocateContext,
): Promise<RoleLocation> {
  const issues: LocateIssue[] = [...reading.issues, ...facts.issues]
  const inline: LocatedPolicy[] = []
  for (const held of facts.inline) {
    const located = await resolveHeld(held, reading.module, ctx)
    if (isPolicy(located)) inline.push(located)
    else issues.push(located)
  }
  const attach = async (ref: AttachedRef): Promise<AttachedPolicy> => {
    if (ref.resolved !== 'in-module') return { arn: ref.arn, editable: false, reason: ref.resolved }
    const arn = ref.held.arn ?? `${ref.held.holder.owner.address}.arn`
    const located = await resolveHeld(ref.held, reading.module, ctx)
    if (isPolicy(located)) return { arn, editable: true, policy: located }
    issues.push(located)
    return { arn, editable: false, reason: 'unresolved' }
  }
  const managed: AttachedPolicy[] = []
  for (const ref of facts.attached) managed.push(await attach(ref))
  const boundary = facts.boundary ? await attach(facts.boundary) : undefined
  return {
    role,
    definedIn: { layout: 'terraform', file: found.block.file },
    inline,
    managed,
    ...(boundary ? { boundary } : {}),
    issues,
  }
}

/** The located document of a policy the module gives the role, or why there is none. */
async function resolveHeld(
  held: HeldPolicy,
  module: TerraformModule,
  ctx: LocateContext,
): Promise<LocatedPolicy | LocateIssue> {
  const { holder, kind } = held
  const extra = {
    kind,
    ...(held.policyName ? { policyName: held.policyName } : {}),
    ...(held.arn ? { policyArn: held.arn } : {}),
  }
  const source = holder.source
  switch (source.kind) {
    case 'in-file':
      return { ...source.policy, ...extra }
    case 'file': {
      const declaredIn = { file: holder.owner.file, label: holder.label }
      const found = await readJsonPolicy(ctx.files, source.path, {
        ...extra,
        label: holder.label,
        declaredIn,
      })
      return isPolicy(found) ? { ...found, ...extra } : found
    }
    case 'data-document': {
      const document = dataDocumentOf(source, module)
      if (document === undefined || 'unsupported' in document) {
        const reason = document?.unsupported ?? `${source.address} was not found`
        return {
          code: 'unsupported',
          file: holder.owner.file,
          message: `${holder.owner.file}: ${holder.label}: ${reason}`,
        }
      }
      return { ...document, ...extra, declaredIn: { file: holder.owner.file, label: holder.label } }
    }
    case 'unsupported':
      return {
        code: 'unsupported',
        file: holder.owner.file,
        message: `${holder.owner.file}: ${source.reason}`,
      }
  }
}

/** Roles defined with `count` / `for_each`, named for the not-found message. */
export function repeatedRoles(readings: readonly ModuleReading[]): string[] {
  return readings.flatMap((r) =>
    rolesOf(r.module)
      .filter((role) => role.block.repeated !== undefined)
      .map((role) => `${role.block.file} (${role.block.address}, ${role.block.repeated})`),
  )
}

/** Every role with a literal name in a Terraform module; the account comes from the directory. */
export function terraformRoles(
  readings: readonly ModuleReading[],
  ctx: LocateContext,
): DefinedRole[] {
  const roles: DefinedRole[] = []
  for (const { module } of readings) {
    let account: { accountId?: string; accountName?: string } = {}
    for (const part of module.dir.split('/')) {
      account =
        accountOf({ accountId: part }, ctx.layout) ??
        accountOf({ accountName: part }, ctx.layout) ??
        account
    }
    for (const role of rolesOf(module)) {
      if (role.name === undefined || role.block.repeated) continue
      roles.push({
        name: role.name,
        ...account,
        ...(role.path ? { path: role.path } : {}),
        layout: 'terraform',
        file: role.block.file,
      })
    }
  }
  return roles
}
