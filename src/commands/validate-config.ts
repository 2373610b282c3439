import type { Command } from 'commander'
import { loadConfig, minCoverageDays } from '../config/load.js'
import { configJsonSchema } from '../config/schema.js'
import { preflightConfig } from '../run/preflight.js'
import { ScopedownError } from '../util/errors.js'
import type { CliIo, ExitCodeSink } from './io.js'

/** `scopedown validate-config` and `scopedown config-schema`. */
export function register(program: Command, io: CliIo, _exit: ExitCodeSink): void {
  program
    .command('validate-config')
    .description('check scopedown.config.json and print every problem with its path')
    .option('-c, --config <file>', 'config file', 'scopedown.config.json')
    .action(async (opts: { config: string }) => {
      const config = await loadConfig(opts.config)
      const issues = await preflightConfig(config)
      if (issues.length > 0) {
        throw new ScopedownError(
          'CONFIG_INVALID',
          `${opts.config} has ${issues.length} problem(s):\n${issues.map((i) => `  - ${i.path}: ${i.message}`).join('\n')}`,
          { hint: 'paths in the config are relative to the config file (SCP files: to repo.path)' },
        )
      }
      io.stdout.write(
        `${opts.config} is valid: source ${config.source.type}, window ${config.window.days} days, ` +
          `min coverage ${minCoverageDays(config)} days, publish ${config.publish.mode}\n`,
      )
    })
  program
    .command('config-schema')
    .description('print the JSON Schema of scopedown.config.json (for editors)')
    .action(() => {
      io.stdout.write(`${JSON.stringify(configJsonSchema(), null, 2)}\n`)
    })
}
