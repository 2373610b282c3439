import { createReadStream } from 'node:fs'
import { Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { createGunzip } from 'node:zlib'
import type { DuckDBConnection } from '@duckdb/node-api'
import { BOOLEAN, LIST, listValue, VARCHAR } from '@duckdb/node-api'
import { errorMessage, ScopedownError } from '../util/errors.js'
import { type Classification, classifyFile, planKey, type ReadPlan } from './classify.js'
import { readQuery } from './queries.js'
import { REQUEST_DETAIL_PATHS, topLevelKey } from './request-details.js'

/** A file about to be read, with the plan for reading it. */
export interface PlannedFile {
  path: string
  plan: ReadPlan
  /** False when the plan came from the file name only; such a file is peeked if it fails. */
  peeked: boolean
}

/** What loading found besides events: files that turned out bad or not CloudTrail. */
export interface LoadOutcome {
  filesRead: number
  unreadable: { path: string; reason: string }[]
  ignoredFiles: { path: string; reason: string }[]
}

/** The window and account filter applied while loading; see queries/duckdb/level1-insert.sql. */
export interface LoadFilter {
  start: string
  end: string
  accountIds?: readonly string[]
}

/**
 * Files per INSERT. Each read_json query costs a fixed ~0.1-0.3 s of CPU besides the reading
 * (measured: 16 INSERTs over 1,613 files took 1.7x the CPU of one), so batches are large and
 * progress comes from DuckDB's own query progress instead; the cap only bounds the work lost when
 * a batch fails and must be split.
 */
const MAX_FILES_PER_BATCH = 2048
/** How often query progress is polled while an INSERT runs. */
const PROGRESS_INTERVAL_MS = 250

/**
 * A regex matching `"<key>":` for every top-level key REQUEST_DETAIL_PATHS start with: events
 * whose requestParameters text has none of them skip the JSON path extraction. A path without a
 * plain or quoted top-level key disables the shortcut (the pattern then matches everything).
 */
export function detailKeyPattern(paths: readonly string[]): string {
  const keys = paths.map(topLevelKey)
  if (keys.some((k) => k === undefined)) return ''
  // Keys are letters, digits, `_` and `-` (S3 headers): all literal outside a character class.
  return `"(?:${[...new Set(keys)].join('|')})"\\s*:`
}

const DETAIL_PATHS = Object.values(REQUEST_DETAIL_PATHS)
const DETAIL_KEY_PATTERN = detailKeyPattern(DETAIL_PATHS)

const insertSqlCache = new Map<string, string>()

/** level1-insert.sql with its `__EVENTS__` line replaced by the reader's query (SQL text only). */
function insertSql(plan: ReadPlan): string {
  let sql = insertSqlCache.get(plan.reader)
  if (sql === undefined) {
    const events = readQuery(`duckdb/events-${plan.reader}`)
    sql = readQuery('duckdb/level1-insert').replace(/^__EVENTS__$/m, () => events)
    insertSqlCache.set(plan.reader, sql)
  }
  return sql
}

async function insertBatch(
  connection: DuckDBConnection,
  files: readonly PlannedFile[],
  plan: ReadPlan,
  filter: LoadFilter,
): Promise<void> {
  const values = {
    files: listValue(files.map((f) => f.path)),
    format: plan.format,
    compression: plan.compression,
    start: filter.start,
    end: filter.end,
    filterAccounts: filter.accountIds !== undefined,
    accounts: listValue([...(filter.accountIds ?? [])]),
    detailPaths: listValue(DETAIL_PATHS),
    detailKeyPattern: DETAIL_KEY_PATTERN,
  }
  const list = LIST(VARCHAR)
  const types = {
    files: list,
    format: VARCHAR,
    compression: VARCHAR,
    start: VARCHAR,
    end: VARCHAR,
    filterAccounts: BOOLEAN,
    accounts: list,
    detailPaths: list,
    detailKeyPattern: VARCHAR,
  }
  await connection.run(insertSql(plan), values, types)
}

/**
 * DuckDB errors a bad input file can cause. Anything else (out of memory, a binder error in our
 * SQL, an interrupt) is not the file's fault and aborts the load.
 */
function isInputError(error: unknown): boolean {
  return /^(Invalid Input Error|Conversion Error|IO Error):/.test(errorMessage(error))
}

/** The batch file an error message names, if it names exactly one. */
function fileNamedIn(error: unknown, files: readonly PlannedFile[]): PlannedFile | undefined {
  const message = errorMessage(error)
  const named = files.filter(
    (f) =>
      message.includes(`"${f.path}"`) ||
      message.includes(`${f.path}\n`) ||
      message.endsWith(f.path) ||
      message.includes(`${f.path}:`),
  )
  return named.length === 1 ? named[0] : undefined
}

/** Null if the gzip stream is whole, else what is wrong with it. */
async function gzipProblem(file: string): Promise<string | null> {
  try {
    const sink = new Writable({ write: (_chunk, _encoding, done) => done() })
    await pipeline(createReadStream(file), createGunzip(), sink)
    return null
  } catch (error) {
    const message = errorMessage(error)
    return /unexpected end/i.test(message)
      ? 'truncated gzip: the compressed data ends early (an interrupted download or copy?)'
      : `corrupt gzip: ${message}`
  }
}

/** The reason a user sees for a file DuckDB could not read, without DuckDB's query echo. */
export async function explainFailure(
  file: string,
  plan: ReadPlan,
  error: unknown,
): Promise<string> {
  if (plan.compression === 'gzip') {
    const problem = await gzipProblem(file)
    if (problem) return problem
  }
  const message =
    errorMessage(error)
      .split(/\n\s*\nLINE \d+:/)[0]
      ?.trim() ?? ''
  const malformed =
    /Malformed JSON in file "[^"]*", at byte (\d+) in [^:]+: (.*?)\.?\s*(Try .*)?$/s.exec(message)
  if (malformed) {
    const [, byte, what] = malformed
    if (what === 'unexpected end of data') {
      return 'invalid JSON: the file ends in the middle of a value (truncated?)'
    }
    const where = plan.compression === 'gzip' ? ' of the decompressed data' : ''
    return `invalid JSON at byte ${byte}${where}: ${what}`
  }
  const transform = /JSON transform error in file "[^"]*", in [^:]+: (.*?)(\nTry .*)?$/s.exec(
    message,
  )
  if (transform) return `unexpected JSON structure: ${transform[1]}`
  if (/not a GZIP stream/i.test(message)) return 'not gzip data, although read as gzip'
  if (/maximum_object_size/.test(message)) return 'one JSON value is larger than 1 GiB'
  return `DuckDB could not read it: ${message.replace(/^[A-Za-z ]+Error: /, '')}`
}

