import { z } from 'zod'
import type { IamAction } from '../model.js'
import { closest } from '../util/closest.js'
import { ScopedownError } from '../util/errors.js'
import { type ActionCatalog, patternToRegExp } from './catalog.js'
import observabilityJson from './overrides/observability.json' with { type: 'json' }
import { bundledOverrides } from './overrides.js'

/**
 * Can the absence of an action in the logs be trusted? The planner removes an unused action only
 * when the answer is yes; everything else is kept as "unobservable". Classes:
 * - `management`: logged as a management event, trusted when the trail logs that kind (read/write)
 *   of management event for the service;
 * - `data`: logged only when the trail's event selectors capture its data-event resource type;
 * - `unlogged`: never logged as its own event (iam:PassRole, forward-access KMS use ...);
 * - `unknown`: not in the catalog, so nothing can be said.
 * The tables live in src/usage/overrides/observability.json; the trail's side comes from config or a
 * saved `aws cloudtrail get-event-selectors` answer (parseEventSelectors).
 */
export type ObservabilityClass = 'management' | 'data' | 'unlogged' | 'unknown'

export interface ActionObservability {
  action: IamAction
  class: ObservabilityClass
  /** True when "not seen in the window" may be read as "not used". */
  trusted: boolean
  reason: string
  /** For data actions: the CloudTrail `resources.type` values that log it (all are needed). */
  dataResourceTypes?: readonly string[]
  /** For data actions logged for some resources only: the ARN prefixes the trail covers. */
  coveredArnPrefixes?: readonly string[]
}

/** One way a trail logs management events. Several selectors (or trails) are a union. */
export interface ManagementSelector {
  read: boolean
  write: boolean
  /** eventSource hosts left out (CloudTrail allows kms.amazonaws.com and rdsdata.amazonaws.com). */
  excludedSources: readonly string[]
  /** Set when a filter leaves out events we cannot enumerate (says which). */
  partial?: string
}

/** One data-event resource type a trail logs. */
export interface DataSelector {
  resourceType: string
  read: boolean
  write: boolean
  /** Only resources whose ARN starts with one of these; undefined = every resource. */
  arnPrefixes?: readonly string[]
  partial?: string
}

/** What a trail (or several) records, normalised from config or from get-event-selectors. */
export interface TrailLogging {
  description: string
  management: readonly ManagementSelector[]
  data: readonly DataSelector[]
}

/** A trail created with defaults: every management event, no data events. */
export const DEFAULT_TRAIL_LOGGING: TrailLogging = {
  description: 'default trail: all management events, no data events',
  management: [{ read: true, write: true, excludedSources: [] }],
  data: [],
}

/**
 * CloudTrail Event history / LookupEvents: management events only, never data events (Q58),
 * whatever the trails log.
 */
export const LOOKUP_EVENTS_LOGGING: TrailLogging = {
  description: 'CloudTrail LookupEvents: management events only',
  management: [{ read: true, write: true, excludedSources: [] }],
  data: [],
}

export interface ObservabilityModel {
  readonly logging: TrailLogging
  classify(action: IamAction): ActionObservability
}

const DataFileSchema = z.object({
  $comment: z.string().optional(),
  dataEvents: z.array(
    z.object({ resourceType: z.string(), actions: z.array(z.string()), why: z.string() }).strict(),
  ),
  unlogged: z.record(z.string(), z.string()),
  unloggedServices: z.record(z.string(), z.string()),
})

interface Tables {
  dataEvents: { resourceType: string; patterns: RegExp[]; why: string }[]
  unlogged: { pattern: RegExp; why: string }[]
  unloggedServices: ReadonlyMap<string, string>
}

function loadTables(): Tables {
  const data = DataFileSchema.parse(observabilityJson)
  return {
    dataEvents: data.dataEvents.map((d) => ({
      resourceType: d.resourceType,
      patterns: d.actions.map(patternToRegExp),
      why: d.why,
    })),
    unlogged: Object.entries(data.unlogged).map(([p, why]) => ({
      pattern: patternToRegExp(p),
      why,
    })),
    unloggedServices: new Map(Object.entries(data.unloggedServices)),
  }
}

