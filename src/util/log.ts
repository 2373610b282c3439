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

function formatFields(fields: Fields): string {
  const parts = Object.entries(fields)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${typeof v === 'string' && /\s/.test(v) ? JSON.stringify(v) : v}`)
  return parts.length > 0 ? ` ${parts.join(' ')}` : ''
}

/** A logger writing `level: message key=value` (or one JSON object per line) to a sink (stderr). */
export function createLogger(
  options: { level?: LogLevel; format?: 'text' | 'json'; sink?: TextSink; base?: Fields } = {},
): Logger {
  const level = options.level ?? 'info'
  const sink = options.sink ?? process.stderr
  const base = options.base ?? {}
  const emit = (lvl: Exclude<LogLevel, 'silent'>, msg: string, fields: Fields = {}) => {
    if (LEVELS[lvl] < LEVELS[level]) return
    const all = { ...base, ...fields }
    if (options.format === 'json') sink.write(`${JSON.stringify({ level: lvl, msg, ...all })}\n`)
    else sink.write(`${lvl === 'info' ? '' : `${lvl}: `}${msg}${formatFields(all)}\n`)
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
