import { execFileSync } from 'node:child_process'
import { cp, mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export const DEMO_REPO_SOURCE = new URL('../../fixtures/demo-org/repo', import.meta.url).pathname

export function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, {
    cwd,
    encoding: 'utf8',
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: 'Alice',
      GIT_AUTHOR_EMAIL: 'alice@example.com',
      GIT_COMMITTER_NAME: 'Alice',
      GIT_COMMITTER_EMAIL: 'alice@example.com',
    },
  }).trim()
}

/** A fresh git repository holding the demo organization's policies, on branch main. */
export async function demoRepoClone(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'scopedown-demo-repo-'))
  await cp(DEMO_REPO_SOURCE, dir, { recursive: true })
  git(dir, 'init', '-q', '-b', 'main')
  git(dir, 'add', '-A')
  git(dir, 'commit', '-q', '-m', 'policies as they are')
  return dir
}
