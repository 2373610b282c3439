/**
 * Drift of one account, end to end: live IAM read with the account's session, every repository
 * role of the account located, both compared. A role whose repository files cannot be read is a
 * problem named with its file; the account's other roles are still compared.
 */
import type { RoleRef } from '../model.js'
import type { RepoFiles } from '../repo/repo-files.js'
import { lineAndColumn } from '../repo/text.js'
import type { PolicyRepo, RoleLocation } from '../repo/types.js'
import { errorMessage } from '../util/errors.js'
import { type AwsContext, openAccount } from './accounts.js'
import { compareAccount, type DriftDifference, type RepoRoleState, repoRoleState } from './drift.js'
import { type LiveIam, readLiveIam } from './live-iam.js'

/** What drift found in one account. */
export interface AccountDrift {
  accountId: string
  /** Set when the account could not be read at all (its roles are then unchecked). */
  error?: { message: string; hint?: string }
  differences: readonly DriftDifference[]
  /** Repository roles that could not be read: named, with the reason. */
  problems: readonly string[]
  /** The live read, for callers that plan from it as well. */
  live?: LiveIam
}

/** Line numbers from repository files, each file read once. */
export function repoLines(files: RepoFiles) {
  const texts = new Map<string, Promise<string | undefined>>()
  const text = (file: string) => {
    let t = texts.get(file)
    if (!t) {
      t = files.read(file).catch(() => undefined)
      texts.set(file, t)
    }
    return t
  }
  return {
    async prefetch(filesToRead: readonly string[]) {
      await Promise.all(filesToRead.map(text))
    },
    lineOf: async (file: string, offset: number) => {
      const t = await text(file)
      return t === undefined ? undefined : lineAndColumn(t, offset).line
    },
    findLine: async (file: string, needle: string) => {
      const t = await text(file)
      const at = t?.indexOf(needle) ?? -1
      return t === undefined || at < 0 ? undefined : lineAndColumn(t, at).line
    },
  }
}

/** A located role as a {@link RepoRoleState}, with the line of each policy read from its file. */
export async function stateOfLocation(
  location: RoleLocation,
  lines: ReturnType<typeof repoLines>,
): Promise<RepoRoleState | undefined> {
  if (!location.definedIn) return undefined
  const used = [
    (location.definedIn as { file: string }).file,
    ...location.inline.map((p) => p.file),
    ...location.managed.flatMap((m) => (m.editable ? [m.policy.file] : [])),
    ...(location.boundary?.editable ? [location.boundary.policy.file] : []),
  ]
  await lines.prefetch(used)
  const known = new Map<string, number | undefined>()
  for (const p of [
    ...location.inline,
    ...location.managed.flatMap((m) => (m.editable ? [m.policy] : [])),
    ...(location.boundary?.editable ? [location.boundary.policy] : []),
  ])
    known.set(`${p.file}@${p.span.start}`, await lines.lineOf(p.file, p.span.start))
  const found = new Map<string, number | undefined>()
  for (const m of [...location.managed, ...(location.boundary ? [location.boundary] : [])])
    found.set(m.arn, await lines.findLine((location.definedIn as { file: string }).file, m.arn))
  const state = repoRoleState(
    location,
    (file, offset) => (offset === 0 ? 1 : known.get(`${file}@${offset}`)),
    (_file, arn) => found.get(arn),
  )
  return state
}

/** Repository states of roles, with lines; unreadable roles become problems. */
export async function repoStates(
  repo: PolicyRepo,
  files: RepoFiles,
  roles: readonly RoleRef[],
): Promise<{ states: RepoRoleState[]; problems: string[]; unreadable: Set<string> }> {
  const lines = repoLines(files)
  const states: RepoRoleState[] = []
  const problems: string[] = []
  const unreadable = new Set<string>()
  for (const role of roles) {
    const location = await repo.locate(role)
    const blocking = location.issues.filter(
      (i) => i.code === 'parse-error' || i.code === 'ambiguous-role',
    )
    if (!location.definedIn || blocking.length > 0) {
      const why = (blocking.length > 0 ? blocking : location.issues)
        .map((i) => `${i.message}${i.file ? ` (${i.file})` : ''}`)
        .join('; ')
      problems.push(`${role.name}: ${why || 'not found in the repo'}`)
      unreadable.add(role.name)
      continue
    }
    const state = await stateOfLocation(location, lines)
    if (state) states.push(state)
  }
  return { states, problems, unreadable }
}

/** Reads live IAM of the account and compares it with the repository's roles of that account. */
export async function driftOfAccount(args: {
  aws: AwsContext
  accountId: string
  repo: PolicyRepo
  files: RepoFiles
  roles: readonly RoleRef[]
}): Promise<AccountDrift> {
  const { aws, accountId } = args
  let live: LiveIam
  try {
    const session = await openAccount(aws, accountId)
    live = await readLiveIam({ accountId, iam: aws.clients.iam(session), call: aws.call })
  } catch (error) {
    const hint = (error as { hint?: string }).hint
    return {
      accountId,
      error: { message: errorMessage(error), ...(hint ? { hint } : {}) },
      differences: [],
      problems: [],
    }
  }
  const { states, problems, unreadable } = await repoStates(args.repo, args.files, args.roles)
  const differences = compareAccount({
    accountId,
    repo: states,
    // A role whose files could not be read is a problem, not a role missing from the repo.
    live: live.roles.filter((r) => !unreadable.has(r.role.name)),
    ignoreRoles: aws.settings.drift.ignoreRoles,
  })
  return { accountId, differences, problems, live }
}
