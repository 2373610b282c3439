/**
 * Credentials per account. The run starts from the default credential chain (environment, the
 * `--profile` or `aws.profile` profile, SSO, web identity, container and instance roles: the
 * SDK's own chain, so nothing scopedown-specific to set up), then assumes the read-only audit
 * role in each account with STS. An account whose role cannot be assumed fails with the reason
 * and what to grant; the others go on.
 */
import {
  AssumeRoleCommand,
  type AssumeRoleCommandOutput,
  type STSClient,
} from '@aws-sdk/client-sts'
import { ScopedownError } from '../util/errors.js'
import type { AwsCaller, AwsCallTarget } from './calls.js'
import { awsError, isAccessDenied } from './calls.js'

/** Temporary credentials, in the shape every SDK client accepts. */
export interface AwsCredentialIdentity {
  accessKeyId: string
  secretAccessKey: string
  sessionToken?: string
  expiration?: Date
}

/** Resolves (and renews) credentials; what a client's `credentials` option takes. */
export type AwsCredentialIdentityProvider = () => Promise<AwsCredentialIdentity>

/** How the audit role is named and assumed (`aws.assumeRole`). */
export interface AssumeRoleSettings {
  /** Role name (with path) or ARN template with `{accountId}`. */
  role: string
  externalId?: string
  sessionName: string
  durationSeconds: number
}

/** Credentials for one account: the starting credentials, or the audit role's. */
export interface AccountSession {
  accountId: string
  /** The role assumed in the account; undefined when the starting credentials are used as is. */
  roleArn?: string
  /** Undefined: the SDK's default chain. */
  credentials?: AwsCredentialIdentityProvider
}

/** `arn:aws:iam::<account>:role/<name>` for a name (with path) or an ARN template. */
export function auditRoleArn(role: string, accountId: string, partition = 'aws'): string {
  if (role.startsWith('arn:')) return role.replaceAll('{accountId}', accountId)
  const name = role.replace(/^\/+/, '')
  return `arn:${partition}:iam::${accountId}:role/${name}`
}

/** Renew assumed credentials this long before they expire. */
const REFRESH_MS = 5 * 60_000

/**
 * Assumes the audit role in an account once, and again whenever its credentials are about to
 * expire (long runs over thousands of roles outlive one session). A refusal is a ScopedownError
 * naming the role and the trust-policy or permission fix.
 */
export async function assumeAccountRole(args: {
  sts: STSClient
  call: AwsCaller
  accountId: string
  settings: AssumeRoleSettings
  partition?: string
  now?: () => Date
}): Promise<AccountSession> {
  const roleArn = auditRoleArn(args.settings.role, args.accountId, args.partition)
  const now = args.now ?? (() => new Date())
  const target: AwsCallTarget = {
    action: 'sts:AssumeRole',
    accountId: args.accountId,
    resource: roleArn,
  }
  const assume = async (): Promise<AwsCredentialIdentity> => {
    let answer: AssumeRoleCommandOutput
    try {
      answer = await args.call(target, () =>
        args.sts.send(
          new AssumeRoleCommand({
            RoleArn: roleArn,
            RoleSessionName: args.settings.sessionName,
            DurationSeconds: args.settings.durationSeconds,
            ...(args.settings.externalId ? { ExternalId: args.settings.externalId } : {}),
          }),
        ),
      )
    } catch (error) {
      throw assumeError(target, roleArn, error)
    }
    const c = answer.Credentials
    if (!c?.AccessKeyId || !c.SecretAccessKey) {
      throw awsError(target, new Error('STS returned no credentials'))
    }
    return {
      accessKeyId: c.AccessKeyId,
      secretAccessKey: c.SecretAccessKey,
      ...(c.SessionToken ? { sessionToken: c.SessionToken } : {}),
      ...(c.Expiration ? { expiration: new Date(c.Expiration) } : {}),
    }
  }
  let current = await assume()
  let renewing: Promise<AwsCredentialIdentity> | undefined
  const credentials: AwsCredentialIdentityProvider = async () => {
    const expires = current.expiration?.getTime()
    if (expires !== undefined && expires - REFRESH_MS <= now().getTime()) {
      renewing ??= assume().finally(() => {
        renewing = undefined
      })
      current = await renewing
    }
    return current
  }
  return { accountId: args.accountId, roleArn, credentials }
}

function assumeError(target: AwsCallTarget, roleArn: string, error: unknown) {
  const wrapped = awsError(target, error)
  if (!isAccessDenied(error)) return wrapped
  return new ScopedownError(
    'SOURCE_FAILED',
    `cannot assume ${roleArn}: ${wrapped.message.slice(wrapped.message.indexOf(' failed: ') + ' failed: '.length)}`,
    {
      cause: error,
      hint:
        `allow sts:AssumeRole on ${roleArn} for the starting credentials, and let the role's trust ` +
        'policy trust them (with the external id, if aws.assumeRole.externalId is set): see examples/iam/audit-role-trust-policy.json',
    },
  )
}
