/**
 * A Terraform module (the `.tf` files of one directory) as scopedown reads it: which roles it
 * defines and, for one role, which policies it has, with references such as
 * `aws_iam_role.app.name` and `aws_iam_policy.x.arn` resolved within the module. Child modules,
 * variables and `count`/`for_each` are not evaluated; they are reported instead.
 */
import type { HclBlock, HclExpr } from './hcl-parser.js'
import type {
  PolicyHolder,
  PolicySource,
  TerraformBlock,
  TerraformFile,
} from './terraform-format.js'
import type { LocateIssue, PolicyKind } from './types.js'

export interface TerraformModule {
  dir: string
  files: readonly TerraformFile[]
  blocks: readonly TerraformBlock[]
  holders: readonly PolicyHolder[]
  locals: ReadonlyMap<string, HclExpr>
}

/** Combine the files of one directory. */
export function createModule(dir: string, files: readonly TerraformFile[]): TerraformModule {
  const locals = new Map<string, HclExpr>()
  for (const f of files) for (const [k, v] of f.locals) locals.set(k, v)
  return {
    dir,
    files,
    blocks: files.flatMap((f) => f.blocks),
    holders: files.flatMap((f) => f.holders),
    locals,
  }
}

const attributeExpr = (block: HclBlock, name: string) =>
  block.body.attributes.find((a) => a.name === name)?.expr

function contentOf(module: TerraformModule, file: string): string {
  return module.files.find((f) => f.path === file)?.content ?? ''
}

/**
 * The string an expression stands for when the module alone decides it: a literal, a local, or a
 * template of those. Undefined for variables, resource attributes and anything computed.
 */
export function evaluateString(
  expr: HclExpr | undefined,
  module: TerraformModule,
  depth = 0,
): string | undefined {
  if (expr === undefined || depth > 8) return undefined
  if (expr.kind === 'literal') return typeof expr.value === 'string' ? expr.value : undefined
  if (expr.kind === 'reference' && expr.path[0] === 'local' && expr.path.length === 2) {
    return evaluateString(module.locals.get(expr.path[1] as string), module, depth + 1)
  }
  if (expr.kind === 'template') {
    let unresolved = false
    const text = expr.source.replace(/\$\{\s*local\.([A-Za-z_][\w-]*)\s*\}/g, (_, name: string) => {
      const value = evaluateString(module.locals.get(name), module, depth + 1)
      if (value === undefined) unresolved = true
      return value ?? ''
    })
    return unresolved || text.includes('${') ? undefined : text
  }
  return undefined
}

/** A role the module defines. `name` is undefined when computed (`name_prefix`, variables). */
export interface TerraformRole {
  block: TerraformBlock
  name?: string
  path?: string
}

/** Every `aws_iam_role` of the module, including repeated ones (which the caller reports). */
export function rolesOf(module: TerraformModule): TerraformRole[] {
  return module.blocks
    .filter((b) => b.mode === 'resource' && b.type === 'aws_iam_role')
    .map((block) => {
      const name = evaluateString(attributeExpr(block.block, 'name'), module)
      const path = evaluateString(attributeExpr(block.block, 'path'), module)
      return { block, ...(name ? { name } : {}), ...(path ? { path } : {}) }
    })
}

/** A policy the role holds through a resource of the module. */
export interface HeldPolicy {
  holder: PolicyHolder
  kind: PolicyKind
  policyName?: string
  /** The managed policy's ARN as far as it is known (`aws_iam_policy` name and path). */
  arn?: string
}

/** An attached policy ARN and what it resolves to in the module. */
export type AttachedRef =
  | { kind: PolicyKind; resolved: 'in-module'; held: HeldPolicy }
  | { kind: PolicyKind; resolved: 'aws-managed' | 'not-in-repo' | 'unresolved'; arn: string }

/** The policies the module gives one role, and what it could not work out. */
export interface RoleFacts {
  inline: readonly HeldPolicy[]
  attached: readonly AttachedRef[]
  boundary?: AttachedRef
  issues: readonly LocateIssue[]
}

const POLICY_ARN = /^arn:[^:]*:iam::([^:]*):policy\/(?:.*\/)?([^/]+)$/

