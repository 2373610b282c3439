import { InvariantError, ScopedownError } from '../util/errors.js'
import { type Logger, silentLogger } from '../util/log.js'
import { readPlanHash, topicMarker } from './branch.js'
import { hasScopedownTrailers, withTrailers } from './commit-trailers.js'
import { assertRepoPaths, sortedEdits } from './file-edits.js'
import type {
  ChangeRequest,
  CommitInfo,
  GitHubApi,
  PublishResult,
  PullRequestGateway,
  PullRequestInfo,
} from './types.js'

export interface GitHubGatewayOptions {
  /**
   * The login the token acts as (`scopedown[bot]`, `my-bot-user`). When set, a head commit
   * authored or committed by anyone else counts as a human edit. Strongly recommended; without
   * it only the commit trailers identify scopedown's commits.
   */
  botLogin?: string
  /** Labels put on every PR, in addition to the change's own. */
  labels?: readonly string[]
  /** Reviewers requested on every new PR unless the change names its own. */
  reviewers?: readonly string[]
  log?: Logger
}

/** Topic of the one comment scopedown leaves on a PR whose branch a human changed. */
const EDITED_TOPIC = 'edited-by-human'

/** GitHub's web UI commits (edits, "Update branch") are committed by this account. */
const WEB_FLOW_LOGIN = 'web-flow'

/**
 * Proposes changes as GitHub pull requests, idempotently (Renovate's rules):
 *
 * 1. No open PR, but a closed unmerged one with this plan hash: a human said no, so
 *    `blocked: closed-unmerged` until the plan changes.
 * 2. A branch whose head commit is not scopedown's is left alone: one comment on its open PR
 *    explains why, and the result is `blocked: edited-by-human`. We never force-push over people.
 * 3. An open PR already carrying this plan hash: `unchanged`, with zero writes.
 * 4. Otherwise: one commit on top of the current base (Git Data API), the branch moved to it,
 *    and the PR created or updated. The branch is written before the PR body that holds the
 *    plan marker, so a run interrupted in between is simply redone by the next one.
 */
export class GitHubGateway implements PullRequestGateway {
  private readonly api: GitHubApi
  private readonly options: GitHubGatewayOptions
  private readonly log: Logger

  constructor(api: GitHubApi, options: GitHubGatewayOptions = {}) {
    this.api = api
    this.options = options
    this.log = options.log ?? silentLogger
  }

  /** Checks before the first role that the repo and base exist and the token may push. */
  async preflight(base: string): Promise<void> {
    const { owner, name } = this.api.repo
    const repo = await this.api.getRepository()
    if (!repo.canPush) {
      throw new ScopedownError('PUBLISH_FAILED', `the token cannot push to ${owner}/${name}`, {
        hint: 'Give the token contents: write, pull-requests: write and issues: write.',
      })
    }
    if ((await this.api.getBranchSha(base)) == null) {
      throw new ScopedownError(
        'PUBLISH_FAILED',
        `base branch ${base} not found in ${owner}/${name}`,
        {
          hint: `Set publish.base to an existing branch (the default branch is ${repo.defaultBranch}).`,
        },
      )
    }
  }

  async ensurePullRequest(change: ChangeRequest): Promise<PublishResult> {
    this.assertSameRepo(change)
    assertRepoPaths(change.files)
    const log = this.log.child({ branch: change.branch })

    const open = (await this.api.listPulls({ ...target(change), state: 'open' }))[0]
    if (open == null) {
      const closed = await this.api.listPulls({ ...target(change), state: 'closed' })
      const rejected = closed.find((pr) => !pr.merged && readPlanHash(pr.body) === change.planHash)
      if (rejected != null) {
        log.info('plan was rejected before; not proposing again', { pr: rejected.number })
        return blocked('closed-unmerged', rejected)
      }
    }

    const headSha = await this.api.getBranchSha(change.branch)
    const head = headSha == null ? undefined : await this.api.getCommit(headSha)
    if (head != null && !this.isOwnCommit(head)) {
      log.warn('branch has commits scopedown did not make; leaving it alone', { head: head.sha })
      if (open != null) await this.ensureComment(open.number, EDITED_TOPIC, editedComment(change))
      return blocked('edited-by-human', open)
    }

    if (open != null && readPlanHash(open.body) === change.planHash) {
      log.debug('pull request already carries this plan', { pr: open.number })
      return { status: 'unchanged', number: open.number, url: open.url }
    }

    await this.writeBranch(change, head)
    if (open != null) {
      if (open.title !== change.title || open.body !== change.body) {
        await this.api.updatePull(open.number, { title: change.title, body: change.body })
      }
      await this.addMissingLabels(open, change)
      log.info('pull request updated', { pr: open.number })
      return { status: 'updated', number: open.number, url: open.url }
    }
    const created = await this.api.createPull({
      ...target(change),
      title: change.title,
      body: change.body,
    })
    await this.addMissingLabels(created, change)
    await this.requestReviewers(created.number, change)
    log.info('pull request created', { pr: created.number })
    return { status: 'created', number: created.number, url: created.url }
  }

