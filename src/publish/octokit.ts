import { retry } from '@octokit/plugin-retry'
import { throttling } from '@octokit/plugin-throttling'
import { Octokit } from '@octokit/rest'
import Bottleneck from 'bottleneck'
import { ScopedownError } from '../util/errors.js'
import { type Logger, silentLogger } from '../util/log.js'
import type { CommitInfo, FileEdit, GitHubApi, PullRequestInfo } from './types.js'

export interface OctokitApiOptions {
  /** A token with contents: write, pull-requests: write, issues: write (the caller reads GITHUB_TOKEN). */
  token: string
  /** GitHub Enterprise Server API root, e.g. `https://github.example.com/api/v3`. */
  baseUrl?: string
  owner: string
  repo: string
  log?: Logger
  /** How many times a request is retried on 5xx or a rate limit. Default 3. */
  retries?: number
  /** Test hook: shrink every wait so retries take milliseconds. */
  timings?: {
    /** Milliseconds per unit of back-off; GitHub's `retry-after` is in seconds. Default 1000. */
    retryBaseMs?: number
    /** Minimum gap between writes. Default: the plugin's 1s (GitHub's advice for bots). */
    writeSpacingMs?: number
  }
}

/** Longest wait for the primary rate limit to reset before giving up on a request. */
const MAX_RATE_LIMIT_WAIT_SECONDS = 15 * 60

const ScopedownOctokit = Octokit.plugin(throttling, retry)
type ScopedownOctokit = InstanceType<typeof ScopedownOctokit>

/**
 * The GitHubApi over `@octokit/rest`, bound to one repository. Throttling spaces writes and
 * retries secondary rate limits (403/429 with `retry-after`); the retry plugin retries 5xx.
 * Both are bounded by `retries`. Every other error becomes `ScopedownError('PUBLISH_FAILED')`
 * with a hint, here and nowhere else.
 */
export function createOctokitApi(options: OctokitApiOptions): GitHubApi {
  const log = options.log ?? silentLogger
  const retries = options.retries ?? 3
  const retryBaseMs = options.timings?.retryBaseMs ?? 1000
  const spacing = options.timings?.writeSpacingMs
  const octokit: ScopedownOctokit = new ScopedownOctokit({
    auth: options.token,
    ...(options.baseUrl == null ? {} : { baseUrl: options.baseUrl.replace(/\/+$/, '') }),
    userAgent: 'scopedown',
    log: {
      debug: (message: string) => log.debug(message),
      info: (message: string) => log.debug(message),
      warn: (message: string) => log.warn(message),
      error: (message: string) => log.error(message),
    },
    retry: { retries, retryAfterBaseValue: retryBaseMs },
    throttle: {
      retryAfterBaseValue: retryBaseMs,
      ...(spacing == null ? {} : writeGroups(spacing)),
      onSecondaryRateLimit: (retryAfter, request, _octokit, retryCount) => {
        log.warn('GitHub secondary rate limit', { retryAfter, url: request.url, retryCount })
        return retryCount < retries
      },
      onRateLimit: (retryAfter, request, _octokit, retryCount) => {
        log.warn('GitHub rate limit exhausted', { retryAfter, url: request.url, retryCount })
        return retryCount < retries && retryAfter <= MAX_RATE_LIMIT_WAIT_SECONDS
      },
    },
  })
  return new OctokitApi(octokit, options)
}

/** Throttling groups with a custom write gap (the plugin's own are process-wide at 1s/3s). */
function writeGroups(gapMs: number): { write: Bottleneck.Group; notifications: Bottleneck.Group } {
  return {
    write: new Bottleneck.Group({ maxConcurrent: 1, minTime: gapMs }),
    notifications: new Bottleneck.Group({ maxConcurrent: 1, minTime: gapMs }),
  }
}

class OctokitApi implements GitHubApi {
  readonly repo: { owner: string; name: string }
  private readonly octokit: ScopedownOctokit
  private readonly where: string
  private readonly origin: string

