/**
 * Layout (b): a role manifest per role, as in the demo org:
 *
 * ```
 * accounts/<accountId>/roles/<role>/role.json          managedPolicyArns, permissionsBoundaryArn
 * accounts/<accountId>/roles/<role>/inline/<name>.json  one inline policy per file
 * accounts/<accountId>/policies/<name>.json             customer-managed, by the ARN's last part
 * accounts/<accountId>/boundaries/<name>.json           permissions boundaries
 * ```
 */
import { z } from 'zod'
import type { RoleRef } from '../model.js'
import { errorMessage, ScopedownError } from '../util/errors.js'
import { parseJsonFile } from './json-format.js'
import {
  accountOf,
  isPolicy,
  type LocateContext,
  parsePolicyArn,
  readJsonPolicy,
  roleValues,
} from './layout.js'
import { compileTemplate } from './path-template.js'
import { toValue } from './syntax-tree.js'
import type {
  AttachedPolicy,
  DefinedRole,
  LocatedPolicy,
  LocateIssue,
  RoleLocation,
} from './types.js'

/** The fields of `role.json` scopedown reads; everything else in the file is left alone. */
const ManifestSchema = z.looseObject({
  name: z.string().optional(),
  path: z.string().optional(),
  managedPolicyArns: z.array(z.string()).optional(),
  permissionsBoundaryArn: z.string().nullable().optional(),
})

type Manifest = z.infer<typeof ManifestSchema>

function parseManifest(content: string, path: string): Manifest {
  const parsed = ManifestSchema.safeParse(toValue(parseJsonFile(content, path)))
  if (!parsed.success) {
    const first = parsed.error.issues[0]
    throw new ScopedownError(
      'POLICY_INVALID',
      `${path}: ${first?.path.join('.') || 'manifest'}: ${first?.message}`,
      {
        hint:
          'A role manifest has a name, managedPolicyArns (a list) and ' +
          'permissionsBoundaryArn (a string or null).',
      },
    )
  }
  return parsed.data
}

/** The manifest path for a role, if one of the templates points at an existing file. */
export async function findManifest(role: RoleRef, ctx: LocateContext): Promise<string | undefined> {
  for (const template of ctx.layout.manifests) {
    const path = compileTemplate(template).fill(roleValues(role, ctx.layout))
    if (path !== undefined && (await ctx.files.read(path)) !== undefined) return path
  }
  return undefined
}

/** Locate a role through its manifest. */
export async function locateByManifest(
  role: RoleRef,
  manifestPath: string,
  ctx: LocateContext,
): Promise<RoleLocation> {
  const issues: LocateIssue[] = []
  const base = { role, definedIn: { layout: 'manifest' as const, file: manifestPath } }
  let manifest: Manifest
  try {
    manifest = parseManifest((await ctx.files.read(manifestPath)) ?? '', manifestPath)
  } catch (error) {
    if (!(error instanceof ScopedownError)) throw error
    return {
      ...base,
      inline: [],
      managed: [],
      issues: [{ code: 'parse-error', file: manifestPath, message: errorMessage(error) }],
    }
  }

  const roleDir = manifestPath.slice(0, manifestPath.lastIndexOf('/') + 1)
  const inline: LocatedPolicy[] = []
  for (const path of await ctx.files.list()) {
    if (!path.startsWith(`${roleDir}inline/`) || !path.toLowerCase().endsWith('.json')) continue
    const found = await readJsonPolicy(ctx.files, path, { kind: 'inline' })
    if (isPolicy(found)) inline.push(found)
    else issues.push(found)
  }

  const attach = async (arn: string, kind: 'managed' | 'boundary'): Promise<AttachedPolicy> => {
    const parsed = parsePolicyArn(arn)
    if (parsed === undefined) {
      issues.push({
        code: 'unsupported',
        file: manifestPath,
        message: `${manifestPath}: ${arn} is not a policy ARN`,
      })
      return { arn, editable: false, reason: 'unresolved' }
    }
    if (parsed.account === 'aws') return { arn, editable: false, reason: 'aws-managed' }
    const templates = kind === 'boundary' ? ctx.layout.boundaryFiles : ctx.layout.managedPolicyFiles
    const values = {
      accountId: parsed.account,
      accountName: ctx.layout.accountNames[parsed.account],
      policyName: parsed.name,
    }
    for (const template of templates) {
      const path = compileTemplate(template).fill(values)
      if (path === undefined || (await ctx.files.read(path)) === undefined) continue
      const found = await readJsonPolicy(ctx.files, path, { kind, policyArn: arn })
      if (isPolicy(found))
        return { arn, editable: true, policy: { ...found, policyName: parsed.name } }
      issues.push(found)
      return { arn, editable: false, reason: 'unresolved' }
    }
    return { arn, editable: false, reason: 'not-in-repo' }
  }

  const managed: AttachedPolicy[] = []
  for (const arn of manifest.managedPolicyArns ?? []) managed.push(await attach(arn, 'managed'))
  const boundaryArn = manifest.permissionsBoundaryArn
  const boundary = boundaryArn ? await attach(boundaryArn, 'boundary') : undefined
  return { ...base, inline, managed, ...(boundary ? { boundary } : {}), issues }
}

/** Every role that has a manifest. */
export async function manifestRoles(ctx: LocateContext): Promise<DefinedRole[]> {
  const roles = new Map<string, DefinedRole>()
  const paths = await ctx.files.list()
  for (const template of ctx.layout.manifests.map(compileTemplate)) {
    for (const path of paths) {
      const values = template.match(path)
      const account = values && accountOf(values, ctx.layout)
      if (values === undefined || account === undefined || roles.has(path)) continue
      let manifest: Manifest | undefined
      try {
        manifest = parseManifest((await ctx.files.read(path)) ?? '', path)
      } catch {
        manifest = undefined // reported when the role is located
      }
      roles.set(path, {
        name: manifest?.name ?? values.roleName ?? '',
        ...account,
        ...(manifest?.path ? { path: manifest.path } : {}),
        layout: 'manifest',
        file: path,
      })
    }
  }
  return [...roles.values()]
}
