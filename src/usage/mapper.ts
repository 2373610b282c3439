import type { IamAction } from '../model.js'
import { decodeRequestDetails, projectRequestParameters } from '../source/request-details.js'
import type { ActionCatalog } from './catalog.js'
import { buildReverseIndex, compareText } from './mapper-index.js'
import {
  bundledOverrides,
  type DetailTest,
  type EventOverride,
  type Overrides,
} from './overrides.js'

/**
 * CloudTrail event -> IAM actions. The mapper never guesses: every action it emits exists in the
 * catalog, and an event it cannot explain comes back `unmapped` (the planner then keeps the whole
 * service). Layers, in order: eventSource -> IAM prefix; CloudTrail's version suffixes; names that
 * need no permission; the overrides table (src/usage/overrides/*.json); the same-named catalog
 * action; API Gateway's HTTP verbs; then permissions the request implies (iam:PassRole,
 * tag-on-create, Lambda layers). Pure and synchronous once the catalog is loaded.
 */
export interface ActionMapper {
  /** The catalog the mapping was checked against, printed with every result. */
  readonly catalogVersion: string
  map(input: MapInput): MappingResult
  /** The IAM service prefix an eventSource authorises against (`monitoring.amazonaws.com` -> `cloudwatch`). */
  servicePrefix(eventSource: string): string
  /** Which events can produce `action`, and why (for `scopedown explain-action`). */
  eventsFor(action: IamAction): readonly EventRef[]
}

export type MappingStatus = 'mapped' | 'permissionless' | 'unmapped'

export interface MappedAction {
  action: IamAction
  /** ARNs the action was exercised on, when known; absent = not known (never "none"). */
  resources?: string[]
  /** Why this action is here when the event name alone does not say so. */
  note?: string
}

export interface MappingResult {
  status: MappingStatus
  /** Sorted by action; empty unless status is `mapped`. */
  actions: MappedAction[]
  note?: string
}

/** One entry of CloudTrail's `resources[]`, or a bare ARN. */
export type EventResource = { ARN?: string; type?: string } | string

export interface MapInput {
  eventSource: string
  eventName: string
  /** The raw CloudTrail `requestParameters`; projected through REQUEST_DETAIL_PATHS. */
  requestParameters?: Readonly<Record<string, unknown>> | null
  /** Already projected request details (ApiCall.details[].params); wins over requestParameters. */
  details?: Readonly<Record<string, unknown>>
  resources?: readonly EventResource[]
  apiVersion?: string
  /** `userIdentity.invokedBy`: the AWS service that made the call on the principal's behalf. */
  invokedBy?: string
  /** `AwsApiCall`, `AwsServiceEvent`, `AwsConsoleSignIn` ... when the whole record is known. */
  eventType?: string
}

export interface EventRef {
  eventSource: string
  eventName: string
  via: 'same-name' | 'override' | 'http-verb' | 'dependent'
  why?: string
}

const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/.+/
const HIDDEN = 'HIDDEN_DUE_TO_SECURITY_REASONS'

