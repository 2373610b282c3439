import type { RoleRef, Window } from '../model.js'
import { type PlanInput, planScopedown } from '../plan/plan.js'
import type { PlanRules, RolePlan } from '../plan/types.js'
import type { PolicyDocument } from '../policy/document.js'
import type { Coverage, UsageResult } from '../source/types.js'
import type { ActionCatalog } from '../usage/catalog.js'
import type { ActionMapper } from '../usage/mapper.js'
import type { ObservabilityModel } from '../usage/observability.js'
import { summarizeUsage } from '../usage/usage.js'
import type { RoleDefinition } from './role-policies.js'

/** What every role's plan needs besides its own definition and usage; built once per run. */
export interface PlanningContext {
  catalog: ActionCatalog
  mapper: ActionMapper
  observability: ObservabilityModel
  rules: PlanRules
  scps?: readonly (readonly PolicyDocument[])[]
  /** Names of the SCP documents, per OU level, for reasons. */
  scpNames?: readonly (readonly string[])[]
  sourceKind: string
  now: Date
}

/** The rows of one scan a role's plan reads. */
export type ScanRows = Pick<UsageResult, 'calls'> & {
  coverage: readonly Coverage[]
  inputs?: Pick<UsageResult['inputs'], 'unreadable'>
}

/**
 * The ARN CloudTrail credits a role's sessions to when an event lacks the session issuer: the
 * assumed-role ARN carries no path, so the role is rebuilt as `role/<name>`.
 */
function pathlessArn(role: RoleRef): string {
  return role.arn.replace(/:role\/.*\/([^/]+)$/, ':role/$1')
}

/** The principal ARNs a role's calls may be recorded under: with its path, and without. */
export function principalArnsOf(role: RoleRef): string[] {
  const pathless = pathlessArn(role)
  return pathless === role.arn ? [role.arn] : [role.arn, pathless]
}

/** usage rows of one scan -> this role's planner input. Pure. */
export function planInputFor(
  definition: RoleDefinition,
  usage: ScanRows,
  window: Window,
  context: PlanningContext,
): PlanInput {
  const { role } = definition
  const arns = new Set(principalArnsOf(role))
  // A role under a path is credited to its path-less ARN when an event has no session issuer.
  const calls = usage.calls
    .filter((c) => arns.has(c.principalArn))
    .map((c) => (c.principalArn === role.arn ? c : { ...c, principalArn: role.arn }))
  const roleUsage = summarizeUsage(role.arn, calls, usage.coverage, window, context.mapper)
  return {
    role,
    ...(definition.createDate ? { createDate: definition.createDate } : {}),
    policies: definition.policies,
    ...(definition.boundary ? { boundary: definition.boundary } : {}),
    ...(context.scps && context.scps.length > 0 ? { scps: context.scps } : {}),
    policyNames: {
      ...(definition.boundaryName ? { boundary: definition.boundaryName } : {}),
      ...(context.scpNames ? { scps: context.scpNames } : {}),
    },
    usage: roleUsage,
    activeRegions: [...new Set(calls.flatMap((c) => c.regions))].sort(),
    unreadable: usage.inputs?.unreadable ?? [],
    rules: context.rules,
    observability: (action) => {
      const verdict = context.observability.classify(action)
      return {
        trusted: verdict.trusted,
        class: verdict.class,
        why: verdict.reason,
        ...(verdict.dataResourceTypes ? { dataResourceTypes: verdict.dataResourceTypes } : {}),
      }
    },
    servicePrefix: (eventSource) => context.mapper.servicePrefix(eventSource),
    now: context.now.toISOString(),
    source: context.sourceKind,
    trail: describeTrail(context.observability.logging),
  }
}

/** `data events recorded: AWS::S3::Object (read, write); management: read and write`. */
function describeTrail(logging: PlanningContext['observability']['logging']): string {
  const data = logging.data.map(
    (d) =>
      `${d.resourceType} (${[d.read ? 'read' : '', d.write ? 'write' : ''].filter(Boolean).join(', ')}${d.arnPrefixes ? `, under ${d.arnPrefixes.length} ARN prefixes` : ''})`,
  )
  return `${logging.description}: data events recorded: ${data.length > 0 ? data.join(', ') : 'none'}`
}

/** A plan with the definition's own caveats after the plan's (shortfalls stay first). */
export function withDefinitionWarnings(plan: RolePlan, definition: RoleDefinition): RolePlan {
  return definition.warnings.length > 0
    ? { ...plan, warnings: [...plan.warnings, ...definition.warnings] }
    : plan
}

/** usage rows of one scan -> this role's RoleUsage -> its plan. Pure. */
export function planRole(
  definition: RoleDefinition,
  usage: ScanRows,
  window: Window,
  context: PlanningContext,
): RolePlan {
  const plan = planScopedown(planInputFor(definition, usage, window, context), context.catalog)
  return withDefinitionWarnings(plan, definition)
}
