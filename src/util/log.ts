/** Structured fields attached to a log line. */
export type Fields = Record<string, string | number | boolean | null | undefined>

/** Where adapters and the run layer report progress and warnings. The pure core never logs. */
export interface Logger {
  debug(msg: string, fields?: Fields): void
  info(msg: string, fields?: Fields): void
  warn(msg: string, fields?: Fields): void
  error(msg: string, fields?: Fields): void
  child(fields: Fields): Logger
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent'
const LEVELS: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 99 }

/** Minimal writable, so tests can capture output without touching process streams. */
export interface TextSink {
  write(text: string): unknown
}

/** The log formats `--log-format` accepts. */
export const LOG_FORMATS = ['text', 'json'] as const
export type LogFormat = (typeof LOG_FORMATS)[number]

/** One log line as data: `{"level":"warn","msg":"...",...fields}` under `--log-format json`. */
export type LogRecord = { level: Exclude<LogLevel, 'silent'>; msg: string } & Fields

/**
 * A sink that takes whole records: stderr under `--log-format json`. A logger writing to it hands
 * over its fields as data, whatever format the logger was created with, so a command cannot put a
 * text line into a JSON log by forgetting to pass the format along.
 */
export interface RecordSink extends TextSink {
  record(entry: LogRecord): void
}

function isRecordSink(sink: TextSink): sink is RecordSink {
  return typeof (sink as Partial<RecordSink>).record === 'function'
}

/** `error: x`, `warn: x` and `warning: x` lines keep their level when turned into records. */
const LEVEL_PREFIX = /^(error|warn|warning): /

/**
 * Turns everything written to `out` into one JSON object per line, so a scheduled job's stderr is
 * machine-readable throughout: records from loggers are written as they are; plain text (batch
 * progress lines, summaries, hints, commander's usage errors) becomes `{"level":"info","msg":line}`
 * per line, or `error`/`warn` when the line starts with `error: ` or `warn: `. Text is buffered
 * until its newline; `flush()` writes what is left.
 */
export function jsonLinesSink(out: TextSink): RecordSink & { flush(): void } {
  let pending = ''
  const line = (text: string) => {
    const plain = text.replace(/\r/g, '').trimEnd()
    if (plain.trim() === '') return
    const prefix = LEVEL_PREFIX.exec(plain)
    const level = prefix ? (prefix[1] === 'error' ? 'error' : 'warn') : 'info'
    out.write(`${JSON.stringify({ level, msg: prefix ? plain.slice(prefix[0].length) : plain })}\n`)
  }
  const flush = () => {
    if (pending !== '') line(pending)
    pending = ''
  }
  return {
    write(text: string) {
      const lines = (pending + text).split('\n')
      pending = lines.pop() ?? ''
      for (const l of lines) line(l)
      return true
    },
    record(entry) {
      flush()
      out.write(`${JSON.stringify(entry)}\n`)
    },
    flush,
  }
}

function formatFields(fields: Fields): string {
  const parts = Object.entries(fields)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${typeof v === 'string' && /\s/.test(v) ? JSON.stringify(v) : v}`)
  return parts.length > 0 ? ` ${parts.join(' ')}` : ''
}

/**
 * A logger writing `level: message key=value` (or one JSON object per line) to a sink (stderr).
 * A {@link RecordSink} gets records whatever `format` says.
 */
export function createLogger(
  options: { level?: LogLevel; format?: LogFormat; sink?: TextSink; base?: Fields } = {},
): Logger {
  const level = options.level ?? 'info'
  const sink = options.sink ?? process.stderr
  const base = options.base ?? {}
  const emit = (lvl: Exclude<LogLevel, 'silent'>, msg: string, fields: Fields = {}) => {
    if (LEVELS[lvl] < LEVELS[level]) return
    const all = { ...base, ...fields }
    if (isRecordSink(sink)) sink.record({ level: lvl, msg, ...all })
    else if (options.format === 'json') {
      sink.write(`${JSON.stringify({ level: lvl, msg, ...all })}\n`)
    } else sink.write(`${lvl === 'info' ? '' : `${lvl}: `}${msg}${formatFields(all)}\n`)
  }
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    child: (fields) => createLogger({ ...options, base: { ...base, ...fields } }),
  }
}

/** A logger that drops everything (tests, library use). */
export const silentLogger: Logger = createLogger({ level: 'silent' })

/** A logger that remembers every line, for assertions in tests. */
export function memoryLogger(): Logger & {
  lines: { level: string; msg: string; fields: Fields }[]
} {
  const lines: { level: string; msg: string; fields: Fields }[] = []
  const make = (base: Fields): Logger => {
    const push =
      (level: string) =>
      (msg: string, fields: Fields = {}) => {
        lines.push({ level, msg, fields: { ...base, ...fields } })
      }
    return {
      debug: push('debug'),
      info: push('info'),
      warn: push('warn'),
      error: push('error'),
      child: (fields) => make({ ...base, ...fields }),
    }
  }
  return Object.assign(make({}), { lines })
}
