import type { Command } from 'commander'
import { loadConfig } from '../config/load.js'
import type { Config } from '../config/schema.js'
import { batchRules, describePublish, runBatch } from '../run/batch.js'
import { createPlanningContext } from '../run/context.js'
import { createGateway, createLogSource, openPolicyRepo } from '../run/deps.js'
import { createLogger } from '../util/log.js'
import type { CliIo, ExitCodeSink } from './io.js'

/** `scopedown run`: the scheduled batch over every role of the source-of-truth repo. */
export function register(program: Command, io: CliIo, exit: ExitCodeSink): void {
  program
    .command('run')
    .description(
      'plan every role in the repo and propose the tightened policies (PRs, branches or files)',
    )
    .option('-c, --config <file>', 'config file', 'scopedown.config.json')
    .option('--dry-run', 'write reports and patches only, whatever publish.mode says')
    .action(async (flags: { config: string; dryRun?: boolean }) => {
      const loaded = await loadConfig(flags.config)
      const config: Config = flags.dryRun
        ? { ...loaded, publish: { ...loaded.publish, mode: 'dry-run' } }
        : loaded
      // --log-format is global: under json, io.stderr takes records (util/log.ts).
      const log = createLogger({ sink: io.stderr, level: 'warn' })
      const now = io.now()
      const context = await createPlanningContext({
        rules: batchRules(config),
        dataEvents: config.rules.dataEvents,
        ...(config.rules.eventSelectorsFile
          ? { eventSelectorsFile: config.rules.eventSelectorsFile }
          : {}),
        sourceKind: config.source.type,
        now,
      })
      const [repo, gateway] = await Promise.all([
        openPolicyRepo(config),
        createGateway(config, io.env, log),
      ])
      const source = await createLogSource(config, log)
      try {
        const report = await runBatch({
          config,
          repo,
          source,
          gateway,
          context,
          log,
          now,
          progress: (line) => io.stderr.write(`${line}\n`),
        })
        const t = report.totals
        const prs =
          Object.entries(t.prs)
            .map(([k, v]) => `${v} ${k}`)
            .join(', ') || 'none'
        io.stdout.write(
          `${t.roles} roles: ${t.tightened} tightened, ${t.unchanged} unchanged, ${t.skipped} skipped, ${t.failed} failed; ` +
            `${t.permissionsRemoved} permissions removed; proposals: ${prs}\n`,
        )
        for (const o of report.outcomes.filter((x) => x.status === 'failed')) {
          io.stdout.write(`  failed ${o.role.arn}: ${o.detail}\n`)
        }
        for (const o of report.outcomes.filter((x) => x.publish)) {
          if (o.publish)
            io.stdout.write(`  ${o.role.accountId}/${o.role.name}: ${describePublish(o.publish)}\n`)
        }
        io.stdout.write(`reports and run-report.json in ${config.publish.outDir}\n`)
        if (t.failed > 0) exit.set(1)
      } finally {
        await source.close()
      }
    })
}
