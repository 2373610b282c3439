/**
 * How well the mapper does, measured two ways:
 * 1. coverage: every event of the real CloudTrail logs in shared/data is mapped, and the share
 *    that ends `unmapped` must stay below 2%;
 * 2. accuracy against references the mapper does not read: the peers' expectations
 *    (shared/data/peers: trailscraper, cloudtracker), the AWS-documented cases of
 *    fixtures/cases/mapper/*.json, and the catalog itself for the real logs' events whose name is
 *    an action of their service. A pair (event, expected actions) is right when the mapping holds
 *    every expected action and nothing outside the catalog; "non-trivial" pairs are those whose
 *    expected actions are not just `<prefix>:<eventName>`. Targets: 99% of all pairs, 90% of the
 *    non-trivial ones. Also reported: the API names of the peers' lists that are not IAM actions
 *    (trailscraper's known unknowns, cloudtracker's CloudTrail-supported calls), and how many of
 *    them now map to catalog actions.
 *
 *   npm run mapping-coverage [-- <data dir>]     (default /work/shared/data, or $SCOPEDOWN_SHARED_DATA)
 *
 * Exit code 1 when a goal is missed, 2 when the data folder is missing.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { gunzipSync } from 'node:zlib'
import { type ActionCatalog, loadCatalog } from '../src/usage/catalog.js'
import {
  type ActionMapper,
  createActionMapper,
  type MapInput,
  type MappingStatus,
} from '../src/usage/mapper.js'
import { compareCodeUnits } from '../src/util/compare.js'

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
    unmappedPairs: [...unmapped].sort((a, b) => b[1] - a[1] || compareCodeUnits(a[0], b[0])),
  }
}

// ---------------------------------------------------------------------------------------------
// Reference cases and accuracy

/** A data-driven mapper case (fixtures/cases/mapper/*.json). */
export interface MapperCase {
  name: string
  event: Pick<MapInput, 'eventSource' | 'eventName' | 'requestParameters'>
  /** The exact set of actions. */
  actions?: string[]
  includes?: string[]
  /** Actions that must be marked as only possible (the request does not decide them). */
  possible?: string[]
  /** Default `mapped`. */
  status?: MappingStatus
  /** The AWS documentation the expectation follows, when the file does not say it once for all. */
  source?: string
}

export const MAPPER_CASES_DIR = fileURLToPath(new URL('../fixtures/cases/mapper', import.meta.url))

/** Every case file's cases, named `<file>: <case>`; `pick` keeps those whose name contains it. */
export function mapperCases(pick?: string, dir = MAPPER_CASES_DIR): MapperCase[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .flatMap((file) => {
      const doc = JSON.parse(readFileSync(join(dir, file), 'utf8')) as { cases: MapperCase[] }
      return doc.cases.map((c) => ({ ...c, name: `${file}: ${c.name}` }))
    })
    .filter((c) => !pick || c.name.includes(pick))
}

/** One reference: an event and the actions an independent source says it needs. */
export interface ReferencePair {
  origin: string
  input: MapInput
  expected: readonly string[]
  /** Expected to need no permission at all. */
  permissionless?: boolean
}

export interface AccuracyReport {
  pairs: number
  right: number
  nonTrivial: number
  nonTrivialRight: number
  /** Pairs the mapping got wrong: what was expected, what came out. */
  wrong: { origin: string; event: string; expected: string; got: string }[]
  /** Actions emitted that the catalog does not have (must stay empty). */
  outsideCatalog: string[]
  /** Peer references that name an action the catalog does not have: not counted. */
  excluded: string[]
}

function readJson(path: string): unknown {
  return JSON.parse(readFileSync(path, 'utf8'))
}

