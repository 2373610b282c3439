/** scopedown's library API. Named re-exports only. */
export { runCli } from './cli-program.js'
export type { IamAction, IsoDate, RoleRef, Window } from './model.js'
export type {
  ApiCall,
  Coverage,
  InputReport,
  LogSource,
  UsageQuery,
  UsageResult,
} from './source/types.js'
export { type ActionCatalog, type ActionInfo, loadCatalog } from './usage/catalog.js'
export { InvariantError, ScopedownError } from './util/errors.js'
