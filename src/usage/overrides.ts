import { z } from 'zod'
import { InvariantError, ScopedownError } from '../util/errors.js'
import dependentJson from './overrides/dependent.json' with { type: 'json' }
import eventSourcesJson from './overrides/event-sources.json' with { type: 'json' }
import eventsJson from './overrides/events.json' with { type: 'json' }
import permissionlessJson from './overrides/permissionless.json' with { type: 'json' }

/**
 * The mapper's exceptions, kept as data in src/usage/overrides/*.json so that a reviewer can read
 * (and a user can extend) every place where CloudTrail's eventName is not simply the IAM action.
 * This module only validates and types them; src/usage/mapper.ts applies them.
 */

const actionName = z.string().regex(/^[a-z0-9-]+:[A-Za-z0-9*]+$/, 'expected service:Action')
const why = z.string().min(1)

/**
 * A test on one request detail (a key of REQUEST_DETAIL_PATHS). A `matches` test on an absent
 * field is undecided (the request may not have been logged in full), unless `ifAbsent` says
 * `no-match`: for request headers, which CloudTrail records whenever they were sent.
 */
const TestSchema = z.union([
  z.object({ field: z.string(), present: z.boolean() }).strict(),
  z
    .object({ field: z.string(), matches: z.string(), ifAbsent: z.literal('no-match').optional() })
    .strict(),
])

const RuleSchema = z
  .object({
    when: TestSchema,
    add: z.array(actionName),
    otherwise: z.array(actionName).optional(),
    /** `skip`: a companion permission, added only when the request shows it. */
    unknownRequest: z.literal('skip').optional(),
  })
  .strict()

const EventOverrideSchema = z
  .object({
    actions: z.array(actionName).optional(),
    rules: z.array(RuleSchema).optional(),
    notes: z.record(actionName, z.string()).optional(),
    keyFields: z.record(actionName, z.string()).optional(),
    passRole: z.literal('possible').optional(),
    why,
  })
  .strict()

const ServiceVerbsSchema = z
  .object({
    why,
    verbs: z.array(z.object({ match: z.string(), verbs: z.array(z.string()) }).strict()),
  })
  .strict()

/** Actions of every event name a regex matches; `$1` in an action stands for the first group. */
const EventPatternSchema = z
  .object({ actions: z.array(z.string().regex(/^[a-z0-9-]+:[A-Za-z0-9$]+$/)), why })
  .strict()

const EventsFileSchema = z.object({
  $comment: z.string().optional(),
  events: z.record(z.string(), EventOverrideSchema),
  patterns: z.record(z.string(), EventPatternSchema).optional(),
  httpVerbs: z.record(z.string(), ServiceVerbsSchema),
})

const EventSourcesFileSchema = z.object({
  $comment: z.string().optional(),
  renames: z.record(z.string(), z.object({ prefix: z.string(), why }).strict()),
  versionSuffixes: z.record(z.string(), z.object({ pattern: z.string(), why }).strict()),
})

const PermissionlessFileSchema = z.object({
  $comment: z.string().optional(),
  calls: z.record(z.string(), why),
  serviceEvents: z.record(z.string(), why),
})

const DependentFileSchema = z.object({
  $comment: z.string().optional(),
  passRole: z.object({
    $roleNamePrefixes: z.string().optional(),
    why,
    roleFields: z.array(z.string()),
    instanceProfileFields: z.array(z.string()),
    hiddenRoleFields: z.array(z.string()),
    roleNamePrefixes: z.array(z.string()),
    notForPrefixes: z.array(z.string()),
    notForEvents: z.array(z.string()),
  }),
  tagOnCreate: z.object({
    why,
    fields: z.array(z.string()),
    notForPrefixes: z.array(z.string()),
    defaultAction: z.string(),
    byService: z.record(z.string(), z.array(actionName)),
    byEvent: z.record(z.string(), z.array(actionName)),
  }),
  lambdaLayers: z.object({
    why,
    field: z.string(),
    events: z.array(z.string()),
    action: actionName,
  }),
  forwardAccess: z.object({ why, services: z.array(z.string()) }),
})

export type DetailTest = z.infer<typeof TestSchema>
export type MappingRule = z.infer<typeof RuleSchema>
export type EventOverride = z.infer<typeof EventOverrideSchema>
export type ServiceVerbs = z.infer<typeof ServiceVerbsSchema>
/** A family of event names mapped by one rule, keyed `<prefix>:<regex on the event name>`. */
export interface EventPattern {
  key: string
  prefix: string
  match: RegExp
  actions: readonly string[]
  why: string
}
export type DependentRules = z.infer<typeof DependentFileSchema>

