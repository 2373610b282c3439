import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ScopedownError } from '../util/errors.js'
import { type Logger, silentLogger } from '../util/log.js'
import { hasScopedownTrailers, withTrailers } from './commit-trailers.js'
import { assertRepoPaths, sortedEdits } from './file-edits.js'
import { type GitCommit, type GitRunOptions, gitOutput, readCommit, runGit } from './git-cli.js'
import type {
  BranchOutcome,
  ChangeRequest,
  FileEdit,
  PublishResult,
  PullRequestGateway,
} from './types.js'

export interface GitGatewayOptions {
  /** A clone of the source-of-truth repository. Its checkout and working tree are never touched. */
  repoDir: string
  /** Remote to push to (default `origin`). Its copy of the branch is checked before any push. */
  remote?: string
  push: boolean
  /** Identity of scopedown's commits; a branch head by anyone else is a human edit. */
  author: { name: string; email: string }
  log?: Logger
}

/**
 * Commits the change onto its branch in a local clone, for teams not on GitHub (and the demo).
 * Same rules as GitHubGateway: one scopedown commit on top of the base, no new commit when the
 * content is already there, and a branch whose head someone else made is left alone.
 *
 * It works with plumbing only (a temporary index, `commit-tree`, `update-ref`), so the clone's
 * checked-out branch, index and working tree stay exactly as they were. The base is the local
 * branch `refs/heads/<base>` (or `<remote>/<base>` if there is none): keep the clone current.
 */
export class GitGateway implements PullRequestGateway {
  private readonly options: GitGatewayOptions
  private readonly remote: string
  private readonly git: GitRunOptions
  private readonly log: Logger

  constructor(options: GitGatewayOptions) {
    this.options = options
    this.remote = options.remote ?? 'origin'
    this.git = { cwd: options.repoDir }
    this.log = options.log ?? silentLogger
  }

  async ensurePullRequest(change: ChangeRequest): Promise<PublishResult> {
    assertRepoPaths(change.files)
    const log = this.log.child({ branch: change.branch })
    const ref = `refs/heads/${change.branch}`
    await this.assertNotCheckedOut(ref)

    const localSha = await this.resolve(ref)
    const remoteSha = this.options.push ? await this.remoteBranchSha(change.branch) : undefined
    const heads = [localSha, remoteSha].filter((sha): sha is string => sha != null)
    for (const sha of new Set(heads)) {
      if (!this.isOwnCommit(await readCommit(sha, this.git))) {
        log.warn('branch has commits scopedown did not make; leaving it alone', { head: sha })
        return { status: 'blocked', reason: 'edited-by-human' }
      }
    }
    // The remote is what reviewers see, so when pushing it decides what "current" means.
    const currentSha = this.options.push ? (remoteSha ?? localSha) : localSha
    const current = currentSha == null ? undefined : await readCommit(currentSha, this.git)

    const baseSha = await this.resolveBase(change.base)
    const base = await readCommit(baseSha, this.git)
    const treeSha = await this.buildTree(base.treeSha, sortedEdits(change.files))
    if (treeSha === base.treeSha) {
      throw new ScopedownError(
        'PUBLISH_FAILED',
        `the edits for ${change.branch} change nothing on ${change.base}`,
        {
          hint: 'The checkout scopedown planned from is behind the base branch: update it and run again.',
        },
      )
    }

    let sha: string
    let outcome: BranchOutcome
    if (current != null && current.treeSha === treeSha && current.parents[0] === baseSha) {
      sha = current.sha
      outcome = 'unchanged'
    } else {
      sha = await this.commit(change, treeSha, baseSha)
      outcome = current == null ? 'created' : 'updated'
    }
    if (localSha !== sha) await runGit(['update-ref', ref, sha, localSha ?? ''], this.git)

    let pushed = false
    if (this.options.push && remoteSha !== sha) {
      await runGit(
        [
          'push',
          '--quiet',
          `--force-with-lease=${ref}:${remoteSha ?? ''}`,
          this.remote,
          `${sha}:${ref}`,
        ],
        this.git,
      )
      pushed = true
    }
    log.info('branch ready', { sha, outcome, pushed })
    return { status: 'committed', branch: change.branch, sha, outcome, pushed }
  }

