/**
 * Terraform files: the IAM resources and data sources that hold policy documents, and edits of
 * those documents in place.
 *
 * A resource's `policy` may be `jsonencode({...})` (rewritten as HCL in the file's style), a
 * heredoc of JSON (rewritten as JSON), `file("...json")` (the JSON file is what gets edited; see
 * `locate.ts`), or `data.aws_iam_policy_document.x.json` (the data block is edited). Blocks with
 * `count` or `for_each`, `dynamic` blocks and computed policies are reported as unsupported.
 */
import { InvariantError, ScopedownError } from '../util/errors.js'
import { detectHclStyle, hasExpression, hclDialect, hclValueNode } from './hcl-dialect.js'
import type { HclAttribute, HclBlock, HclExpr, HclParser } from './hcl-parser.js'
import { parseJsonFile, replaceJsonValue } from './json-format.js'
import { renderEdit } from './structured-edit.js'
import { nodeAt, toValue, type ValueNode } from './syntax-tree.js'
import { readPolicyDocument, rewritePolicyDocument } from './terraform-document.js'
import { lineAndColumn, splice } from './text.js'
import type { LocatedPolicy, LocateIssue, PolicyFormat, PolicyKind } from './types.js'

/** A `resource` or `data` block. `address` is Terraform's: `aws_iam_role.app`, `data.x.y`. */
export interface TerraformBlock {
  mode: 'resource' | 'data'
  type: string
  name: string
  address: string
  file: string
  block: HclBlock
  /** Set when the block uses `count` or `for_each`, which scopedown does not expand. */
  repeated?: 'count' | 'for_each'
}

/** Where a `policy` argument takes its document from. */
export type PolicySource =
  | { kind: 'in-file'; policy: LocatedPolicy }
  | { kind: 'file'; path: string }
  | { kind: 'data-document'; address: string }
  | { kind: 'unsupported'; reason: string }

/** A resource (or an `inline_policy` block) that carries a policy. */
export interface PolicyHolder {
  /** `aws_iam_role_policy.app`, or `aws_iam_role.app.inline_policy["name"]`. */
  label: string
  owner: TerraformBlock
  /** The block with the `policy` argument: the resource, or its `inline_policy` block. */
  block: HclBlock
  source: PolicySource
}

/** What one `.tf` file declares that matters to scopedown. */
export interface TerraformFile {
  path: string
  content: string
  blocks: readonly TerraformBlock[]
  /** `locals { name = expr }` entries. */
  locals: ReadonlyMap<string, HclExpr>
  holders: readonly PolicyHolder[]
  /** `data "aws_iam_policy_document"` blocks by address: the document, or why it is unsupported. */
  documents: ReadonlyMap<string, LocatedPolicy | { unsupported: string }>
  issues: readonly LocateIssue[]
}

const POLICY_RESOURCES: Readonly<Record<string, PolicyKind>> = {
  aws_iam_role_policy: 'inline',
  aws_iam_policy: 'managed',
}

const attribute = (block: HclBlock, name: string): HclAttribute | undefined =>
  block.body.attributes.find((a) => a.name === name)

/** A literal string argument, if the argument is one. */
export function literalString(block: HclBlock, name: string): string | undefined {
  const expr = attribute(block, name)?.expr
  return expr?.kind === 'literal' && typeof expr.value === 'string' ? expr.value : undefined
}

const dirOf = (path: string) => (path.includes('/') ? path.slice(0, path.lastIndexOf('/')) : '')

/** Resolve `a/../b/./c` segments of a repo-relative path. */
export function normalizePath(path: string): string {
  const out: string[] = []
  for (const part of path.split('/')) {
    if (part === '..') out.pop()
    else if (part !== '.' && part !== '') out.push(part)
  }
  return out.join('/')
}

/**
 * Read a `.tf` file. Throws `ScopedownError('POLICY_INVALID')` naming the file and line when the
 * file has a syntax error, since an error-recovered tree cannot be edited byte for byte.
 */
