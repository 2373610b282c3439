import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Command } from 'commander'
import { ConfigSchema } from '../config/schema.js'
import { EVIDENCE_SHORTFALLS, type Shortfall } from '../plan/evidence.js'
import { roleExemption } from '../plan/role-selection.js'
import type { PlanRules } from '../plan/types.js'
import { renderRoleJson, renderRoleMarkdown } from '../report/role-report.js'
import { createPlanningContext } from '../run/context.js'
import { planRole } from '../run/plan-role.js'
import { loadRoleFromFiles, loadScps, type RoleDefinition } from '../run/role-policies.js'
import { createDuckDbSource } from '../source/duckdb.js'
import { ScopedownError } from '../util/errors.js'
import { createLogger } from '../util/log.js'
import { resolveWindow, utcDaysInWindow } from '../util/window.js'
import type { CliIo, ExitCodeSink } from './io.js'

interface AnalyzeFlags {
  role: string
  logs: string[]
  policy: string[]
  boundary?: string
  scp: string[]
  start?: string
  end?: string
  days?: string
  format: string
  out?: string
  dataEvents: string[]
  eventSelectors?: string
  narrowResources?: boolean
  includeHumanRoles?: boolean
  includeServiceLinkedRoles?: boolean
  force?: boolean
}

const collect = (value: string, previous: string[] = []) => [...previous, value]

