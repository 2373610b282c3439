import type { TextSink } from '../util/log.js'

/** The streams a command may use. Injected so tests can run commands in-process. */
export interface CliIo {
  stdout: TextSink
  stderr: TextSink
  /** Whole standard input, read lazily (only `map` reads it). */
  readStdin(): Promise<string>
  /** True when stderr is a terminal: progress bars only then. */
  stderrIsTTY: boolean
  /** Environment variables (GITHUB_TOKEN, SCOPEDOWN_*). */
  env: Readonly<Record<string, string | undefined>>
  /** The clock, injected for determinism. */
  now(): Date
}

/** Collects a command's output in memory, for tests. */
export function memoryIo(
  options: { stdin?: string; now?: Date; env?: Record<string, string> } = {},
) {
  const out: string[] = []
  const err: string[] = []
  const io: CliIo = {
    stdout: { write: (t: string) => out.push(t) },
    stderr: { write: (t: string) => err.push(t) },
    readStdin: async () => options.stdin ?? '',
    stderrIsTTY: false,
    env: options.env ?? {},
    now: () => options.now ?? new Date(),
  }
  return { io, stdout: () => out.join(''), stderr: () => err.join('') }
}

/** Commands report a non-zero outcome (e.g. some roles failed) here instead of exiting. */
export interface ExitCodeSink {
  set(code: number): void
}
