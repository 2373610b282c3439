/**
 * Which files define a role. Three conventions are tried in order, and the first that knows the
 * role wins:
 * (b) a role manifest (`accounts/{accountId}/roles/{roleName}/role.json` by default),
 * (a) path templates whose JSON files are the role's policies (none by default),
 * (c) Terraform discovery over every `.tf` file.
 * Whatever cannot be found or read becomes an issue in the {@link RoleLocation}; nothing throws
 * for a user's repo content.
 */
import type { RoleRef } from '../model.js'
import { accountOf, isPolicy, type LocateContext, readJsonPolicy, roleValues } from './layout.js'
import { findManifest, locateByManifest, manifestRoles } from './locate-manifest.js'
import {
  locateByTerraform,
  type ModuleReading,
  readModules,
  repeatedRoles,
  terraformRoles,
} from './locate-terraform.js'
import { compileTemplate } from './path-template.js'
import type { DefinedRole, LocatedPolicy, LocateIssue, RoleLocation } from './types.js'

/** Terraform modules are read once per locator; roles of one run share them. */
export interface Locator {
  locate(role: RoleRef): Promise<RoleLocation>
  listRoles(): Promise<readonly DefinedRole[]>
}

/** A locator over a checkout. */
export function createLocator(ctx: LocateContext): Locator {
  let modules: Promise<ModuleReading[]> | undefined
  const readAllModules = () => {
    modules ??= ctx.layout.terraform ? readModules(ctx) : Promise.resolve([])
    return modules
  }
  return {
    async locate(role) {
      const manifest = await findManifest(role, ctx)
      if (manifest !== undefined) return locateByManifest(role, manifest, ctx)
      const byTemplate = await locateByTemplates(role, ctx)
      if (byTemplate !== undefined) return byTemplate
      const readings = await readAllModules()
      const byTerraform = await locateByTerraform(role, readings, ctx)
      if (byTerraform !== undefined) return byTerraform
      return { role, inline: [], managed: [], issues: [notFound(role, ctx, readings)] }
    },
    async listRoles() {
      const all = [
        ...(await manifestRoles(ctx)),
        ...(await templateRoles(ctx)),
        ...terraformRoles(await readAllModules(), ctx),
      ]
      const seen = new Set<string>()
      const unique = all.filter((r) => {
        const key = `${r.accountId ?? ''}/${r.name}`
        if (seen.has(key)) return false
        seen.add(key)
        return true
      })
      return unique.sort(
        (a, b) => compare(a.accountId ?? '', b.accountId ?? '') || compare(a.name, b.name),
      )
    },
  }
}

/** Code-unit order, the same on every machine (unlike `localeCompare`). */
const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0)

function notFound(
  role: RoleRef,
  ctx: LocateContext,
  readings: readonly ModuleReading[],
): LocateIssue {
  const values = roleValues(role, ctx.layout)
  const looked = [
    ...ctx.layout.manifests
      .map((t) => compileTemplate(t).fill(values))
      .filter((p) => p !== undefined),
    ...ctx.layout.templates.map((t) => compileTemplate(t.path).fill(values) ?? t.path),
    ...(ctx.layout.terraform ? ['aws_iam_role resources in **/*.tf'] : []),
  ]
  const repeated = repeatedRoles(readings)
  const skipped =
    repeated.length > 0
      ? `; roles made with count/for_each are not expanded: ${repeated.join(', ')}`
      : ''
  return {
    code: 'role-not-found',
    message:
      `no definition of ${role.name} (account ${role.accountId}) in the repo; ` +
      `looked for ${looked.join(', ')}${skipped}`,
  }
}

/** Layout (a): JSON files matching a template with the role's values are its policies. */
async function locateByTemplates(
  role: RoleRef,
  ctx: LocateContext,
): Promise<RoleLocation | undefined> {
  if (ctx.layout.templates.length === 0) return undefined
  const values = roleValues(role, ctx.layout)
  const inline: LocatedPolicy[] = []
  const managed: RoleLocation['managed'][number][] = []
  let boundary: RoleLocation['boundary']
  const issues: LocateIssue[] = []
  let first: string | undefined
  for (const entry of ctx.layout.templates) {
    const template = compileTemplate(entry.path)
    // A placeholder we have no value for would match every account: skip the template.
    if (template.names.some((name) => values[name] === undefined)) continue
    for (const path of await ctx.files.list()) {
      if (!path.toLowerCase().endsWith('.json') || template.match(path, values) === undefined)
        continue
      const kind = entry.kind ?? 'inline'
      const found = await readJsonPolicy(ctx.files, path, { kind })
      first ??= path
      if (!isPolicy(found)) {
        // Neighbouring JSON that is not a policy (a manifest, a config) is not an error here.
        if (found.code !== 'unsupported') issues.push(found)
        continue
      }
      if (kind === 'inline') inline.push(found)
      else if (kind === 'managed')
        managed.push({ arn: found.policyArn ?? path, editable: true, policy: found })
      else boundary = { arn: found.policyArn ?? path, editable: true, policy: found }
    }
  }
  if (first === undefined) return undefined
  return {
    role,
    definedIn: { layout: 'path-template', file: first },
    inline,
    managed,
    ...(boundary ? { boundary } : {}),
    issues,
  }
}

async function templateRoles(ctx: LocateContext): Promise<DefinedRole[]> {
  const roles: DefinedRole[] = []
  const paths = await ctx.files.list()
  for (const entry of ctx.layout.templates) {
    const template = compileTemplate(entry.path)
    if (!template.names.includes('roleName')) continue
    for (const path of paths) {
      const values = template.match(path)
      const account = values && accountOf(values, ctx.layout)
      if (values?.roleName === undefined || account === undefined) continue
      roles.push({ name: values.roleName, ...account, layout: 'path-template', file: path })
    }
  }
  return roles
}