  constructor(octokit: ScopedownOctokit, options: OctokitApiOptions) {
    this.octokit = octokit
    this.repo = { owner: options.owner, name: options.repo }
    this.where = `${options.owner}/${options.repo}`
    this.origin = options.baseUrl ?? 'https://api.github.com'
  }

  private get ids() {
    return { owner: this.repo.owner, repo: this.repo.name }
  }

  async getRepository() {
    const { data } = await this.call('read repository', () => this.octokit.rest.repos.get(this.ids))
    return { defaultBranch: data.default_branch, canPush: data.permissions?.push === true }
  }

  async listPulls(query: { branch: string; base: string; state: 'open' | 'closed' }) {
    const { data } = await this.call('list pull requests', () =>
      this.octokit.rest.pulls.list({
        ...this.ids,
        state: query.state,
        head: `${this.repo.owner}:${query.branch}`,
        base: query.base,
        per_page: 100,
      }),
    )
    return data.map(toPullRequest)
  }

  async getBranchSha(branch: string) {
    try {
      const { data } = await this.octokit.rest.git.getRef({ ...this.ids, ref: `heads/${branch}` })
      return data.object.sha
    } catch (error) {
      if (statusOf(error) === 404) return undefined
      throw this.wrap('read branch', error)
    }
  }

  async getCommit(sha: string): Promise<CommitInfo> {
    const { data } = await this.call('read commit', () =>
      this.octokit.rest.repos.getCommit({ ...this.ids, ref: sha }),
    )
    return {
      sha: data.sha,
      treeSha: data.commit.tree.sha,
      parents: data.parents.map((p) => p.sha),
      message: data.commit.message,
      authorLogin: data.author != null && 'login' in data.author ? data.author.login : null,
      committerLogin:
        data.committer != null && 'login' in data.committer ? data.committer.login : null,
    }
  }

  async createTree(args: { baseTreeSha: string; files: readonly FileEdit[] }) {
    const entries: { path: string; mode: '100644'; type: 'blob'; sha: string | null }[] = []
    for (const file of args.files) {
      let sha: string | null = null
      if (file.content != null) {
        const content = file.content
        const blob = await this.call('upload file', () =>
          this.octokit.rest.git.createBlob({ ...this.ids, content, encoding: 'utf-8' }),
        )
        sha = blob.data.sha
      }
      // A null sha deletes the path from the base tree.
      entries.push({ path: file.path, mode: '100644', type: 'blob', sha })
    }
    const { data } = await this.call('create tree', () =>
      this.octokit.rest.git.createTree({ ...this.ids, base_tree: args.baseTreeSha, tree: entries }),
    )
    return data.sha
  }

  async createCommit(args: { message: string; treeSha: string; parentSha: string }) {
    // No author: GitHub records the token's identity, which is what the human-edit guard checks.
    const { data } = await this.call('create commit', () =>
      this.octokit.rest.git.createCommit({
        ...this.ids,
        message: args.message,
        tree: args.treeSha,
        parents: [args.parentSha],
      }),
    )
    return data.sha
  }

  async createBranch(branch: string, sha: string) {
    try {
      await this.octokit.rest.git.createRef({ ...this.ids, ref: `refs/heads/${branch}`, sha })
    } catch (error) {
      // A retried create whose first attempt landed: fine if the branch is where we wanted it.
      if (statusOf(error) === 422 && (await this.getBranchSha(branch)) === sha) return
      throw this.wrap('create branch', error)
    }
  }

  async forceUpdateBranch(branch: string, sha: string) {
    await this.call('update branch', () =>
      this.octokit.rest.git.updateRef({ ...this.ids, ref: `heads/${branch}`, sha, force: true }),
    )
  }

