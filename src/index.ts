/**
 * scopedown's library API (`import { planScopedown } from 'scopedown'`). Named re-exports only.
 * Enough to plan a role from usage one has (planScopedown, with loadCatalog and
 * createObservability), to plan it from CloudTrail files (createDuckDbSource, summarizeUsage,
 * planRole), or to run the monthly batch from a config (loadConfig, the factories of
 * run/deps.ts, createPlanningContext, runBatch), and to embed the CLI (runCli).
 */
export { packageVersion, runCli } from './cli-program.js'
export type { CliIo, ExitCodeSink } from './commands/io.js'
export { loadConfig, minCoverageDays, validateConfig } from './config/load.js'
export { type Config, ConfigSchema, configJsonSchema } from './config/schema.js'
export type { IamAction, IsoDate, RoleRef, Window } from './model.js'
export { type PlanInput, planScopedown } from './plan/plan.js'
export type {
  ActionDecision,
  KeepReason,
  ObservabilityVerdict,
  PlannedPolicy,
  PlanRules,
  RemoveReason,
  RolePlan,
} from './plan/types.js'
export type { PolicyDocument, Statement } from './policy/document.js'
export { evaluate, mayAllow, surelyAllows } from './policy/evaluate.js'
export { grantedActions } from './policy/grants.js'
export { assertTightening, checkTightening } from './policy/invariants.js'
export { parsePolicy } from './policy/parse.js'
export { prune } from './policy/prune.js'
export { CheckoutPolicyRepo } from './repo/checkout.js'
export { renderRoleJson, renderRoleMarkdown } from './report/role-report.js'
export { type BatchReport, batchRules, runBatch } from './run/batch.js'
export { createPlanningContext } from './run/context.js'
export { createGateway, createLogSource, openPolicyRepo } from './run/deps.js'
export { planRole } from './run/plan-role.js'
export { loadRoleFromFiles, loadScps, type RoleDefinition } from './run/role-policies.js'
export { createDuckDbSource } from './source/duckdb.js'
export type {
  ApiCall,
  Coverage,
  InputReport,
  LogSource,
  UsageQuery,
  UsageResult,
} from './source/types.js'
export { type ActionCatalog, type ActionInfo, loadCatalog } from './usage/catalog.js'
export { createActionMapper } from './usage/mapper.js'
export { createObservability } from './usage/observability.js'
export type { DeniedAttempt, RoleUsage, UsedAction } from './usage/types.js'
export { summarizeUsage } from './usage/usage.js'
export { InvariantError, ScopedownError } from './util/errors.js'
export { createLogger, type LogFormat, type Logger, silentLogger } from './util/log.js'
