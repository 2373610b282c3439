import { existsSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import {
  type CloudTrailRecord,
  measureAccuracy,
  measureMappingCoverage,
  readRealRecords,
  readRecordsFile,
  referencePairs,
} from '../../scripts/mapping-coverage.js'
import { projectRequestParameters } from '../../src/source/request-details.js'
import type { ApiCall } from '../../src/source/types.js'
import { type ActionCatalog, loadCatalog } from '../../src/usage/catalog.js'
import { type ActionMapper, createActionMapper } from '../../src/usage/mapper.js'
import { summarizeUsage } from '../../src/usage/usage.js'
import { apiCall, hasSharedData, NEEDS_DATA, SHARED_DATA } from './helpers.js'

let catalog: ActionCatalog
let mapper: ActionMapper
let records: CloudTrailRecord[]
beforeAll(async () => {
  catalog = await loadCatalog()
  mapper = createActionMapper(catalog)
  records = hasSharedData ? [...(readRealRecords(SHARED_DATA) ?? []), ...peerFixtureRecords()] : []
})

/** trailscraper's CloudTrail fixtures (real-shaped records, one from the AWS docs). */
function peerFixtureRecords(): CloudTrailRecord[] {
  const dir = join(SHARED_DATA, 'peers/trailscraper/cloudtrail')
  if (!existsSync(dir)) return []
  return readdirSync(dir)
    .filter((f) => /\.json(\.gz)?$/.test(f))
    .sort()
    .flatMap((f) => readRecordsFile(join(dir, f)))
}

function mapRecord(record: CloudTrailRecord) {
  const identity = (record.userIdentity ?? {}) as Record<string, unknown>
  return mapper.map({
    eventSource: String(record.eventSource),
    eventName: String(record.eventName),
    requestParameters: (record.requestParameters ?? null) as Record<string, unknown> | null,
    resources: Array.isArray(record.resources) ? record.resources : [],
    ...(typeof identity.invokedBy === 'string' ? { invokedBy: identity.invokedBy } : {}),
  })
}

describe.skipIf(!hasSharedData)(`real CloudTrail logs ${NEEDS_DATA}`, () => {
  it('read a meaningful sample (invictus-ir, OTRF, trailscraper fixtures)', () => {
    expect(records.length).toBeGreaterThan(3000)
  })

  it('map every (eventSource, eventName) to catalog actions only, in catalog casing', () => {
    const pairs = new Set<string>()
    for (const record of records) {
      const result = mapRecord(record)
      pairs.add(`${record.eventSource} ${record.eventName}`)
      for (const { action } of result.actions) {
        expect(catalog.get(action)?.action, `${record.eventSource} ${record.eventName}`).toBe(
          action,
        )
      }
    }
    expect(pairs.size).toBeGreaterThan(250)
  })

  it('leave under 2% of events unmapped', () => {
    const report = measureMappingCoverage(readRealRecords(SHARED_DATA) ?? [], mapper)
    expect(report.unmappedPairs).toEqual([])
    expect(report.unmappedShare).toBeLessThan(0.02)
  })

  it('meet the accuracy targets against the references (99% of pairs, 90% of non-trivial ones)', () => {
    const references = referencePairs(catalog, mapper, SHARED_DATA)
    const report = measureAccuracy(references, mapper, catalog)
    expect(report.outsideCatalog).toEqual([])
    expect(report.nonTrivial).toBeGreaterThan(50)
    expect(report.pairs).toBeGreaterThan(1000)
    expect(report.right / report.pairs).toBeGreaterThanOrEqual(0.99)
    expect(report.nonTrivialRight / report.nonTrivial).toBeGreaterThanOrEqual(0.9)
  })

  it('summarise the stolen role of the OTRF exfiltration (its S3 data events included)', () => {
    const calls = aggregate(records)
    const stolen = calls.find((c) => c.principalArn.includes('BankingWAFRole'))?.principalArn ?? ''
    const usage = summarizeUsage(
      stolen,
      calls,
      [],
      { start: '2020-01-01T00:00:00Z', end: '2021-01-01T00:00:00Z' },
      mapper,
    )
    const used = usage.used.map((u) => u.action)
    expect(used).toEqual(
      expect.arrayContaining(['s3:GetObject', 's3:ListBucket', 's3:ListAllMyBuckets']),
    )
    const getObject = usage.used.find((u) => u.action === 's3:GetObject')
    expect(getObject?.resources.every((arn) => arn.startsWith('arn:aws:s3:::mordors3stack-'))).toBe(
      true,
    )
    expect(usage.unmapped).toEqual([])
  })
})

/** The rows a LogSource would return: per (principal, eventSource, eventName), details counted. */
function aggregate(input: readonly CloudTrailRecord[]): ApiCall[] {
  const rows = new Map<
    string,
    ApiCall & { detailMap: Map<string, { params: Record<string, unknown>; count: number }> }
  >()
  for (const r of input) {
    const identity = (r.userIdentity ?? {}) as Record<string, unknown>
    const issuer = ((identity.sessionContext as Record<string, unknown> | undefined)
      ?.sessionIssuer ?? {}) as Record<string, unknown>
    const principalArn = String(issuer.arn ?? identity.arn ?? '')
    if (!principalArn) continue
    const key = `${principalArn} ${r.eventSource} ${r.eventName}`
    const row =
      rows.get(key) ??
      Object.assign(
        apiCall({
          principalArn,
          eventSource: String(r.eventSource),
          eventName: String(r.eventName),
          count: 0,
        }),
        {
          detailMap: new Map(),
        },
      )
    rows.set(key, row)
    row.count++
    const arns = (Array.isArray(r.resources) ? r.resources : [])
      .map((x: { ARN?: string }) => x.ARN)
      .filter(Boolean) as string[]
    row.resources = [...new Set([...row.resources, ...arns])].sort()
    const params = projectRequestParameters((r.requestParameters ?? {}) as Record<string, unknown>)
    if (Object.keys(params).length > 0) {
      const id = JSON.stringify(params)
      const detail = row.detailMap.get(id) ?? { params, count: 0 }
      detail.count++
      row.detailMap.set(id, detail)
    }
  }
  return [...rows.values()].map(({ detailMap, ...row }) => ({
    ...row,
    details: [...detailMap.values()].map((d) => ({ ...d, deniedCount: 0 })),
  }))
}