/** Reads permissions access levels as CloudTrail's readOnly flag: Read and List are reads. */
function isReadOnly(accessLevel: string): boolean {
  return !/write|tagging|permissions/i.test(accessLevel)
}

/** Builds the model for one trail configuration (default: management events only). */
export function createObservability(
  catalog: ActionCatalog,
  logging: TrailLogging = DEFAULT_TRAIL_LOGGING,
): ObservabilityModel {
  const tables = loadTables()
  const renames = bundledOverrides().renames
  const prefixOf = (host: string) =>
    renames.get(host.toLowerCase())?.prefix ?? host.toLowerCase().replace(/\.amazonaws\.com$/, '')

  function classify(action: IamAction): ActionObservability {
    const info = catalog.get(action)
    if (!info) {
      return { action, class: 'unknown', trusted: false, reason: 'not in the IAM action catalog' }
    }
    const name = info.action
    const unlogged = tables.unlogged.find((u) => u.pattern.test(name))
    const serviceWhy = tables.unloggedServices.get(info.service)
    if (unlogged || serviceWhy) {
      return {
        action: name,
        class: 'unlogged',
        trusted: false,
        reason: unlogged?.why ?? serviceWhy ?? '',
      }
    }
    const read = isReadOnly(info.accessLevel)
    const kinds = tables.dataEvents.filter((d) => d.patterns.some((p) => p.test(name)))
    if (kinds.length > 0) return classifyData(name, read, kinds)

    const rw = read ? 'read' : 'write'
    const full = logging.management.find(
      (m) => m[rw] && !m.partial && !m.excludedSources.some((s) => prefixOf(s) === info.service),
    )
    if (full) {
      return {
        action: name,
        class: 'management',
        trusted: true,
        reason: `logged as a ${rw} management event`,
      }
    }
    const why = logging.management.find((m) => m[rw])?.partial
    return {
      action: name,
      class: 'management',
      trusted: false,
      reason: why
        ? `the trail filters management events (${why})`
        : `the trail does not log ${rw} management events of ${info.service}`,
    }
  }

  function classifyData(
    action: IamAction,
    read: boolean,
    kinds: Tables['dataEvents'],
  ): ActionObservability {
    const types = kinds.map((k) => k.resourceType)
    const rw = read ? 'read' : 'write'
    const prefixes: string[] = []
    const missing: string[] = []
    for (const type of types) {
      const selectors = logging.data.filter((d) => d.resourceType === type && d[rw])
      if (selectors.some((s) => !s.arnPrefixes && !s.partial)) continue
      missing.push(type)
      for (const s of selectors) if (!s.partial) prefixes.push(...(s.arnPrefixes ?? []))
    }
    const base = { action, class: 'data' as const, dataResourceTypes: types }
    if (missing.length === 0) {
      return {
        ...base,
        trusted: true,
        reason: `the trail logs ${rw} data events of ${types.join(', ')}`,
      }
    }
    return {
      ...base,
      trusted: false,
      reason: `${kinds[0]?.why ?? 'data event'}; the trail does not log all ${rw} data events of ${missing.join(', ')}`,
      ...(prefixes.length > 0 ? { coveredArnPrefixes: [...new Set(prefixes)].sort() } : {}),
    }
  }

  // The planner asks about every granted action of every role: answer each action once per model.
  const answers = new Map<string, ActionObservability>()
  const remembered = (action: IamAction) => {
    let answer = answers.get(action)
    if (!answer) {
      answer = classify(action)
      answers.set(action, answer)
    }
    return answer
  }
  return { logging, classify: remembered }
}

// ---------------------------------------------------------------------------------------------
// Trail configuration: from scopedown config

/** Config form: which data events the trail records, e.g. `{ dataEvents: ['AWS::S3::Object'] }`. */
export interface TrailLoggingConfig {
  /** `AWS::...` resource types, IAM service prefixes (`s3`: all of its data types), or selectors. */
  dataEvents?: readonly (
    | string
    | { resourceType: string; arnPrefixes?: readonly string[]; readOnly?: boolean }
  )[]
  managementEvents?: 'all' | 'read-only' | 'write-only' | 'none'
  excludeManagementEventSources?: readonly string[]
}

