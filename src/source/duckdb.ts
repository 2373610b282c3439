import { randomUUID } from 'node:crypto'
import { rmSync } from 'node:fs'
import { stat } from 'node:fs/promises'
import { availableParallelism, tmpdir } from 'node:os'
import path from 'node:path'
import {
  BOOLEAN,
  type DuckDBConnection,
  DuckDBInstance,
  type DuckDBType,
  type DuckDBValue,
  INTEGER,
  LIST,
  listValue,
  VARCHAR,
} from '@duckdb/node-api'
import { errorMessage, ScopedownError } from '../util/errors.js'
import { type Logger, silentLogger } from '../util/log.js'
import { utcDaysInWindow, windowBounds } from '../util/window.js'
import { classifyFile, planFromName } from './classify.js'
import { AUTHORIZATION_FAILURE_CODES } from './denied-codes.js'
import {
  type Discovery,
  discoverLogFiles,
  type FoundFile,
  holesInWindow,
  pruneByWindow,
  unreadableInput,
} from './discover.js'
import { loadLevel1, type PlannedFile } from './duckdb-load.js'
import { type Row, toApiCall, toCoverage, toUnattributed } from './duckdb-results.js'
import { readQuery } from './queries.js'
import type { InputReport, LogSource, UsageQuery, UsageResult } from './types.js'
import { DEFAULT_MAX_RESOURCES } from './types.js'

/** Options of {@link createDuckDbSource}. */
export interface DuckDbSourceOptions {
  /** CloudTrail files, folders (searched recursively) or globs. */
  paths: readonly string[]
  /** Receives a warning per bad file and a line per ignored non-CloudTrail file. */
  logger?: Logger
  /** Called as files are read: `(filesDone, filesTotal)` of the files the window needs. */
  onProgress?: (filesDone: number, filesTotal: number) => void
  /** DuckDB worker threads; default: every core. */
  threads?: number
}

/**
 * Opens local CloudTrail logs as a {@link LogSource} backed by an in-memory DuckDB
 * (`@duckdb/node-api`). Finds the files now (an input that matches nothing is a USAGE error);
 * reads them on each `usage()` call, only those whose S3-layout day can hold in-window events.
 *
 * Reads every shape users have: S3 delivery files (`{"Records": [...]}`, gzipped or not, in
 * `AWSLogs/[o-org/]<account>/CloudTrail/<region>/YYYY/MM/DD/`), JSON arrays and JSON Lines of
 * events, and `aws cloudtrail lookup-events` output. A file DuckDB cannot read is reported in
 * `inputs.unreadable` (and logged) and skipped; the run goes on.
 *
 * AWS permissions: none (local files only).
 */
export async function createDuckDbSource(options: DuckDbSourceOptions): Promise<LogSource> {
  const discovery = await discoverLogFiles(options.paths)
  const threads = Math.max(1, Math.floor(options.threads ?? availableParallelism()))
  // Spill space for big aggregations; DuckDB's default is `.tmp` in the working directory.
  const spillDir = path.join(
    tmpdir(),
    `scopedown-duckdb-${process.pid}-${randomUUID().slice(0, 8)}`,
  )
  let instance: DuckDBInstance
  try {
    instance = await DuckDBInstance.create(':memory:', {
      threads: String(threads),
      temp_directory: spillDir,
    })
  } catch (error) {
    throw new ScopedownError('SOURCE_FAILED', `cannot start DuckDB: ${errorMessage(error)}`, {
      hint: 'check that @duckdb/node-api is installed for this platform',
      cause: error,
    })
  }
  const connection = await instance.connect()
  await connection.run(readQuery('duckdb/setup'))
  return new DuckDbSource(instance, connection, discovery, spillDir, options)
}

/** Delivery files smaller than this are peeked before DuckDB reads them (see #plan). */
const MIN_UNPEEKED_BYTES = 4096

async function sizeOf(file: string): Promise<number> {
  return (await stat(file).catch(() => undefined))?.size ?? 0
}

/** The DuckDB-backed LogSource; owns one DuckDB instance and connection until close(). */
class DuckDbSource implements LogSource {
  readonly kind = 'duckdb' as const
  readonly #instance: DuckDBInstance
  readonly #connection: DuckDBConnection
  readonly #discovery: Discovery
  readonly #spillDir: string
  readonly #logger: Logger
  readonly #onProgress: ((done: number, total: number) => void) | undefined
  /** Peek verdicts, kept across usage() calls. */
  readonly #verdicts = new Map<string, Awaited<ReturnType<typeof classifyFile>>>()
  /** usage() calls share the `level1` table, so they run one at a time. */
  #queue: Promise<unknown> = Promise.resolve()
  #closed = false

  constructor(
    instance: DuckDBInstance,
    connection: DuckDBConnection,
    discovery: Discovery,
    spillDir: string,
    options: DuckDbSourceOptions,
  ) {
    this.#instance = instance
    this.#connection = connection
    this.#discovery = discovery
    this.#spillDir = spillDir
    this.#logger = options.logger ?? silentLogger
    this.#onProgress = options.onProgress
  }

