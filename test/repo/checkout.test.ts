import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { CheckoutPolicyRepo } from '../../src/repo/checkout.js'
import { jsonFormat } from '../../src/repo/json-format.js'
import { checkoutFiles, memoryFiles } from '../../src/repo/repo-files.js'
import type { LocatedPolicy, PolicyEdit } from '../../src/repo/types.js'
import { InvariantError, ScopedownError } from '../../src/util/errors.js'
import { fixturePath, normalize, pruneActions } from './policy-edits.js'

/** A fixture folder as an in-memory tree. */
function tree(dir: string): Record<string, string> {
  const root = fixturePath(dir)
  const files: Record<string, string> = {}
  const walk = (path: string) => {
    for (const entry of readdirSync(path, { withFileTypes: true })) {
      const full = join(path, entry.name)
      if (entry.isDirectory()) walk(full)
      else files[relative(root, full)] = readFileSync(full, 'utf8')
    }
  }
  walk(root)
  return files
}

const role = (accountId: string, name: string) => ({
  accountId,
  name,
  arn: `arn:aws:iam::${accountId}:role/${name}`,
})
/** A planner-like change: keep the first action of each statement. */
function keepFirstAction(policy: LocatedPolicy): PolicyEdit {
  const seen = new Set<number>()
  const after = pruneActions(policy.document, (_, statement) => {
    if (seen.has(statement)) return false
    seen.add(statement)
    return true
  })
  return { policy, after }
}

describe('CheckoutPolicyRepo.applyChanges', () => {
  it('edits several policies of one file and the JSON file behind file()', async () => {
    const files = tree('repos/terraform')
    const repo = await CheckoutPolicyRepo.open(memoryFiles(files))
    const location = await repo.locate(role('111111111111', 'deployer'))
    const policies = [
      ...location.inline,
      ...location.managed.flatMap((m) => (m.editable ? [m.policy] : [])),
      ...(location.boundary?.editable ? [location.boundary.policy] : []),
    ]
    expect(policies).toHaveLength(4)
    const changes = policies.map(keepFirstAction)
    const edits = await repo.applyChanges(changes)

    expect(edits.map((e) => e.path)).toEqual([
      'accounts/111111111111/iam/policies.tf',
      'accounts/111111111111/iam/policies/artifacts.json',
    ])
    // Every edited file still holds every policy, each now with the planned document.
    const after = Object.fromEntries(edits.map((e) => [e.path, e.content ?? '']))
    const relocated = await (
      await CheckoutPolicyRepo.open(memoryFiles({ ...files, ...after }))
    ).locate(role('111111111111', 'deployer'))
    const documents = [
      ...relocated.inline,
      ...relocated.managed.flatMap((m) => (m.editable ? [m.policy] : [])),
      ...(relocated.boundary?.editable ? [relocated.boundary.policy] : []),
    ].map((p) => normalize(p.document))
    expect(documents).toEqual(changes.map((c) => normalize(c.after)))
  })

  it('returns no edit for documents that do not change', async () => {
    const repo = await CheckoutPolicyRepo.open(memoryFiles(tree('repos/manifest')))
    const location = await repo.locate(role('111111111111', 'app'))
    const changes = location.inline.map((policy) => ({ policy, after: policy.document }))
    expect(await repo.applyChanges(changes)).toEqual([])
  })

  it('deletes an inline policy that has a file of its own', async () => {
    const repo = await CheckoutPolicyRepo.open(memoryFiles(tree('repos/manifest')))
    const [policy] = (await repo.locate(role('222222222222', 'batch'))).inline
    if (policy === undefined) throw new Error('no inline policy')
    expect(await repo.applyChanges([{ policy, after: null }])).toEqual([
      { path: 'accounts/222222222222/roles/batch/inline/jobs.json', content: null },
    ])
  })

  it('refuses to delete a policy defined inside Terraform', async () => {
    const repo = await CheckoutPolicyRepo.open(memoryFiles(tree('repos/terraform')))
    const [policy] = (await repo.locate(role('111111111111', 'deployer'))).inline
    if (policy === undefined) throw new Error('no inline policy')
    await expect(repo.applyChanges([{ policy, after: null }])).rejects.toThrow(ScopedownError)
  })

  it('treats two changes to one region as a bug', async () => {
    const repo = await CheckoutPolicyRepo.open(memoryFiles(tree('repos/manifest')))
    const [policy] = (await repo.locate(role('111111111111', 'app'))).inline
    if (policy === undefined) throw new Error('no inline policy')
    const change = { policy, after: policy.document }
    await expect(repo.applyChanges([change, change])).rejects.toThrow(InvariantError)
  })

  it('says when a located file has gone', async () => {
    const files = tree('repos/manifest')
    const repo = await CheckoutPolicyRepo.open(memoryFiles(files))
    const [policy] = (await repo.locate(role('111111111111', 'app'))).inline
    if (policy === undefined) throw new Error('no inline policy')
    const empty = await CheckoutPolicyRepo.open(memoryFiles({}))
    await expect(empty.applyChanges([{ policy, after: policy.document }])).rejects.toMatchObject({
      code: 'POLICY_NOT_FOUND',
    })
  })
})

describe('checkoutFiles', () => {
  const dir = mkdtempSync(join(tmpdir(), 'scopedown-repo-'))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it('lists and reads like the in-memory tree, skipping .git', async () => {
    const expected = tree('repos/manifest')
    const disk = checkoutFiles(fixturePath('repos/manifest'))
    expect(await disk.list()).toEqual(await memoryFiles(expected).list())
    for (const path of await disk.list()) expect(await disk.read(path)).toBe(expected[path])
    expect(await disk.read('no/such/file.json')).toBeUndefined()
  })

  it('keeps a byte-order mark and refuses files that are not UTF-8', async () => {
    const roleDir = join(dir, 'accounts/111111111111/roles/app')
    mkdirSync(join(roleDir, 'inline'), { recursive: true })
    mkdirSync(join(dir, '.git'))
    writeFileSync(join(dir, '.git/config'), 'x')
    writeFileSync(join(roleDir, 'role.json'), '{ "name": "app", "managedPolicyArns": [] }\n')
    const bom =
      '\uFEFF{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}\n'
    writeFileSync(join(roleDir, 'inline/bom.json'), bom)
    writeFileSync(join(roleDir, 'inline/latin1.json'), Buffer.from([0x7b, 0x22, 0xe9, 0x22, 0x7d]))

    const files = checkoutFiles(dir)
    expect(await files.list()).not.toContain('.git/config')
    expect(await files.read('accounts/111111111111/roles/app/inline/bom.json')).toBe(bom)
    const repo = await CheckoutPolicyRepo.open(dir)
    const location = await repo.locate(role('111111111111', 'app'))
    expect(location.inline.map((p) => p.policyName)).toEqual(['bom'])
    expect(location.issues).toEqual([
      {
        code: 'parse-error',
        file: 'accounts/111111111111/roles/app/inline/latin1.json',
        message: 'accounts/111111111111/roles/app/inline/latin1.json is not UTF-8 text',
      },
    ])
    const [policy] = location.inline
    if (policy === undefined) throw new Error('no inline policy')
    expect(jsonFormat.replace(bom, policy, policy.document)).toBe(bom)
  })
})
