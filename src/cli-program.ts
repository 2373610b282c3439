import { readFileSync } from 'node:fs'
import { Command, CommanderError } from 'commander'
import type { CliIo, ExitCodeSink } from './commands/io.js'
import { InvariantError, ScopedownError } from './util/errors.js'
import {
  jsonLinesSink,
  LOG_FORMATS,
  type LogFormat,
  type RecordSink,
  type TextSink,
} from './util/log.js'

export type { ExitCodeSink }

/** What a command module exports: `register(program, io, exit)` adds its subcommand. */
export type Registrar = (program: Command, io: CliIo, exit: ExitCodeSink) => void

/** One command of the CLI: its name, its line in `scopedown --help`, and its module. */
export interface CommandEntry {
  name: string
  /** The module's own description, word for word (test/cli.test.ts checks they agree). */
  summary: string
  /** Imported only when this command runs: `--help` loads no command module at all. */
  load(): Promise<{ register: Registrar }>
}

/**
 * Every command, one line each. A command's module (and what it imports: DuckDB, the AWS SDK,
 * tree-sitter, the catalog) loads only when that command runs, so `--help` and light commands
 * start fast. Add a command here with its module's `register`.
 */
export const COMMANDS: readonly CommandEntry[] = [
  {
    name: 'usage',
    summary:
      'count API calls per principal from local CloudTrail logs (S3 layout, JSON, JSON Lines, lookup-events)',
    load: () => import('./commands/usage.js'),
  },
  {
    name: 'map',
    summary: 'map CloudTrail events (stdin) to the IAM actions they need, one JSON line each',
    load: () => import('./commands/map.js'),
  },
  {
    name: 'explain-action',
    summary:
      'show what the catalog, the observability model and the mapper say about an IAM action',
    load: () => import('./commands/explain-action.js'),
  },
  {
    name: 'analyze',
    summary: 'plan a tightened policy for one role from its CloudTrail usage (nothing is changed)',
    load: () => import('./commands/analyze.js'),
  },
  {
    name: 'run',
    summary:
      'plan every role in the repo and propose the tightened policies (PRs, branches or files)',
    load: () => import('./commands/run.js'),
  },
  {
    name: 'validate-config',
    summary: 'check scopedown.config.json and print every problem with its path',
    load: () => import('./commands/validate-config.js'),
  },
  {
    name: 'config-schema',
    summary: 'print the JSON Schema of scopedown.config.json (for editors)',
    load: () => import('./commands/validate-config.js'),
  },
  {
    name: 'accounts',
    summary:
      'list the accounts a run covers and why each is in or out; check the audit role in each',
    load: () => import('./commands/accounts.js'),
  },
  {
    name: 'drift',
    summary: 'compare the repository with live IAM: exit 0 agree, 3 differ, 1 failure, 2 bad usage',
    load: () => import('./commands/drift.js'),
  },
]

/** The exit codes, as `--help` and the README state them. */
export const EXIT_CODES = {
  ok: 0,
  failed: 1,
  usage: 2,
} as const

const EXIT_HELP = `
Exit codes: 0 success (including "nothing to tighten"); 1 a role, file, query or account failed
(the rest was still done); 2 bad usage or config (the message says what to type instead);
3 (drift only) the repository and live IAM differ.`

/** The version in package.json, one folder above this module in src/ and in dist/ alike. */
export function packageVersion(): string {
  const text = readFileSync(new URL('../package.json', import.meta.url), 'utf8')
  return (JSON.parse(text) as { version: string }).version
}

