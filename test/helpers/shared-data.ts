import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

/**
 * The public data the tests may read (`../shared/data` beside the checkout, as on developers'
 * machines and in CI; override with SCOPEDOWN_SHARED_DATA). Tests that need it skip, saying so,
 * when it is absent.
 */
export const SHARED_DATA =
  process.env.SCOPEDOWN_SHARED_DATA ??
  fileURLToPath(new URL('../../../shared/data', import.meta.url))

export const hasSharedData = existsSync(SHARED_DATA)
