import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { runGit } from '../../src/publish/git-cli.js'
import { LocalGateway } from '../../src/publish/local.js'
import { ACCOUNT, changeFor, policyAllowing, REPO_FILES } from './fixtures.js'

let root: string
let repoDir: string
let outDir: string

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'local-gateway-'))
  repoDir = join(root, 'repo')
  outDir = join(root, 'out')
  for (const [path, content] of Object.entries(REPO_FILES)) {
    await mkdir(dirname(join(repoDir, path)), { recursive: true })
    await writeFile(join(repoDir, path), content)
  }
})

afterEach(async () => {
  await rm(root, { recursive: true, force: true })
})

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true })
  return entries
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(dir.length + 1))
    .sort()
}

describe('LocalGateway (dry run)', () => {
  it('writes the edited files, the PR body, a summary and a patch that git can apply', async () => {
    const gateway = new LocalGateway({ outDir, repoDir })
    const change = changeFor(['s3:GetObject'])

    const result = await gateway.ensurePullRequest(change)

    const folder = join(outDir, ACCOUNT, 'app-role')
    expect(result).toEqual({ status: 'dry-run', outDir: folder })
    expect(await listFiles(folder)).toEqual([
      'change.patch',
      'files/iam/app-role/s3.json',
      'pr-body.md',
      'pr.json',
    ])
    expect(await readFile(join(folder, 'files/iam/app-role/s3.json'), 'utf8')).toBe(
      policyAllowing(['s3:GetObject']),
    )
    expect(await readFile(join(folder, 'pr-body.md'), 'utf8')).toBe(change.body)
    const summary = JSON.parse(await readFile(join(folder, 'pr.json'), 'utf8'))
    expect(summary).toMatchObject({ branch: change.branch, planHash: change.planHash })
    expect(summary.files).toEqual([
      { path: 'iam/app-role/legacy.json', action: 'delete' },
      { path: 'iam/app-role/s3.json', action: 'modify' },
    ])

    // Applying the patch to a copy of the checkout gives exactly the proposed files.
    const copy = join(root, 'copy')
    await cp(repoDir, copy, { recursive: true })
    await runGit(['init', '--quiet'], { cwd: copy })
    await runGit(['apply', '--whitespace=nowarn', join(folder, 'change.patch')], { cwd: copy })
    expect(await readFile(join(copy, 'iam/app-role/s3.json'), 'utf8')).toBe(
      policyAllowing(['s3:GetObject']),
    )
    await expect(readFile(join(copy, 'iam/app-role/legacy.json'))).rejects.toThrow(/ENOENT/)
    expect(await readFile(join(repoDir, 'iam/app-role/legacy.json'), 'utf8')).toBe(
      REPO_FILES['iam/app-role/legacy.json'],
    )
  })

  it('shows only the latest plan when run again', async () => {
    const gateway = new LocalGateway({ outDir, repoDir })
    await gateway.ensurePullRequest(changeFor(['s3:GetObject']))
    const narrower = {
      ...changeFor(['s3:PutObject']),
      files: [{ path: 'iam/app-role/new.json', content: '{}\n' }],
    }

    const result = await gateway.ensurePullRequest(narrower)

    const folder = (result as { outDir: string }).outDir
    expect(await listFiles(folder)).toEqual([
      'change.patch',
      'files/iam/app-role/new.json',
      'pr-body.md',
      'pr.json',
    ])
    const patch = await readFile(join(folder, 'change.patch'), 'utf8')
    expect(patch).toContain('new file mode 100644')
    expect(patch).toContain('+++ b/iam/app-role/new.json')
  })

  it('writes per-account changes to the account folder', async () => {
    const gateway = new LocalGateway({ outDir, repoDir })
    const result = await gateway.ensurePullRequest(
      changeFor(['s3:GetObject'], { branch: `scopedown/${ACCOUNT}` }),
    )
    expect(result).toEqual({ status: 'dry-run', outDir: join(outDir, ACCOUNT) })
  })
})
