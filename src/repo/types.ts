/**
 * The source-of-truth repo seam: where a role's policies live in a team's git checkout, and how
 * tightened documents are written back without disturbing anything around them.
 *
 * Shaped like Renovate's manager pair: a {@link PolicyFormat} extracts documents with their
 * positions and replaces one of them; a {@link PolicyRepo} finds a role's files and turns planned
 * changes into whole-file edits, in memory. Publishing those edits is the `publish/` layer's job.
 */
import type { RoleRef } from '../model.js'
import type { Span } from './syntax-tree.js'

export type { Span } from './syntax-tree.js'

/** How the role holds the policy: embedded, attached, or as its permissions boundary. */
export type PolicyKind = 'inline' | 'managed' | 'boundary'

/**
 * How the document is written, which decides how it can be edited:
 * - `json-file`: a JSON file that is the policy (or wraps it in `PolicyDocument`);
 * - `file-ref`: a JSON file read by Terraform's `file()`; the edit lands in the JSON file;
 * - `jsonencode`: a Terraform `jsonencode({...})` object, rewritten in HCL syntax;
 * - `heredoc`: JSON inside a Terraform `<<EOF` / `<<-EOF` string;
 * - `policy-document`: a `data "aws_iam_policy_document"` block; only action lists and whole
 *   statement blocks are edited.
 */
export type PolicyEncoding = 'json-file' | 'file-ref' | 'jsonencode' | 'heredoc' | 'policy-document'

/** One policy document found in the repo, with the exact region of the file that holds it. */
export interface LocatedPolicy {
  /** Repo-relative path with `/` separators: the file whose bytes an edit changes. */
  file: string
  format: 'json' | 'terraform'
  kind: PolicyKind
  /** Human label for reports and PR bodies: a path, or a Terraform address. */
  label: string
  policyName?: string
  policyArn?: string
  /**
   * The edited region as JavaScript string offsets into the file's content; an edit changes no
   * byte outside it.
   */
  span: Span
  /** The raw policy JSON value as written; parsing into the policy model happens in `policy/`. */
  document: unknown
  encoding: PolicyEncoding
  /** Where the policy is declared if in another file (the Terraform resource of a `file-ref`). */
  declaredIn?: { file: string; label: string }
}

/**
 * A reader/writer for one file syntax. `extract` and `replace` are pure: same input, same output.
 * `extract` throws `ScopedownError('POLICY_INVALID')` naming the file and line for bad syntax.
 */
export interface PolicyFormat {
  readonly id: LocatedPolicy['format']
  handles(path: string): boolean
  extract(content: string, path: string): readonly LocatedPolicy[]
  /**
   * New file content with the document at `at` replaced by `next` (a policy JSON value). Every
   * byte outside `at.span` is unchanged; replacing a document with itself returns `content`.
   */
  replace(content: string, at: LocatedPolicy, next: unknown): string
}

/** A whole-file change, ready to commit: `content: null` deletes the file. */
export interface FileEdit {
  path: string
  content: string | null
}

/** One planned change: a located policy and its new document (`null`: remove the policy). */
export interface PolicyEdit {
  policy: LocatedPolicy
  after: unknown
}

/** A managed policy or boundary attached to the role, and whether scopedown can edit it. */
export type AttachedPolicy =
  | { arn: string; editable: true; policy: LocatedPolicy }
  | {
      arn: string
      editable: false
      /** `aws-managed`: owned by AWS; `not-in-repo`: customer-managed but not defined here. */
      reason: 'aws-managed' | 'not-in-repo' | 'unresolved'
    }

export type LocateIssueCode =
  | 'role-not-found'
  | 'ambiguous-role'
  | 'parse-error'
  | 'missing-file'
  | 'unsupported'

/** Something about a role's definition that could not be found or read; never thrown. */
export interface LocateIssue {
  code: LocateIssueCode
  message: string
  file?: string
}

/** Which convention a role was found through. */
export type RepoLayout = 'manifest' | 'path-template' | 'terraform'

/** Everything the repo says about one role's permissions. */
export interface RoleLocation {
  role: RoleRef
  /** Where the role is defined; undefined when it was not found (see `issues`). */
  definedIn?: { layout: RepoLayout; file: string }
  inline: readonly LocatedPolicy[]
  managed: readonly AttachedPolicy[]
  boundary?: AttachedPolicy
  issues: readonly LocateIssue[]
}

/** A role the repo defines, for batch runs. `accountId` is unknown when the layout doesn't say. */
export interface DefinedRole {
  name: string
  accountId?: string
  accountName?: string
  path?: string
  layout: RepoLayout
  file: string
}

/** The source-of-truth repo as scopedown sees it. Reads only; edits are returned, not written. */
export interface PolicyRepo {
  locate(role: RoleRef): Promise<RoleLocation>
  /** Every role the repo defines, sorted by account then name. */
  listRoles(): Promise<readonly DefinedRole[]>
  /** The file edits that carry out `changes`, one per touched file, sorted by path. */
  applyChanges(changes: readonly PolicyEdit[]): Promise<readonly FileEdit[]>
}

/** A path template whose matching JSON files are a role's policies (layout a). */
export interface PolicyPathTemplate {
  /** E.g. `accounts/{accountId}/roles/{roleName}/**\/*.json`; also `{accountName}`. */
  path: string
  kind?: PolicyKind
}

/** Where to look, set from the `repo` section of the config. Every field has a default. */
export interface RepoLayoutOptions {
  /** Role manifest templates (layout b); the first that exists for a role wins. */
  manifests?: readonly string[]
  /** Where a manifest's customer-managed policies live; `{policyName}` is the ARN's last part. */
  managedPolicyFiles?: readonly string[]
  /** Where a manifest's boundary policy lives. */
  boundaryFiles?: readonly string[]
  /** Path templates of policy files (layout a). Empty by default. */
  templates?: readonly PolicyPathTemplate[]
  /** Terraform discovery (layout c): on by default over every `.tf` file. */
  terraform?: boolean
  /** Account id to account name, for `{accountName}` in templates. */
  accountNames?: Readonly<Record<string, string>>
}
