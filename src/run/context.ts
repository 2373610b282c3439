import { readFile } from 'node:fs/promises'
import type { PlanRules } from '../plan/types.js'
import type { PolicyDocument } from '../policy/document.js'
import { loadCatalog } from '../usage/catalog.js'
import { createActionMapper } from '../usage/mapper.js'
import {
  createObservability,
  LOOKUP_EVENTS_LOGGING,
  parseEventSelectors,
  type TrailLogging,
  trailLoggingFromConfig,
} from '../usage/observability.js'
import { ScopedownError } from '../util/errors.js'
import type { PlanningContext } from './plan-role.js'

/**
 * Builds the catalog, mapper and observability model once for a run. The trail's logging comes
 * from a saved get-event-selectors answer when given, else from the configured data events.
 */
export async function createPlanningContext(args: {
  rules: PlanRules
  dataEvents: readonly string[]
  eventSelectorsFile?: string
  /** What the trail records, read live (aws.trailSelectors): wins over the saved file and config. */
  trailLogging?: TrailLogging
  scps?: readonly (readonly PolicyDocument[])[]
  sourceKind: string
  now: Date
}): Promise<PlanningContext> {
  const catalog = await loadCatalog()
  // LookupEvents never returns data events, whatever the trails record.
  let logging =
    args.sourceKind === 'cloudtrail-lookup'
      ? LOOKUP_EVENTS_LOGGING
      : trailLoggingFromConfig({ dataEvents: args.dataEvents })
  if (args.eventSelectorsFile) {
    const file = args.eventSelectorsFile
    let json: unknown
    try {
      json = JSON.parse(await readFile(file, 'utf8'))
    } catch (cause) {
      throw new ScopedownError('INPUT_INVALID', `cannot read event selectors from ${file}`, {
        cause,
        hint: 'save them with `aws cloudtrail get-event-selectors --trail-name <trail> > selectors.json`',
      })
    }
    logging = parseEventSelectors(json)
  }
  if (args.trailLogging && args.sourceKind !== 'cloudtrail-lookup') logging = args.trailLogging
  return {
    catalog,
    mapper: createActionMapper(catalog),
    observability: createObservability(catalog, logging),
    rules: args.rules,
    ...(args.scps ? { scps: args.scps } : {}),
    sourceKind: args.sourceKind,
    now: args.now,
  }
}
