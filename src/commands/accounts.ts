import type { Command } from 'commander'
import {
  type AccountDecision,
  type AwsContext,
  awsSettingsOf,
  createAwsContext,
  openAccount,
  resolveAccounts,
} from '../aws/accounts.js'
import { loadConfig } from '../config/load.js'
import { AwsSchema } from '../config/schema.js'
import { openPolicyRepo } from '../run/deps.js'
import { errorMessage } from '../util/errors.js'
import { createLogger } from '../util/log.js'
import type { CliIo, ExitCodeSink } from './io.js'

interface AccountLine extends AccountDecision {
  auditRole?: { ok: true; arn?: string } | { ok: false; error: string; hint?: string }
  scps?: { levels: number; documents: number } | { error: string }
}

/** `scopedown accounts`: what a run would cover, why each account is in or out, and a preflight. */
export function register(program: Command, io: CliIo, exit: ExitCodeSink): void {
  program
    .command('accounts')
    .description(
      'list the accounts a run covers and why each is in or out; check the audit role in each',
    )
    .option('-c, --config <file>', 'config file', 'scopedown.config.json')
    .option('--profile <name>', 'named profile of the starting credentials')
    .option('--region <region>', 'region of the AWS clients')
    .option('--no-check', 'do not assume the audit role (list only)')
    .option('--format <text|json>', 'output format', 'text')
    .action(
      async (flags: {
        config: string
        profile?: string
        region?: string
        check: boolean
        format: string
      }) => {
        const config = await loadConfig(flags.config)
        const log = createLogger({ sink: io.stderr, level: 'warn' })
        const aws = createAwsContext({
          settings: awsSettingsOf(config, flags, (r) => AwsSchema.parse(r)),
          log,
          now: io.now,
        })
        const repo = await openPolicyRepo(config)
        const repoAccounts = (await repo.listRoles()).flatMap((r) =>
          r.accountId ? [r.accountId] : [],
        )
        const decisions = await resolveAccounts(aws, repoAccounts)
        const lines = await Promise.all(decisions.map((d) => describe(aws, d, flags.check)))
        if (flags.format === 'json') io.stdout.write(`${JSON.stringify(lines, null, 2)}\n`)
        else io.stdout.write(renderText(lines))
        if (lines.some((l) => l.auditRole?.ok === false || (l.scps && 'error' in l.scps)))
          exit.set(1)
      },
    )
}

async function describe(aws: AwsContext, d: AccountDecision, check: boolean): Promise<AccountLine> {
  if (!d.included || !check) return d
  const line: AccountLine = { ...d }
  try {
    const session = await aws.perAccount(() => openAccount(aws, d.accountId))
    line.auditRole = { ok: true, ...(session.roleArn ? { arn: session.roleArn } : {}) }
  } catch (error) {
    const hint = (error as { hint?: string }).hint
    line.auditRole = { ok: false, error: errorMessage(error), ...(hint ? { hint } : {}) }
  }
  if (aws.settings.scps === 'organizations' && aws.organization) {
    try {
      const levels = await aws.organization.scpLevels(d.accountId)
      line.scps = { levels: levels.length, documents: levels.flat().length }
    } catch (error) {
      line.scps = { error: errorMessage(error) }
    }
  }
  return line
}

function renderText(lines: readonly AccountLine[]): string {
  const covered = lines.filter((l) => l.included)
  const out = [`${covered.length} of ${lines.length} account(s) covered`]
  for (const l of lines) {
    const name = l.name ? ` (${l.name})` : ''
    const where = l.path?.length ? `  [${l.path.join(' / ')}]` : ''
    out.push(
      `${l.included ? 'in ' : 'out'}  ${l.accountId}${name}: ${l.reason}${l.management ? '; management account, SCPs do not apply' : ''}${where}`,
    )
    if (l.auditRole?.ok)
      out.push(
        `       audit role: ok${l.auditRole.arn ? ` (${l.auditRole.arn})` : ' (starting credentials)'}`,
      )
    else if (l.auditRole) {
      out.push(`       audit role: FAILED: ${l.auditRole.error}`)
      if (l.auditRole.hint) out.push(`       hint: ${l.auditRole.hint}`)
    }
    if (l.scps && 'error' in l.scps) out.push(`       SCPs: FAILED: ${l.scps.error}`)
    else if (l.scps)
      out.push(`       SCPs: ${l.scps.documents} document(s) over ${l.scps.levels} level(s)`)
  }
  return `${out.join('\n')}\n`
}
