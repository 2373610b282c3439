import { Command, CommanderError } from 'commander'
import type { CliIo, ExitCodeSink } from './commands/io.js'
import { InvariantError, ScopedownError } from './util/errors.js'

/**
 * Each command module exports `register(program, io)`; it adds its subcommand and writes results
 * to io.stdout, progress and warnings to io.stderr. Add new commands to this list.
 */
type Registrar = (program: Command, io: CliIo, exit: ExitCodeSink) => void

export type { ExitCodeSink }

const COMMANDS: readonly (() => Promise<Registrar>)[] = [
  async () => (await import('./commands/analyze.js')).register,
  async () => (await import('./commands/run.js')).register,
  async () => (await import('./commands/validate-config.js')).register,
  async () => (await import('./commands/map.js')).register,
  async () => (await import('./commands/explain-action.js')).register,
  async () => (await import('./commands/usage.js')).register,
  async () => (await import('./commands/accounts.js')).register,
  async () => (await import('./commands/drift.js')).register,
]

/**
 * Runs the CLI in-process and returns the exit code: 0 ok, 1 failures or a bug, 2 bad usage or
 * config. Nothing below this function calls process.exit.
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  let exitCode = 0
  const exit: ExitCodeSink = { set: (code) => (exitCode = Math.max(exitCode, code)) }
  const program = new Command()
    .name('scopedown')
    .description('Drive AWS IAM roles toward least privilege from CloudTrail evidence.')
    .option('--debug', 'print stack traces of errors')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
    })
  program.showHelpAfterError('(run `scopedown --help` or `scopedown <command> --help` for usage)')
  for (const load of COMMANDS) (await load())(program, io, exit)

  try {
    await program.parseAsync([...argv], { from: 'user' })
    return exitCode
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end here with exit code 0; anything else is bad usage.
      return error.exitCode === 0 ? 0 : 2
    }
    if (error instanceof ScopedownError) {
      io.stderr.write(`error: ${error.message}\n`)
      if (error.hint) io.stderr.write(`hint: ${error.hint}\n`)
      if (program.opts().debug && error.stack) io.stderr.write(`${error.stack}\n`)
      return error.code === 'USAGE' || error.code === 'CONFIG_INVALID' ? 2 : 1
    }
    const bug = error instanceof InvariantError ? 'invariant violated' : 'unexpected error'
    io.stderr.write(
      `error (${bug}): ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    )
    return 1
  }
}