export function readTerraformFile(content: string, path: string, parser: HclParser): TerraformFile {
  const parsed = parser.parse(content)
  if (!parsed.ok) {
    const { line, column } = lineAndColumn(content, parsed.errorAt)
    throw new ScopedownError(
      'POLICY_INVALID',
      `${path}:${line}:${column}: Terraform syntax error`,
      {
        hint: 'Check the file with `terraform validate`; scopedown only edits files it can parse.',
      },
    )
  }
  const blocks: TerraformBlock[] = []
  const locals = new Map<string, HclExpr>()
  for (const block of parsed.body.blocks) {
    if (block.type === 'locals') for (const a of block.body.attributes) locals.set(a.name, a.expr)
    if (block.type !== 'resource' && block.type !== 'data') continue
    const [type = '', name = ''] = block.labels
    const repeated = attribute(block, 'for_each')
      ? 'for_each'
      : attribute(block, 'count')
        ? 'count'
        : undefined
    const mode = block.type
    const address = mode === 'data' ? `data.${type}.${name}` : `${type}.${name}`
    blocks.push({ mode, type, name, address, file: path, block, ...(repeated ? { repeated } : {}) })
  }

  const issues: LocateIssue[] = []
  const holders: PolicyHolder[] = []
  const documents = new Map<string, LocatedPolicy | { unsupported: string }>()
  for (const tf of blocks) {
    if (tf.mode === 'data' && tf.type === 'aws_iam_policy_document') {
      documents.set(tf.address, readDocumentBlock(tf, content))
      continue
    }
    const kind = POLICY_RESOURCES[tf.type]
    if (kind !== undefined) {
      holders.push(holder(tf, tf.block, tf.address, kind, content))
    } else if (tf.type === 'aws_iam_role') {
      for (const inline of tf.block.body.blocks.filter((b) => b.type === 'inline_policy')) {
        const name = literalString(inline, 'name') ?? ''
        holders.push(
          holder(
            tf,
            inline,
            `${tf.address}.inline_policy[${JSON.stringify(name)}]`,
            'inline',
            content,
          ),
        )
      }
      if (tf.block.body.blocks.some((b) => b.type === 'dynamic')) {
        issues.push({
          code: 'unsupported',
          file: path,
          message: `${path}: ${tf.address} uses a \`dynamic\` block, which is not expanded`,
        })
      }
    }
  }
  return { path, content, blocks, locals, holders, documents, issues }
}

function holder(
  owner: TerraformBlock,
  block: HclBlock,
  label: string,
  kind: PolicyKind,
  content: string,
): PolicyHolder {
  const expr = attribute(block, 'policy')?.expr
  const name = literalString(block, 'name')
  let source: PolicySource
  if (owner.repeated)
    source = {
      kind: 'unsupported',
      reason: `${owner.address} uses \`${owner.repeated}\`, which scopedown does not expand`,
    }
  else if (expr === undefined)
    source = { kind: 'unsupported', reason: `${label} has no \`policy\` argument` }
  else
    source = policySource(expr, content, {
      file: owner.file,
      label,
      kind,
      ...(name ? { policyName: name } : {}),
    })
  return { label, owner, block, source }
}

/** Classify a `policy = ...` expression. */
function policySource(
  expr: HclExpr,
  content: string,
  at: { file: string; label: string; kind: PolicyKind; policyName?: string },
): PolicySource {
  const base = {
    file: at.file,
    format: 'terraform' as const,
    kind: at.kind,
    label: at.label,
    ...(at.policyName ? { policyName: at.policyName } : {}),
  }
  const code = content.slice(expr.start, expr.end)
  if (expr.kind === 'call' && expr.name === 'jsonencode') {
    const arg = expr.args[0]
    if (expr.args.length !== 1 || arg?.kind !== 'object') {
      return {
        kind: 'unsupported',
        reason: `${at.label}: jsonencode() of a computed value (${code}) is not supported`,
      }
    }
    const node = hclValueNode(arg, content)
    const problem = unsupportedStatements(node)
    if (problem) return { kind: 'unsupported', reason: `${at.label}: ${problem}` }
    return {
      kind: 'in-file',
      policy: {
        ...base,
        span: { start: arg.start, end: arg.end },
        document: toValue(node),
        encoding: 'jsonencode',
      },
    }
  }
  if (expr.kind === 'heredoc') {
    try {
      const node = parseJsonFile(content, at.file, expr.body.start, expr.body.end)
      return {
        kind: 'in-file',
        policy: {
          ...base,
          span: { start: node.start, end: node.end },
          document: toValue(node),
          encoding: 'heredoc',
        },
      }
    } catch (error) {
      if (!(error instanceof ScopedownError)) throw error
      return {
        kind: 'unsupported',
        reason: `${at.label}: the heredoc is not plain JSON (${error.message})`,
      }
    }
  }
  if (expr.kind === 'call' && expr.name === 'file' && expr.args.length === 1) {
    const path = filePath(expr.args[0] as HclExpr, at.file)
    if (path !== undefined) return { kind: 'file', path }
  }
  if (
    expr.kind === 'reference' &&
    expr.path[0] === 'data' &&
    expr.path[1] === 'aws_iam_policy_document' &&
    expr.path.length === 4
  ) {
    return { kind: 'data-document', address: expr.path.slice(0, 3).join('.') }
  }
  return {
    kind: 'unsupported',
    reason: `${at.label}: policy = ${code.split('\n')[0]} is not a form scopedown can edit`,
  }
}

const PATH_MODULE = `\${path.module}/`

