import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { readPlanHash } from '../../src/publish/branch.js'
import { readTrailers } from '../../src/publish/commit-trailers.js'
import { GitHubGateway } from '../../src/publish/github.js'
import { createOctokitApi } from '../../src/publish/octokit.js'
import { ScopedownError } from '../../src/util/errors.js'
import {
  type GitHubStandin,
  type StandinUser,
  startGitHubStandin,
} from '../helpers/github-standin.js'
import { BRANCH, changeFor, POLICY_BEFORE, policyAllowing, REPO_FILES } from './fixtures.js'

const bot: StandinUser = {
  login: 'scopedown-bot',
  name: 'scopedown',
  email: 'bot@scopedown.test',
  token: 'bot-token',
}
const alice: StandinUser = { login: 'alice', name: 'Alice', email: 'alice@example.test' }

let standin: GitHubStandin
let gateway: GitHubGateway

function api(retries?: number) {
  return createOctokitApi({
    token: 'bot-token',
    baseUrl: standin.baseUrl,
    owner: 'acme',
    repo: 'policies',
    ...(retries == null ? {} : { retries }),
    timings: { retryBaseMs: 1, writeSpacingMs: 0 },
  })
}

beforeEach(async () => {
  standin = await startGitHubStandin({
    owner: 'acme',
    repo: 'policies',
    users: [bot, alice],
    files: REPO_FILES,
  })
  gateway = new GitHubGateway(api(), {
    botLogin: 'scopedown-bot',
    labels: ['scopedown'],
    reviewers: ['alice', 'acme/security'],
  })
})

afterEach(async () => {
  await standin.close()
})

/** What the branch carries, read straight from the bare repository. */
async function branchFile(path: string): Promise<string> {
  return standin.git(['show', `refs/heads/${BRANCH}:${path}`])
}

