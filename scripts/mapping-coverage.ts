/**
 * Maps every event of the real CloudTrail logs in shared/data and prints the share of events that
 * end `unmapped` (the goal is below 2%), with the unmapped (eventSource, eventName) pairs.
 *
 *   npm run mapping-coverage [-- <data dir>]     (default /work/shared/data, or $SCOPEDOWN_SHARED_DATA)
 *
 * Exit code 1 when the share is 2% or more, 2 when the data folder is missing.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { gunzipSync } from 'node:zlib'
import { loadCatalog } from '../src/usage/catalog.js'
import { type ActionMapper, createActionMapper, type MappingStatus } from '../src/usage/mapper.js'

export const DEFAULT_SHARED_DATA =
  process.env.SCOPEDOWN_SHARED_DATA ?? fileURLToPath(new URL('../../shared/data', import.meta.url))

/** The real (non-synthetic) log folders of shared/data; see its SOURCES.md. */
const REAL_LOG_DIRS = ['cloudtrail/invictus-ir-aws_dataset', 'cloudtrail/otrf-security-datasets']

export type CloudTrailRecord = Record<string, unknown>

/** Records of one file: `{"Records":[...]}`, a single record, or JSON lines; `.gz` is unpacked. */
export function readRecordsFile(path: string): CloudTrailRecord[] {
  const raw = readFileSync(path)
  const text = (path.endsWith('.gz') ? gunzipSync(raw) : raw).toString('utf8').trim()
  try {
    const json: unknown = JSON.parse(text)
    if (Array.isArray((json as { Records?: unknown }).Records)) {
      return (json as { Records: CloudTrailRecord[] }).Records
    }
    return Array.isArray(json) ? (json as CloudTrailRecord[]) : [json as CloudTrailRecord]
  } catch {
    return text
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line) as CloudTrailRecord)
  }
}

/** Every record of the real logs under `dataDir`, or undefined when the folder is absent. */
export function readRealRecords(dataDir = DEFAULT_SHARED_DATA): CloudTrailRecord[] | undefined {
  if (!existsSync(join(dataDir, 'cloudtrail'))) return undefined
  const records: CloudTrailRecord[] = []
  for (const dir of REAL_LOG_DIRS) {
    const folder = join(dataDir, dir)
    if (!existsSync(folder)) continue
    for (const file of readdirSync(folder).sort()) {
      if (/\.json(\.gz)?$/.test(file)) records.push(...readRecordsFile(join(folder, file)))
    }
  }
  return records
}

export interface CoverageReport {
  events: number
  byStatus: Record<MappingStatus, number>
  unmappedShare: number
  /** `eventSource eventName` -> count, sorted by count then name. */
  unmappedPairs: [string, number][]
}

/** Maps each record as a source would hand it over (request parameters, resources, invokedBy). */
export function measureMappingCoverage(
  records: readonly CloudTrailRecord[],
  mapper: ActionMapper,
): CoverageReport {
  const byStatus: Record<MappingStatus, number> = { mapped: 0, permissionless: 0, unmapped: 0 }
  const unmapped = new Map<string, number>()
  for (const record of records) {
    const identity = (record.userIdentity ?? {}) as Record<string, unknown>
    const result = mapper.map({
      eventSource: String(record.eventSource ?? ''),
      eventName: String(record.eventName ?? ''),
      requestParameters: (record.requestParameters ?? null) as Record<string, unknown> | null,
      resources: Array.isArray(record.resources) ? record.resources : [],
      ...(typeof identity.invokedBy === 'string' ? { invokedBy: identity.invokedBy } : {}),
      ...(typeof record.eventType === 'string' ? { eventType: record.eventType } : {}),
    })
    byStatus[result.status]++
    if (result.status === 'unmapped') {
      const pair = `${record.eventSource} ${record.eventName}`
      unmapped.set(pair, (unmapped.get(pair) ?? 0) + 1)
    }
  }
  const events = records.length
  return {
    events,
    byStatus,
    unmappedShare: events === 0 ? 0 : byStatus.unmapped / events,
    unmappedPairs: [...unmapped].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])),
  }
}

async function main(): Promise<number> {
  const dataDir = process.argv[2] ?? DEFAULT_SHARED_DATA
  const records = readRealRecords(dataDir)
  if (!records) {
    console.error(`no CloudTrail data under ${dataDir}/cloudtrail (set SCOPEDOWN_SHARED_DATA)`)
    return 2
  }
  const mapper = createActionMapper(await loadCatalog())
  const report = measureMappingCoverage(records, mapper)
  const pct = (n: number) => `${((100 * n) / Math.max(1, report.events)).toFixed(2)}%`
  console.log(`catalog: ${mapper.catalogVersion}`)
  console.log(`events: ${report.events} from ${dataDir}`)
  for (const [status, n] of Object.entries(report.byStatus))
    console.log(`  ${status}: ${n} (${pct(n)})`)
  console.log(`unmapped share: ${pct(report.byStatus.unmapped)} (goal: below 2%)`)
  for (const [pair, n] of report.unmappedPairs) console.log(`  unmapped ${n}x  ${pair}`)
  return report.unmappedShare < 0.02 ? 0 : 1
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await main()
}