/** The repo path of `file("policies/x.json")` or `file("${path.module}/x.json")`. */
function filePath(arg: HclExpr, tfFile: string): string | undefined {
  let relative: string | undefined
  if (arg.kind === 'literal' && typeof arg.value === 'string') relative = arg.value
  else if (arg.kind === 'template' && arg.source.startsWith(PATH_MODULE)) {
    relative = arg.source.slice(PATH_MODULE.length)
  }
  if (relative === undefined || relative.includes('${') || relative.startsWith('/'))
    return undefined
  return normalizePath(`${dirOf(tfFile)}/${relative}`)
}

/** Why a jsonencode() document cannot be edited, if it cannot: computed statements or actions. */
function unsupportedStatements(node: ValueNode): string | undefined {
  const statement = nodeAt(node, ['Statement'])
  if (statement === undefined) return 'the object has no Statement'
  const list = statement.kind === 'array' ? statement.items : [statement]
  if (
    hasExpression(statement) &&
    (statement.kind === 'scalar' || list.some((s) => s.kind !== 'object'))
  ) {
    return 'Statement is computed'
  }
  for (const s of list) {
    for (const key of ['Action', 'NotAction', 'Effect']) {
      const value = nodeAt(s, [key])
      if (hasExpression(value)) return `${key} is computed and cannot be tightened`
    }
  }
  return undefined
}

function readDocumentBlock(
  tf: TerraformBlock,
  content: string,
): LocatedPolicy | { unsupported: string } {
  if (tf.repeated)
    return { unsupported: `${tf.address} uses \`${tf.repeated}\`, which scopedown does not expand` }
  const read = readPolicyDocument(tf.block, content)
  if ('unsupported' in read) return { unsupported: `${tf.address} ${read.unsupported}` }
  return {
    file: tf.file,
    format: 'terraform',
    kind: 'inline',
    label: tf.address,
    span: { start: tf.block.start, end: tf.block.end },
    document: read.document,
    encoding: 'policy-document',
  }
}

/** Every document held in the file itself (not `file()` references), in source order. */
export function policiesInFile(file: TerraformFile): LocatedPolicy[] {
  const found: LocatedPolicy[] = []
  for (const h of file.holders) if (h.source.kind === 'in-file') found.push(h.source.policy)
  for (const d of file.documents.values()) if ('span' in d) found.push(d)
  return found.sort((a, b) => a.span.start - b.span.start)
}

/**
 * The Terraform {@link PolicyFormat}. Data documents are reported as `inline`; the locator sets
 * the kind from the resource that uses them.
 */
export function createTerraformFormat(parser: HclParser): PolicyFormat {
  return {
    id: 'terraform',
    handles: (path) => path.toLowerCase().endsWith('.tf'),
    extract: (content, path) => policiesInFile(readTerraformFile(content, path, parser)),
    replace(content, at, next) {
      const file = readTerraformFile(content, at.file, parser)
      const current = policiesInFile(file).find(
        (p) =>
          p.span.start === at.span.start &&
          p.span.end === at.span.end &&
          p.encoding === at.encoding,
      )
      if (current === undefined)
        throw new InvariantError(
          `${at.file}: ${at.label} is no longer at offsets ${at.span.start}-${at.span.end}`,
        )
      switch (at.encoding) {
        case 'jsonencode': {
          const node = jsonencodeNode(file, at)
          const text = renderEdit(content, node, next, hclDialect(detectHclStyle(content)))
          return splice(content, at.span.start, at.span.end, text)
        }
        case 'heredoc': {
          const heredoc = heredocAt(file, at)
          return replaceJsonValue(content, at.span, next, at.file, heredoc.body)
        }
        case 'policy-document': {
          const block = file.blocks.find((b) => b.block.start === at.span.start)?.block as HclBlock
          return splice(
            content,
            at.span.start,
            at.span.end,
            rewritePolicyDocument(block, content, next, `${at.file}: ${at.label}`),
          )
        }
        default:
          throw new InvariantError(
            `${at.file}: the Terraform format cannot edit a ${at.encoding} policy`,
          )
      }
    },
  }
}

function policyExprOf(file: TerraformFile, at: LocatedPolicy): HclExpr {
  for (const h of file.holders) {
    const expr = attribute(h.block, 'policy')?.expr
    if (expr && expr.start <= at.span.start && at.span.end <= expr.end) return expr
  }
  throw new InvariantError(`${at.file}: no policy argument holds ${at.label}`)
}

function jsonencodeNode(file: TerraformFile, at: LocatedPolicy): ValueNode {
  const expr = policyExprOf(file, at)
  const arg = expr.kind === 'call' ? expr.args[0] : undefined
  if (arg === undefined) throw new InvariantError(`${at.file}: ${at.label} is not jsonencode()`)
  return hclValueNode(arg, file.content)
}

function heredocAt(file: TerraformFile, at: LocatedPolicy): Extract<HclExpr, { kind: 'heredoc' }> {
  const expr = policyExprOf(file, at)
  if (expr.kind !== 'heredoc') throw new InvariantError(`${at.file}: ${at.label} is not a heredoc`)
  return expr
}
