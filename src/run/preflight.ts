import { stat } from 'node:fs/promises'
import { isAbsolute, join } from 'node:path'
import type { ConfigIssue } from '../config/load.js'
import type { Config } from '../config/schema.js'
import { trailLoggingFromConfig } from '../usage/observability.js'
import { errorMessage } from '../util/errors.js'

/** A problem `validate-config` and `run` find beyond the schema: a path or a value that is off. */
export interface PreflightIssue extends ConfigIssue {
  /** `fatal`: nothing can run. `account`: only the accounts that use it fail (an SCP file). */
  scope: 'fatal' | 'account'
}

/**
 * Checks what the schema cannot: that the files and folders the config names exist, and that
 * enumerated values (data event types) are known. Run by `validate-config`, and by `run` before
 * any work, so a typo is a clear message rather than a stack half-way through a batch.
 */
export async function preflightConfig(config: Config): Promise<PreflightIssue[]> {
  const issues: PreflightIssue[] = []
  const kind = async (path: string) => {
    const info = await stat(path).catch((error: unknown) => error)
    if (info instanceof Error || !info) return `cannot be read: ${errorMessage(info)}`
    return (info as { isDirectory(): boolean }).isDirectory() ? 'folder' : 'file'
  }
  const repoKind = await kind(config.repo.path)
  if (repoKind !== 'folder') {
    issues.push({
      path: 'repo.path',
      scope: 'fatal',
      message: `${config.repo.path} ${repoKind === 'file' ? 'is a file, not a folder' : repoKind}`,
    })
  }
  if (config.source.type === 'duckdb') {
    for (const [i, path] of config.source.paths.entries()) {
      if (/[*?[{]/.test(path)) continue
      const found = await kind(path)
      if (found !== 'file' && found !== 'folder')
        issues.push({ path: `source.paths.${i}`, scope: 'fatal', message: `${path} ${found}` })
    }
  }
  for (const [level, scp] of config.scps.entries()) {
    for (const [i, file] of scp.files.entries()) {
      const path = isAbsolute(file) ? file : join(config.repo.path, file)
      const found = await kind(path)
      if (found !== 'file') {
        issues.push({
          path: `scps.${level}.files.${i}`,
          scope: 'account',
          message: `${path} ${found === 'folder' ? 'is a folder, not an SCP file' : found}: the roles of ${scp.accounts ? `accounts ${scp.accounts.join(', ')}` : 'every account'} cannot be planned`,
        })
      }
    }
  }
  const selectors = config.rules.eventSelectorsFile
  if (selectors && (await kind(selectors)) !== 'file') {
    issues.push({
      path: 'rules.eventSelectorsFile',
      scope: 'fatal',
      message: `${selectors} ${await kind(selectors)}`,
    })
  }
  try {
    trailLoggingFromConfig({ dataEvents: config.rules.dataEvents })
  } catch (error) {
    issues.push({ path: 'rules.dataEvents', scope: 'fatal', message: errorMessage(error) })
  }
  return issues
}
