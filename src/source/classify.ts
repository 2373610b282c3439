import { open } from 'node:fs/promises'
import path from 'node:path'
import { constants, gunzipSync } from 'node:zlib'
import { errorMessage } from '../util/errors.js'
import { scanFirstValue } from './json-peek.js'

/** Which events-*.sql reader turns a file's values into CloudTrail events. */
export type EventsReader = 'records' | 'records-tolerant' | 'objects' | 'lookup'

/** How DuckDB reads one file: the reader and the read_json options it needs. */
export interface ReadPlan {
  reader: EventsReader
  format: 'newline_delimited' | 'unstructured' | 'array'
  compression: 'gzip' | 'uncompressed'
}

/** The verdict on one file: read it with a plan, ignore it (not CloudTrail), or report it bad. */
export type Classification =
  | { kind: 'log'; plan: ReadPlan }
  | { kind: 'ignored'; reason: string }
  | { kind: 'bad'; reason: string }

/** Same plan? Files are batched per plan. */
export function planKey(plan: ReadPlan): string {
  return `${plan.reader}|${plan.format}|${plan.compression}`
}

// S3 delivery names, e.g. 111122223333_CloudTrail_us-east-1_20261101T0005Z_AbCd1234.json.gz
// (CloudTrail user guide, "Finding your CloudTrail log files"). Their files are one line each.
const DELIVERY_NAME = /^\d{12}_CloudTrail_[a-z0-9-]+_\d{8}T\d{4}Z_[A-Za-z0-9]+\.json(\.gz)?$/

/**
 * The plan for a gzipped S3 delivery file, from its name alone: peeking into thousands of
 * gzip files costs more than reading them. Undefined for any other file (peek it). A file whose
 * name lies is caught when DuckDB fails on it, and then peeked.
 */
export function planFromName(file: string): ReadPlan | undefined {
  const name = path.basename(file)
  if (!DELIVERY_NAME.test(name) || !name.endsWith('.gz')) return undefined
  return { reader: 'records', format: 'newline_delimited', compression: 'gzip' }
}

const EVENT_KEYS = ['eventVersion', 'eventTime', 'eventSource', 'eventName', 'userIdentity']

/**
 * Classifies a file from the start of its (decompressed) text. `wholeFile` says the text is the
 * entire file, so a value that does not close is a truncated file rather than a short peek.
 */
export function classifyText(
  text: string,
  options: { wholeFile: boolean; gzip: boolean },
): Classification {
  const body = text.replace(/^\uFEFF/, '').trimStart()
  const compression = options.gzip ? 'gzip' : 'uncompressed'
  if (body === '') {
    return options.wholeFile
      ? { kind: 'bad', reason: 'the file is empty' }
      : { kind: 'ignored', reason: 'starts with a large blank area, not CloudTrail' }
  }
  const first = body[0]
  if (first !== '{' && first !== '[') {
    const start = JSON.stringify(body.slice(0, 16))
    return { kind: 'bad', reason: `not JSON: the file starts with ${start}` }
  }
  const value = scanFirstValue(body)
  if (value.end === -1 && options.wholeFile) return { kind: 'bad', reason: whyNotJson(body) }
  const keys = new Set(value.keys)
  // DuckDB's newline-delimited reader rejects a byte order mark; the unstructured one skips it.
  const format = value.multiLine || text.startsWith('\uFEFF') ? 'unstructured' : 'newline_delimited'
  const isEvent = EVENT_KEYS.some((k) => keys.has(k))
  if (value.opener === '[') {
    if (value.firstElement === 'none' || (value.firstElement === 'object' && isEvent)) {
      return { kind: 'log', plan: { reader: 'objects', format: 'array', compression } }
    }
    return { kind: 'ignored', reason: 'a JSON array whose items are not CloudTrail events' }
  }
  if (keys.has('Records')) return { kind: 'log', plan: { reader: 'records', format, compression } }
  if (keys.has('Events')) return { kind: 'log', plan: { reader: 'lookup', format, compression } }
  if (isEvent) return { kind: 'log', plan: { reader: 'objects', format, compression } }
  if (EVENT_KEYS.some((k) => keys.has(k.toLowerCase()))) {
    return {
      kind: 'bad',
      reason:
        'its field names are lower-case (eventtime, useridentity ...), as in an Athena export; ' +
        'scopedown reads CloudTrail field names (eventTime, userIdentity ...)',
    }
  }
  if (keys.has('digestStartTime')) return { kind: 'ignored', reason: 'a CloudTrail-Digest file' }
  if (keys.size === 0) return { kind: 'ignored', reason: 'no CloudTrail fields near its start' }
  const shown = [...keys].slice(0, 5).join(', ')
  return { kind: 'ignored', reason: `JSON without CloudTrail records (top-level keys: ${shown})` }
}

