/**
 * A local stand-in for the slice of the GitHub REST API that scopedown's Octokit adapter calls,
 * backed by a real bare git repository, so a test can `git show` what a PR really carries.
 * It listens on 127.0.0.1 on a random port and records every call; failures (secondary rate
 * limits, 5xx) can be injected. Payload shapes follow docs.github.com/rest (only the fields
 * scopedown reads, plus a few that make mistakes visible).
 */
import { once } from 'node:events'
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runGit } from '../../src/publish/git-cli.js'

export interface StandinUser {
  login: string
  name: string
  email: string
  /** Requests with `authorization: token <token>` act as this user. */
  token?: string
}

export interface RecordedCall {
  method: string
  /** Path below the API root, e.g. `/repos/acme/policies/git/blobs`. */
  path: string
  status: number
}

export interface FailureRule {
  method?: string
  /** Matched against the path below the API root. */
  path?: RegExp
  kind: 'secondary-rate-limit' | 'server-error'
  /** How many matching requests fail (default 1). */
  times?: number
  /** Seconds, sent as `retry-after` for rate limits (default 1). */
  retryAfter?: number
}

export interface StandinPull {
  number: number
  state: 'open' | 'closed'
  merged: boolean
  title: string
  body: string
  head: string
  base: string
  labels: string[]
  reviewers: string[]
  teamReviewers: string[]
  comments: { id: number; body: string; user: string }[]
}

export interface GitHubStandin {
  /** API root to give Octokit as `baseUrl` (GHES-style, ending in `/api/v3`). */
  readonly baseUrl: string
  readonly owner: string
  readonly repo: string
  readonly bareDir: string
  readonly calls: RecordedCall[]
  readonly pulls: StandinPull[]
  /** Calls other than GET/HEAD. */
  writes(): RecordedCall[]
  resetCalls(): void
  failNext(rule: FailureRule): void
  /** Runs git against the bare repository and returns stdout. */
  git(args: readonly string[]): Promise<string>
  /** Commits files on a branch as `user`, as a push from a laptop would. */
  pushCommit(
    user: StandinUser,
    branch: string,
    files: Record<string, string>,
    message: string,
  ): Promise<string>
  /** Re-creates the branch's head commit (same tree, parents, message) as `user`: a cherry-pick. */
  recommitAs(user: StandinUser, branch: string): Promise<string>
  closePull(number: number, options: { merged: boolean }): void
  close(): Promise<void>
}

export interface StandinOptions {
  owner: string
  repo: string
  users: readonly StandinUser[]
  /** Files of the first commit on `main`. */
  files: Record<string, string>
}

interface Response {
  status: number
  body?: unknown
  headers?: Record<string, string>
}

class HttpError extends Error {
  readonly status: number
  constructor(status: number, message: string) {
    super(message)
    this.status = status
  }
}

const API_ROOT = '/api/v3'

/** `heads%2Fmain` or `heads/main` → `main`. */
function headsBranch(encoded: string | undefined): string {
  const ref = decodeURIComponent(encoded ?? '')
  if (!ref.startsWith('heads/')) throw new HttpError(404, 'Not Found')
  return ref.slice('heads/'.length)
}

const ZERO_SHA = '0000000000000000000000000000000000000000'