/**
 * Runs the CLI in-process and returns the exit code: 0 ok, 1 failures or a bug, 2 bad usage or
 * config. Nothing below this function calls process.exit. Under `--log-format json` everything
 * on stderr (log lines, progress, usage errors, the final error) is one JSON object per line.
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const scan = scanArgv(argv)
  const format = scan.logFormat ?? 'text'
  if (!isLogFormat(format)) {
    io.stderr.write(`error: --log-format ${JSON.stringify(format)} is not a log format\n`)
    io.stderr.write(`hint: use --log-format text or --log-format json\n`)
    return EXIT_CODES.usage
  }
  if (format === 'text') return execute(argv, io, scan.command)
  const stderr = jsonLinesSink(io.stderr)
  try {
    return await execute(argv, { ...io, stderr, stderrIsTTY: false }, scan.command, stderr)
  } finally {
    stderr.flush()
  }
}

async function execute(
  argv: readonly string[],
  io: CliIo,
  commandName: string | undefined,
  records?: RecordSink,
): Promise<number> {
  let exitCode: number = EXIT_CODES.ok
  const exit: ExitCodeSink = { set: (code) => (exitCode = Math.max(exitCode, code)) }
  const program = new Command()
    .name('scopedown')
    .description('Drive AWS IAM roles toward least privilege from CloudTrail evidence.')
    .version(packageVersion(), '-V, --version', 'print the version')
    .option('--log-format <format>', 'stderr as text, or json: one object per line', 'text')
    .option('--debug', 'print stack traces of errors')
    .exitOverride()
    .configureHelp({ showGlobalOptions: true })
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
    })
    .addHelpText('after', EXIT_HELP)
  program.showHelpAfterError('(run `scopedown --help` or `scopedown <command> --help` for usage)')

  const wanted = COMMANDS.find((entry) => entry.name === commandName)
  if (wanted) (await wanted.load()).register(program, io, exit)
  for (const entry of COMMANDS) {
    if (!program.commands.some((c) => c.name() === entry.name)) addStub(program, entry)
  }

  try {
    await program.parseAsync([...argv], { from: 'user' })
    return exitCode
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end here with exit code 0; anything else is bad usage.
      return error.exitCode === 0 ? EXIT_CODES.ok : EXIT_CODES.usage
    }
    const debug = program.opts().debug === true
    return reportError(records ?? io.stderr, error, debug)
  }
}

/** Prints a failure on stderr (as one record under `--log-format json`) and returns its exit code. */
function reportError(stderr: TextSink | RecordSink, error: unknown, debug: boolean): number {
  const expected = error instanceof ScopedownError
  const bug = error instanceof InvariantError ? 'invariant violated' : 'unexpected error'
  const message = error instanceof Error ? error.message : String(error)
  // A bug always carries its stack: it is what a bug report needs.
  const stack = error instanceof Error && (debug || !expected) ? error.stack : undefined
  if ('record' in stderr) {
    stderr.record(
      expected
        ? { level: 'error', msg: message, code: error.code, hint: error.hint, stack }
        : { level: 'error', msg: `${bug}: ${message}`, code: 'BUG', stack },
    )
  } else if (expected) {
    stderr.write(`error: ${message}\n`)
    if (error.hint) stderr.write(`hint: ${error.hint}\n`)
    if (stack) stderr.write(`${stack}\n`)
  } else {
    stderr.write(`error (${bug}): ${stack ?? message}\n`)
  }
  if (!expected) return EXIT_CODES.failed
  return error.code === 'USAGE' || error.code === 'CONFIG_INVALID'
    ? EXIT_CODES.usage
    : EXIT_CODES.failed
}

/** A placeholder that gives a command its line in `--help` without loading its module. */
function addStub(program: Command, entry: CommandEntry): void {
  program
    .command(entry.name)
    .description(entry.summary)
    .allowUnknownOption()
    .allowExcessArguments()
    .action(() => {
      throw new InvariantError(`command ${entry.name} ran without loading its module`)
    })
}

/**
 * The command the arguments name (the first operand; for `help <command>`, that command) and
 * the `--log-format` value, read before commander runs: the first tells which module to load,
 * the second how to write even commander's own usage errors.
 */
export function scanArgv(argv: readonly string[]): { command?: string; logFormat?: string } {
  const operands: string[] = []
  let logFormat: string | undefined
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? ''
    if (arg === '--') break
    if (arg.startsWith('--log-format=')) logFormat = arg.slice('--log-format='.length)
    else if (arg === '--log-format') logFormat = argv[++i]
    else if (!arg.startsWith('-')) operands.push(arg)
  }
  const command = operands[0] === 'help' ? operands[1] : operands[0]
  return {
    ...(command !== undefined ? { command } : {}),
    ...(logFormat !== undefined ? { logFormat } : {}),
  }
}

function isLogFormat(value: string): value is LogFormat {
  return (LOG_FORMATS as readonly string[]).includes(value)
}