/** Why a whole file whose first value never closes is not JSON: truncated, or where it breaks. */
function whyNotJson(text: string): string {
  const body = text.trimEnd()
  try {
    JSON.parse(body)
  } catch (error) {
    const message = errorMessage(error)
    // V8 reports a cut-off text as "Unexpected end" or as an error at its very last position.
    const position = /at position (\d+)/.exec(message)?.[1]
    const atEnd = /Unexpected end of JSON input/.test(message) || Number(position) >= body.length
    if (!atEnd) return `invalid JSON: ${message}`
  }
  return 'invalid JSON: the file ends before its first value is complete (truncated?)'
}

/** Bytes read from a plain file; 64 KiB holds the start of any CloudTrail shape. */
const PEEK_BYTES = 64 * 1024
/** Compressed bytes read from a gzip file: about 100-600 KiB of JSON once inflated. */
const PEEK_GZIP_BYTES = 16 * 1024

/**
 * Classifies a file by its first bytes (gunzipping them when the file starts with the gzip magic
 * number, whatever its name). A small gzip file is inflated whole, so truncation shows here.
 */
export async function classifyFile(file: string): Promise<Classification> {
  let raw: Buffer
  let size: number
  try {
    const handle = await open(file, 'r')
    try {
      size = (await handle.stat()).size
      const buffer = Buffer.alloc(Math.min(size, PEEK_BYTES))
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0)
      raw = buffer.subarray(0, bytesRead)
    } finally {
      await handle.close()
    }
  } catch (error) {
    // `EACCES: permission denied, open '<path>'`: the path is shown beside the reason anyway.
    const message = errorMessage(error).replace(/, \w+ '[^']*'$/, '')
    return { kind: 'bad', reason: `cannot read the file: ${message}` }
  }
  const gzip = raw.length >= 2 && raw[0] === 0x1f && raw[1] === 0x8b
  if (!gzip) {
    const verdict = classifyText(raw.toString('utf8'), {
      wholeFile: raw.length === size,
      gzip: false,
    })
    if (verdict.kind !== 'log') return verdict
    // Every shape ends with a closing `}` or `]`; a file cut in a record does not, and DuckDB
    // would read its last record as a bad one and lose the rest without an error.
    const tail = await readTail(file, size)
    if (tail !== undefined && !completeEnding(tail, verdict.plan.format, size <= TAIL_BYTES)) {
      return {
        kind: 'bad',
        reason:
          'truncated: the file ends in the middle of a record (an interrupted download or copy?)',
      }
    }
    return verdict
  }
  const wholeFile = size <= PEEK_GZIP_BYTES
  let text: string
  try {
    const input = wholeFile ? raw : raw.subarray(0, PEEK_GZIP_BYTES)
    // Z_SYNC_FLUSH inflates what is there without requiring the end of the stream.
    const options = wholeFile ? {} : { finishFlush: constants.Z_SYNC_FLUSH }
    text = gunzipSync(input, options).toString('utf8')
  } catch (error) {
    const message = errorMessage(error)
    return {
      kind: 'bad',
      reason: /unexpected end/i.test(message)
        ? 'truncated gzip: the compressed data ends early (an interrupted download or copy?)'
        : `corrupt gzip: ${message}`,
    }
  }
  return classifyText(text, { wholeFile, gzip: true })
}

/**
 * Whether a file's last bytes end a value: a closing bracket, and in JSON Lines a last line that
 * parses (a cut inside a record can end on an inner `}`).
 */
function completeEnding(tail: string, format: ReadPlan['format'], wholeFile: boolean): boolean {
  const body = tail.trimEnd()
  if (!/[}\]]$/.test(body)) return false
  if (format !== 'newline_delimited') return true
  const newline = body.lastIndexOf('\n')
  // A last line longer than the tail read cannot be checked here; DuckDB still reads it.
  if (newline === -1 && !wholeFile) return true
  try {
    JSON.parse(body.slice(newline + 1))
    return true
  } catch {
    return false
  }
}

/** Enough of a file's end to hold its last JSON Lines record in most exports. */
const TAIL_BYTES = 256 * 1024

/** The last bytes of a file as text, or undefined when it cannot be read. */
async function readTail(file: string, size: number): Promise<string | undefined> {
  try {
    const handle = await open(file, 'r')
    try {
      const length = Math.min(size, TAIL_BYTES)
      const buffer = Buffer.alloc(length)
      const { bytesRead } = await handle.read(buffer, 0, length, size - length)
      return buffer.subarray(0, bytesRead).toString('utf8')
    } finally {
      await handle.close()
    }
  } catch {
    return undefined
  }
}