/** Builds the mapper. `overrides` defaults to the bundled tables in src/usage/overrides/. */
export function createActionMapper(
  catalog: ActionCatalog,
  overrides: Overrides = bundledOverrides(),
): ActionMapper {
  const fitsResource = createResourceFit(catalog)
  let reverse: Map<string, EventRef[]> | undefined

  function servicePrefix(eventSource: string): string {
    const host = normalizeEventSource(eventSource)
    return overrides.renames.get(host)?.prefix ?? host.replace(/\.amazonaws\.com$/, '')
  }

  function map(input: MapInput): MappingResult {
    const host = normalizeEventSource(input.eventSource)
    const prefix = servicePrefix(host)
    const notes: string[] = []
    let name = input.eventName.trim()
    if (!name || !prefix) return unmapped('the event has no eventSource or eventName')
    const suffix = overrides.versionSuffixes.get(prefix)?.pattern.exec(name)
    if (suffix?.[1]) {
      notes.push(`CloudTrail version suffix stripped: ${name} -> ${suffix[1]}`)
      name = suffix[1]
    }
    const key = `${prefix}:${name}`.toLowerCase()
    const free = overrides.permissionless.get(key)
    if (free) return permissionless(free.why)
    if (input.eventType === 'AwsServiceEvent' || input.eventType === 'AwsConsoleSignIn') {
      return permissionless(`${input.eventType}: not an API call the principal made`)
    }

    const details = resolveDetails(input)
    const actions = new ActionSet(catalog)
    const override = overrides.events.get(key)
    const pattern = override ? undefined : matchPattern(prefix, name)
    if (override) applyOverride(override, details, actions)
    else if (pattern) for (const action of pattern) actions.add(action)
    else if (catalog.get(`${prefix}:${name}`)) actions.add(`${prefix}:${name}`)
    else applyHttpVerbs(prefix, name, actions)

    if (actions.size === 0) {
      notes.push(
        actions.dropped.length > 0
          ? `the catalog has none of ${actions.dropped.join(', ')}`
          : catalog.hasService(prefix)
            ? `no IAM action ${prefix}:${name} in the catalog and no override for it`
            : `no IAM service '${prefix}' in the catalog for eventSource ${host}`,
      )
      return unmapped(notes.join('; '))
    }
    addPassRole(prefix, key, override, details, actions)
    addTagOnCreate(prefix, key, details, actions)
    addLambdaLayers(key, details, actions)
    if (details === undefined) {
      notes.push('request parameters not given: request-dependent actions were not evaluated')
    }
    const invokedBy = input.invokedBy ?? stringValue(details?.invokedBy)
    if (invokedBy) {
      const fas = overrides.dependent.forwardAccess.services.includes(prefix)
      notes.push(invokedByNote(invokedBy, fas))
    }

    const arns = resourceArns(input.resources)
    const result = actions.toList().map((entry) => {
      const keyField = override?.keyFields?.[entry.action]
      const explicit = entry.resources ?? (keyField ? keyResources(details?.[keyField], arns) : [])
      const resources =
        explicit.length > 0 ? explicit : arns.filter((arn) => fitsResource(entry.action, arn))
      return {
        action: entry.action,
        ...(resources.length > 0 ? { resources: [...new Set(resources)].sort() } : {}),
        ...(entry.note ? { note: entry.note } : {}),
      }
    })
    return {
      status: 'mapped',
      actions: result,
      ...(notes.length ? { note: notes.join('; ') } : {}),
    }
  }

  function applyOverride(
    override: EventOverride,
    details: Details | undefined,
    actions: ActionSet,
  ): void {
    for (const action of override.actions ?? []) {
      const note = override.notes?.[action]
      actions.add(action, note ? { note } : {})
    }
    for (const rule of override.rules ?? []) {
      const outcome = evaluate(rule.when, details)
      if (outcome === true) for (const a of rule.add) actions.add(a)
      else if (outcome === false) for (const a of rule.otherwise ?? []) actions.add(a)
      else if (rule.unknownRequest !== 'skip') {
        // Unknown request: keep every alternative, so no used permission is dropped.
        const note = `possible: depends on ${rule.when.field} in the request, which is not known`
        for (const a of [...rule.add, ...(rule.otherwise ?? [])]) actions.add(a, { note })
      }
    }
  }

  /** The actions of the first event-name family `name` belongs to, `$1` filled in. */
  function matchPattern(prefix: string, name: string): string[] | undefined {
    for (const pattern of overrides.patterns) {
      const match = pattern.prefix === prefix ? pattern.match.exec(name) : null
      if (match) return pattern.actions.map((a) => a.replace(/\$1/g, match[1] ?? ''))
    }
    return undefined
  }

  function applyHttpVerbs(prefix: string, name: string, actions: ActionSet): void {
    const service = overrides.httpVerbs.get(prefix)
    const entry = service?.verbs.find((v) => new RegExp(v.match).test(name))
    for (const verb of entry?.verbs ?? []) actions.add(`${prefix}:${verb}`)
  }

  function addPassRole(
    prefix: string,
    key: string,
    override: EventOverride | undefined,
    details: Details | undefined,
    actions: ActionSet,
  ): void {
    const rules = overrides.dependent.passRole
    const arns: string[] = []
    const unscoped: string[] = []
    if (override?.passRole === 'possible') unscoped.push('the roles it passes are not in the event')
    if (details && !rules.notForPrefixes.includes(prefix) && !rules.notForEvents.includes(key)) {
      for (const field of rules.roleFields) {
        for (const value of stringValues(details[field])) {
          if (ROLE_ARN.test(value)) arns.push(value)
          else if (value === HIDDEN) unscoped.push(`${field} is hidden by CloudTrail`)
          else if (
            /^[\w+=,.@/-]{1,512}$/.test(value) &&
            (field !== 'role' || rules.roleNamePrefixes.includes(prefix))
          ) {
            unscoped.push(`${field} names role "${value}" without its ARN`)
          }
        }
      }
      for (const field of rules.instanceProfileFields) {
        const profile = instanceProfileName(details[field])
        if (profile) {
          unscoped.push(
            `instance profile ${profile}: the role it holds is not in the event, so the PassRole target is unknown`,
          )
        }
      }
      for (const field of rules.hiddenRoleFields) {
        if (isPresent(details[field])) unscoped.push(`${field} may carry an instance profile`)
      }
    }
    if (arns.length === 0 && unscoped.length === 0) return
    if (unscoped.length > 0) {
      actions.add('iam:PassRole', { note: `unscoped: ${unscoped.join('; ')}` })
    } else {
      actions.add('iam:PassRole', { resources: arns, note: 'passes the role named in the request' })
    }
  }

  function addTagOnCreate(
    prefix: string,
    key: string,
    details: Details | undefined,
    actions: ActionSet,
  ): void {
    const rules = overrides.dependent.tagOnCreate
    if (!details || rules.notForPrefixes.includes(prefix)) return
    if (!rules.fields.some((field) => isPresent(details[field]))) return
    // A tagging call (TagResource, CreateTags ...) already is its own tagging action.
    const isTagging = (a: { action: string }) =>
      /tagging/i.test(catalog.get(a.action)?.accessLevel ?? '')
    if (actions.toList().some(isTagging)) return
    const eventKey = Object.keys(rules.byEvent).find((k) => k.toLowerCase() === key)
    const candidates = (eventKey ? rules.byEvent[eventKey] : undefined) ??
      rules.byService[prefix] ?? [`${prefix}:${rules.defaultAction}`]
    for (const action of candidates) {
      actions.add(action, { note: 'tags given on create (tag-on-create)' })
    }
  }

  function addLambdaLayers(key: string, details: Details | undefined, actions: ActionSet): void {
    const rules = overrides.dependent.lambdaLayers
    if (!details || !rules.events.some((e) => e.toLowerCase() === key)) return
    const layers = stringValues(details[rules.field]).filter((v) => v.startsWith('arn:'))
    if (layers.length > 0) {
      actions.add(rules.action, { resources: layers, note: 'function uses layers' })
    }
  }

  function eventsFor(action: IamAction): readonly EventRef[] {
    reverse ??= buildReverseIndex(catalog, overrides, servicePrefix)
    const info = catalog.get(action)
    return reverse.get((info?.action ?? action).toLowerCase()) ?? []
  }

  return { catalogVersion: catalog.version, map, servicePrefix, eventsFor }
}