/** The data event resource types scopedown knows (`AWS::S3::Object` ...), sorted. */
export function knownDataEventTypes(): string[] {
  return [...new Set(loadTables().dataEvents.map((d) => d.resourceType))].sort()
}

export function trailLoggingFromConfig(config: TrailLoggingConfig): TrailLogging {
  const tables = loadTables()
  const mode = config.managementEvents ?? 'all'
  const management: ManagementSelector[] =
    mode === 'none'
      ? []
      : [
          {
            read: mode !== 'write-only',
            write: mode !== 'read-only',
            excludedSources: [...(config.excludeManagementEventSources ?? [])],
          },
        ]
  const data: DataSelector[] = []
  for (const entry of config.dataEvents ?? []) {
    if (typeof entry !== 'string') {
      data.push({
        resourceType: entry.resourceType,
        read: entry.readOnly !== false,
        write: entry.readOnly !== true,
        ...(entry.arnPrefixes ? { arnPrefixes: [...entry.arnPrefixes] } : {}),
      })
    } else if (entry.startsWith('AWS::')) {
      const known = tables.dataEvents.map((d) => d.resourceType)
      if (!known.includes(entry)) {
        const near = closest(entry, known)
        throw new ScopedownError(
          'CONFIG_INVALID',
          `dataEvents: '${entry}' is not a CloudTrail data event resource type${near ? `: did you mean '${near}'?` : ''}`,
          {
            hint: `known types include ${known.slice(0, 6).join(', ')} ...; or use a service prefix such as s3`,
          },
        )
      }
      data.push({ resourceType: entry, read: true, write: true })
    } else {
      const types = tables.dataEvents.filter((d) =>
        d.patterns.some((p) => p.source.toLowerCase().startsWith(`^${entry.toLowerCase()}:`)),
      )
      if (types.length === 0) {
        throw new ScopedownError('CONFIG_INVALID', `dataEvents: '${entry}' has no data events`, {
          hint: 'use a CloudTrail resources.type such as AWS::S3::Object, or a service prefix such as s3',
        })
      }
      for (const t of types) data.push({ resourceType: t.resourceType, read: true, write: true })
    }
  }
  return { description: 'from scopedown config', management, data }
}

// ---------------------------------------------------------------------------------------------
// Trail configuration: from `aws cloudtrail get-event-selectors`

const FieldSelectorSchema = z.object({
  Field: z.string(),
  Equals: z.array(z.string()).optional(),
  StartsWith: z.array(z.string()).optional(),
  EndsWith: z.array(z.string()).optional(),
  NotEquals: z.array(z.string()).optional(),
  NotStartsWith: z.array(z.string()).optional(),
  NotEndsWith: z.array(z.string()).optional(),
})
type FieldSelector = z.infer<typeof FieldSelectorSchema>

const SelectorsAnswerSchema = z.object({
  TrailARN: z.string().optional(),
  EventSelectors: z
    .array(
      z.object({
        ReadWriteType: z.enum(['ReadOnly', 'WriteOnly', 'All']).optional(),
        IncludeManagementEvents: z.boolean().optional(),
        DataResources: z
          .array(z.object({ Type: z.string(), Values: z.array(z.string()).optional() }))
          .optional(),
        ExcludeManagementEventSources: z.array(z.string()).optional(),
      }),
    )
    .optional(),
  AdvancedEventSelectors: z
    .array(z.object({ Name: z.string().optional(), FieldSelectors: z.array(FieldSelectorSchema) }))
    .optional(),
})
type SelectorsAnswer = z.infer<typeof SelectorsAnswerSchema>

/**
 * Parses the JSON printed by `aws cloudtrail get-event-selectors --trail-name X` (basic or
 * advanced selectors), or an array of such answers (several trails: a union). Anything a filter
 * leaves out that we cannot enumerate makes that part `partial`, i.e. not trusted.
 * Throws ScopedownError('INPUT_INVALID') for JSON of another shape.
 */
