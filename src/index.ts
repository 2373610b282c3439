/** scopedown's library API. Named re-exports only. */
export { runCli } from './cli-program.js'
export { loadConfig, validateConfig } from './config/load.js'
export { type Config, ConfigSchema, configJsonSchema } from './config/schema.js'
export type { IamAction, IsoDate, RoleRef, Window } from './model.js'
export { type PlanInput, planScopedown } from './plan/plan.js'
export type { ActionDecision, RolePlan } from './plan/types.js'
export type { PolicyDocument, Statement } from './policy/document.js'
export { evaluate, mayAllow, surelyAllows } from './policy/evaluate.js'
export { grantedActions } from './policy/grants.js'
export { assertTightening, checkTightening } from './policy/invariants.js'
export { parsePolicy } from './policy/parse.js'
export { prune } from './policy/prune.js'
export { CheckoutPolicyRepo } from './repo/checkout.js'
export { renderRoleJson, renderRoleMarkdown } from './report/role-report.js'
export { type BatchReport, runBatch } from './run/batch.js'
export { planRole } from './run/plan-role.js'
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
export { summarizeUsage } from './usage/usage.js'
export { InvariantError, ScopedownError } from './util/errors.js'