  private isOwnCommit(commit: GitCommit): boolean {
    const email = this.options.author.email.toLowerCase()
    return (
      hasScopedownTrailers(commit) &&
      commit.author.email.toLowerCase() === email &&
      commit.committer.email.toLowerCase() === email
    )
  }

  /** Moving the ref of a checked-out branch would leave that worktree out of step: refuse. */
  private async assertNotCheckedOut(ref: string): Promise<void> {
    const worktrees = await gitOutput(['worktree', 'list', '--porcelain'], this.git)
    if (worktrees.split('\n').includes(`branch ${ref}`)) {
      throw new ScopedownError(
        'PUBLISH_FAILED',
        `${ref} is checked out in ${this.options.repoDir}`,
        {
          hint: 'Check out another branch (e.g. the base) in that clone; scopedown manages its own branches.',
        },
      )
    }
  }

  private async resolve(ref: string): Promise<string | undefined> {
    const { stdout, exitCode } = await runGit(
      ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`],
      { ...this.git, okExitCodes: [1] },
    )
    return exitCode === 0 ? stdout.trim() : undefined
  }

  private async resolveBase(base: string): Promise<string> {
    const sha =
      (await this.resolve(`refs/heads/${base}`)) ??
      (await this.resolve(`refs/remotes/${this.remote}/${base}`))
    if (sha == null) {
      throw new ScopedownError(
        'PUBLISH_FAILED',
        `base branch ${base} not found in ${this.options.repoDir}`,
        {
          hint: `Fetch or create ${base} in the clone, or set publish.base to an existing branch.`,
        },
      )
    }
    return sha
  }

  /** The remote's copy of the branch, fetched so its commit can be inspected; undefined if none. */
  private async remoteBranchSha(branch: string): Promise<string | undefined> {
    const ref = `refs/heads/${branch}`
    const listed = await gitOutput(['ls-remote', '--heads', this.remote, ref], this.git)
    const sha = listed.split(/\s/)[0]
    if (sha == null || sha === '') return undefined
    const tracking = `+${ref}:refs/remotes/${this.remote}/${branch}`
    await runGit(
      ['fetch', '--quiet', '--no-tags', '--no-write-fetch-head', this.remote, tracking],
      this.git,
    )
    return sha
  }

  /** `baseTree` plus the edits, built in a throwaway index so the clone's index is untouched. */
  private async buildTree(baseTree: string, files: readonly FileEdit[]): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'scopedown-index-'))
    const withIndex = { ...this.git, env: { GIT_INDEX_FILE: join(dir, 'index') } }
    try {
      await runGit(['read-tree', baseTree], withIndex)
      const lines: string[] = []
      for (const file of files) {
        if (file.content == null) {
          lines.push(`0 ${'0'.repeat(40)}\t${file.path}`) // mode 0 removes the path
        } else {
          const blob = await gitOutput(['hash-object', '-w', '--stdin'], {
            ...this.git,
            input: file.content,
          })
          lines.push(`100644 ${blob}\t${file.path}`)
        }
      }
      const input = lines.map((line) => `${line}\0`).join('')
      await runGit(['update-index', '-z', '--index-info'], { ...withIndex, input })
      return await gitOutput(['write-tree'], withIndex)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  }

  private async commit(change: ChangeRequest, treeSha: string, parentSha: string): Promise<string> {
    const { name, email } = this.options.author
    const message = withTrailers(change.commitMessage, { planHash: change.planHash, treeSha })
    return gitOutput(['commit-tree', treeSha, '-p', parentSha], {
      ...this.git,
      input: message,
      env: {
        GIT_AUTHOR_NAME: name,
        GIT_AUTHOR_EMAIL: email,
        GIT_COMMITTER_NAME: name,
        GIT_COMMITTER_EMAIL: email,
      },
    })
  }
}
