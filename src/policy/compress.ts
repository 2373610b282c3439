import type { IamAction } from '../model.js'
import type { ActionCatalog, ActionInfo } from '../usage/catalog.js'
import { compareText } from './match.js'

/**
 * How far `compressActions` may go. Every level is exact over the catalog it is given:
 * `expand(compressActions(S))` equals `S`, never more.
 * - `none`: exact action names only.
 * - `words`: wildcards that end on a word of the action name (`s3:Get*`, `s3:GetObject*`),
 *   what a reviewer would write by hand.
 * - `prefixes`: any shared prefix (`s3:GetBucketP*`): smaller, less readable; for size quotas.
 */
export type CompressLevel = 'none' | 'words' | 'prefixes'

export interface CompressOptions {
  level?: CompressLevel
  /**
   * Allow `service:*` when every action of a service is in the set. Off by default: a
   * least-privilege rewrite should not grant actions AWS adds to the service later.
   */
  serviceWildcard?: boolean
}

/** A catalog action with its lower-cased name (the part after `service:`) computed once. */
interface Entry {
  info: ActionInfo
  name: string
  lower: string
  wanted: boolean
}

function nameOf(info: ActionInfo): string {
  return info.action.slice(info.action.indexOf(':') + 1)
}

/** Whether a wildcard may stop after `length` characters of every member's name. */
function canStopAt(members: readonly Entry[], length: number, level: CompressLevel): boolean {
  if (level === 'prefixes') return true
  return members.every(({ name }) => {
    const next = name[length]
    return next === undefined || (next >= 'A' && next <= 'Z')
  })
}

/**
 * Covers exactly `wanted` (lower-cased actions) within one service, walking a prefix tree of the
 * service's catalog actions top-down: the first prefix whose every action is wanted becomes a
 * wildcard, which makes the cover minimal for prefix patterns.
 */
function coverService(
  service: string,
  universe: readonly ActionInfo[],
  wanted: ReadonlySet<string>,
  options: Required<CompressOptions>,
): string[] {
  const out: string[] = []
  const walk = (depth: number, members: readonly Entry[]) => {
    const hits = members.reduce((n, e) => n + (e.wanted ? 1 : 0), 0)
    if (hits === 0) return
    if (hits === members.length) {
      const first = members[0] as Entry
      if (members.length === 1) {
        out.push(first.info.action)
        return
      }
      const allowed =
        options.level !== 'none' &&
        (depth > 0 ? canStopAt(members, depth, options.level) : options.serviceWildcard)
      if (allowed) {
        out.push(`${service}:${first.name.slice(0, depth)}*`)
        return
      }
    }
    // Split by the next character; an action whose name ends here is its own leaf.
    const children = new Map<string, Entry[]>()
    for (const entry of members) {
      if (entry.lower.length === depth) {
        if (entry.wanted) out.push(entry.info.action)
        continue
      }
      const key = entry.lower[depth] as string
      const siblings = children.get(key)
      if (siblings) siblings.push(entry)
      else children.set(key, [entry])
    }
    for (const group of children.values()) walk(depth + 1, group)
  }
  walk(
    0,
    universe.map((info) => {
      const name = nameOf(info)
      return {
        info,
        name,
        lower: name.toLowerCase(),
        wanted: wanted.has(info.action.toLowerCase()),
      }
    }),
  )
  return out
}

/**
 * The shortest list of action patterns whose expansion over the catalog is exactly `actions`,
 * sorted. Actions the catalog does not know are returned verbatim (they cannot be grouped).
 */
export function compressActions(
  actions: Iterable<IamAction>,
  catalog: ActionCatalog,
  options: CompressOptions = {},
): string[] {
  const resolved: Required<CompressOptions> = {
    level: options.level ?? 'words',
    serviceWildcard: options.serviceWildcard ?? false,
  }
  const byService = new Map<string, Set<string>>()
  const unknown = new Set<string>()
  for (const action of actions) {
    const info = catalog.get(action)
    if (!info) {
      unknown.add(action)
      continue
    }
    const wanted = byService.get(info.service) ?? new Set<string>()
    wanted.add(info.action.toLowerCase())
    byService.set(info.service, wanted)
  }
  const out: string[] = [...unknown]
  for (const [service, wanted] of byService) {
    out.push(...coverService(service, catalog.actions(service), wanted, resolved))
  }
  return out.sort(compareText)
}
