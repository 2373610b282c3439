import { readFile } from 'node:fs/promises'
import { basename, isAbsolute, join } from 'node:path'
import type { Config } from '../config/schema.js'
import type { PolicyDocument } from '../policy/document.js'
import { parsePolicy } from '../policy/parse.js'
import { errorMessage, ScopedownError } from '../util/errors.js'
import { FULL_AWS_ACCESS } from './role-policies.js'

/** The SCPs of one account, one list per OU level from the root down, or why they cannot be read. */
export type AccountScps =
  | { ok: true; levels: PolicyDocument[][]; names?: string[][] }
  | { ok: false; reason: string }

/**
 * Reads the config's SCP files for every account, each distinct file once. A file that cannot be
 * read or parsed fails only the accounts whose levels name it: their roles cannot be judged
 * against what AWS enforces, the rest of the batch goes on.
 */
export async function loadAccountScps(
  config: Config,
  accountIds: readonly string[],
): Promise<Map<string, AccountScps>> {
  const files = new Map<string, Promise<PolicyDocument>>()
  const read = (file: string) => {
    const path = isAbsolute(file) ? file : join(config.repo.path, file)
    let doc = files.get(path)
    if (!doc) {
      doc = readScpFile(path)
      // Failures are reported per account below; keep the rejection from being unhandled.
      doc.catch(() => undefined)
      files.set(path, doc)
    }
    return doc
  }
  const out = new Map<string, AccountScps>()
  for (const accountId of accountIds) {
    const levels = config.scps.filter(
      (level) => !level.accounts || level.accounts.includes(accountId),
    )
    try {
      const docs = await Promise.all(
        levels.map(async (level) => {
          const scps = await Promise.all(level.files.map(read))
          return level.fullAwsAccess ? [FULL_AWS_ACCESS, ...scps] : scps
        }),
      )
      const names = levels.map((level) => [
        ...(level.fullAwsAccess ? ['FullAWSAccess'] : []),
        ...level.files.map((file) => basename(file)),
      ])
      out.set(accountId, { ok: true, levels: docs, names })
    } catch (error) {
      out.set(accountId, { ok: false, reason: errorMessage(error) })
    }
  }
  return out
}

async function readScpFile(path: string): Promise<PolicyDocument> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (cause) {
    throw new ScopedownError(
      'INPUT_INVALID',
      `cannot read the SCP file ${path}: ${ioText(cause)}`,
      {
        cause,
        hint: 'check scps[].files in the config (paths are relative to repo.path)',
      },
    )
  }
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (cause) {
    throw new ScopedownError(
      'INPUT_INVALID',
      `the SCP file ${path} is not valid JSON: ${errorMessage(cause)}`,
    )
  }
  return parsePolicy(json, { label: path })
}

function ioText(error: unknown): string {
  const code = typeof error === 'object' && error && 'code' in error ? String(error.code) : ''
  return code === 'ENOENT'
    ? 'no such file'
    : code === 'EACCES'
      ? 'permission denied'
      : errorMessage(error)
}
