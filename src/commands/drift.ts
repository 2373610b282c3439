import type { Command } from 'commander'
import { type AccountDrift, driftOfAccount } from '../aws/account-drift.js'
import { awsSettingsOf, createAwsContext, resolveAccounts } from '../aws/accounts.js'
import type { DriftDifference } from '../aws/drift.js'
import { loadConfig } from '../config/load.js'
import { AwsSchema } from '../config/schema.js'
import { checkoutFiles } from '../repo/repo-files.js'
import { openPolicyRepo } from '../run/deps.js'
import { roleRefOf } from '../run/repo-role.js'
import { ScopedownError } from '../util/errors.js'
import { createLogger } from '../util/log.js'
import type { CliIo, ExitCodeSink } from './io.js'

/** Exit codes of `drift`: they agree, they differ, something could not be read. */
export const DRIFT_EXIT = { agree: 0, differ: 3, failed: 1 } as const

/** `scopedown drift`: the repository against live IAM, role by role. */
export function register(program: Command, io: CliIo, exit: ExitCodeSink): void {
  program
    .command('drift')
    .description(
      'compare the repository with live IAM: exit 0 agree, 3 differ, 1 failure, 2 bad usage',
    )
    .option('-c, --config <file>', 'config file', 'scopedown.config.json')
    .option('--account <id...>', 'only these accounts (repeatable)')
    .option('--profile <name>', 'named profile of the starting credentials')
    .option('--region <region>', 'region of the AWS clients')
    .option('--format <md|json>', 'output format', 'md')
    .action(
      async (flags: {
        config: string
        account?: string[]
        profile?: string
        region?: string
        format: string
      }) => {
        if (flags.format !== 'md' && flags.format !== 'json') {
          throw new ScopedownError('USAGE', `--format ${flags.format} is not md or json`)
        }
        for (const id of flags.account ?? []) {
          if (!/^\d{12}$/.test(id))
            throw new ScopedownError('USAGE', `--account ${id} is not a 12-digit account id`)
        }
        const config = await loadConfig(flags.config)
        const log = createLogger({ sink: io.stderr, level: 'warn' })
        const aws = createAwsContext({
          settings: awsSettingsOf(config, flags, (r) => AwsSchema.parse(r)),
          log,
          now: io.now,
        })
        const repo = await openPolicyRepo(config)
        const files = checkoutFiles(config.repo.path)
        const defined = await repo.listRoles()
        const decisions = await resolveAccounts(
          aws,
          defined.flatMap((r) => (r.accountId ? [r.accountId] : [])),
        )
        const wanted = flags.account ? new Set(flags.account) : undefined
        const accounts = decisions
          .filter((d) => (wanted ? wanted.has(d.accountId) : d.included))
          .map((d) => d.accountId)
        const results = await Promise.all(
          accounts.map((accountId) =>
            aws.perAccount(() =>
              driftOfAccount({
                aws,
                accountId,
                repo,
                files,
                roles: defined
                  .filter((r) => r.accountId === accountId)
                  .map((r) => roleRefOf({ ...r, accountId })),
              }),
            ),
          ),
        )
        io.stdout.write(
          flags.format === 'json'
            ? `${JSON.stringify(driftJson(results), null, 2)}\n`
            : renderDrift(results),
        )
        exit.set(driftExitCode(results))
      },
    )
}

/** 1 when anything could not be read (the answer is then incomplete), else 3 on any difference. */
export function driftExitCode(results: readonly AccountDrift[]): number {
  if (results.some((r) => r.error || r.problems.length > 0)) return DRIFT_EXIT.failed
  return results.some((r) => r.differences.length > 0) ? DRIFT_EXIT.differ : DRIFT_EXIT.agree
}

function driftJson(results: readonly AccountDrift[]) {
  return {
    accounts: results.map((r) => ({
      accountId: r.accountId,
      status:
        r.error || r.problems.length > 0
          ? 'failed'
          : r.differences.length > 0
            ? 'differs'
            : 'agrees',
      ...(r.error ? { error: r.error } : {}),
      problems: r.problems,
      differences: r.differences,
    })),
    totals: {
      accounts: results.length,
      differences: results.reduce((n, r) => n + r.differences.length, 0),
      failed: results.filter((r) => r.error || r.problems.length > 0).length,
    },
  }
}

function where(d: DriftDifference): string {
  return d.file ? `${d.file}${d.line ? `:${d.line}` : ''}` : ''
}

function renderDrift(results: readonly AccountDrift[]): string {
  const out: string[] = ['# Drift: repository vs live IAM', '']
  const total = results.reduce((n, r) => n + r.differences.length, 0)
  out.push(
    `${results.length} account(s), ${total} difference(s), ${results.filter((r) => r.error).length} unreadable`,
    '',
  )
  for (const r of results) {
    out.push(`## ${r.accountId}`, '')
    if (r.error) {
      out.push(
        `Could not read live IAM: ${r.error.message}`,
        ...(r.error.hint ? [`Hint: ${r.error.hint}`] : []),
        '',
      )
      continue
    }
    for (const p of r.problems) out.push(`- unreadable in the repo: ${p}`)
    if (r.differences.length === 0) out.push('The repository and IAM agree.', '')
    else {
      out.push('| role | difference | where |', '| --- | --- | --- |')
      for (const d of r.differences)
        out.push(`| ${d.role} | ${d.detail.replaceAll('|', '\\|')} | ${where(d)} |`)
      out.push('')
      for (const d of r.differences.filter((x) => x.repoOnly || x.liveOnly)) {
        out.push(`${d.role} / ${d.policy ?? ''}:`)
        for (const s of d.repoOnly ?? []) out.push(`  - repo only: ${s}`)
        for (const s of d.liveOnly ?? []) out.push(`  + IAM only:  ${s}`)
      }
      out.push('')
    }
  }
  return `${out.join('\n')}\n`
}
