import { mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { createTwoFilesPatch, FILE_HEADERS_ONLY } from 'diff'
import { stableStringify } from '../util/stable-json.js'
import { branchFolder } from './branch.js'
import { assertRepoPaths, sortedEdits } from './file-edits.js'
import type { ChangeRequest, FileEdit, PublishResult, PullRequestGateway } from './types.js'

export interface LocalGatewayOptions {
  /** Root of the dry-run output, e.g. `reports/`; each change gets its own folder below it. */
  outDir: string
  /** The source-of-truth checkout the edits apply to (read only, for the patch). */
  repoDir: string
}

/** What a file edit does to the checkout, as listed in `pr.json`. */
type FileAction = 'create' | 'modify' | 'delete' | 'unchanged'

/**
 * The default publish mode: writes what a PR would contain and touches nothing else
 * (Renovate's `local` platform). Under `<outDir>/<account>/<role>/` (or `<outDir>/<account>/`
 * for per-account grouping):
 *
 * - `pr-body.md`: the PR description, marker included
 * - `change.patch`: a unified diff against the checkout; `git apply change.patch` in it works
 * - `files/<path>`: every edited file as it would be committed (deleted files are absent)
 * - `pr.json`: title, branch, base, labels, reviewers, plan hash and what happens to each file
 *
 * Re-running rewrites the folder's contents, so it always shows the latest plan only.
 */
export class LocalGateway implements PullRequestGateway {
  private readonly options: LocalGatewayOptions

  constructor(options: LocalGatewayOptions) {
    this.options = options
  }

  async ensurePullRequest(change: ChangeRequest): Promise<PublishResult> {
    assertRepoPaths(change.files)
    const folder = join(this.options.outDir, ...branchFolder(change.branch).split('/'))
    await rm(join(folder, 'files'), { recursive: true, force: true })
    await mkdir(folder, { recursive: true })

    const patches: string[] = []
    const actions: { path: string; action: FileAction }[] = []
    for (const edit of sortedEdits(change.files)) {
      const before = await this.readCheckout(edit.path)
      actions.push({ path: edit.path, action: actionOf(before, edit) })
      if (edit.content != null) {
        const target = join(folder, 'files', ...edit.path.split('/'))
        await mkdir(dirname(target), { recursive: true })
        await writeFile(target, edit.content)
      }
      if (before !== edit.content) patches.push(filePatch(edit.path, before, edit.content))
    }

    const summary = {
      repo: change.repo,
      base: change.base,
      branch: change.branch,
      title: change.title,
      planHash: change.planHash,
      labels: change.labels,
      reviewers: change.reviewers ?? [],
      commitMessage: change.commitMessage,
      files: actions,
    }
    await writeFile(join(folder, 'pr-body.md'), change.body)
    await writeFile(join(folder, 'change.patch'), patches.join(''))
    await writeFile(join(folder, 'pr.json'), `${stableStringify(summary, 2)}\n`)
    return { status: 'dry-run', outDir: folder }
  }

  private async readCheckout(path: string): Promise<string | null> {
    try {
      return await readFile(join(this.options.repoDir, ...path.split('/')), 'utf8')
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null
      throw error
    }
  }
}

function actionOf(before: string | null, edit: FileEdit): FileAction {
  if (before === edit.content) return 'unchanged'
  if (before == null) return 'create'
  return edit.content == null ? 'delete' : 'modify'
}

/** One file's part of a git-style patch (`git apply` understands creations and deletions). */
function filePatch(path: string, before: string | null, after: string | null): string {
  const header = [`diff --git a/${path} b/${path}`]
  if (before == null) header.push('new file mode 100644')
  if (after == null) header.push('deleted file mode 100644')
  const oldName = before == null ? '/dev/null' : `a/${path}`
  const newName = after == null ? '/dev/null' : `b/${path}`
  const body = createTwoFilesPatch(
    oldName,
    newName,
    before ?? '',
    after ?? '',
    undefined,
    undefined,
    {
      headerOptions: FILE_HEADERS_ONLY,
    },
  )
  return `${header.join('\n')}\n${body}`
}