  async createPull(args: { branch: string; base: string; title: string; body: string }) {
    try {
      const { data } = await this.octokit.rest.pulls.create({
        ...this.ids,
        head: args.branch,
        base: args.base,
        title: args.title,
        body: args.body,
      })
      return toPullRequest(data)
    } catch (error) {
      // A retried create whose first attempt landed (create-pull-request's idiom).
      if (statusOf(error) === 422 && /already exists/i.test(messageOf(error))) {
        const existing = (await this.listPulls({ ...args, state: 'open' }))[0]
        if (existing != null) return existing
      }
      throw this.wrap('create pull request', error)
    }
  }

  async updatePull(number: number, args: { title: string; body: string }) {
    await this.call('update pull request', () =>
      this.octokit.rest.pulls.update({ ...this.ids, pull_number: number, ...args }),
    )
  }

  async addLabels(number: number, labels: readonly string[]) {
    await this.call('add labels', () =>
      this.octokit.rest.issues.addLabels({
        ...this.ids,
        issue_number: number,
        labels: [...labels],
      }),
    )
  }

  async requestReviewers(number: number, reviewers: { users: string[]; teams: string[] }) {
    await this.call('request reviewers', () =>
      this.octokit.rest.pulls.requestReviewers({
        ...this.ids,
        pull_number: number,
        reviewers: reviewers.users,
        team_reviewers: reviewers.teams,
      }),
    )
  }

  async listComments(number: number) {
    const comments = await this.call('list comments', () =>
      this.octokit.paginate(this.octokit.rest.issues.listComments, {
        ...this.ids,
        issue_number: number,
        per_page: 100,
      }),
    )
    return comments.map((c) => ({ id: c.id, body: c.body ?? '' }))
  }

  async createComment(number: number, body: string) {
    await this.call('comment', () =>
      this.octokit.rest.issues.createComment({ ...this.ids, issue_number: number, body }),
    )
  }

  private async call<T>(what: string, request: () => Promise<T>): Promise<T> {
    try {
      return await request()
    } catch (error) {
      throw this.wrap(what, error)
    }
  }

  private wrap(what: string, error: unknown): ScopedownError {
    const status = statusOf(error)
    const detail = status == null ? messageOf(error) : `${status} ${messageOf(error)}`
    return new ScopedownError(
      'PUBLISH_FAILED',
      `GitHub ${what} failed in ${this.where}: ${detail}`,
      {
        cause: error,
        hint: hintFor(status, this.where, this.origin),
      },
    )
  }
}

function toPullRequest(data: {
  number: number
  html_url: string
  state: string
  merged_at: string | null
  title: string
  body: string | null
  base: { ref: string }
  labels: readonly { name?: string }[]
}): PullRequestInfo {
  return {
    number: data.number,
    url: data.html_url,
    state: data.state === 'open' ? 'open' : 'closed',
    merged: data.merged_at != null,
    title: data.title,
    body: data.body ?? '',
    base: data.base.ref,
    labels: data.labels.flatMap((l) => (l.name == null ? [] : [l.name])),
  }
}

function hintFor(status: number | undefined, where: string, origin: string): string {
  if (status == null) return `Could not reach ${origin}: check the network, proxy and baseUrl.`
  if (status === 401) return 'GitHub rejected the token: check GITHUB_TOKEN (and baseUrl for GHES).'
  if (status === 403 || status === 429) {
    return `The token lacks a permission on ${where}, or the rate limit is spent: it needs contents: write, pull-requests: write and issues: write.`
  }
  if (status === 404) {
    return `${where} (or a branch in it) was not found, or the token cannot see it: a fine-grained token must list this repository.`
  }
  if (status === 409)
    return `${where} is empty or busy: it needs at least one commit on the base branch.`
  if (status === 422) return 'GitHub rejected the request as invalid; the message says which field.'
  if (status >= 500) return 'GitHub is having trouble and retries did not help: run again later.'
  return 'See the GitHub message above.'
}

function statusOf(error: unknown): number | undefined {
  if (typeof error === 'object' && error != null && 'status' in error) {
    const status = (error as { status: unknown }).status
    if (typeof status === 'number') return status
  }
  return undefined
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