  usage(query: UsageQuery): Promise<UsageResult> {
    const run = this.#queue.then(() => this.#usage(query))
    this.#queue = run.catch(() => undefined)
    return run
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    await this.#queue
    this.#connection.closeSync()
    this.#instance.closeSync()
    rmSync(this.#spillDir, { recursive: true, force: true })
  }

  async #usage(query: UsageQuery): Promise<UsageResult> {
    if (this.#closed) throw new ScopedownError('SOURCE_FAILED', 'the DuckDB source is closed')
    const bounds = windowBounds(query.window)
    const { kept, pruned } = pruneByWindow(this.#discovery.files, bounds)
    const { planned, unreadable, ignored } = await this.#plan(kept)

    const started = Date.now()
    this.#onProgress?.(0, planned.length)
    await this.#connection.run(readQuery('duckdb/level1-create'))
    const filter = {
      start: bounds.start.toISOString(),
      end: bounds.end.toISOString(),
      ...(query.accountIds ? { accountIds: query.accountIds } : {}),
    }
    const loaded = await loadLevel1(this.#connection, planned, filter, (done) =>
      this.#onProgress?.(done, planned.length),
    )
    this.#logger.debug('duckdb: files loaded', { files: planned.length, ms: Date.now() - started })
    unreadable.push(...loaded.unreadable)
    ignored.push(...loaded.ignoredFiles)
    const byPath = (a: { path: string }, b: { path: string }) =>
      a.path < b.path ? -1 : a.path > b.path ? 1 : 0
    const holes = [
      ...holesInWindow(this.#discovery.unreadable, bounds),
      ...unreadable.sort(byPath).map((f) => unreadableInput('file', f.path, f.reason)),
    ]
    for (const hole of holes) this.#logger.warn(`cannot read ${hole.input}: ${hole.reason}`)
    for (const file of ignored) this.#logger.info(`ignored ${file.path}: ${file.reason}`)

    const { totals, ...aggregated } = await this.#aggregate(query)
    this.#logger.debug('duckdb: aggregated', {
      calls: aggregated.calls.length,
      ms: Date.now() - started,
    })
    const inputs: InputReport = {
      filesRead: loaded.filesRead,
      filesPruned: pruned.length,
      filesIgnored: this.#discovery.ignored.length + ignored.length,
      unreadable: holes,
      duplicatesSkipped: this.#discovery.duplicates,
      symlinkLoops: this.#discovery.loops,
      ...layoutRange(this.#discovery.files),
      badRecords: totals.badRecords,
      eventsInWindow: totals.eventsInWindow,
    }
    return { ...aggregated, inputs }
  }

  /** Second level: the calls, unattributed events, coverage and totals held in `level1`. */
  async #aggregate(query: UsageQuery) {
    const maxResources = query.maxResources ?? DEFAULT_MAX_RESOURCES
    const calls = await this.#rows(readQuery('duckdb/calls'), {
      values: {
        allPrincipals: query.principalArns === undefined,
        principals: listValue([...(query.principalArns ?? [])]),
        maxResources,
        deniedCodes: listValue([...AUTHORIZATION_FAILURE_CODES]),
      },
      types: {
        allPrincipals: BOOLEAN,
        principals: LIST(VARCHAR),
        maxResources: INTEGER,
        deniedCodes: LIST(VARCHAR),
      },
    })
    const unattributed = await this.#rows(readQuery('duckdb/unattributed'))
    const coverage = await this.#rows(readQuery('duckdb/coverage'))
    const [totals] = await this.#rows(readQuery('duckdb/totals'))
    await this.#connection.run('DROP TABLE IF EXISTS level1')
    const windowDays = utcDaysInWindow(query.window)
    return {
      calls: calls.map((row) => toApiCall(row, maxResources)),
      unattributed: unattributed.map(toUnattributed),
      coverage: coverage.map((row) => toCoverage(row, windowDays)),
      totals: {
        badRecords: Number(totals?.bad_records ?? 0),
        eventsInWindow: Number(totals?.events_in_window ?? 0),
      },
    }
  }

  /** How to read each kept file: from its name if it is an S3 delivery file, else by peeking. */
  async #plan(files: readonly FoundFile[]) {
    const planned: PlannedFile[] = []
    const unreadable: { path: string; reason: string }[] = []
    const ignored: { path: string; reason: string }[] = []
    for (const file of files) {
      const fromName = planFromName(file.path)
      // DuckDB reads a gzip cut off within its first bytes as an empty file, without an error:
      // small files are peeked instead, which inflates them whole and catches the truncation.
      if (fromName && (await sizeOf(file.path)) >= MIN_UNPEEKED_BYTES) {
        planned.push({ path: file.path, plan: fromName, peeked: false })
        continue
      }
      let verdict = this.#verdicts.get(file.path)
      if (!verdict) {
        verdict = await classifyFile(file.path)
        this.#verdicts.set(file.path, verdict)
      }
      if (verdict.kind === 'log')
        planned.push({ path: file.path, plan: verdict.plan, peeked: true })
      else if (verdict.kind === 'bad') unreadable.push({ path: file.path, reason: verdict.reason })
      else ignored.push({ path: file.path, reason: verdict.reason })
    }
    return { planned, unreadable, ignored }
  }

  async #rows(
    sql: string,
    params: { values?: Record<string, DuckDBValue>; types?: Record<string, DuckDBType> } = {},
  ): Promise<Row[]> {
    const reader = await this.#connection.runAndReadAll(sql, params.values, params.types)
    return reader.getRowObjectsJS()
  }
}

/** The first and last layout day of the found files, when any file has one. */
function layoutRange(files: readonly FoundFile[]): {
  layoutDays?: { first: string; last: string }
} {
  const days = files.flatMap((f) => (f.layoutDay ? [f.layoutDay] : [])).sort()
  const [first] = days
  const last = days.at(-1)
  return first && last ? { layoutDays: { first, last } } : {}
}
