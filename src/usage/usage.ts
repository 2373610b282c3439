import type { IamAction, IsoDate, Window } from '../model.js'
import type { ApiCall, Coverage } from '../source/types.js'
import { compareCodeUnits } from '../util/compare.js'
import type { ActionMapper, MappingResult } from './mapper.js'
import type { DeniedAttempt, RoleUsage, UsedAction } from './types.js'

/** Per-action cap on kept resource ARNs, like the sources' default `maxResources`. */
const MAX_RESOURCES = 50

interface Folded {
  calls: number
  denied: number
  firstSeen: IsoDate
  lastSeen: IsoDate
  deniedLastSeen: IsoDate
  /** undefined once any contributing call could not name its resources. */
  resources: Set<string> | undefined
  resourcesCapped: boolean
  via: Set<string>
  deniedVia: Set<string>
}

/**
 * Folds one principal's API calls into per-action usage. Each call is mapped once per distinct
 * request-detail combination (weighted by its counts), so request-dependent actions (PassRole,
 * tag-on-create, object versions ...) are counted only for the calls that needed them. Allowed
 * calls (count - deniedCount) make an action `used`; denied calls only ever land in `denied`
 * (Q62/Q70/Q72: an attempt is not a grant). Calls of other principals are ignored.
 */
export function summarizeUsage(
  principalArn: string,
  calls: readonly ApiCall[],
  coverage: readonly Coverage[],
  window: Window,
  mapper: ActionMapper,
): RoleUsage {
  const folded = new Map<IamAction, Folded>()
  const unmapped: ApiCall[] = []
  const permissionless: ApiCall[] = []

  for (const call of calls) {
    if (call.principalArn !== principalArn) continue
    const via = `${call.eventSource}:${call.eventName}`
    const statuses = new Set<MappingResult['status']>()
    for (const group of requestGroups(call)) {
      if (group.count <= 0) continue
      const mapping = mapper.map({
        eventSource: call.eventSource,
        eventName: call.eventName,
        details: group.params,
        resources: call.resources,
      })
      statuses.add(mapping.status)
      for (const mapped of mapping.actions) {
        const entry = folded.get(mapped.action) ?? newFolded(call)
        folded.set(mapped.action, entry)
        const allowed = group.count - group.denied
        if (allowed > 0) {
          entry.calls += allowed
          entry.via.add(via)
          if (call.firstSeen < entry.firstSeen) entry.firstSeen = call.firstSeen
          if (call.lastSeen > entry.lastSeen) entry.lastSeen = call.lastSeen
          addResources(entry, mapped.resources, call.resourcesCapped)
        }
        if (group.denied > 0) {
          entry.denied += group.denied
          entry.deniedVia.add(via)
          if (call.lastSeen > entry.deniedLastSeen) entry.deniedLastSeen = call.lastSeen
        }
      }
    }
    if (statuses.has('unmapped')) unmapped.push(call)
    else if (statuses.has('permissionless') && !statuses.has('mapped')) permissionless.push(call)
  }

  const used: UsedAction[] = []
  const denied: DeniedAttempt[] = []
  for (const [action, f] of [...folded].sort(([a], [b]) => compareCodeUnits(a, b))) {
    if (f.calls > 0) {
      const resources = [...(f.resources ?? [])].sort()
      used.push({
        action,
        calls: f.calls,
        firstSeen: f.firstSeen,
        lastSeen: f.lastSeen,
        resources: resources.slice(0, MAX_RESOURCES),
        resourcesCapped: f.resourcesCapped || resources.length > MAX_RESOURCES,
        via: [...f.via].sort(),
      })
    }
    if (f.denied > 0) {
      denied.push({
        action,
        count: f.denied,
        lastSeen: f.deniedLastSeen,
        via: [...f.deniedVia].sort(),
      })
    }
  }
  return {
    principalArn,
    window,
    used,
    denied,
    unmapped: sortCalls(unmapped),
    permissionless: sortCalls(permissionless),
    coverage,
  }
}

/**
 * The call split by request details. Calls that carried none of the detail fields (count minus
 * the details' counts) form a group with empty params: known to have none, not unknown.
 */
function requestGroups(
  call: ApiCall,
): { params: Readonly<Record<string, unknown>>; count: number; denied: number }[] {
  const groups = call.details.map((d) => ({
    params: d.params,
    count: d.count,
    denied: d.deniedCount,
  }))
  const count = call.count - groups.reduce((n, g) => n + g.count, 0)
  const denied = call.deniedCount - groups.reduce((n, g) => n + g.denied, 0)
  if (count > 0) groups.push({ params: {}, count, denied: Math.max(0, Math.min(denied, count)) })
  return groups
}

function newFolded(call: ApiCall): Folded {
  return {
    calls: 0,
    denied: 0,
    firstSeen: call.firstSeen,
    lastSeen: call.lastSeen,
    deniedLastSeen: call.lastSeen,
    resources: new Set(),
    resourcesCapped: false,
    via: new Set(),
    deniedVia: new Set(),
  }
}

/**
 * Resources are only as good as the weakest call: one allowed call that cannot name its
 * resources makes the action's resources unknown (empty), so the planner never scopes an action
 * to fewer resources than were really used.
 */
function addResources(
  entry: Folded,
  resources: readonly string[] | undefined,
  capped: boolean,
): void {
  if (!entry.resources) return
  if (!resources || resources.length === 0) {
    entry.resources = undefined
    return
  }
  for (const arn of resources) entry.resources.add(arn)
  if (capped) entry.resourcesCapped = true
}

function sortCalls(calls: readonly ApiCall[]): ApiCall[] {
  return [...calls].sort((a, b) =>
    compareCodeUnits(`${a.eventSource} ${a.eventName}`, `${b.eventSource} ${b.eventName}`),
  )
}
