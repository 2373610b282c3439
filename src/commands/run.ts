import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Command } from 'commander'
import { awsSettingsOf, createAwsContext } from '../aws/accounts.js'
import { loadConfig } from '../config/load.js'
import type { Config } from '../config/schema.js'
import { AwsSchema } from '../config/schema.js'
import { readConfiguredTrail } from '../run/aws-steps.js'
import {
  batchRules,
  batchWindow,
  describePublish,
  EVIDENCE_FAILURES,
  runBatch,
} from '../run/batch.js'
import { createPlanningContext } from '../run/context.js'
import { createGateway, createLogSource, openPolicyRepo } from '../run/deps.js'
import { type PreflightIssue, preflightConfig } from '../run/preflight.js'
import { ScopedownError } from '../util/errors.js'
import { createLogger } from '../util/log.js'
import { stableStringify } from '../util/stable-json.js'
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
    .option(
      '--profile <name>',
      'named profile of the starting AWS credentials (with aws in the config)',
    )
    .option('--region <region>', 'region of the AWS clients (with aws in the config)')
    .action(
      async (flags: { config: string; dryRun?: boolean; profile?: string; region?: string }) => {
        const loaded = await loadConfig(flags.config)
        const config: Config = flags.dryRun
          ? { ...loaded, publish: { ...loaded.publish, mode: 'dry-run' } }
          : loaded
        // --log-format is global: under json, io.stderr takes records (util/log.ts).
        const log = createLogger({ sink: io.stderr, level: 'warn' })
        const now = io.now()
        const issues = await preflightConfig(config)
        for (const issue of issues.filter((i) => i.scope === 'account'))
          log.warn(`${issue.path}: ${issue.message}`)
        const fatal = issues.filter((i) => i.scope === 'fatal')
        if (fatal.length > 0) {
          await writeFailedRunReport(config, now, fatal)
          throw new ScopedownError(
            'CONFIG_INVALID',
            `${flags.config}: ${fatal.map((i) => `${i.path}: ${i.message}`).join('; ')}`,
            {
              hint: 'fix the config (`scopedown validate-config` lists every problem); nothing was planned',
            },
          )
        }
        const aws = config.aws
          ? createAwsContext({
              settings: awsSettingsOf(config, flags, (r) => AwsSchema.parse(r)),
              log,
              now: io.now,
            })
          : undefined
        const trailLogging = aws ? await readConfiguredTrail(aws) : undefined
        const context = await createPlanningContext({
          ...(trailLogging ? { trailLogging } : {}),
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
            ...(aws ? { aws } : {}),
          })
          const t = report.totals
          const prs =
            Object.entries(t.prs)
              .map(([k, v]) => `${v} ${k}`)
              .join(', ') || 'none'
          io.stdout.write(
            `${t.roles} roles: ${t.tightened} tightened, ${t.unchanged} unchanged, ${t.skipped} skipped, ${t.failed} failed${t.drifted > 0 ? `, ${t.drifted} drifted` : ''}; ` +
              `${t.permissionsRemoved} permissions removed; proposals: ${prs}\n`,
          )
          for (const o of report.outcomes.filter((x) => x.status === 'failed')) {
            io.stdout.write(`  failed ${o.role.arn}: ${o.detail}\n`)
          }
          for (const o of report.outcomes.filter((x) => x.status === 'drifted')) {
            io.stdout.write(`  drifted, not proposed: ${o.role.arn}: ${o.detail}\n`)
          }
          for (const o of report.outcomes.filter(
            (x) => x.reason !== undefined && EVIDENCE_FAILURES.has(x.reason),
          )) {
            io.stdout.write(`  not tightened, evidence missing: ${o.role.arn}: ${o.detail}\n`)
          }
          if (report.unreadable.count > 0) {
            io.stdout.write(
              `  ${report.unreadable.count} input(s) could not be read (holes in the evidence, listed in run-report.json):\n`,
            )
            for (const hole of report.unreadable.inputs.slice(0, 10))
              io.stdout.write(`    ${hole.input}: ${hole.reason}\n`)
            if (report.unreadable.count > 10)
              io.stdout.write(`    ... and ${report.unreadable.count - 10} more\n`)
          }
          if (t.contradictions > 0) {
            io.stdout.write(
              `  ${t.contradictions} used action(s) are refused by the repository's policies: the repository may not be what AWS enforces (see each role's report)\n`,
            )
          }
          for (const o of report.outcomes.filter((x) => x.publish)) {
            if (o.publish)
              io.stdout.write(
                `  ${o.role.accountId}/${o.role.name}: ${describePublish(o.publish)}\n`,
              )
          }
          io.stdout.write(`reports and run-report.json in ${config.publish.outDir}\n`)
          if (t.failed > 0 || report.unreadable.count > 0 || t.withoutEvidence > 0) exit.set(1)
        } finally {
          await source.close()
        }
      },
    )
}

/** A run that could not start still leaves its report, saying why. */
async function writeFailedRunReport(
  config: Config,
  now: Date,
  issues: readonly PreflightIssue[],
): Promise<void> {
  const report = {
    window: batchWindow(config, now),
    startedAt: now.toISOString(),
    error: 'the run did not start: the config names inputs that cannot be used',
    issues: issues.map(({ path, message }) => ({ path, message })),
    outcomes: [],
  }
  await mkdir(config.publish.outDir, { recursive: true })
  await writeFile(join(config.publish.outDir, 'run-report.json'), `${stableStringify(report, 2)}\n`)
}