// ---------------------------------------------------------------------------------------------
// Request details

type Details = Readonly<Record<string, unknown>>

function resolveDetails(input: MapInput): Details | undefined {
  if (input.details) return decodeRequestDetails(input.details)
  if (input.requestParameters === undefined) return undefined
  return projectRequestParameters(input.requestParameters ?? {})
}

function isPresent(value: unknown): boolean {
  if (value === undefined || value === null || value === '' || value === false) return false
  if (Array.isArray(value)) return value.length > 0
  if (typeof value === 'object') return Object.keys(value).length > 0
  return true
}

/** true/false when the request decides the test, 'unknown' when it cannot. */
function evaluate(test: DetailTest, details: Details | undefined): boolean | 'unknown' {
  if (!details) return 'unknown'
  const value = details[test.field]
  if ('present' in test) return isPresent(value) === test.present
  if (!isPresent(value)) return test.ifAbsent === 'no-match' ? false : 'unknown'
  const re = new RegExp(test.matches, 'i')
  return textValues(value).some((text) => re.test(text))
}

function textValues(value: unknown): string[] {
  if (typeof value === 'string') return [value]
  if (Array.isArray(value)) return value.flatMap(textValues)
  return [JSON.stringify(value)]
}

function stringValue(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined
}

/** Strings in a value: itself, the members of an array, or an `{arn}`/`{name}` object. */
function stringValues(value: unknown): string[] {
  if (typeof value === 'string') return value ? [value] : []
  if (Array.isArray(value)) return value.flatMap(stringValues)
  if (value && typeof value === 'object') {
    const record = value as Record<string, unknown>
    return stringValues(record.arn ?? record.Arn ?? record.name ?? record.Name)
  }
  return []
}

