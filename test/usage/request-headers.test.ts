import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createDuckDbSource } from '../../src/source/duckdb.js'
import { detailKeyPattern } from '../../src/source/duckdb-load.js'
import {
  projectRequestParameters,
  REQUEST_DETAIL_PATHS,
  topLevelKey,
  trinoJsonPath,
} from '../../src/source/request-details.js'
import { loadCatalog } from '../../src/usage/catalog.js'
import { createActionMapper } from '../../src/usage/mapper.js'
import type { RoleUsage } from '../../src/usage/types.js'
import { summarizeUsage } from '../../src/usage/usage.js'
import { assumedRole, event, tempFolder, writeS3Log } from '../source/cloudtrail-builders.js'

/**
 * S3 request headers (CloudTrail writes them into requestParameters, hyphens and all) must travel
 * from the logs to the mapper: through the DuckDB key shortcut, the JSON paths and the in-memory
 * projection alike. Otherwise s3:PutBucketAcl, s3:PutObjectAcl, s3:PutObjectTagging ... would be
 * removed as unused from a role that needs them.
 */
const ROLE = 'arn:aws:iam::111111111111:role/uploader'
const WINDOW = { start: '2026-10-01T00:00:00.000Z', end: '2026-10-02T00:00:00.000Z' }
const OBJECT = 'arn:aws:s3:::uploads/reports/a.csv'

describe('request-detail paths with hyphenated keys', () => {
  it('read headers in the in-memory projection (as LookupEvents and tests use it)', () => {
    expect(
      projectRequestParameters({ bucketName: 'b', 'x-amz-acl': ['public-read'], key: 'k' }),
    ).toEqual({ bucketName: 'b', 'x-amz-acl': ['public-read'] })
  })

  it('name a top-level key for every path, so the DuckDB shortcut stays on', () => {
    const paths = Object.values(REQUEST_DETAIL_PATHS)
    expect(paths.filter((p) => topLevelKey(p) === undefined)).toEqual([])
    const pattern = new RegExp(detailKeyPattern(paths))
    expect(pattern.test('{"bucketName":"b","x-amz-acl":"private"}')).toBe(true)
    expect(pattern.test('{"key":"k","Host":"b.s3.amazonaws.com"}')).toBe(false)
    expect(pattern.test('{"key":"k","x-amz-acl-x":"private"}')).toBe(false)
  })

  it('give Trino (Athena) the bracket form it accepts for quoted members', () => {
    expect(trinoJsonPath('$."x-amz-acl"')).toBe('$["x-amz-acl"]')
    expect(trinoJsonPath('$.tagSpecificationSet.items[0].resourceType')).toBe(
      '$.tagSpecificationSet.items[0].resourceType',
    )
  })
})

describe('S3 headers, end to end through the DuckDB source and summarizeUsage', () => {
  let usage: RoleUsage
  let cleanup: () => void = () => {}
  beforeAll(async () => {
    const folder = tempFolder()
    cleanup = folder.cleanup
    const identity = assumedRole('uploader')
    const s3 = (time: string, name: string, params: Record<string, unknown>) =>
      event({ time: `2026-10-01T${time}Z`, source: 's3.amazonaws.com', name, identity, params })
    const bucket = { bucketName: 'uploads', Host: 'uploads.s3.amazonaws.com' }
    const object = { ...bucket, key: 'reports/a.csv' }
    writeS3Log(folder.dir, [
      s3('01:00:00', 'CreateBucket', { ...bucket, 'x-amz-acl': 'private' }),
      s3('01:01:00', 'CreateBucket', {
        ...bucket,
        'x-amz-acl': ['public-read'],
        'x-amz-object-ownership': ['ObjectWriter'],
      }),
      {
        ...s3('02:00:00', 'PutObject', { ...object, 'x-amz-acl': ['bucket-owner-full-control'] }),
        resources: [{ type: 'AWS::S3::Object', ARN: OBJECT }],
      },
      {
        ...s3('02:01:00', 'PutObject', { ...object, 'x-amz-tagging': 'team=data' }),
        resources: [{ type: 'AWS::S3::Object', ARN: OBJECT }],
      },
      s3('02:02:00', 'PutObject', object),
    ])
    const source = await createDuckDbSource({ paths: [folder.dir], threads: 1 })
    try {
      const result = await source.usage({ window: WINDOW })
      const mapper = createActionMapper(await loadCatalog())
      usage = summarizeUsage(ROLE, result.calls, result.coverage, WINDOW, mapper)
    } finally {
      await source.close()
    }
  })
  afterAll(() => cleanup())

  const used = (action: string) => usage.used.find((u) => u.action === action)

  it('counts s3:PutBucketAcl and s3:PutBucketOwnershipControls for the one public create only', () => {
    expect(used('s3:CreateBucket')?.calls).toBe(2)
    expect(used('s3:PutBucketAcl')?.calls).toBe(1)
    expect(used('s3:PutBucketOwnershipControls')?.calls).toBe(1)
    expect(used('s3:PutBucketObjectLockConfiguration')).toBeUndefined()
  })

  it('counts s3:PutObjectAcl and s3:PutObjectTagging for the calls that sent the headers', () => {
    expect(used('s3:PutObject')?.calls).toBe(3)
    expect(used('s3:PutObjectAcl')).toMatchObject({ calls: 1, resources: [OBJECT] })
    expect(used('s3:PutObjectTagging')).toMatchObject({ calls: 1, resources: [OBJECT] })
    expect(used('s3:PutObjectRetention')).toBeUndefined()
  })
})
