import type { ActionCatalog } from './catalog.js'
import type { EventRef } from './mapper.js'
import type { Overrides } from './overrides.js'

/**
 * The mapper read backwards: which events can produce an action, and why. Only
 * `scopedown explain-action` needs it, so the mapper builds it on first use; it lives apart so
 * that mapper.ts stays about mapping one event.
 */

/** Byte (UTF-16 code unit) order: the same on every machine, unlike localeCompare. */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

/** action (lower case) -> the events that map to it: overrides, families, same names, verbs, dependents. */
export function buildReverseIndex(
  catalog: ActionCatalog,
  overrides: Overrides,
  servicePrefix: (eventSource: string) => string,
): Map<string, EventRef[]> {
  const index = new Map<string, EventRef[]>()
  const add = (action: string, ref: EventRef) => {
    const info = catalog.get(action)
    if (!info) return
    const list = index.get(info.action.toLowerCase()) ?? []
    list.push(ref)
    index.set(info.action.toLowerCase(), list)
  }
  // Memoised per prefix: asked once per catalog action (22k), it set explain-action's start-up.
  const hosts = new Map<string, string[]>()
  const hostsFor = (prefix: string) => {
    const known = hosts.get(prefix)
    if (known) return known
    const renamed = [...overrides.renames].filter(([, r]) => r.prefix === prefix).map(([h]) => h)
    const found = [`${prefix}.amazonaws.com`, ...renamed].filter((h) => servicePrefix(h) === prefix)
    hosts.set(prefix, found)
    return found
  }
  for (const override of overrides.events.values()) {
    const [prefix = '', eventName = ''] = override.key.split(':')
    const named = [
      ...(override.actions ?? []),
      ...(override.rules ?? []).flatMap((r) => [...r.add, ...(r.otherwise ?? [])]),
    ]
    for (const action of named) {
      for (const eventSource of hostsFor(prefix)) {
        add(action, { eventSource, eventName, via: 'override', why: override.why })
      }
    }
  }
  for (const service of catalog.services()) {
    for (const info of catalog.actions(service)) {
      const name = info.action.slice(info.service.length + 1)
      if (overrides.events.has(info.action.toLowerCase())) continue
      if (overrides.permissionless.has(info.action.toLowerCase())) continue
      if (info.action === 'iam:PassRole') continue // permission-only: there is no PassRole event (Q52)
      for (const eventSource of hostsFor(service)) {
        add(info.action, { eventSource, eventName: name, via: 'same-name' })
      }
    }
  }
  for (const pattern of overrides.patterns) {
    for (const template of pattern.actions) {
      const [service = '', name = ''] = template.split(':')
      const re = new RegExp(`^${name.replace(/\$1/g, '\\w+')}$`, 'i')
      for (const info of catalog.actions(service)) {
        if (!re.test(info.action.slice(service.length + 1))) continue
        for (const eventSource of hostsFor(pattern.prefix)) {
          add(info.action, {
            eventSource,
            eventName: pattern.match.source,
            via: 'override',
            why: pattern.why,
          })
        }
      }
    }
  }
  for (const [prefix, service] of overrides.httpVerbs) {
    for (const entry of service.verbs) {
      for (const verb of entry.verbs) {
        add(`${prefix}:${verb}`, {
          eventSource: `${prefix}.amazonaws.com`,
          eventName: entry.match,
          via: 'http-verb',
          why: service.why,
        })
      }
    }
  }
  const dependent = overrides.dependent
  add('iam:PassRole', {
    eventSource: '*',
    eventName: '*',
    via: 'dependent',
    why: `${dependent.passRole.why} Read from: ${[...dependent.passRole.roleFields, ...dependent.passRole.instanceProfileFields].join(', ')}`,
  })
  for (const [event, actions] of Object.entries(dependent.tagOnCreate.byEvent)) {
    const [prefix = '', eventName = ''] = event.split(':')
    for (const action of actions) {
      add(action, {
        eventSource: `${prefix}.amazonaws.com`,
        eventName,
        via: 'dependent',
        why: dependent.tagOnCreate.why,
      })
    }
  }
  for (const service of catalog.services()) {
    const tagActions = dependent.tagOnCreate.byService[service] ?? [
      `${service}:${dependent.tagOnCreate.defaultAction}`,
    ]
    for (const action of tagActions) {
      add(action, {
        eventSource: `${service}.amazonaws.com`,
        eventName: '* (with tags)',
        via: 'dependent',
        why: dependent.tagOnCreate.why,
      })
    }
  }
  for (const event of dependent.lambdaLayers.events) {
    const [, eventName = ''] = event.split(':')
    add(dependent.lambdaLayers.action, {
      eventSource: 'lambda.amazonaws.com',
      eventName,
      via: 'dependent',
      why: dependent.lambdaLayers.why,
    })
  }
  for (const list of index.values()) {
    list.sort((a, b) =>
      compareText(
        `${a.via}${a.eventSource}${a.eventName}`,
        `${b.via}${b.eventSource}${b.eventName}`,
      ),
    )
  }
  return index
}