export function parseEventSelectors(json: unknown): TrailLogging {
  const answers = Array.isArray(json) ? json : [json]
  const management: ManagementSelector[] = []
  const data: DataSelector[] = []
  const names: string[] = []
  for (const [i, raw] of answers.entries()) {
    const parsed = SelectorsAnswerSchema.safeParse(raw)
    const answer: SelectorsAnswer | undefined = parsed.success ? parsed.data : undefined
    if (!answer || (!answer.EventSelectors && !answer.AdvancedEventSelectors)) {
      throw new ScopedownError(
        'INPUT_INVALID',
        `event selectors #${i + 1}: not a get-event-selectors answer`,
        {
          hint: 'save the output of `aws cloudtrail get-event-selectors --trail-name <trail>` as JSON',
        },
      )
    }
    names.push(answer.TrailARN ?? `trail #${i + 1}`)
    for (const selector of answer.EventSelectors ?? []) {
      const rw = selector.ReadWriteType ?? 'All'
      const read = rw !== 'WriteOnly'
      const write = rw !== 'ReadOnly'
      if (selector.IncludeManagementEvents !== false) {
        management.push({
          read,
          write,
          excludedSources: selector.ExcludeManagementEventSources ?? [],
        })
      }
      for (const resource of selector.DataResources ?? []) {
        const values = resource.Values ?? []
        const all = values.some((v) => /^arn:[^:]+:[a-z0-9-]+(:::)?$/.test(v))
        if (all) data.push({ resourceType: resource.Type, read, write })
        else if (values.length > 0)
          data.push({ resourceType: resource.Type, read, write, arnPrefixes: values })
      }
    }
    for (const selector of answer.AdvancedEventSelectors ?? []) {
      parseAdvanced(selector.FieldSelectors, management, data)
    }
  }
  return { description: `event selectors of ${names.join(', ')}`, management, data }
}

function parseAdvanced(
  fields: readonly FieldSelector[],
  management: ManagementSelector[],
  data: DataSelector[],
): void {
  const byName = new Map(fields.map((f) => [f.Field, f]))
  const category = byName.get('eventCategory')?.Equals?.[0]
  const readOnly = byName.get('readOnly')
  const onlyRead = readOnly?.Equals?.includes('true') || readOnly?.NotEquals?.includes('false')
  const onlyWrite = readOnly?.Equals?.includes('false') || readOnly?.NotEquals?.includes('true')
  const read = !onlyWrite
  const write = !onlyRead
  const other = fields.filter(
    (f) =>
      !['eventCategory', 'readOnly', 'resources.type', 'resources.ARN', 'eventSource'].includes(
        f.Field,
      ),
  )
  const partialBy = (list: readonly FieldSelector[]) =>
    list.length > 0 ? `filters on ${list.map((f) => f.Field).join(', ')}` : undefined

  if (category === 'Management') {
    const source = byName.get('eventSource')
    const onlySome = source && (source.Equals || source.StartsWith || source.EndsWith)
    const partial = partialBy(onlySome ? [...other, source] : other)
    management.push({
      read,
      write,
      excludedSources: [...(source?.NotEquals ?? [])],
      ...(partial ? { partial } : {}),
    })
    return
  }
  if (category !== 'Data') return // network activity, Insights ...: not API usage
  const arn = byName.get('resources.ARN')
  const prefixes = arn ? [...(arn.StartsWith ?? []), ...(arn.Equals ?? [])] : undefined
  const excludes = arn && (arn.NotEquals || arn.NotStartsWith || arn.EndsWith || arn.NotEndsWith)
  const partial = partialBy(excludes ? [...other, arn] : other)
  for (const resourceType of byName.get('resources.type')?.Equals ?? []) {
    data.push({
      resourceType,
      read,
      write,
      ...(prefixes && prefixes.length > 0 ? { arnPrefixes: prefixes } : {}),
      ...(partial ? { partial } : {}),
    })
  }
}
