/**
 * The layout conventions a repo follows, with their defaults, and the helpers every locator shares:
 * reading one JSON policy file into a {@link LocatedPolicy} or an issue.
 */
import type { RoleRef } from '../model.js'
import { errorMessage, ScopedownError } from '../util/errors.js'
import type { HclParser } from './hcl-parser.js'
import { jsonFormat } from './json-format.js'
import type { TemplateValues } from './path-template.js'
import type { RepoFiles } from './repo-files.js'
import type {
  LocatedPolicy,
  LocateIssue,
  PolicyKind,
  PolicyPathTemplate,
  RepoLayoutOptions,
} from './types.js'

/** {@link RepoLayoutOptions} with every default filled in. */
export interface Layout {
  manifests: readonly string[]
  managedPolicyFiles: readonly string[]
  boundaryFiles: readonly string[]
  templates: readonly PolicyPathTemplate[]
  terraform: boolean
  accountNames: Readonly<Record<string, string>>
}

/** The demo org's conventions: `accounts/<id>/roles/<role>/role.json` and neighbours. */
export function resolveLayout(options: RepoLayoutOptions = {}): Layout {
  const managedPolicyFiles = options.managedPolicyFiles ?? [
    'accounts/{accountId}/policies/{policyName}.json',
    'accounts/{accountName}/policies/{policyName}.json',
  ]
  return {
    manifests: options.manifests ?? [
      'accounts/{accountId}/roles/{roleName}/role.json',
      'accounts/{accountName}/roles/{roleName}/role.json',
    ],
    managedPolicyFiles,
    boundaryFiles: options.boundaryFiles ?? [
      'accounts/{accountId}/boundaries/{policyName}.json',
      'accounts/{accountName}/boundaries/{policyName}.json',
      ...managedPolicyFiles,
    ],
    templates: options.templates ?? [],
    terraform: options.terraform ?? true,
    accountNames: options.accountNames ?? {},
  }
}

/** What the locators need: the files, the HCL parser and the layout. */
export interface LocateContext {
  files: RepoFiles
  parser: HclParser
  layout: Layout
}

/** Template values that identify a role. */
export function roleValues(role: RoleRef, layout: Layout): TemplateValues {
  return {
    accountId: role.accountId,
    accountName: layout.accountNames[role.accountId],
    roleName: role.name,
  }
}

/**
 * Read a JSON policy file. Missing files, syntax errors and files without a policy document
 * become issues, so one bad file never stops a run.
 */
export async function readJsonPolicy(
  files: RepoFiles,
  path: string,
  meta: {
    kind: PolicyKind
    policyArn?: string
    label?: string
    declaredIn?: LocatedPolicy['declaredIn']
  },
): Promise<LocatedPolicy | LocateIssue> {
  let content: string | undefined
  try {
    content = await files.read(path)
    if (content === undefined) {
      return { code: 'missing-file', file: path, message: `${path} does not exist` }
    }
    const [found] = jsonFormat.extract(content, path)
    if (found === undefined) {
      return {
        code: 'unsupported',
        file: path,
        message: `${path} holds no policy document (no "Statement")`,
      }
    }
    return {
      ...found,
      kind: meta.kind,
      ...(meta.label ? { label: meta.label } : {}),
      ...(meta.policyArn ? { policyArn: meta.policyArn } : {}),
      ...(meta.declaredIn ? { declaredIn: meta.declaredIn, encoding: 'file-ref' as const } : {}),
    }
  } catch (error) {
    if (!(error instanceof ScopedownError)) throw error
    return { code: 'parse-error', file: path, message: errorMessage(error) }
  }
}

/** True for a located policy, false for an issue. */
export function isPolicy(found: LocatedPolicy | LocateIssue): found is LocatedPolicy {
  return 'span' in found
}

/** `aws` and the account of `arn:aws:iam::aws:policy/...`, the policy's name, or undefined. */
export function parsePolicyArn(arn: string): { account: string; name: string } | undefined {
  const match = /^arn:[^:]*:iam::([^:]*):policy\/(?:.*\/)?([^/]+)$/.exec(arn)
  return match ? { account: match[1] as string, name: match[2] as string } : undefined
}

/**
 * The account that template placeholders captured, or undefined when they cannot name one: an
 * `{accountId}` that is not 12 digits, or an `{accountName}` the config does not know.
 */
export function accountOf(
  values: Readonly<Record<string, string>>,
  layout: Layout,
): { accountId?: string; accountName?: string } | undefined {
  const { accountId, accountName } = values
  if (accountId !== undefined) {
    if (!/^\d{12}$/.test(accountId)) return undefined
    const name = layout.accountNames[accountId]
    return { accountId, ...(name ? { accountName: name } : {}) }
  }
  if (accountName !== undefined) {
    const id = Object.entries(layout.accountNames).find(([, name]) => name === accountName)?.[0]
    return id ? { accountId: id, accountName } : undefined
  }
  return {}
}
