import { spawn } from 'node:child_process'
import { ScopedownError } from '../util/errors.js'

/** How to run one git command. */
export interface GitRunOptions {
  cwd: string
  /** Extra environment, e.g. `GIT_INDEX_FILE` or author identity. */
  env?: Record<string, string>
  input?: string | Buffer
  /** Exit codes that are answers rather than failures (e.g. 1 for `merge-base --is-ancestor`). */
  okExitCodes?: readonly number[]
}

/**
 * Variables that would silently point git at another repository or index. Inherited values are
 * dropped; a caller who means them passes them in `env`.
 */
const REPO_SELECTING_ENV = ['GIT_DIR', 'GIT_WORK_TREE', 'GIT_INDEX_FILE', 'GIT_OBJECT_DIRECTORY']

/**
 * Runs `git` without a shell and returns stdout (trailing newline kept) and the exit code.
 * A failure becomes `ScopedownError('PUBLISH_FAILED')` carrying git's own message.
 */
export function runGit(
  args: readonly string[],
  options: GitRunOptions,
): Promise<{ stdout: string; exitCode: number }> {
  const env: NodeJS.ProcessEnv = { ...process.env }
  for (const name of REPO_SELECTING_ENV) delete env[name]
  Object.assign(env, { LC_ALL: 'C', GIT_TERMINAL_PROMPT: '0' }, options.env)
  return new Promise((resolve, reject) => {
    const child = spawn('git', args, { cwd: options.cwd, env, stdio: 'pipe' })
    const stdout: Buffer[] = []
    const stderr: Buffer[] = []
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk))
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk))
    child.on('error', (error) => {
      reject(
        new ScopedownError('PUBLISH_FAILED', `could not run git: ${error.message}`, {
          cause: error,
          hint: 'Install git (2.30 or newer) and make sure it is on PATH.',
        }),
      )
    })
    child.on('close', (code) => {
      const exitCode = code ?? -1
      if (exitCode === 0 || options.okExitCodes?.includes(exitCode)) {
        resolve({ stdout: Buffer.concat(stdout).toString('utf8'), exitCode })
        return
      }
      const message = Buffer.concat(stderr).toString('utf8').trim() || `exit code ${exitCode}`
      reject(
        new ScopedownError('PUBLISH_FAILED', `git ${args[0]} failed: ${message}`, {
          hint: `Check that ${options.cwd} is a git repository scopedown may write to.`,
        }),
      )
    })
    child.stdin.on('error', () => {}) // git may exit before reading all input; 'close' reports it
    child.stdin.end(options.input ?? '')
  })
}

/** Convenience: stdout of a git command, trimmed. */
export async function gitOutput(args: readonly string[], options: GitRunOptions): Promise<string> {
  return (await runGit(args, options)).stdout.trim()
}

/** A commit as read with `git cat-file commit`. */
export interface GitCommit {
  sha: string
  treeSha: string
  parents: string[]
  author: { name: string; email: string }
  committer: { name: string; email: string }
  message: string
}

/** Reads and parses one commit object. */
export async function readCommit(sha: string, options: GitRunOptions): Promise<GitCommit> {
  const { stdout } = await runGit(['cat-file', 'commit', sha], options)
  return parseCommit(sha, stdout)
}

/** Parses the raw text of a commit object (headers, blank line, message). */
export function parseCommit(sha: string, raw: string): GitCommit {
  const split = raw.indexOf('\n\n')
  const headers = (split === -1 ? raw : raw.slice(0, split)).split('\n')
  const message = split === -1 ? '' : raw.slice(split + 2)
  const commit: GitCommit = {
    sha,
    treeSha: '',
    parents: [],
    author: { name: '', email: '' },
    committer: { name: '', email: '' },
    message,
  }
  for (const line of headers) {
    const space = line.indexOf(' ')
    const key = line.slice(0, space)
    const value = line.slice(space + 1)
    if (key === 'tree') commit.treeSha = value
    else if (key === 'parent') commit.parents.push(value)
    else if (key === 'author') commit.author = parseIdent(value)
    else if (key === 'committer') commit.committer = parseIdent(value)
  }
  return commit
}

function parseIdent(value: string): { name: string; email: string } {
  const match = /^(.*?) <([^>]*)>/.exec(value)
  return { name: match?.[1] ?? '', email: match?.[2] ?? '' }
}