/** `{arn: '...:instance-profile/p'}`, `{name: 'p'}` or a bare name -> a readable profile name. */
function instanceProfileName(value: unknown): string | undefined {
  const text = stringValues(value)[0]
  return text ? text.replace(/^arn:[^:]+:iam::\d*:instance-profile\//, '') : undefined
}

function invokedByNote(invokedBy: string, forwardAccess: boolean): string {
  if (invokedBy === 'AWS Internal') return "made by AWS internally on the principal's behalf"
  return forwardAccess
    ? `called by ${invokedBy} with the principal's identity (forward access session): counts as the principal's use`
    : `invoked by ${invokedBy} on the principal's behalf`
}

// ---------------------------------------------------------------------------------------------
// Resources

function resourceArns(resources: readonly EventResource[] | undefined): string[] {
  const arns = (resources ?? []).map((r) => (typeof r === 'string' ? r : r.ARN))
  return arns.filter((arn): arn is string => typeof arn === 'string' && arn.startsWith('arn:'))
}

/** ARNs among `arns` naming the KMS key in `value` (a key id, alias or ARN). */
function keyResources(value: unknown, arns: readonly string[]): string[] {
  const id = stringValue(value)
  if (!id) return []
  if (id.startsWith('arn:')) return [id]
  return arns.filter((arn) => arn.endsWith(`/${id}`))
}

/**
 * Whether an ARN names a resource type the action accepts. The ARN is matched against the
 * catalog's ARN templates of the action's service; the most specific template wins, so a bucket
 * ARN is a `bucket` and `bucket/key` is an `object`.
 */
function createResourceFit(catalog: ActionCatalog): (action: IamAction, arn: string) => boolean {
  const templates = new Map<string, { name: string; re: RegExp; literal: number }[]>()
  function compiled(service: string) {
    let list = templates.get(service)
    if (!list) {
      list = (catalog.resourceTypes?.(service) ?? []).map(({ name, arn }) => ({
        name: name.toLowerCase(),
        re: templateToRegExp(arn),
        literal: arn.replace(/\$\{[^}]+\}/g, '').length,
      }))
      templates.set(service, list)
    }
    return list
  }
  return (action, arn) => {
    const info = catalog.get(action)
    if (!info || info.resourceTypes.length === 0) return false
    const matches = compiled(info.service).filter((t) => t.re.test(arn))
    const best = Math.max(...matches.map((t) => t.literal))
    const accepted = new Set(info.resourceTypes.map((t) => t.toLowerCase()))
    return matches.some((t) => t.literal === best && accepted.has(t.name))
  }
}

/** `arn:${Partition}:s3:::${BucketName}` -> a regex; partition, region and account stay in their field. */
function templateToRegExp(template: string): RegExp {
  // split() with a capture group puts the variable names at the odd indexes.
  const body = template
    .split(/\$\{([^}]+)\}/)
    .map((part, i) => {
      if (i % 2 === 0) return part.replace(/[.*+?^$()|[\]\\{}]/g, '\\$&')
      if (part === 'Partition') return '[^:]+'
      if (part === 'Region' || part === 'Account') return '[^:]*'
      return '.+'
    })
    .join('')
  return new RegExp(`^${body}$`)
}

// ---------------------------------------------------------------------------------------------
// Helpers

function normalizeEventSource(eventSource: string): string {
  const host = eventSource.trim().toLowerCase()
  return host.includes('.') || host === '' ? host : `${host}.amazonaws.com`
}

function unmapped(note: string): MappingResult {
  return { status: 'unmapped', actions: [], note }
}

function permissionless(note: string): MappingResult {
  return { status: 'permissionless', actions: [], note }
}

/** Collects actions in catalog casing; names the catalog does not know are dropped, not invented. */
class ActionSet {
  readonly #catalog: ActionCatalog
  readonly #entries = new Map<string, { action: IamAction; resources?: string[]; note?: string }>()
  readonly dropped: string[] = []

  constructor(catalog: ActionCatalog) {
    this.#catalog = catalog
  }

  get size(): number {
    return this.#entries.size
  }

  add(action: string, extra: { resources?: readonly string[]; note?: string } = {}): void {
    const info = this.#catalog.get(action)
    if (!info) {
      this.dropped.push(action)
      return
    }
    const existing = this.#entries.get(info.action)
    if (!existing) {
      this.#entries.set(info.action, {
        action: info.action,
        ...(extra.resources ? { resources: [...extra.resources] } : {}),
        ...(extra.note ? { note: extra.note } : {}),
      })
      return
    }
    // Seen twice: a certain mention beats a "possible" one; resources only when both name them.
    if (!extra.note) delete existing.note
    if (existing.resources && extra.resources) existing.resources.push(...extra.resources)
    else delete existing.resources
  }

  toList() {
    return [...this.#entries.values()].sort((a, b) => compareText(a.action, b.action))
  }
}
