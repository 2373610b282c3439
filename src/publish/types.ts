/**
 * The publish seam: a finished plan, rendered as file edits and a PR body, becomes a proposal in
 * the source-of-truth repo. scopedown never changes live IAM; a human merges the proposal.
 */

import type { FileEdit } from '../repo/types.js'

/** Re-exported so publish callers need one import; the repo module owns the type. */
export type { FileEdit }

/** Everything needed to propose one change; gateways turn it into a PR, a commit or files. */
export interface ChangeRequest {
  repo: { owner: string; name: string }
  /** Branch the proposal targets, e.g. `main`. */
  base: string
  /** Deterministic head branch from `branchName()`, e.g. `scopedown/111111111111/app-role`. */
  branch: string
  title: string
  /** Rendered by `renderPrBody()`; carries the hidden `<!-- scopedown:v1 plan=... -->` marker. */
  body: string
  /** sha256 of the plan: the idempotency key. Same hash, same proposal, zero writes. */
  planHash: string
  files: readonly FileEdit[]
  labels: readonly string[]
  /** GitHub logins, or `org/team-slug` for team reviewers. Requested once, when the PR opens. */
  reviewers?: readonly string[]
  /** First line and body of the commit; scopedown appends its own trailers. */
  commitMessage: string
}

/** Why scopedown left a proposal alone. Both are decisions humans made; we do not override them. */
export type BlockedReason = 'edited-by-human' | 'closed-unmerged'

/** What happened to the branch in plain-git mode. */
export type BranchOutcome = 'created' | 'updated' | 'unchanged'

/**
 * The outcome of one `ensurePullRequest` call. Expected outcomes are values, never exceptions
 * (Renovate's `pr-edited`), so a batch report can count them.
 */
export type PublishResult =
  | { status: 'created' | 'updated' | 'unchanged'; number: number; url: string }
  /** `number`/`url` are absent when a human-edited branch has no open PR to point at. */
  | { status: 'blocked'; reason: BlockedReason; number?: number; url?: string }
  | { status: 'dry-run'; outDir: string }
  | { status: 'committed'; branch: string; sha: string; outcome: BranchOutcome; pushed: boolean }

/**
 * Turns a change into a proposal, idempotently: running it twice with the same plan changes
 * nothing the second time. Implementations: GitHubGateway, GitGateway, LocalGateway (dry run).
 */
export interface PullRequestGateway {
  ensurePullRequest(change: ChangeRequest): Promise<PublishResult>
}

/** A pull request as scopedown needs to see it. */
export interface PullRequestInfo {
  number: number
  url: string
  state: 'open' | 'closed'
  /** True when a closed PR was merged; a closed unmerged PR is a human "no". */
  merged: boolean
  title: string
  body: string
  base: string
  labels: readonly string[]
}

/** A commit with the identities GitHub resolved for it (null when no account matches). */
export interface CommitInfo {
  sha: string
  treeSha: string
  parents: readonly string[]
  message: string
  authorLogin: string | null
  committerLogin: string | null
}

/** A comment on a PR's conversation. */
export interface IssueComment {
  id: number
  body: string
}

/**
 * The narrow slice of the GitHub REST API that GitHubGateway uses, bound to one repository.
 * Kept small so the gateway's idempotency logic reads plainly and can be driven by any fake.
 * Implementations wrap transport errors once, as `ScopedownError('PUBLISH_FAILED')`.
 */
export interface GitHubApi {
  readonly repo: { owner: string; name: string }
  /** Default branch and whether the token may push (for preflight checks). */
  getRepository(): Promise<{ defaultBranch: string; canPush: boolean }>
  /** PRs whose head is `<owner>:<branch>` into `base`, newest first (first page only). */
  listPulls(query: {
    branch: string
    base: string
    state: 'open' | 'closed'
  }): Promise<readonly PullRequestInfo[]>
  /** The commit a branch points at, or undefined if the branch does not exist. */
  getBranchSha(branch: string): Promise<string | undefined>
  getCommit(sha: string): Promise<CommitInfo>
  /** Uploads the edited files as blobs and returns a tree: `baseTreeSha` plus the edits. */
  createTree(args: { baseTreeSha: string; files: readonly FileEdit[] }): Promise<string>
  /** A commit authored by the token's identity. Returns its sha. */
  createCommit(args: { message: string; treeSha: string; parentSha: string }): Promise<string>
  createBranch(branch: string, sha: string): Promise<void>
  /** Force-moves a branch. Only ever called on scopedown's own branches. */
  forceUpdateBranch(branch: string, sha: string): Promise<void>
  createPull(args: {
    branch: string
    base: string
    title: string
    body: string
  }): Promise<PullRequestInfo>
  updatePull(number: number, args: { title: string; body: string }): Promise<void>
  addLabels(number: number, labels: readonly string[]): Promise<void>
  requestReviewers(number: number, reviewers: { users: string[]; teams: string[] }): Promise<void>
  listComments(number: number): Promise<readonly IssueComment[]>
  createComment(number: number, body: string): Promise<void>
}
