import type { Window } from '../model.js'
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
  sourceKind: string
  now: Date
}

/** usage rows of one scan -> this role's RoleUsage -> its plan. Pure. */
export function planRole(
  definition: RoleDefinition,
  usage: Pick<UsageResult, 'calls'> & { coverage: readonly Coverage[] },
  window: Window,
  context: PlanningContext,
): RolePlan {
  const { role } = definition
  const calls = usage.calls.filter((c) => c.principalArn === role.arn)
  const roleUsage = summarizeUsage(role.arn, calls, usage.coverage, window, context.mapper)
  const input: PlanInput = {
    role,
    ...(definition.createDate ? { createDate: definition.createDate } : {}),
    policies: definition.policies,
    ...(definition.boundary ? { boundary: definition.boundary } : {}),
    ...(context.scps && context.scps.length > 0 ? { scps: context.scps } : {}),
    usage: roleUsage,
    activeRegions: [...new Set(calls.flatMap((c) => c.regions))].sort(),
    rules: context.rules,
    observability: (action) => {
      const verdict = context.observability.classify(action)
      return { trusted: verdict.trusted, class: verdict.class, why: verdict.reason }
    },
    servicePrefix: (eventSource) => context.mapper.servicePrefix(eventSource),
    now: context.now.toISOString(),
    source: context.sourceKind,
  }
  const plan = planScopedown(input, context.catalog)
  // The plan's own shortfalls (age, coverage) stay first: they are what a reviewer must see first.
  return definition.warnings.length > 0
    ? { ...plan, warnings: [...plan.warnings, ...definition.warnings] }
    : plan
}
