import { describe, expect, it } from 'vitest'
import {
  branchFolder,
  branchName,
  combinePlanHashes,
  planMarker,
  readPlanHash,
  topicMarker,
} from '../../src/publish/branch.js'
import {
  hasScopedownTrailers,
  readTrailers,
  withTrailers,
} from '../../src/publish/commit-trailers.js'
import { runGit } from '../../src/publish/git-cli.js'
import { InvariantError } from '../../src/util/errors.js'
import { sha256 } from '../../src/util/stable-json.js'

const HASH = sha256('plan')

describe('branchName', () => {
  it('names role and account branches deterministically', () => {
    expect(branchName({ accountId: '111111111111', roleName: 'app-role' })).toBe(
      'scopedown/111111111111/app-role',
    )
    expect(branchName({ accountId: '111111111111' })).toBe('scopedown/111111111111')
    // IAM allows + = , . @ _ - in role names; all are fine in git refs.
    expect(branchName({ accountId: '1', roleName: 'svc+deploy=x,y.z@corp_1' })).toBe(
      'scopedown/1/svc+deploy=x,y.z@corp_1',
    )
  })

  it.each([
    '..hidden',
    'ends.lock',
    'has space',
    'colon:star*question?',
    'tilde~caret^bracket[',
    'back\\slash',
    'slash/inside',
    'trailing.',
    '@',
    '',
    'a..b',
  ])('sanitises %j into a valid, distinct ref', async (roleName) => {
    const name = branchName({ accountId: '111111111111', roleName })
    const check = await runGit(['check-ref-format', `refs/heads/${name}`], {
      cwd: process.cwd(),
      okExitCodes: [1],
    })
    expect(check.exitCode).toBe(0)
    expect(name).toMatch(/-[0-9a-f]{8}$/)
  })

  it('never maps two role names to one branch', () => {
    const a = branchName({ accountId: '1', roleName: 'a..b' })
    const b = branchName({ accountId: '1', roleName: 'a.b' })
    expect(a).not.toBe(b)
  })

  it('turns a branch into its dry-run folder and rejects escapes', () => {
    expect(branchFolder('scopedown/111111111111/app-role')).toBe('111111111111/app-role')
    expect(branchFolder('scopedown/111111111111')).toBe('111111111111')
    expect(() => branchFolder('scopedown/../etc')).toThrow(InvariantError)
  })
})

describe('plan marker', () => {
  it('round-trips through a body, last marker winning', () => {
    const other = sha256('other')
    const body = `quoted: ${planMarker(other)}\n\nreal text\n\n${planMarker(HASH)}\n`
    expect(readPlanHash(body)).toBe(HASH)
    expect(readPlanHash('no marker')).toBeUndefined()
    expect(readPlanHash(null)).toBeUndefined()
  })

  it('rejects a hash that is not a sha256', () => {
    expect(() => planMarker('abc')).toThrow(InvariantError)
  })

  it('combines role hashes independently of order', () => {
    const a = sha256('a')
    const b = sha256('b')
    expect(combinePlanHashes([a, b])).toBe(combinePlanHashes([b, a]))
    expect(combinePlanHashes([a, b])).not.toBe(combinePlanHashes([a]))
  })

  it('marks comment topics', () => {
    expect(topicMarker('edited-by-human')).toBe('<!-- scopedown:topic=edited-by-human -->')
  })
})

describe('commit trailers', () => {
  const tree = 'a'.repeat(40)

  it('writes trailers that read back', () => {
    const message = withTrailers('Tighten app-role\n\nBecause it is unused.\n', {
      planHash: HASH,
      treeSha: tree,
    })
    expect(message).toBe(
      `Tighten app-role\n\nBecause it is unused.\n\nScopedown-Plan: ${HASH}\nScopedown-Tree: ${tree}\n`,
    )
    expect(readTrailers(message)).toEqual({ planHash: HASH, treeSha: tree })
  })

  it.each([
    ['the tree trailer names another tree', { treeSha: 'b'.repeat(40), parents: ['p'] }, false],
    ['the commit is a merge', { treeSha: tree, parents: ['p', 'q'] }, false],
    ['tree and single parent match', { treeSha: tree, parents: ['p'] }, true],
  ])('recognises our commit only when %s', (_name, commit, expected) => {
    const message = withTrailers('x', { planHash: HASH, treeSha: tree })
    expect(hasScopedownTrailers({ message, ...commit })).toBe(expected)
  })

  it('ignores trailers that are not in the last paragraph', () => {
    const message = `x\n\nScopedown-Plan: ${HASH}\nScopedown-Tree: ${tree}\n\nEdited by hand\n`
    expect(hasScopedownTrailers({ message, treeSha: tree, parents: ['p'] })).toBe(false)
  })
})