/** The references: fixtures, peers' expectations, and the catalog for the real logs' events. */
export function referencePairs(
  catalog: ActionCatalog,
  mapper: ActionMapper,
  dataDir = DEFAULT_SHARED_DATA,
  records: readonly CloudTrailRecord[] = readRealRecords(dataDir) ?? [],
): { pairs: ReferencePair[]; excluded: string[] } {
  const pairs: ReferencePair[] = []
  const excluded: string[] = []
  for (const c of mapperCases()) {
    if (!c.actions) continue
    pairs.push({
      origin: 'fixtures',
      input: c.event,
      expected: c.actions,
      ...(c.status === 'permissionless' ? { permissionless: true } : {}),
    })
  }
  const peer = (file: string) => join(dataDir, 'peers', file)
  if (existsSync(peer('trailscraper/expected/event-to-iam-action.json'))) {
    const doc = readJson(peer('trailscraper/expected/event-to-iam-action.json')) as {
      event_cases: { eventSource: string; eventName: string; expected_action: string | null }[]
    }
    for (const c of doc.event_cases) {
      const input = { eventSource: c.eventSource, eventName: c.eventName }
      if (c.expected_action === null) {
        pairs.push({ origin: 'trailscraper', input, expected: [], permissionless: true })
      } else if (!catalog.get(c.expected_action)) {
        excluded.push(`trailscraper: ${c.eventSource} ${c.eventName} -> ${c.expected_action}`)
      } else {
        pairs.push({ origin: 'trailscraper', input, expected: [c.expected_action] })
      }
    }
  }
  if (existsSync(peer('cloudtracker/expected-cases.json'))) {
    const doc = readJson(peer('cloudtracker/expected-cases.json')) as {
      normalize_api_call: { eventSource_prefix: string; eventName: string; expected: string }[]
    }
    for (const c of doc.normalize_api_call) {
      const action = catalog.get(c.expected)?.action
      const input = { eventSource: `${c.eventSource_prefix}.amazonaws.com`, eventName: c.eventName }
      if (action) pairs.push({ origin: 'cloudtracker', input, expected: [action] })
      else excluded.push(`cloudtracker: ${c.eventSource_prefix} ${c.eventName} -> ${c.expected}`)
    }
  }
  // The real logs: an event whose name is an action of its service needs at least that action,
  // unless a documented case above says otherwise (GetCallerIdentity needs no permission).
  const documented = new Set(pairs.map((p) => `${p.input.eventSource} ${p.input.eventName}`))
  const seen = new Set<string>()
  for (const record of records) {
    const input = recordInput(record)
    const same = catalog.get(`${mapper.servicePrefix(input.eventSource)}:${input.eventName}`)
    const key = `${input.eventSource} ${input.eventName} ${JSON.stringify(input.requestParameters)}`
    const pair = `${input.eventSource} ${input.eventName}`
    if (!same || seen.has(key) || documented.has(pair) || input.eventType !== 'AwsApiCall') continue
    seen.add(key)
    pairs.push({ origin: 'real logs (catalog)', input, expected: [same.action] })
  }
  return { pairs, excluded }
}

function recordInput(record: CloudTrailRecord): MapInput {
  const identity = (record.userIdentity ?? {}) as Record<string, unknown>
  return {
    eventSource: String(record.eventSource ?? ''),
    eventName: String(record.eventName ?? ''),
    requestParameters: (record.requestParameters ?? null) as Record<string, unknown> | null,
    resources: Array.isArray(record.resources) ? record.resources : [],
    ...(typeof identity.invokedBy === 'string' ? { invokedBy: identity.invokedBy } : {}),
    ...(typeof record.eventType === 'string' ? { eventType: record.eventType } : {}),
  }
}

/** Scores the mapping of every reference pair. */
export function measureAccuracy(
  references: { pairs: readonly ReferencePair[]; excluded: readonly string[] },
  mapper: ActionMapper,
  catalog: ActionCatalog,
): AccuracyReport {
  const report: AccuracyReport = {
    pairs: 0,
    right: 0,
    nonTrivial: 0,
    nonTrivialRight: 0,
    wrong: [],
    outsideCatalog: [],
    excluded: [...references.excluded],
  }
  for (const pair of references.pairs) {
    const result = mapper.map(pair.input)
    const got = result.actions.map((a) => a.action)
    report.outsideCatalog.push(...got.filter((a) => catalog.get(a)?.action !== a))
    const expected = pair.expected.map((a) => catalog.get(a)?.action ?? a)
    const right = pair.permissionless
      ? result.status === 'permissionless'
      : result.status === 'mapped' && expected.every((a) => got.includes(a))
    const naive = `${mapper.servicePrefix(pair.input.eventSource)}:${pair.input.eventName}`
    const trivial =
      !pair.permissionless &&
      expected.length === 1 &&
      expected[0]?.toLowerCase() === naive.toLowerCase()
    report.pairs++
    if (right) report.right++
    if (!trivial) {
      report.nonTrivial++
      if (right) report.nonTrivialRight++
    }
    if (!right) {
      report.wrong.push({
        origin: pair.origin,
        event: `${pair.input.eventSource} ${pair.input.eventName}`,
        expected: pair.permissionless ? '(no permission)' : expected.join(' '),
        got: `${result.status} ${got.join(' ')}`.trim(),
      })
    }
  }
  return report
}

