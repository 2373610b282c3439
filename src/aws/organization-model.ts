/**
 * Pure logic over what Organizations said: which accounts a run covers (and why each is in or
 * out), and each account's SCPs as the planner wants them, one list of documents per level from
 * the root down to the account. Documents are compiled once per distinct content (keyed by its
 * hash), so 5,000 accounts that share a few SCPs share a few compiled documents.
 */
import type { PolicyDocument } from '../policy/document.js'
import { compareText } from '../policy/match.js'
import { parsePolicy } from '../policy/parse.js'
import { sha256 } from '../util/stable-json.js'

/** An account as Organizations lists it, with where it sits. */
export interface OrgAccount {
  id: string
  name?: string
  /** `ACTIVE`, `SUSPENDED`, `PENDING_CLOSURE` ... */
  status?: string
  /** Parent ids from the root down to the account's OU: `[r-..., ou-..., ou-...]`. */
  path: readonly string[]
}

/** Whether a run covers an account, and the sentence that says why. */
export interface AccountDecision {
  accountId: string
  name?: string
  included: boolean
  reason: string
  path?: readonly string[]
  /** The organization's management account: SCPs never apply to it. */
  management?: true
}

/** `aws.accounts` as the config says it. */
export type AccountsSetting =
  | readonly string[]
  | { organizations: { ous?: readonly string[]; exclude: readonly string[] } }

/**
 * Decides every account: from the organization's listing (organizations mode) or the config's
 * list. Accounts the repository defines but the run does not cover are listed as out, so
 * `scopedown accounts` shows every account anyone might expect. Sorted by account id.
 */
export function decideAccounts(args: {
  setting: AccountsSetting
  /** The organization's accounts (organizations mode), or those found for a listed account. */
  organization?: readonly OrgAccount[]
  managementAccountId?: string
  repoAccounts: readonly string[]
}): AccountDecision[] {
  const out = new Map<string, AccountDecision>()
  const org = new Map((args.organization ?? []).map((a) => [a.id, a]))
  const describe = (a: OrgAccount | undefined) => ({
    ...(a?.name ? { name: a.name } : {}),
    ...(a?.path.length ? { path: a.path } : {}),
    ...(a && a.id === args.managementAccountId ? { management: true as const } : {}),
  })
  if (Array.isArray(args.setting)) {
    for (const id of args.setting as readonly string[]) {
      const a = org.get(id)
      out.set(id, {
        accountId: id,
        included: true,
        reason: 'listed in aws.accounts',
        ...describe(a),
      })
    }
  } else {
    const { ous, exclude } = (args.setting as Exclude<AccountsSetting, readonly string[]>)
      .organizations
    for (const a of args.organization ?? []) {
      const base = { accountId: a.id, ...describe(a) }
      if (a.status && a.status !== 'ACTIVE') {
        out.set(a.id, { ...base, included: false, reason: `account status is ${a.status}` })
      } else if (exclude.includes(a.id)) {
        out.set(a.id, {
          ...base,
          included: false,
          reason: 'excluded by aws.accounts.organizations.exclude',
        })
      } else if (ous && !ous.some((ou) => a.path.includes(ou))) {
        out.set(a.id, { ...base, included: false, reason: `not under ${ous.join(', ')}` })
      } else {
        const under = ous?.find((ou) => a.path.includes(ou))
        out.set(a.id, {
          ...base,
          included: true,
          reason: under ? `in the organization, under ${under}` : 'in the organization',
        })
      }
    }
  }
  for (const id of args.repoAccounts) {
    if (out.has(id)) continue
    out.set(id, {
      accountId: id,
      included: false,
      reason: Array.isArray(args.setting)
        ? 'defined in the repo, not listed in aws.accounts'
        : 'defined in the repo, not an account of the organization',
    })
  }
  return [...out.values()].sort((a, b) => compareText(a.accountId, b.accountId))
}

/** One SCP as Organizations returned it. */
export interface ScpSource {
  id: string
  name: string
  /** The document text, exactly as DescribePolicy returned it. */
  content: string
}

/** Compiled SCP documents, one per distinct content. */
export interface ScpCompiler {
  compile(scp: ScpSource): PolicyDocument
  /** How many distinct documents were compiled (for reports and tests). */
  readonly distinct: number
}

/** Parses each distinct SCP text once; the same text from any account gives the same object. */
export function createScpCompiler(): ScpCompiler {
  const byHash = new Map<string, PolicyDocument>()
  return {
    compile(scp) {
      const hash = sha256(scp.content)
      let doc = byHash.get(hash)
      if (!doc) {
        let json: unknown
        try {
          json = JSON.parse(scp.content)
        } catch {
          json = scp.content
        }
        doc = parsePolicy(json, { label: `SCP ${scp.name} (${scp.id})` })
        byHash.set(hash, doc)
      }
      return doc
    },
    get distinct() {
      return byHash.size
    },
  }
}

/**
 * The SCP levels of an account: its path from the root, then the account itself (SCPs may be
 * attached to an account directly); at each level the documents attached there. Every level
 * must allow a request. The management account gets none: SCPs never restrict it.
 */
export function scpLevels(
  accountId: string,
  path: readonly string[],
  attached: (targetId: string) => readonly PolicyDocument[],
  management = false,
): PolicyDocument[][] {
  if (management) return []
  return [...path, accountId].map((target) => [...attached(target)])
}

/** One difference between the config's SCP files and what Organizations attaches. */
export interface ScpDifference {
  accountId: string
  detail: string
}

/**
 * Compares the config's SCP levels with Organizations' for one account, by the statements they
 * hold across all levels (levels in files rarely match OU depth one for one): a statement only
 * one side has is a difference.
 */
export function compareScps(
  accountId: string,
  fromConfig: readonly (readonly PolicyDocument[])[],
  fromOrganizations: readonly (readonly PolicyDocument[])[],
  canonical: (doc: PolicyDocument) => readonly string[],
): ScpDifference[] {
  const statements = (levels: readonly (readonly PolicyDocument[])[]) =>
    new Set(levels.flat().flatMap((d) => canonical(d)))
  const config = statements(fromConfig)
  const org = statements(fromOrganizations)
  const out: ScpDifference[] = []
  for (const s of [...org].sort(compareText))
    if (!config.has(s))
      out.push({
        accountId,
        detail: `Organizations attaches a statement the config's SCP files lack: ${s}`,
      })
  for (const s of [...config].sort(compareText))
    if (!org.has(s))
      out.push({
        accountId,
        detail: `the config's SCP files have a statement Organizations does not attach: ${s}`,
      })
  return out
}
