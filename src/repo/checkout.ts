/**
 * {@link PolicyRepo} over a working copy of the source-of-truth repo. It reads files and returns
 * edits; it never writes, commits or pushes (that is `publish/`'s job).
 */
import type { RoleRef } from '../model.js'
import { InvariantError, ScopedownError } from '../util/errors.js'
import { loadHclParser } from './hcl-parser.js'
import { jsonFormat } from './json-format.js'
import { resolveLayout } from './layout.js'
import { createLocator, type Locator } from './locate.js'
import { checkoutFiles, type RepoFiles } from './repo-files.js'
import { createTerraformFormat } from './terraform-format.js'
import type {
  DefinedRole,
  FileEdit,
  PolicyEdit,
  PolicyFormat,
  PolicyRepo,
  RepoLayoutOptions,
  RoleLocation,
} from './types.js'

export class CheckoutPolicyRepo implements PolicyRepo {
  readonly #files: RepoFiles
  readonly #formats: readonly PolicyFormat[]
  readonly #locator: Locator

  /** Prefer {@link CheckoutPolicyRepo.open}; the constructor takes ready-made parts. */
  constructor(files: RepoFiles, formats: readonly PolicyFormat[], locator: Locator) {
    this.#files = files
    this.#formats = formats
    this.#locator = locator
  }

  /**
   * Open a checkout on disk (`root`) or any {@link RepoFiles}. Loads the HCL grammar, which is
   * the only async part of set-up.
   */
  static async open(
    root: string | RepoFiles,
    options: RepoLayoutOptions = {},
  ): Promise<CheckoutPolicyRepo> {
    const files = typeof root === 'string' ? checkoutFiles(root) : root
    const parser = await loadHclParser()
    const locator = createLocator({ files, parser, layout: resolveLayout(options) })
    return new CheckoutPolicyRepo(files, [jsonFormat, createTerraformFormat(parser)], locator)
  }

  locate(role: RoleRef): Promise<RoleLocation> {
    return this.#locator.locate(role)
  }

  listRoles(): Promise<readonly DefinedRole[]> {
    return this.#locator.listRoles()
  }

  /**
   * Apply every change to its file in memory. Edits of one file are applied from the end of the
   * file backwards, so each one's span is still valid when its turn comes. Files whose content
   * does not change produce no edit.
   */
  async applyChanges(changes: readonly PolicyEdit[]): Promise<readonly FileEdit[]> {
    const byFile = new Map<string, PolicyEdit[]>()
    for (const change of changes)
      byFile.set(change.policy.file, [...(byFile.get(change.policy.file) ?? []), change])
    const edits: FileEdit[] = []
    for (const [path, fileChanges] of [...byFile].sort(([a], [b]) =>
      a < b ? -1 : a > b ? 1 : 0,
    )) {
      const original = await this.#files.read(path)
      if (original === undefined) {
        throw new ScopedownError('POLICY_NOT_FOUND', `${path} no longer exists in the repo`, {
          hint: 'Locate the role again on a fresh checkout.',
        })
      }
      const ordered = [...fileChanges].sort((a, b) => b.policy.span.start - a.policy.span.start)
      for (const [i, change] of ordered.entries()) {
        const later = ordered[i - 1]
        if (later && change.policy.span.end > later.policy.span.start) {
          throw new InvariantError(
            `${path}: two changes overlap (${change.policy.label}, ${later.policy.label})`,
          )
        }
      }
      if (ordered.some((c) => c.after === null)) {
        edits.push(deletion(path, original, ordered))
        continue
      }
      const format = this.#formats.find((f) => f.id === ordered[0]?.policy.format)
      if (format === undefined)
        throw new InvariantError(`${path}: no format for ${ordered[0]?.policy.format}`)
      let content = original
      for (const change of ordered) content = format.replace(content, change.policy, change.after)
      if (content !== original) edits.push({ path, content })
    }
    return edits
  }
}

/**
 * Removing a policy is supported where it has a file of its own: an inline policy JSON file
 * (manifest or template layout). Anything else needs a human: other definitions may refer to it.
 */
function deletion(path: string, content: string, changes: readonly PolicyEdit[]): FileEdit {
  const [change] = changes
  const policy = change?.policy
  const wholeFile =
    changes.length === 1 &&
    policy?.encoding === 'json-file' &&
    policy.kind === 'inline' &&
    content
      .slice(0, policy.span.start)
      .trim()
      .replace(/^\uFEFF/, '') === '' &&
    content.slice(policy.span.end).trim() === ''
  if (!wholeFile) {
    throw new ScopedownError(
      'POLICY_INVALID',
      `${path}: scopedown cannot remove ${policy?.label ?? 'this policy'} by itself`,
      {
        hint:
          'Only inline policies kept one per JSON file are deleted automatically; ' +
          'remove this one by hand, or keep it with fewer actions.',
      },
    )
  }
  return { path, content: null }
}