describe('GitHubGateway over the Octokit adapter', () => {
  it('creates a PR whose single commit carries the edited files', async () => {
    const change = changeFor(['s3:GetObject'])

    const result = await gateway.ensurePullRequest(change)

    expect(result).toEqual({
      status: 'created',
      number: 1,
      url: 'http://github.standin/acme/policies/pull/1',
    })
    expect(await branchFile('iam/app-role/s3.json')).toBe(policyAllowing(['s3:GetObject']))
    expect(await branchFile('README.md')).toBe('# policies\n')
    const tree = await standin.git(['ls-tree', '-r', '--name-only', `refs/heads/${BRANCH}`])
    expect(tree.split('\n')).not.toContain('iam/app-role/legacy.json')
    const main = (await standin.git(['rev-parse', 'refs/heads/main'])).trim()
    const parents = await standin.git(['log', '-1', '--format=%P %ae %ce', `refs/heads/${BRANCH}`])
    expect(parents.trim()).toBe(`${main} bot@scopedown.test bot@scopedown.test`)
    const message = await standin.git(['log', '-1', '--format=%B', `refs/heads/${BRANCH}`])
    expect(message).toMatch(/^Tighten app-role to the actions it used\n/)
    expect(readTrailers(message).planHash).toBe(change.planHash)

    const pr = standin.pulls[0]
    expect(pr).toMatchObject({ head: BRANCH, base: 'main', title: change.title, body: change.body })
    expect(readPlanHash(pr?.body)).toBe(change.planHash)
    expect(pr?.labels).toEqual(['least-privilege', 'scopedown'])
    expect(pr?.reviewers).toEqual(['alice'])
    expect(pr?.teamReviewers).toEqual(['security'])
  })

  it('makes zero writes when the same plan runs again', async () => {
    await gateway.ensurePullRequest(changeFor(['s3:GetObject']))
    const head = await standin.git(['rev-parse', `refs/heads/${BRANCH}`])
    standin.resetCalls()

    const result = await gateway.ensurePullRequest(changeFor(['s3:GetObject']))

    expect(result).toMatchObject({ status: 'unchanged', number: 1 })
    expect(standin.writes()).toEqual([])
    expect(await standin.git(['rev-parse', `refs/heads/${BRANCH}`])).toBe(head)
  })

  it('updates the same PR with one fresh commit when the plan changes', async () => {
    await gateway.ensurePullRequest(changeFor(['s3:GetObject']))
    const next = changeFor(['s3:GetObject', 's3:PutObject'])

    const result = await gateway.ensurePullRequest(next)

    expect(result).toMatchObject({ status: 'updated', number: 1 })
    expect(standin.pulls).toHaveLength(1)
    expect(readPlanHash(standin.pulls[0]?.body)).toBe(next.planHash)
    expect(await branchFile('iam/app-role/s3.json')).toBe(
      policyAllowing(['s3:GetObject', 's3:PutObject']),
    )
    const ahead = await standin.git([
      'rev-list',
      '--count',
      `refs/heads/main..refs/heads/${BRANCH}`,
    ])
    expect(ahead.trim()).toBe('1')
  })

  it('leaves a human-edited branch alone and comments exactly once', async () => {
    await gateway.ensurePullRequest(changeFor(['s3:GetObject']))
    const human = await standin.pushCommit(
      alice,
      BRANCH,
      { 'iam/app-role/s3.json': policyAllowing(['s3:GetObject', 's3:ListBucket']) },
      'Keep ListBucket, the nightly job needs it\n',
    )

    const first = await gateway.ensurePullRequest(changeFor(['s3:GetObject', 's3:PutObject']))
    standin.resetCalls()
    const second = await gateway.ensurePullRequest(changeFor(['s3:GetObject', 's3:PutObject']))

    const blocked = { status: 'blocked', reason: 'edited-by-human', number: 1 }
    expect(first).toMatchObject(blocked)
    expect(second).toMatchObject(blocked)
    expect(standin.writes()).toEqual([])
    expect(standin.pulls[0]?.comments).toHaveLength(1)
    expect(standin.pulls[0]?.comments[0]?.body).toContain(
      '<!-- scopedown:topic=edited-by-human -->',
    )
    expect((await standin.git(['rev-parse', `refs/heads/${BRANCH}`])).trim()).toBe(human)
  })

  it('treats a copy of our commit made by someone else as a human edit', async () => {
    await gateway.ensurePullRequest(changeFor(['s3:GetObject']))
    // Same tree, parent and trailers: only the bot identity tells it apart.
    await standin.recommitAs(alice, BRANCH)

    const result = await gateway.ensurePullRequest(changeFor(['s3:GetObject', 's3:PutObject']))

    expect(result).toMatchObject({ status: 'blocked', reason: 'edited-by-human', number: 1 })
    expect(await branchFile('iam/app-role/s3.json')).toBe(policyAllowing(['s3:GetObject']))
  })

  it('does not re-propose a plan a human closed, but proposes a changed one', async () => {
    await gateway.ensurePullRequest(changeFor(['s3:GetObject']))
    standin.closePull(1, { merged: false })
    standin.resetCalls()

    const same = await gateway.ensurePullRequest(changeFor(['s3:GetObject']))
    expect(same).toMatchObject({ status: 'blocked', reason: 'closed-unmerged', number: 1 })
    expect(standin.writes()).toEqual([])

    const changed = await gateway.ensurePullRequest(changeFor(['s3:GetObject', 's3:PutObject']))
    expect(changed).toMatchObject({ status: 'created', number: 2 })
  })

  it('retries a secondary rate limit and 5xx responses', async () => {
    standin.failNext({ kind: 'secondary-rate-limit', method: 'POST', path: /\/git\/blobs$/ })
    standin.failNext({ kind: 'server-error', method: 'GET', path: /\/pulls$/, times: 2 })
    standin.failNext({ kind: 'server-error', method: 'POST', path: /\/git\/commits$/ })

    const result = await gateway.ensurePullRequest(changeFor(['s3:GetObject']))

    expect(result).toMatchObject({ status: 'created', number: 1 })
    const statuses = (method: string, path: RegExp) =>
      standin.calls.filter((c) => c.method === method && path.test(c.path)).map((c) => c.status)
    expect(statuses('POST', /\/git\/blobs$/)).toEqual([403, 201])
    expect(statuses('GET', /\/pulls$/).slice(0, 3)).toEqual([502, 502, 200])
    expect(statuses('POST', /\/git\/commits$/)).toEqual([502, 201])
    expect(await branchFile('iam/app-role/s3.json')).toBe(policyAllowing(['s3:GetObject']))
  })

  it('gives up after the configured retries with a PUBLISH_FAILED error', async () => {
    gateway = new GitHubGateway(api(2))
    standin.failNext({ kind: 'server-error', method: 'GET', path: /\/pulls$/, times: 10 })

    const attempt = gateway.ensurePullRequest(changeFor(['s3:GetObject']))

    await expect(attempt).rejects.toBeInstanceOf(ScopedownError)
    await expect(attempt).rejects.toMatchObject({ code: 'PUBLISH_FAILED', message: /502/ })
    expect(standin.calls.filter((c) => c.path.endsWith('/pulls'))).toHaveLength(3)
    expect(await standin.git(['for-each-ref', '--format=%(refname)'])).toBe('refs/heads/main\n')
  })

  it('leaves the base branch untouched', async () => {
    const main = await standin.git(['rev-parse', 'refs/heads/main'])
    await gateway.ensurePullRequest(changeFor(['s3:GetObject']))
    expect(await standin.git(['rev-parse', 'refs/heads/main'])).toBe(main)
    expect(await standin.git(['show', 'refs/heads/main:iam/app-role/s3.json'])).toBe(POLICY_BEFORE)
  })

  it('passes preflight with a pushing token and explains a missing base', async () => {
    await expect(gateway.preflight('main')).resolves.toBeUndefined()
    await expect(gateway.preflight('trunk')).rejects.toMatchObject({
      code: 'PUBLISH_FAILED',
      hint: expect.stringContaining('default branch is main'),
    })
  })

  it('wraps a rejected token with a hint', async () => {
    const stranger = createOctokitApi({
      token: 'nope',
      baseUrl: standin.baseUrl,
      owner: 'acme',
      repo: 'policies',
      timings: { retryBaseMs: 1, writeSpacingMs: 0 },
    })
    await expect(new GitHubGateway(stranger).preflight('main')).rejects.toMatchObject({
      code: 'PUBLISH_FAILED',
      message: expect.stringContaining('401'),
      hint: expect.stringContaining('GITHUB_TOKEN'),
    })
  })
})
