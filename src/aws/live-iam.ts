/**
 * Live IAM of one account, read with one paged GetAccountAuthorizationDetails: every role with
 * its inline, attached and boundary policies, the default version of every managed policy, tags,
 * create dates and RoleLastUsed. The answer goes through the same parser as a saved
 * `aws iam get-account-authorization-details` dump, so planning code cannot tell the two apart.
 */
import {
  GetAccountAuthorizationDetailsCommand,
  type GetAccountAuthorizationDetailsCommandOutput,
  type IAMClient,
} from '@aws-sdk/client-iam'
import { ScopedownError } from '../util/errors.js'
import { type RawRoleDefinition, rolesFromAuthorizationDetails } from './authorization-details.js'
import { type AwsCaller, allPages } from './calls.js'

/** What live IAM says about one account's roles. */
export interface LiveIam {
  accountId: string
  roles: readonly RawRoleDefinition[]
}

/** The pages of GetAccountAuthorizationDetails merged into one dump-shaped JSON value. */
export function mergeAuthorizationPages(
  pages: readonly Pick<
    GetAccountAuthorizationDetailsCommandOutput,
    'RoleDetailList' | 'Policies'
  >[],
): { RoleDetailList: unknown[]; Policies: unknown[] } {
  // JSON round trip: SDK Dates become the ISO strings a CLI dump has.
  return JSON.parse(
    JSON.stringify({
      RoleDetailList: pages.flatMap((p) => p.RoleDetailList ?? []),
      Policies: pages.flatMap((p) => p.Policies ?? []),
    }),
  ) as { RoleDetailList: unknown[]; Policies: unknown[] }
}

/** Reads every role of an account (IAM is global: one read per account). */
export async function readLiveIam(args: {
  accountId: string
  iam: IAMClient
  call: AwsCaller
}): Promise<LiveIam> {
  const pages = await allPages(
    args.call,
    { action: 'iam:GetAccountAuthorizationDetails', accountId: args.accountId },
    (token) =>
      args.iam.send(
        new GetAccountAuthorizationDetailsCommand({
          Filter: ['Role', 'LocalManagedPolicy', 'AWSManagedPolicy'],
          ...(token ? { Marker: token } : {}),
        }),
      ),
    (page) => (page.IsTruncated ? page.Marker : undefined),
  )
  const dump = mergeAuthorizationPages(pages)
  const roles = rolesFromAuthorizationDetails(dump, `live IAM of account ${args.accountId}`)
  // An authorization-details read answers for the account whose credentials made it.
  const foreign = roles.find((r) => r.role.accountId !== args.accountId)
  if (foreign) {
    throw new ScopedownError(
      'SOURCE_FAILED',
      `live IAM of account ${args.accountId} returned ${foreign.role.arn}: the credentials belong to another account`,
      { hint: 'set aws.assumeRole so each account is read with its own audit role' },
    )
  }
  return { accountId: args.accountId, roles }
}