/** API names of the peers' lists that are not IAM actions of a known service, and how many map. */
export function measureApiNames(
  dataDir: string,
  mapper: ActionMapper,
  catalog: ActionCatalog,
): { names: number; mapped: number; unmapped: string[] } {
  const names = new Set<string>()
  const lists = [
    'cloudtracker/cloudtrail_supported_actions.txt',
    'trailscraper/unknown_actions.txt',
  ]
  for (const list of lists) {
    const file = join(dataDir, 'peers', list)
    if (!existsSync(file)) continue
    for (const line of readFileSync(file, 'utf8').split('\n'))
      if (line.includes(':')) names.add(line.trim())
  }
  const knownUnknowns = join(
    dataDir,
    'peers/trailscraper/expected/naive-mapping-known-unknowns.json',
  )
  if (existsSync(knownUnknowns)) {
    for (const name of (readJson(knownUnknowns) as { KNOWN_UNKNOWNS: string[] }).KNOWN_UNKNOWNS) {
      names.add(name)
    }
  }
  let total = 0
  let mapped = 0
  const unmapped: string[] = []
  for (const name of [...names].sort()) {
    const [service = '', eventName = ''] = name.split(':')
    const eventSource = `${service}.amazonaws.com`
    const prefix = mapper.servicePrefix(eventSource)
    if (catalog.get(`${prefix}:${eventName}`) || !catalog.hasService(prefix)) continue
    if (/[^A-Za-z0-9]/.test(eventName)) continue // not an API name (`kms:ReEncrypt*`)
    total++
    if (mapper.map({ eventSource, eventName }).status === 'unmapped') unmapped.push(name)
    else mapped++
  }
  return { names: total, mapped, unmapped }
}

async function main(): Promise<number> {
  const dataDir = process.argv.slice(2).find((a) => !a.startsWith('--')) ?? DEFAULT_SHARED_DATA
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

  const catalog = await loadCatalog()
  const accuracy = measureAccuracy(
    referencePairs(catalog, mapper, dataDir, records),
    mapper,
    catalog,
  )
  const share = (n: number, d: number) => `${((100 * n) / Math.max(1, d)).toFixed(1)}%`
  console.log('accuracy against independent references (fixtures, peers, catalog):')
  console.log(
    `  all pairs: ${accuracy.right}/${accuracy.pairs} = ${share(accuracy.right, accuracy.pairs)} (target 99%)`,
  )
  console.log(
    `  non-trivial pairs: ${accuracy.nonTrivialRight}/${accuracy.nonTrivial} = ${share(accuracy.nonTrivialRight, accuracy.nonTrivial)} (target 90%)`,
  )
  console.log(`  actions outside the catalog: ${accuracy.outsideCatalog.length}`)
  for (const w of accuracy.wrong)
    console.log(`  wrong [${w.origin}] ${w.event}: expected ${w.expected}; got ${w.got}`)
  for (const e of accuracy.excluded) console.log(`  not counted (names no catalog action): ${e}`)
  const api = measureApiNames(dataDir, mapper, catalog)
  console.log(
    `peers' API names that are not IAM actions of a known service: ${api.mapped}/${api.names} map to catalog actions (${share(api.mapped, api.names)}); unmapped: ${api.unmapped.length} (retired APIs and services, listed with --verbose)`,
  )
  if (process.argv.includes('--verbose'))
    for (const name of api.unmapped) console.log(`  unmapped api name  ${name}`)
  const goals =
    report.unmappedShare < 0.02 &&
    accuracy.right >= 0.99 * accuracy.pairs &&
    accuracy.nonTrivialRight >= 0.9 * accuracy.nonTrivial &&
    accuracy.outsideCatalog.length === 0
  return goals ? 0 : 1
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await main()
}
