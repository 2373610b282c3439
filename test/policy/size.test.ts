import { beforeAll, describe, expect, it } from 'vitest'
import { type PolicyDocument, statementsOf } from '../../src/policy/document.js'
import { checkTightening } from '../../src/policy/invariants.js'
import { parsePolicy } from '../../src/policy/parse.js'
import { fitToQuota, POLICY_SIZE_QUOTAS, policySize } from '../../src/policy/size.js'
import { type ActionCatalog, loadCatalog } from '../../src/usage/catalog.js'
import { allow, deny, policy } from './support.js'

let catalog: ActionCatalog
beforeAll(async () => {
  catalog = await loadCatalog()
})

/** Every ec2 Describe and Get action as an explicit list: about 8,000 characters. */
function bigReadOnly(): PolicyDocument {
  const reads = [...catalog.expand('ec2:Describe*'), ...catalog.expand('ec2:Get*')].map(
    (a) => a.action,
  )
  return policy({ Sid: 'Reads', ...allow(reads) }, deny('ec2:GetPasswordData'))
}

/** Both directions hold on every sample: the documents grant the same. */
function equivalent(a: readonly PolicyDocument[], b: readonly PolicyDocument[]): boolean {
  const one = checkTightening({ before: a, after: b, used: [] }, catalog)
  const two = checkTightening({ before: b, after: a, used: [] }, catalog)
  return one.length === 0 && two.length === 0
}

describe('policySize', () => {
  it('counts the minified JSON, not the whitespace around it', () => {
    const text =
      '{\n  "Version": "2012-10-17",\n  "Statement": [\n    { "Effect": "Allow", "Action": "s3:GetObject", "Resource": "*" }\n  ]\n}'
    expect(policySize(parsePolicy(text))).toBe(
      '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}'
        .length,
    )
  })
})

describe('fitToQuota', () => {
  it('leaves documents within the quota alone', () => {
    const doc = policy(allow('s3:GetObject'))
    expect(fitToQuota([doc], 'managed', catalog)).toEqual({
      documents: [[doc]],
      fits: true,
      notes: [],
    })
  })

  it('re-groups an oversized managed policy into exact word wildcards, Deny untouched', () => {
    const doc = bigReadOnly()
    expect(policySize(doc)).toBeGreaterThan(POLICY_SIZE_QUOTAS.managed)
    const result = fitToQuota([doc], 'managed', catalog)
    expect(result.fits).toBe(true)
    const [fitted] = result.documents[0] ?? []
    if (!fitted) throw new Error('no document')
    expect(statementsOf(fitted)[0]?.Action).toEqual(['ec2:Describe*', 'ec2:Get*'])
    expect(statementsOf(fitted)[1]).toBe(statementsOf(doc)[1])
    expect(result.notes[0]).toMatch(
      /over the managed quota of 6144 characters: re-grouped actions \(words\)/,
    )
    expect(equivalent([doc], [fitted])).toBe(true)
  })

  it('splits what compression cannot shrink into several policies that grant the same', () => {
    // Seventy statements on distinct resources: nothing to group, about 8,000 characters.
    const statements = Array.from({ length: 70 }, (_, i) => ({
      Sid: `Bucket${i}`,
      ...allow(['s3:GetObject', 's3:PutObject'], `arn:aws:s3:::bucket-number-${i}/prefix/*`),
    }))
    const doc = policy(...statements, deny('s3:DeleteObject'))
    const result = fitToQuota([doc], 'managed', catalog)
    const pieces = result.documents[0] ?? []
    expect(result.fits).toBe(true)
    expect(pieces.length).toBeGreaterThan(1)
    for (const piece of pieces)
      expect(policySize(piece)).toBeLessThanOrEqual(POLICY_SIZE_QUOTAS.managed)
    expect(pieces.flatMap((p) => statementsOf(p))).toEqual(statementsOf(doc))
    expect(result.notes.at(-1)).toBe(
      `split into ${pieces.length} managed policies of at most 6144 characters`,
    )
    expect(equivalent([doc], pieces)).toBe(true)
  })

  it('splits one oversized statement by chunks of its Action list', () => {
    const actions = catalog
      .expand('ec2:*')
      .map((a) => a.action)
      .filter((_, i) => i % 2 === 0)
    const doc = policy({ Sid: 'Half', ...allow(actions, 'arn:aws:ec2:*:111111111111:instance/*') })
    const result = fitToQuota([doc], 'managed', catalog)
    const pieces = result.documents[0] ?? []
    expect(result.fits).toBe(true)
    expect(pieces.map((p) => statementsOf(p)[0]?.Sid)).toEqual(
      pieces.map((_, i) => (i === 0 ? 'Half' : `HalfPart${i + 1}`)),
    )
    expect(equivalent([doc], pieces)).toBe(true)
  })

  it('says when inline policies cannot fit the role quota at all', () => {
    const statements = Array.from({ length: 120 }, (_, i) =>
      allow(['s3:GetObject', 's3:PutObject'], `arn:aws:s3:::bucket-number-${i}/prefix/*`),
    )
    const docs = [policy(...statements.slice(0, 60)), policy(...statements.slice(60))]
    const result = fitToQuota(docs, 'inline', catalog)
    expect(result.fits).toBe(false)
    expect(result.notes.at(-1)).toMatch(/to be attached as managed policies$/)
    for (const piece of result.documents.flat()) {
      expect(policySize(piece)).toBeLessThanOrEqual(POLICY_SIZE_QUOTAS.managed)
    }
    expect(equivalent(docs, result.documents.flat())).toBe(true)
  })
})
