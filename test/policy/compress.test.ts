import { beforeAll, describe, expect, it } from 'vitest'
import { compressActions } from '../../src/policy/compress.js'
import { expandActions } from '../../src/policy/match.js'
import { type ActionCatalog, loadCatalog } from '../../src/usage/catalog.js'
import { seededRandom, smallCatalog } from './support.js'

describe('compressActions on a small catalog', () => {
  const catalog = smallCatalog()

  it.each([
    { name: 'empty', input: [], expected: [] },
    { name: 'one action stays exact', input: ['s3:GetObject'], expected: ['s3:GetObject'] },
    {
      name: 'a whole word family becomes a word wildcard',
      input: ['s3:GetObject', 's3:GetObjectAcl', 's3:GetObjectTagging'],
      expected: ['s3:GetObject*'],
    },
    {
      name: 'every Get becomes s3:Get*',
      input: [
        's3:GetObject',
        's3:GetObjectAcl',
        's3:GetObjectTagging',
        's3:GetBucketPolicy',
        's3:GetBucketPolicyStatus',
      ],
      expected: ['s3:Get*'],
    },
    {
      name: 'a family with a member missing stays explicit',
      input: ['s3:GetObject', 's3:GetObjectAcl', 's3:PutObject'],
      expected: ['s3:GetObject', 's3:GetObjectAcl', 's3:PutObject'],
    },
    {
      name: 'a whole service is listed, not s3:*, by default',
      input: ['sqs:SendMessage', 'sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ListQueues'],
      expected: ['sqs:DeleteMessage', 'sqs:ListQueues', 'sqs:ReceiveMessage', 'sqs:SendMessage'],
    },
    {
      name: 'unknown actions pass through and input casing does not matter',
      input: ['NEW:Thing', 's3:putobject'],
      expected: ['NEW:Thing', 's3:PutObject'],
    },
  ])('$name', ({ input, expected }) => {
    expect(compressActions(input, catalog)).toEqual(expected)
  })

  it('uses service wildcards only when asked', () => {
    const all = catalog.actions('sqs').map((a) => a.action)
    expect(compressActions(all, catalog, { serviceWildcard: true })).toEqual(['sqs:*'])
  })

  it('level "prefixes" groups any shared prefix; "none" never groups', () => {
    const input = ['s3:GetBucketPolicy', 's3:GetBucketPolicyStatus']
    expect(compressActions(input, catalog, { level: 'words' })).toEqual(['s3:GetBucket*'])
    const objects = ['s3:GetObjectAcl', 's3:GetObjectTagging', 's3:GetObject']
    expect(compressActions(objects, catalog, { level: 'none' })).toEqual([
      's3:GetObject',
      's3:GetObjectAcl',
      's3:GetObjectTagging',
    ])
    expect(
      compressActions(['s3:PutObject', 's3:PutObjectAcl'], catalog, { level: 'prefixes' }),
    ).toEqual(['s3:P*'])
  })
})

describe('compressActions is exact over the real catalog', () => {
  let catalog: ActionCatalog
  beforeAll(async () => {
    catalog = await loadCatalog()
  })

  it.each(['words', 'prefixes'] as const)(
    'expand(compress(S)) == S for 300 seeded random subsets (%s)',
    (level) => {
      const rng = seededRandom(level === 'words' ? 11 : 12)
      const services = catalog.services()
      let grouped = 0
      for (let i = 0; i < 300; i++) {
        // One to three services, each with a random share of its actions (sometimes all).
        const chosen = rng.some(services, 1, 3)
        const subset = new Set<string>()
        for (const service of chosen) {
          const share = rng.pick([0.1, 0.5, 0.9, 1])
          for (const info of catalog.actions(service))
            if (rng.chance(share)) subset.add(info.action)
        }
        const patterns = compressActions(subset, catalog, { level })
        expect(expandActions(patterns, catalog).actions).toEqual([...subset].sort(byText))
        expect(patterns.every((p) => p !== '*' && !p.endsWith(':*'))).toBe(true)
        if (patterns.length < subset.size) grouped++
      }
      expect(grouped).toBeGreaterThan(100)
    },
  )

  it('groups a realistic read-only set into word wildcards', () => {
    const reads = catalog.expand('s3:Get*').map((a) => a.action)
    expect(compressActions(reads, catalog)).toEqual(['s3:Get*'])
    const withoutOne = reads.filter((a) => a !== 's3:GetObject')
    const patterns = compressActions(withoutOne, catalog)
    expect(patterns).not.toContain('s3:Get*')
    expect(expandActions(patterns, catalog).actions).toEqual(withoutOne.sort(byText))
  })
})

function byText(a: string, b: string): number {
  const la = a.toLowerCase()
  const lb = b.toLowerCase()
  return la < lb ? -1 : la > lb ? 1 : 0
}
