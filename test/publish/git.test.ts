import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { readTrailers } from '../../src/publish/commit-trailers.js'
import { GitGateway } from '../../src/publish/git.js'
import { gitOutput, runGit } from '../../src/publish/git-cli.js'
import { BRANCH, changeFor, policyAllowing, REPO_FILES } from './fixtures.js'

const BOT = { name: 'scopedown', email: 'bot@scopedown.test' }
const HUMAN_ENV = {
  GIT_AUTHOR_NAME: 'Alice',
  GIT_AUTHOR_EMAIL: 'alice@example.test',
  GIT_COMMITTER_NAME: 'Alice',
  GIT_COMMITTER_EMAIL: 'alice@example.test',
}

let root: string
let clone: string
let remote: string
let worktrees = 0

const git = (cwd: string, args: string[], env: Record<string, string> = HUMAN_ENV) =>
  gitOutput(args, { cwd, env })

/** A clone with `main` checked out, a dirty working tree and a staged change, plus a bare remote. */
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'git-gateway-'))
  clone = join(root, 'clone')
  remote = join(root, 'remote.git')
  await runGit(['init', '--quiet', '--initial-branch=main', clone], { cwd: root })
  await runGit(['init', '--quiet', '--bare', remote], { cwd: root })
  for (const [path, content] of Object.entries(REPO_FILES)) {
    await writeFileDeep(join(clone, path), content)
  }
  await git(clone, ['add', '-A'])
  await git(clone, ['commit', '--quiet', '-m', 'Initial policies'])
  await git(clone, ['remote', 'add', 'origin', remote])
  await git(clone, ['push', '--quiet', 'origin', 'main'])
  await writeFile(join(clone, 'README.md'), '# policies (local edit)\n')
  await writeFile(join(clone, 'notes.txt'), 'staged\n')
  await git(clone, ['add', 'notes.txt'])
})

afterEach(async () => {
  await rm(root, { recursive: true, force: true })
})

async function writeFileDeep(path: string, content: string) {
  await mkdir(join(path, '..'), { recursive: true })
  await writeFile(path, content)
}

/** Everything a user could notice about the clone's checkout. */
async function checkoutState() {
  return {
    head: await git(clone, ['symbolic-ref', 'HEAD']),
    status: await git(clone, ['status', '--porcelain']),
    staged: await git(clone, ['diff', '--cached', '--name-only']),
  }
}

/** A commit by Alice on top of the branch, made in a throwaway worktree. */
async function humanCommit(repo: string, branch: string) {
  const worktree = join(root, `worktree-${++worktrees}`)
  await git(repo, ['worktree', 'add', '--quiet', worktree, branch])
  await writeFile(join(worktree, 'iam', 'app-role', 's3.json'), policyAllowing(['s3:*']))
  await git(worktree, ['commit', '--quiet', '-am', 'Put it back'])
  await git(repo, ['worktree', 'remove', worktree])
  return git(repo, ['rev-parse', `refs/heads/${branch}`])
}

describe('GitGateway', () => {
  it('commits the change on its branch without touching the checkout', async () => {
    const before = await checkoutState()
    const gateway = new GitGateway({ repoDir: clone, push: false, author: BOT })
    const change = changeFor(['s3:GetObject'])

    const result = await gateway.ensurePullRequest(change)

    const sha = await git(clone, ['rev-parse', `refs/heads/${BRANCH}`])
    expect(result).toEqual({
      status: 'committed',
      branch: BRANCH,
      sha,
      outcome: 'created',
      pushed: false,
    })
    expect(await git(clone, ['show', `${BRANCH}:iam/app-role/s3.json`])).toBe(
      policyAllowing(['s3:GetObject']).trimEnd(),
    )
    const files = await git(clone, ['ls-tree', '-r', '--name-only', BRANCH])
    expect(files.split('\n')).toEqual(['README.md', 'iam/app-role/s3.json'])
    expect(await git(clone, ['log', '-1', '--format=%P|%an <%ae>|%cn <%ce>', BRANCH])).toBe(
      `${await git(clone, ['rev-parse', 'main'])}|scopedown <bot@scopedown.test>|scopedown <bot@scopedown.test>`,
    )
    expect(readTrailers(await git(clone, ['log', '-1', '--format=%B', BRANCH])).planHash).toBe(
      change.planHash,
    )
    expect(await checkoutState()).toEqual(before)
  })

  it('makes no new commit when the same content runs again, and one when it changes', async () => {
    const gateway = new GitGateway({ repoDir: clone, push: false, author: BOT })
    const first = await gateway.ensurePullRequest(changeFor(['s3:GetObject']))

    const again = await gateway.ensurePullRequest(changeFor(['s3:GetObject']))
    expect(again).toMatchObject({ outcome: 'unchanged', sha: (first as { sha: string }).sha })

    const changed = await gateway.ensurePullRequest(changeFor(['s3:GetObject', 's3:PutObject']))
    expect(changed).toMatchObject({ status: 'committed', outcome: 'updated' })
    expect(await git(clone, ['rev-list', '--count', `main..${BRANCH}`])).toBe('1')
  })

  it('leaves a branch with a human commit alone', async () => {
    const gateway = new GitGateway({ repoDir: clone, push: false, author: BOT })
    await gateway.ensurePullRequest(changeFor(['s3:GetObject']))
    const human = await humanCommit(clone, BRANCH)

    const result = await gateway.ensurePullRequest(changeFor(['s3:GetObject', 's3:PutObject']))

    expect(result).toEqual({ status: 'blocked', reason: 'edited-by-human' })
    expect(await git(clone, ['rev-parse', `refs/heads/${BRANCH}`])).toBe(human)
  })

  it('pushes to the remote once, and refuses to overwrite a human push there', async () => {
    const gateway = new GitGateway({ repoDir: clone, push: true, author: BOT })
    const first = await gateway.ensurePullRequest(changeFor(['s3:GetObject']))
    expect(first).toMatchObject({ outcome: 'created', pushed: true })
    const sha = (first as { sha: string }).sha
    expect(await git(remote, ['rev-parse', `refs/heads/${BRANCH}`])).toBe(sha)

    const again = await gateway.ensurePullRequest(changeFor(['s3:GetObject']))
    expect(again).toMatchObject({ outcome: 'unchanged', pushed: false, sha })

    // A colleague pushes to the branch from their own clone.
    const colleague = join(root, 'colleague')
    await runGit(['clone', '--quiet', remote, colleague], { cwd: root })
    await git(colleague, ['fetch', '--quiet', 'origin', `${BRANCH}:${BRANCH}`])
    const human = await humanCommit(colleague, BRANCH)
    await git(colleague, ['push', '--quiet', 'origin', BRANCH])

    const blocked = await gateway.ensurePullRequest(changeFor(['s3:GetObject', 's3:PutObject']))
    expect(blocked).toEqual({ status: 'blocked', reason: 'edited-by-human' })
    expect(await git(remote, ['rev-parse', `refs/heads/${BRANCH}`])).toBe(human)
  })

  it('refuses to move a branch that is checked out', async () => {
    const gateway = new GitGateway({ repoDir: clone, push: false, author: BOT })
    await gateway.ensurePullRequest(changeFor(['s3:GetObject']))
    await git(clone, ['stash', '--quiet', '--include-untracked'])
    await git(clone, ['checkout', '--quiet', BRANCH])

    await expect(gateway.ensurePullRequest(changeFor(['s3:PutObject']))).rejects.toMatchObject({
      code: 'PUBLISH_FAILED',
      message: expect.stringContaining('checked out'),
    })
  })
})
