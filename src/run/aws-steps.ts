/**
 * The batch's AWS steps, each one call from runBatch: which accounts the run covers, live IAM
 * per account (the unassumable ones fail their roles and are holes in the evidence), SCPs from
 * Organizations, drift per role, Access Advisor per role.
 */

import { readAccessAdvisor } from '../aws/access-advisor.js'
import { repoLines, stateOfLocation } from '../aws/account-drift.js'
import {
  type AwsContext,
  loadOrganizationScps,
  openAccount,
  resolveAccounts,
} from '../aws/accounts.js'
import { canonicalStatements, compareRole, type DriftDifference, driftedBy } from '../aws/drift.js'
import { type LiveIam, readLiveIam } from '../aws/live-iam.js'
import { compareScps } from '../aws/organization-model.js'
import { readTrailLogging } from '../aws/trail-selectors.js'
import type { AccessAdvisorEvidence } from '../plan/access-advisor.js'
import type { RepoFiles } from '../repo/repo-files.js'
import type { UnreadableInput } from '../source/types.js'
import type { TrailLogging } from '../usage/observability.js'
import { errorMessage } from '../util/errors.js'
import type { AccountScps } from './account-scps.js'
import type { RepoRole } from './repo-role.js'

export type AccountLive = { ok: true; live: LiveIam } | { ok: false; reason: string }

/** Accounts the run covers, and a sentence for each covered-out account. */
export async function coveredAccounts(aws: AwsContext, repoAccounts: readonly string[]) {
  const decisions = await resolveAccounts(aws, repoAccounts)
  return new Map(decisions.map((d) => [d.accountId, d]))
}

/** Live IAM of each account, read with its audit role, `aws.concurrency.accounts` at a time. */
export async function readAccountsLive(
  aws: AwsContext,
  accountIds: readonly string[],
): Promise<Map<string, AccountLive>> {
  const out = new Map<string, AccountLive>()
  await Promise.all(
    accountIds.map((accountId) =>
      aws.perAccount(async () => {
        try {
          const session = await openAccount(aws, accountId)
          out.set(accountId, {
            ok: true,
            live: await readLiveIam({ accountId, iam: aws.clients.iam(session), call: aws.call }),
          })
        } catch (error) {
          const hint = (error as { hint?: string }).hint
          out.set(accountId, {
            ok: false,
            reason: `${errorMessage(error)}${hint ? ` (${hint})` : ''}`,
          })
        }
      }),
    ),
  )
  return out
}

/** An account that could not be read: a hole in the evidence for every role in it. */
export function unreadableAccount(accountId: string, reason: string): UnreadableInput {
  return { kind: 'account', input: `account ${accountId}`, reason, accountId }
}

/**
 * SCPs from Organizations for the accounts, in place of the config's files; where the config
 * has files too, what differs is returned for the log.
 */
export async function organizationScps(
  aws: AwsContext,
  accountIds: readonly string[],
  fromConfig: ReadonlyMap<string, AccountScps>,
  configHasFiles: boolean,
): Promise<{ scps: Map<string, AccountScps>; differences: string[] }> {
  const loaded = await loadOrganizationScps(aws, accountIds)
  const scps = new Map<string, AccountScps>()
  const differences: string[] = []
  for (const id of accountIds) {
    const got = loaded.get(id)
    if (!got || got instanceof Error) {
      scps.set(id, {
        ok: false,
        reason: got ? `${got.message}${got.hint ? ` (${got.hint})` : ''}` : 'not read',
      })
      continue
    }
    scps.set(id, { ok: true, levels: got })
    const config = fromConfig.get(id)
    if (configHasFiles && config?.ok) {
      for (const d of compareScps(id, config.levels, got, (doc) => canonicalStatements(doc)))
        differences.push(`account ${id}: ${d.detail}`)
    }
  }
  return { scps, differences }
}

/** What makes a role's repository files a stale base for a proposal (empty: not drifted). */
export async function roleDrift(
  repoRole: RepoRole,
  live: LiveIam,
  files: RepoFiles,
): Promise<DriftDifference[]> {
  const state = await stateOfLocation(repoRole.location, repoLines(files))
  const liveRole = live.roles.find((r) => r.role.name === repoRole.definition.role.name)
  return driftedBy(compareRole(state, liveRole))
}

/** Access Advisor for one role, or undefined (with the reason logged by the caller) on failure. */
export async function accessAdvisorFor(
  aws: AwsContext,
  roleArn: string,
  accountId: string,
): Promise<AccessAdvisorEvidence | { failure: string }> {
  try {
    const session = await openAccount(aws, accountId)
    return await readAccessAdvisor(roleArn, {
      iam: aws.clients.iam(session),
      call: aws.call,
      accountId,
      pollMs: aws.settings.accessAdvisor.pollMs,
      maxPolls: aws.settings.accessAdvisor.maxPolls,
    })
  } catch (error) {
    return { failure: errorMessage(error) }
  }
}

/**
 * The trail named in aws.trailSelectors, read live (in its account, with the audit role, or with
 * the starting credentials when no account is named). One trail for the run: the organization
 * trail, or the trail every account shares by name.
 */
export async function readConfiguredTrail(aws: AwsContext): Promise<TrailLogging | undefined> {
  const trail = aws.settings.trailSelectors
  if (!trail) return undefined
  const session = trail.account
    ? await openAccount(aws, trail.account)
    : { accountId: trail.account ?? '' }
  const read = await readTrailLogging({
    cloudtrail: aws.clients.cloudtrail(session, trail.region ?? aws.settings.region),
    call: aws.call,
    trail: trail.trail,
    ...(trail.account ? { accountId: trail.account } : {}),
  })
  return read.logging
}