/** `scopedown analyze`: an ad-hoc investigation of one role, from local logs and policy files. */
export function register(program: Command, io: CliIo, exit: ExitCodeSink): void {
  program
    .command('analyze')
    .description(
      'plan a tightened policy for one role from its CloudTrail usage (nothing is changed)',
    )
    .requiredOption('--role <name|arn>', 'the role: its name (in a dump) or its full ARN')
    .requiredOption('--logs <path...>', 'CloudTrail files, folders or globs')
    .requiredOption(
      '--policy <file...>',
      'policy documents, or an `aws iam get-account-authorization-details` dump',
    )
    .option('--boundary <file>', 'the permission boundary document')
    .option('--scp <file>', 'a service control policy (repeatable)', collect, [])
    .option('--start <date>', 'window start (inclusive), e.g. 2026-08-01')
    .option('--end <date>', 'window end (exclusive); default now')
    .option('--days <n>', 'window length in days (default 90)')
    .option('--format <md|json>', 'what to print', 'md')
    .option('--out <dir>', 'write <dir>/<account>/<role>/{report.md,plan.json} instead of printing')
    .option(
      '--data-events <type>',
      'data events the trail records, e.g. AWS::S3::Object (repeatable)',
      collect,
      [],
    )
    .option('--event-selectors <file>', 'saved `aws cloudtrail get-event-selectors` output')
    .option('--narrow-resources', 'also narrow Resource to the ARNs observed')
    .option('--include-human-roles', 'analyse a human role anyway')
    .option('--include-service-linked-roles', 'analyse a service-linked role anyway')
    .option(
      '--force',
      'plan even when the evidence falls short (no events of the account, thin coverage, unreadable input)',
    )
    .action(async (flags: AnalyzeFlags) => {
      if (flags.format !== 'md' && flags.format !== 'json') {
        throw new ScopedownError('USAGE', `--format ${flags.format} is not supported`, {
          hint: 'use --format md or --format json',
        })
      }
      const window = resolveWindow(flags, io.now())
      const loaded = await loadRoleFromFiles({
        role: flags.role,
        policyFiles: flags.policy,
        ...(flags.boundary ? { boundaryFile: flags.boundary } : {}),
      })
      const definition = mergeDefinition(flags.role, loaded)
      const defaults = ConfigSchema.shape.roles.parse(undefined)
      const exemption = roleExemption(definition.role, definition.tags, {
        ...defaults,
        includeHumanRoles: flags.includeHumanRoles === true,
        includeServiceLinkedRoles: flags.includeServiceLinkedRoles === true,
      })
      if (exemption && exemption.reason !== 'excluded') {
        io.stdout.write(`${definition.role.arn} left alone: ${exemption.detail}\n`)
        io.stderr.write(
          `hint: pass --include-${exemption.reason === 'human-role' ? 'human-roles' : 'service-linked-roles'} to analyse it anyway\n`,
        )
        return
      }
      const log = createLogger({ sink: io.stderr, level: 'warn' })
      const ruleDefaults = ConfigSchema.shape.rules.parse(undefined)
      const rules: PlanRules = {
        neverRemove: ruleDefaults.neverRemove,
        protectedSidPrefix: ruleDefaults.protectedSidPrefix,
        minRoleAgeDays: ruleDefaults.minRoleAgeDays,
        minCoverageDays: Math.ceil(utcDaysInWindow(window).length * 0.9),
        narrowResources: flags.narrowResources === true,
        maxUnreadableInputs: ruleDefaults.maxUnreadableInputs,
        mode: 'adhoc',
      }
      const context = await createPlanningContext({
        rules,
        dataEvents: flags.dataEvents,
        ...(flags.eventSelectors ? { eventSelectorsFile: flags.eventSelectors } : {}),
        scps: await loadScps(flags.scp),
        sourceKind: 'duckdb',
        now: io.now(),
      })
      const source = await createDuckDbSource({ paths: flags.logs, logger: log })
      try {
        const usage = await source.usage({ window, principalArns: [definition.role.arn] })
        const plan = planRole(definition, usage, window, context)
        const shortfalls = plan.shortfalls.filter((s) =>
          EVIDENCE_SHORTFALLS.has(s.reason as Shortfall['reason']),
        )
        if (usage.inputs.unreadable.length > 0) exit.set(1)
        if (shortfalls.length > 0 && flags.force !== true) {
          io.stderr.write(
            `error: no plan for ${plan.role.arn} (account ${plan.role.accountId}, window [${window.start}, ${window.end})): ${shortfalls.map((s) => s.detail).join('; ')}\n` +
              'hint: fix the logs or the window; pass --force to see the plan anyway (its report then starts with this shortfall)\n',
          )
          exit.set(1)
          return
        }
        const generatedAt = io.now().toISOString()
        if (flags.out) {
          const dir = join(flags.out, plan.role.accountId, plan.role.name)
          await mkdir(dir, { recursive: true })
          await writeFile(join(dir, 'plan.json'), renderRoleJson(plan))
          await writeFile(join(dir, 'report.md'), renderRoleMarkdown(plan, generatedAt))
          io.stdout.write(
            `${plan.role.arn}: ${plan.status}, ${plan.summary.removed} of ${plan.summary.grantedBefore} granted actions removed\n`,
          )
          io.stdout.write(`wrote ${join(dir, 'report.md')} and ${join(dir, 'plan.json')}\n`)
        } else {
          io.stdout.write(
            flags.format === 'json' ? renderRoleJson(plan) : renderRoleMarkdown(plan, generatedAt),
          )
        }
      } finally {
        await source.close()
      }
    })
}

/** A dump gives the role whole; plain policy files need the role's ARN. */
function mergeDefinition(
  wanted: string,
  loaded: Awaited<ReturnType<typeof loadRoleFromFiles>>,
): RoleDefinition {
  if (loaded.definition) {
    return {
      ...loaded.definition,
      policies: [...loaded.definition.policies, ...loaded.plainPolicies],
      ...(loaded.boundary ? { boundary: loaded.boundary } : {}),
    }
  }
  const arn = /^arn:aws[a-z-]*:iam::(\d{12}):role(\/.*\/|\/)([^/]+)$/.exec(wanted)
  if (!arn) {
    throw new ScopedownError(
      'USAGE',
      `--role ${wanted} must be a role ARN when --policy files are plain policy documents`,
      {
        hint: 'e.g. --role arn:aws:iam::111111111111:role/app, or pass an authorization-details dump with --policy',
      },
    )
  }
  return {
    role: {
      accountId: arn[1] as string,
      path: arn[2] as string,
      name: arn[3] as string,
      arn: wanted,
    },
    tags: {},
    policies: loaded.plainPolicies,
    ...(loaded.boundary ? { boundary: loaded.boundary } : {}),
    warnings: ['no role creation date was given: the minimum role age was not checked'],
  }
}