/** Everything the mapper needs besides the catalog. Keys of maps are lower-cased for lookup. */
export interface Overrides {
  /** eventSource host (lower case) -> IAM prefix and why. */
  renames: ReadonlyMap<string, { prefix: string; why: string }>
  /** IAM prefix -> the one trailing version token CloudTrail adds to its event names. */
  versionSuffixes: ReadonlyMap<string, { pattern: RegExp; why: string }>
  /** `prefix:eventname` (lower case) -> rule. */
  events: ReadonlyMap<string, EventOverride & { key: string }>
  /** Event-name families (SQS batches, Compute Optimizer exports), tried after `events`. */
  patterns: readonly EventPattern[]
  /** IAM prefix -> eventName -> HTTP verb actions (API Gateway). */
  httpVerbs: ReadonlyMap<string, ServiceVerbs>
  /** `prefix:eventname` (lower case) -> why it needs no permission. */
  permissionless: ReadonlyMap<string, { key: string; why: string; serviceEvent: boolean }>
  dependent: DependentRules
}

/** The JSON shape of the four files, for callers who want to add their own entries. */
export interface OverrideFiles {
  eventSources: unknown
  events: unknown
  permissionless: unknown
  dependent: unknown
}

const BUNDLED: OverrideFiles = {
  eventSources: eventSourcesJson,
  events: eventsJson,
  permissionless: permissionlessJson,
  dependent: dependentJson,
}

function parse<T>(schema: z.ZodType<T>, value: unknown, file: string): T {
  const result = schema.safeParse(value)
  if (!result.success) {
    throw new ScopedownError('CONFIG_INVALID', `invalid mapping overrides in ${file}`, {
      hint: z.prettifyError(result.error),
    })
  }
  return result.data
}

/** Keys starting with `$` are comments inside the JSON maps. */
function entries<T>(record: Readonly<Record<string, T>>): [string, T][] {
  return Object.entries(record).filter(([key]) => !key.startsWith('$'))
}

/**
 * Validates override files and indexes them for the mapper. With no argument, the bundled files.
 * Throws ScopedownError('CONFIG_INVALID') for user-supplied files that do not validate.
 */
export function loadOverrides(files: OverrideFiles = BUNDLED): Overrides {
  const sources = parse(EventSourcesFileSchema, files.eventSources, 'event-sources.json')
  const events = parse(EventsFileSchema, files.events, 'events.json')
  const permissionless = parse(
    PermissionlessFileSchema,
    files.permissionless,
    'permissionless.json',
  )
  const dependent = parse(DependentFileSchema, files.dependent, 'dependent.json')

  const versionSuffixes = new Map<string, { pattern: RegExp; why: string }>()
  for (const [prefix, suffix] of entries(sources.versionSuffixes)) {
    versionSuffixes.set(prefix.toLowerCase(), {
      pattern: new RegExp(suffix.pattern),
      why: suffix.why,
    })
  }
  const permissionlessMap = new Map<string, { key: string; why: string; serviceEvent: boolean }>()
  for (const [key, text] of entries(permissionless.calls)) {
    permissionlessMap.set(key.toLowerCase(), { key, why: text, serviceEvent: false })
  }
  for (const [key, text] of entries(permissionless.serviceEvents)) {
    permissionlessMap.set(key.toLowerCase(), { key, why: text, serviceEvent: true })
  }
  return {
    renames: new Map(entries(sources.renames).map(([host, r]) => [host.toLowerCase(), r])),
    versionSuffixes,
    events: new Map(entries(events.events).map(([key, e]) => [key.toLowerCase(), { ...e, key }])),
    patterns: entries(events.patterns ?? {}).map(([key, p]) => {
      const colon = key.indexOf(':')
      return {
        key,
        prefix: key.slice(0, colon).toLowerCase(),
        match: new RegExp(key.slice(colon + 1)),
        actions: p.actions,
        why: p.why,
      }
    }),
    httpVerbs: new Map(entries(events.httpVerbs).map(([prefix, v]) => [prefix.toLowerCase(), v])),
    permissionless: permissionlessMap,
    dependent,
  }
}

let bundled: Overrides | undefined

/** The bundled overrides, validated once per process. A failure here is a bug in the repo's data. */
export function bundledOverrides(): Overrides {
  if (!bundled) {
    try {
      bundled = loadOverrides()
    } catch (error) {
      throw new InvariantError(
        `bundled mapping overrides are invalid: ${error instanceof ScopedownError ? error.hint : String(error)}`,
      )
    }
  }
  return bundled
}