/**
 * Reads files into `level1`, batch by batch (one INSERT per batch of same-plan files, so every
 * thread stays busy). A batch DuckDB fails on is split (the file its error names, else in
 * halves) until the culprit is alone; that file is then peeked for a better plan, retried with
 * the tolerant reader if its records do not fit the declared types, or else reported bad with
 * the reason. INSERTs are atomic, so a failed batch leaves no rows behind. Never aborts for a
 * bad file; aborts (SOURCE_FAILED) when DuckDB itself fails.
 */
export async function loadLevel1(
  connection: DuckDBConnection,
  files: readonly PlannedFile[],
  filter: LoadFilter,
  onProgress: (filesDone: number) => void,
): Promise<LoadOutcome> {
  const outcome: LoadOutcome = { filesRead: 0, unreadable: [], ignoredFiles: [] }
  // Files finished (read or given up); progress never goes backwards when a batch is split.
  let settled = 0
  let reported = 0
  const report = (inFlight: number) => {
    const done = Math.min(files.length, settled + inFlight)
    if (done <= reported) return
    reported = done
    onProgress(done)
  }
  const onFilesDone = (count: number) => {
    settled += count
    report(0)
  }

  const giveUp = (file: PlannedFile, verdict: Exclude<Classification, { kind: 'log' }>) => {
    if (verdict.kind === 'bad') outcome.unreadable.push({ path: file.path, reason: verdict.reason })
    else outcome.ignoredFiles.push({ path: file.path, reason: verdict.reason })
    onFilesDone(1)
  }

  const loadOne = async (file: PlannedFile, plan: ReadPlan, error: unknown): Promise<void> => {
    if (!file.peeked) {
      const verdict = await classifyFile(file.path)
      if (verdict.kind !== 'log') return giveUp(file, verdict)
      const peeked = { ...file, plan: verdict.plan, peeked: true }
      if (planKey(verdict.plan) !== planKey(plan)) return load([peeked], verdict.plan)
      file = peeked
    }
    if (plan.reader === 'records' && /JSON transform error/.test(errorMessage(error))) {
      return load([file], { ...plan, reader: 'records-tolerant' })
    }
    giveUp(file, { kind: 'bad', reason: await explainFailure(file.path, plan, error) })
  }

  const load = async (batch: readonly PlannedFile[], plan: ReadPlan): Promise<void> => {
    const poll = setInterval(() => {
      const percentage = connection.progress.percentage
      if (percentage > 0) report(Math.floor((percentage / 100) * batch.length))
    }, PROGRESS_INTERVAL_MS)
    try {
      await insertBatch(connection, batch, plan, filter)
      clearInterval(poll)
      outcome.filesRead += batch.length
      onFilesDone(batch.length)
    } catch (error) {
      clearInterval(poll)
      if (!isInputError(error)) throw sourceFailure(error)
      const first = batch[0]
      if (batch.length === 1 && first) return loadOne(first, plan, error)
      const named = fileNamedIn(error, batch)
      // An I/O error naming none of our files (a full temp folder ...) is no file's fault.
      if (!named && /^IO Error:/.test(errorMessage(error))) throw sourceFailure(error)
      const parts = named
        ? [[named], batch.filter((f) => f !== named)]
        : [batch.slice(0, Math.ceil(batch.length / 2)), batch.slice(Math.ceil(batch.length / 2))]
      for (const part of parts) await load(part, plan)
    }
  }

  const groups = new Map<string, PlannedFile[]>()
  for (const file of files) {
    const key = planKey(file.plan)
    const group = groups.get(key) ?? []
    group.push(file)
    groups.set(key, group)
  }
  for (const group of groups.values()) {
    const plan = (group[0] as PlannedFile).plan
    for (let i = 0; i < group.length; i += MAX_FILES_PER_BATCH) {
      await load(group.slice(i, i + MAX_FILES_PER_BATCH), plan)
    }
  }
  return outcome
}

function sourceFailure(error: unknown): ScopedownError {
  const message = errorMessage(error).split('\n')[0] ?? ''
  const memory = /Out of Memory/i.test(message)
  return new ScopedownError('SOURCE_FAILED', `DuckDB failed while reading CloudTrail: ${message}`, {
    hint: memory
      ? 'read fewer days or files at once, or run with fewer threads'
      : 'this is not caused by one bad file; run with --debug and report it if it persists',
    cause: error,
  })
}