/** Describe what the module attaches to `role`. `partition` and `accountId` complete ARNs. */
export function roleFacts(
  module: TerraformModule,
  role: TerraformRole,
  context: { partition: string; accountId: string },
): RoleFacts {
  const issues: LocateIssue[] = []
  const refersToRole = (expr: HclExpr | undefined): boolean => {
    if (expr === undefined) return false
    if (expr.kind === 'reference') {
      const [type, name, attr] = expr.path
      if (type === 'aws_iam_role') return name === role.block.name && attr !== undefined
    }
    const text = evaluateString(expr, module)
    return (
      text !== undefined &&
      role.name !== undefined &&
      (text === role.name || text.endsWith(`:role${role.path ?? '/'}${role.name}`))
    )
  }

  const policyArn = (holder: PolicyHolder): string | undefined => {
    const name = evaluateString(attributeExpr(holder.block, 'name'), module)
    const path = evaluateString(attributeExpr(holder.block, 'path'), module) ?? '/'
    return name
      ? `arn:${context.partition}:iam::${context.accountId}:policy${path}${name}`
      : undefined
  }

  const policyResource = (address: string): HeldPolicy | undefined => {
    const holder = module.holders.find(
      (h) => h.owner.address === address && h.block === h.owner.block,
    )
    if (holder === undefined) return undefined
    const name = evaluateString(attributeExpr(holder.block, 'name'), module)
    const arn = policyArn(holder)
    return {
      holder,
      kind: 'managed',
      ...(name ? { policyName: name } : {}),
      ...(arn ? { arn } : {}),
    }
  }

  const resolveArn = (expr: HclExpr, kind: PolicyKind, file: string): AttachedRef => {
    const code = contentOf(module, file).slice(expr.start, expr.end)
    if (expr.kind === 'reference' && expr.path[0] === 'aws_iam_policy' && expr.path.length === 3) {
      const held = policyResource(expr.path.slice(0, 2).join('.'))
      if (held) return { kind, resolved: 'in-module', held: { ...held, kind } }
    }
    // Partition and account often come from data sources; the role's own stand in for them.
    const text = (
      evaluateString(expr, module) ?? (expr.kind === 'template' ? expr.source : undefined)
    )
      ?.replace(/^arn:\$\{[^}]*partition[^}]*\}:/, `arn:${context.partition}:`)
      .replace(/^(arn:[^:]*:iam::)\$\{[^}]*account_id[^}]*\}:/, `$1${context.accountId}:`)
    const match = text === undefined ? null : POLICY_ARN.exec(text)
    if (text === undefined || match === null) return { kind, resolved: 'unresolved', arn: code }
    if (match[1] === 'aws') return { kind, resolved: 'aws-managed', arn: text }
    const byReference = /^\$\{aws_iam_policy\.([\w-]+)\.name\}$/.exec(match[2] ?? '')
    const referenced = byReference && policyResource(`aws_iam_policy.${byReference[1]}`)
    if (referenced) return { kind, resolved: 'in-module', held: { ...referenced, kind } }
    const byName = module.holders.find(
      (h) =>
        h.owner.type === 'aws_iam_policy' &&
        evaluateString(attributeExpr(h.block, 'name'), module) === match[2],
    )
    if (byName) {
      const held = policyResource(byName.owner.address)
      if (held) return { kind, resolved: 'in-module', held: { ...held, kind } }
    }
    return { kind, resolved: 'not-in-repo', arn: text }
  }

  const inline: HeldPolicy[] = []
  for (const holder of module.holders) {
    const inRole = holder.owner === role.block && holder.block !== role.block.block
    const rolePolicy =
      holder.owner.type === 'aws_iam_role_policy' &&
      refersToRole(attributeExpr(holder.owner.block, 'role'))
    if (!inRole && !rolePolicy) continue
    const name = evaluateString(attributeExpr(holder.block, 'name'), module)
    inline.push({ holder, kind: 'inline', ...(name ? { policyName: name } : {}) })
  }

  const attached: AttachedRef[] = []
  for (const block of module.blocks) {
    const roleArg = attributeExpr(block.block, 'role')
    const rolesArg = attributeExpr(block.block, 'roles')
    const arnArg = attributeExpr(block.block, 'policy_arn')
    const attaches =
      (block.type === 'aws_iam_role_policy_attachment' && refersToRole(roleArg)) ||
      (block.type === 'aws_iam_policy_attachment' &&
        rolesArg?.kind === 'tuple' &&
        rolesArg.items.some(refersToRole))
    if (!attaches || arnArg === undefined) continue
    if (block.repeated) {
      issues.push({
        code: 'unsupported',
        file: block.file,
        message: `${block.file}: ${block.address} uses \`${block.repeated}\` (not expanded)`,
      })
      continue
    }
    attached.push(resolveArn(arnArg, 'managed', block.file))
  }
  const listed = attributeExpr(role.block.block, 'managed_policy_arns')
  if (listed?.kind === 'tuple')
    for (const item of listed.items) attached.push(resolveArn(item, 'managed', role.block.file))
  else if (listed !== undefined) {
    issues.push({
      code: 'unsupported',
      file: role.block.file,
      message: `${role.block.file}: ${role.block.address}.managed_policy_arns is computed`,
    })
  }
  const boundaryExpr = attributeExpr(role.block.block, 'permissions_boundary')
  const boundary = boundaryExpr ? resolveArn(boundaryExpr, 'boundary', role.block.file) : undefined
  return { inline, attached, ...(boundary ? { boundary } : {}), issues }
}

/** The data document a source points at, if it is one. */
export function dataDocumentOf(source: PolicySource, module: TerraformModule) {
  if (source.kind !== 'data-document') return undefined
  for (const f of module.files) {
    const doc = f.documents.get(source.address)
    if (doc) return doc
  }
  return { unsupported: `${source.address} is not defined in ${module.dir || 'the repo root'}` }
}