export async function startGitHubStandin(options: StandinOptions): Promise<GitHubStandin> {
  const { owner, repo } = options
  const bareDir = await mkdtemp(join(tmpdir(), 'standin-bare-'))
  const git = async (
    args: readonly string[],
    extra: { input?: string; env?: Record<string, string> } = {},
  ) =>
    (
      await runGit(args, {
        cwd: bareDir,
        env: { GIT_DIR: bareDir, ...extra.env },
        ...(extra.input == null ? {} : { input: extra.input }),
      })
    ).stdout
  await runGit(['init', '--bare', '--quiet', '--initial-branch=main', bareDir], { cwd: bareDir })

  const users = options.users
  const calls: RecordedCall[] = []
  const pulls: StandinPull[] = []
  const failures: (FailureRule & { left: number })[] = []
  let nextCommentId = 1000
  let baseUrl = ''

  // --- git plumbing -------------------------------------------------------------------------

  const refSha = async (branch: string): Promise<string | undefined> => {
    const { stdout, exitCode } = await runGit(
      ['rev-parse', '--verify', '--quiet', `refs/heads/${branch}`],
      { cwd: bareDir, env: { GIT_DIR: bareDir }, okExitCodes: [1] },
    )
    return exitCode === 0 ? stdout.trim() : undefined
  }

  const writeBlob = async (content: string) =>
    (await git(['hash-object', '-w', '--stdin'], { input: content })).trim()

  /** New tree = `base` with `edits` applied (blob sha, or null to delete), built with mktree. */
  const editTree = async (
    base: string | null,
    edits: Map<string, string | null>,
  ): Promise<string | null> => {
    const entries = new Map<string, string>() // name -> "mode type sha\tname"
    if (base != null) {
      for (const line of (await git(['ls-tree', base])).split('\n').filter(Boolean)) {
        entries.set(line.slice(line.indexOf('\t') + 1), line)
      }
    }
    const nested = new Map<string, Map<string, string | null>>()
    for (const [path, sha] of edits) {
      const slash = path.indexOf('/')
      if (slash === -1) {
        if (sha == null) {
          if (!entries.has(path))
            throw new HttpError(422, `GitRPC::BadObjectState: ${path} not found`)
          entries.delete(path)
        } else entries.set(path, `100644 blob ${sha}\t${path}`)
      } else {
        const dir = path.slice(0, slash)
        const inner = nested.get(dir) ?? new Map<string, string | null>()
        inner.set(path.slice(slash + 1), sha)
        nested.set(dir, inner)
      }
    }
    for (const [dir, inner] of nested) {
      const existing = entries.get(dir)
      const subBase = existing?.split(/\s/)[1] === 'tree' ? (existing.split(/\s/)[2] ?? null) : null
      if (inner.size > 0 && [...inner.values()].some((v) => v == null) && subBase == null) {
        throw new HttpError(422, `GitRPC::BadObjectState: ${dir} not found`)
      }
      const sub = await editTree(subBase, inner)
      if (sub == null) entries.delete(dir)
      else entries.set(dir, `040000 tree ${sub}\t${dir}`)
    }
    if (entries.size === 0) return null
    const listing = [...entries.values()].map((line) => `${line}\n`).join('')
    return (await git(['mktree'], { input: listing })).trim()
  }

  const emptyTree = async () => (await git(['mktree'], { input: '' })).trim()

  const commitTree = async (tree: string, parents: string[], message: string, who: StandinUser) =>
    (
      await git(['commit-tree', tree, ...parents.flatMap((p) => ['-p', p])], {
        input: message,
        env: {
          GIT_AUTHOR_NAME: who.name,
          GIT_AUTHOR_EMAIL: who.email,
          GIT_COMMITTER_NAME: who.name,
          GIT_COMMITTER_EMAIL: who.email,
        },
      })
    ).trim()

  const readCommitObject = async (sha: string) => {
    const raw = await git(['cat-file', 'commit', sha])
    const split = raw.indexOf('\n\n')
    const headers = raw.slice(0, split).split('\n')
    const ident = (key: string) => {
      const line = headers.find((h) => h.startsWith(`${key} `)) ?? ''
      const m = /^\w+ (.*) <(.*)> (\d+) ([+-]\d{4})$/.exec(line)
      return {
        name: m?.[1] ?? '',
        email: m?.[2] ?? '',
        date: new Date(Number(m?.[3] ?? 0) * 1000).toISOString().replace('.000', ''),
      }
    }
    return {
      sha,
      tree: headers.find((h) => h.startsWith('tree '))?.slice(5) ?? '',
      parents: headers.filter((h) => h.startsWith('parent ')).map((h) => h.slice(7)),
      author: ident('author'),
      committer: ident('committer'),
      message: raw.slice(split + 2).replace(/\n$/, ''),
    }
  }

  const userByEmail = (email: string) => users.find((u) => u.email === email)

  // Seed main with the initial files.
  {
    const edits = new Map<string, string | null>()
    for (const [path, content] of Object.entries(options.files))
      edits.set(path, await writeBlob(content))
    const tree = (await editTree(null, edits)) ?? (await emptyTree())
    const seeder = users[0] ?? { login: 'seed', name: 'Seed', email: 'seed@example.com' }
    const sha = await commitTree(tree, [], 'Initial policies\n', seeder)
    await git(['update-ref', 'refs/heads/main', sha, ''])
  }

  // --- JSON views ---------------------------------------------------------------------------

  const pullJson = async (pr: StandinPull) => ({
    url: `${baseUrl}/repos/${owner}/${repo}/pulls/${pr.number}`,
    html_url: `http://github.standin/${owner}/${repo}/pull/${pr.number}`,
    number: pr.number,
    state: pr.state,
    title: pr.title,
    body: pr.body === '' ? null : pr.body,
    merged_at: pr.merged ? '2026-10-02T00:00:00Z' : null,
    head: { ref: pr.head, label: `${owner}:${pr.head}`, sha: (await refSha(pr.head)) ?? ZERO_SHA },
    base: { ref: pr.base, label: `${owner}:${pr.base}` },
    labels: pr.labels.map((name, i) => ({ id: i + 1, name })),
    requested_reviewers: pr.reviewers.map((login) => ({ login })),
    requested_teams: pr.teamReviewers.map((slug) => ({ slug })),
  })

  const commitJson = async (sha: string) => {
    const c = await readCommitObject(sha)
    const author = userByEmail(c.author.email)
    const committer = userByEmail(c.committer.email)
    return {
      sha: c.sha,
      commit: {
        message: c.message,
        tree: { sha: c.tree },
        author: c.author,
        committer: c.committer,
      },
      author: author == null ? null : { login: author.login },
      committer: committer == null ? null : { login: committer.login },
      parents: c.parents.map((p) => ({ sha: p })),
    }
  }

  // --- routes -------------------------------------------------------------------------------

  const route = async (
    method: string,
    path: string,
    query: URLSearchParams,
    body: Record<string, unknown>,
    user: StandinUser,
  ): Promise<Response> => {
    const prefix = `/repos/${owner}/${repo}`
    if (!path.startsWith(prefix)) throw new HttpError(404, 'Not Found')
    const rest = path.slice(prefix.length)
    /** The capture groups when the request is `verb` on a path matching `pattern`. */
    const on = (verb: string | null, pattern: RegExp) =>
      verb == null || verb === method ? (pattern.exec(rest) ?? undefined) : undefined

    if (rest === '' && method === 'GET') {
      return {
        status: 200,
        body: {
          name: repo,
          full_name: `${owner}/${repo}`,
          default_branch: 'main',
          permissions: { admin: false, push: true, pull: true },
        },
      }
    }
    // Octokit sends the ref as one URL-encoded segment (heads%2Fmain); GitHub accepts both.
    const refGet = on('GET', /^\/git\/ref\/(.+)$/)
    if (refGet != null) {
      const branch = headsBranch(refGet[1])
      const sha = await refSha(branch)
      if (sha == null) throw new HttpError(404, 'Not Found')
      return { status: 200, body: { ref: `refs/heads/${branch}`, object: { sha, type: 'commit' } } }
    }
    if (rest === '/git/refs' && method === 'POST') {
      const ref = String(body.ref)
      const sha = String(body.sha)
      if (!ref.startsWith('refs/heads/'))
        throw new HttpError(422, 'Reference name must start with refs/heads/')
      if ((await refSha(ref.slice(11))) != null)
        throw new HttpError(422, 'Reference already exists')
      await git(['update-ref', ref, sha, ''])
      return { status: 201, body: { ref, object: { sha, type: 'commit' } } }
    }
    const refPatch = on('PATCH', /^\/git\/refs\/(.+)$/)
    if (refPatch != null) {
      const branch = headsBranch(refPatch[1])
      const old = await refSha(branch)
      const sha = String(body.sha)
      if (old == null) throw new HttpError(422, 'Reference does not exist')
      if (body.force !== true) {
        const ff = await runGit(['merge-base', '--is-ancestor', old, sha], {
          cwd: bareDir,
          env: { GIT_DIR: bareDir },
          okExitCodes: [1],
        })
        if (ff.exitCode !== 0) throw new HttpError(422, 'Update is not a fast forward')
      }
      await git(['update-ref', `refs/heads/${branch}`, sha, old])
      return { status: 200, body: { ref: `refs/heads/${branch}`, object: { sha, type: 'commit' } } }
    }
    if (rest === '/git/blobs' && method === 'POST') {
      const encoding = body.encoding ?? 'utf-8'
      const raw = String(body.content)
      const content = encoding === 'base64' ? Buffer.from(raw, 'base64').toString('utf8') : raw
      return { status: 201, body: { sha: await writeBlob(content) } }
    }
    if (rest === '/git/trees' && method === 'POST') {
      const edits = new Map<string, string | null>()
      for (const entry of body.tree as { path: string; sha?: string | null; content?: string }[]) {
        edits.set(
          entry.path,
          entry.content != null ? await writeBlob(entry.content) : (entry.sha ?? null),
        )
      }
      const base = typeof body.base_tree === 'string' ? body.base_tree : null
      const tree = (await editTree(base, edits)) ?? (await emptyTree())
      return { status: 201, body: { sha: tree } }
    }
    if (rest === '/git/commits' && method === 'POST') {
      // Per the docs, author defaults to the authenticated user; committer defaults to author.
      const given = body.author as { name: string; email: string } | undefined
      const who = given == null ? user : { login: '', ...given }
      const sha = await commitTree(
        String(body.tree),
        (body.parents as string[]) ?? [],
        String(body.message),
        who,
      )
      const c = await readCommitObject(sha)
      return {
        status: 201,
        body: {
          sha,
          tree: { sha: c.tree },
          message: c.message,
          parents: c.parents.map((p) => ({ sha: p })),
        },
      }
    }
    const commitGet = on('GET', /^\/commits\/([^/]+)$/)
    if (commitGet != null) {
      const ref = decodeURIComponent(commitGet[1] ?? '')
      const sha = /^[0-9a-f]{40}$/.test(ref) ? ref : await refSha(ref)
      if (sha == null) throw new HttpError(422, `No commit found for SHA: ${ref}`)
      return { status: 200, body: await commitJson(sha) }
    }
    if (rest === '/pulls' && method === 'GET') {
      const state = query.get('state') ?? 'open'
      const head = query.get('head')
      const base = query.get('base')
      const found = pulls
        .filter((p) => state === 'all' || p.state === state)
        .filter((p) => head == null || `${owner}:${p.head}` === head)
        .filter((p) => base == null || p.base === base)
        .sort((a, b) => b.number - a.number)
      return { status: 200, body: await Promise.all(found.map(pullJson)) }
    }
    if (rest === '/pulls' && method === 'POST') {
      const head = String(body.head)
      const base = String(body.base)
      if ((await refSha(head)) == null) throw new HttpError(422, 'Validation Failed: head invalid')
      if ((await refSha(base)) == null) throw new HttpError(422, 'Validation Failed: base invalid')
      if (pulls.some((p) => p.state === 'open' && p.head === head && p.base === base)) {
        throw new HttpError(422, `A pull request already exists for ${owner}:${head}.`)
      }
      const pr: StandinPull = {
        number: pulls.length + 1,
        state: 'open',
        merged: false,
        title: String(body.title),
        body: typeof body.body === 'string' ? body.body : '',
        head,
        base,
        labels: [],
        reviewers: [],
        teamReviewers: [],
        comments: [],
      }
      pulls.push(pr)
      return { status: 201, body: await pullJson(pr) }
    }
    const pullNumber = (n: string | undefined) => {
      const pr = pulls.find((p) => p.number === Number(n))
      if (pr == null) throw new HttpError(404, 'Not Found')
      return pr
    }
    const pullPatch = on('PATCH', /^\/pulls\/(\d+)$/)
    if (pullPatch != null) {
      const pr = pullNumber(pullPatch[1])
      if (typeof body.title === 'string') pr.title = body.title
      if (typeof body.body === 'string') pr.body = body.body
      if (body.state === 'open' || body.state === 'closed') pr.state = body.state
      return { status: 200, body: await pullJson(pr) }
    }
    const reviewers = on('POST', /^\/pulls\/(\d+)\/requested_reviewers$/)
    if (reviewers != null) {
      const pr = pullNumber(reviewers[1])
      for (const login of (body.reviewers as string[] | undefined) ?? []) {
        if (!users.some((u) => u.login === login)) {
          throw new HttpError(422, 'Reviews may only be requested from collaborators.')
        }
        if (!pr.reviewers.includes(login)) pr.reviewers.push(login)
      }
      for (const slug of (body.team_reviewers as string[] | undefined) ?? []) {
        if (!pr.teamReviewers.includes(slug)) pr.teamReviewers.push(slug)
      }
      return { status: 201, body: await pullJson(pr) }
    }
    const labels = on('POST', /^\/issues\/(\d+)\/labels$/)
    if (labels != null) {
      const pr = pullNumber(labels[1])
      for (const label of (body.labels as string[]) ?? []) {
        if (!pr.labels.includes(label)) pr.labels.push(label)
      }
      return { status: 200, body: pr.labels.map((name, i) => ({ id: i + 1, name })) }
    }
    const comments = on(null, /^\/issues\/(\d+)\/comments$/)
    if (comments != null) {
      const pr = pullNumber(comments[1])
      if (method === 'GET') {
        return {
          status: 200,
          body: pr.comments.map((c) => ({ id: c.id, body: c.body, user: { login: c.user } })),
        }
      }
      if (method === 'POST') {
        const comment = { id: nextCommentId++, body: String(body.body), user: user.login }
        pr.comments.push(comment)
        return {
          status: 201,
          body: { id: comment.id, body: comment.body, user: { login: user.login } },
        }
      }
    }
    throw new HttpError(404, `Not Found: ${method} ${rest}`)
  }

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const method = req.method ?? 'GET'
    const url = new URL(req.url ?? '/', 'http://127.0.0.1')
    const path = url.pathname.startsWith(API_ROOT)
      ? url.pathname.slice(API_ROOT.length)
      : url.pathname
    const chunks: Buffer[] = []
    for await (const chunk of req) chunks.push(chunk as Buffer)
    const send = (r: Response) => {
      calls.push({ method, path, status: r.status })
      res.writeHead(r.status, { 'content-type': 'application/json; charset=utf-8', ...r.headers })
      res.end(r.body === undefined ? '' : JSON.stringify(r.body))
    }
    const failure = failures.find(
      (f) =>
        f.left > 0 &&
        (f.method == null || f.method === method) &&
        (f.path == null || f.path.test(path)),
    )
    if (failure != null) {
      failure.left--
      if (failure.kind === 'secondary-rate-limit') {
        send({
          status: 403,
          headers: { 'retry-after': String(failure.retryAfter ?? 1) },
          body: {
            message:
              'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.',
            documentation_url: 'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api',
          },
        })
      } else send({ status: 502, body: { message: 'Server Error' } })
      return
    }
    const token = /^(?:token|bearer) (.+)$/i.exec(req.headers.authorization ?? '')?.[1]
    const user = users.find((u) => u.token != null && u.token === token)
    if (user == null) {
      send({ status: 401, body: { message: 'Bad credentials' } })
      return
    }
    try {
      const text = Buffer.concat(chunks).toString('utf8')
      const body = text === '' ? {} : (JSON.parse(text) as Record<string, unknown>)
      send(await route(method, path, url.searchParams, body, user))
    } catch (error) {
      if (error instanceof HttpError)
        send({ status: error.status, body: { message: error.message } })
      else
        send({
          status: 500,
          body: { message: error instanceof Error ? error.message : String(error) },
        })
    }
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      res.writeHead(500)
      res.end(String(error))
    })
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}${API_ROOT}`

  return {
    baseUrl,
    owner,
    repo,
    bareDir,
    calls,
    pulls,
    writes: () => calls.filter((c) => c.method !== 'GET' && c.method !== 'HEAD'),
    resetCalls: () => {
      calls.length = 0
    },
    failNext: (rule) => {
      failures.push({ ...rule, left: rule.times ?? 1 })
    },
    git: (args) => git(args),
    pushCommit: async (user, branch, files, message) => {
      const parent = await refSha(branch)
      const base = parent == null ? null : (await readCommitObject(parent)).tree
      const edits = new Map<string, string | null>()
      for (const [path, content] of Object.entries(files)) edits.set(path, await writeBlob(content))
      const tree = (await editTree(base, edits)) ?? (await emptyTree())
      const sha = await commitTree(tree, parent == null ? [] : [parent], message, user)
      await git(['update-ref', `refs/heads/${branch}`, sha, parent ?? ''])
      return sha
    },
    recommitAs: async (user, branch) => {
      const head = await refSha(branch)
      if (head == null) throw new Error(`no branch ${branch}`)
      const c = await readCommitObject(head)
      const sha = await commitTree(c.tree, c.parents, `${c.message}\n`, user)
      await git(['update-ref', `refs/heads/${branch}`, sha, head])
      return sha
    },
    closePull: (number, { merged }) => {
      const pr = pulls.find((p) => p.number === number)
      if (pr == null) throw new Error(`no pull #${number}`)
      pr.state = 'closed'
      pr.merged = merged
    },
    close: async () => {
      server.closeAllConnections()
      server.close()
      await once(server, 'close')
      await rm(bareDir, { recursive: true, force: true })
    },
  }
}