  /** Our commit: scopedown's trailers (see commit-trailers.ts) and, if known, the bot's identity. */
  private isOwnCommit(commit: CommitInfo): boolean {
    if (!hasScopedownTrailers(commit)) return false
    const bot = this.options.botLogin
    if (bot == null) return true
    const committerOk = commit.committerLogin === bot || commit.committerLogin === WEB_FLOW_LOGIN
    return commit.authorLogin === bot && committerOk
  }

  /** Points the branch at one scopedown commit on top of the current base. */
  private async writeBranch(change: ChangeRequest, head: CommitInfo | undefined): Promise<void> {
    const { owner, name } = this.api.repo
    const baseSha = await this.api.getBranchSha(change.base)
    if (baseSha == null) {
      throw new ScopedownError(
        'PUBLISH_FAILED',
        `base branch ${change.base} not found in ${owner}/${name}`,
        {
          hint: 'Set publish.base to an existing branch of the source-of-truth repository.',
        },
      )
    }
    const base = await this.api.getCommit(baseSha)
    const files = sortedEdits(change.files)
    const treeSha = await this.api.createTree({ baseTreeSha: base.treeSha, files })
    if (treeSha === base.treeSha) {
      throw new ScopedownError(
        'PUBLISH_FAILED',
        `the edits for ${change.branch} change nothing on ${change.base}`,
        {
          hint: 'The checkout scopedown planned from is behind the base branch: update it and run again.',
        },
      )
    }
    if (head != null && head.treeSha === treeSha && head.parents[0] === baseSha) return
    const message = withTrailers(change.commitMessage, { planHash: change.planHash, treeSha })
    const sha = await this.api.createCommit({ message, treeSha, parentSha: baseSha })
    if (head == null) await this.api.createBranch(change.branch, sha)
    else await this.api.forceUpdateBranch(change.branch, sha)
  }

  private async addMissingLabels(pr: PullRequestInfo, change: ChangeRequest): Promise<void> {
    const wanted = [...new Set([...(this.options.labels ?? []), ...change.labels])]
    const missing = wanted.filter((label) => !pr.labels.includes(label)).sort()
    if (missing.length > 0) await this.api.addLabels(pr.number, missing)
  }

  /** Reviewers are requested once, on creation; a failure here must not lose the PR. */
  private async requestReviewers(number: number, change: ChangeRequest): Promise<void> {
    const reviewers = change.reviewers ?? this.options.reviewers ?? []
    if (reviewers.length === 0) return
    const users = reviewers.filter((r) => !r.includes('/'))
    const teams = reviewers.filter((r) => r.includes('/')).map((r) => r.slice(r.indexOf('/') + 1))
    try {
      await this.api.requestReviewers(number, { users, teams })
    } catch (error) {
      if (!(error instanceof ScopedownError)) throw error
      this.log.warn('could not request reviewers', { pr: number, error: error.message })
    }
  }

  /** Posts a comment about `topic` unless one is already there (found by its hidden marker). */
  private async ensureComment(number: number, topic: string, body: string): Promise<void> {
    const marker = topicMarker(topic)
    const comments = await this.api.listComments(number)
    if (comments.some((c) => c.body.includes(marker))) return
    await this.api.createComment(number, `${body}\n\n${marker}\n`)
  }

  private assertSameRepo(change: ChangeRequest): void {
    const { owner, name } = this.api.repo
    if (change.repo.owner !== owner || change.repo.name !== name) {
      throw new InvariantError(
        `change for ${change.repo.owner}/${change.repo.name} sent to the gateway for ${owner}/${name}`,
      )
    }
  }
}

function target(change: ChangeRequest): { branch: string; base: string } {
  return { branch: change.branch, base: change.base }
}

function blocked(
  reason: 'edited-by-human' | 'closed-unmerged',
  pr: PullRequestInfo | undefined,
): PublishResult {
  return pr == null
    ? { status: 'blocked', reason }
    : { status: 'blocked', reason, number: pr.number, url: pr.url }
}

function editedComment(change: ChangeRequest): string {
  return [
    `scopedown stopped updating this pull request: branch \`${change.branch}\` has commits ` +
      'that scopedown did not make, and it never overwrites them.',
    '',
    'Newer plans for this change will not be proposed while those commits are there. To hand ' +
      'the branch back, close this pull request and delete the branch; the next run opens a ' +
      'fresh one.',
  ].join('\n')
}
