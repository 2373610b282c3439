/**
 * The narrow entry points the commands and the batch use, one per concern: which accounts a run
 * covers (`resolveAccounts`), credentials per account (`openAccount`), SCPs from Organizations
 * (`loadOrganizationScps`). Clients come from an {@link AwsClientFactory}, so tests hand in
 * clients pointed at moto or mocked with aws-sdk-client-mock.
 */
import { CloudTrailClient } from '@aws-sdk/client-cloudtrail'
import { IAMClient } from '@aws-sdk/client-iam'
import { OrganizationsClient } from '@aws-sdk/client-organizations'
import { STSClient } from '@aws-sdk/client-sts'
import Bottleneck from 'bottleneck'
import type { Config } from '../config/schema.js'
import type { PolicyDocument } from '../policy/document.js'
import { errorMessage, ScopedownError } from '../util/errors.js'
import type { Logger } from '../util/log.js'
import { type AwsCaller, createAwsCaller } from './calls.js'
import { type AccountSession, assumeAccountRole } from './credentials.js'
import { type AccountDecision, decideAccounts } from './organization-model.js'

export type { AccountDecision } from './organization-model.js'

import { createOrganizationReader, type OrganizationReader } from './organizations.js'

export type AwsSettings = NonNullable<Config['aws']>

/** Builds SDK clients; the credentials are the starting chain's unless a session is given. */
export interface AwsClientFactory {
  organizations(): OrganizationsClient
  sts(): STSClient
  iam(session: AccountSession): IAMClient
  cloudtrail(session: AccountSession, region: string): CloudTrailClient
}

/**
 * Real SDK clients: region and profile from the config (or `--region`, `--profile`); endpoints
 * from the SDK's own settings (`AWS_ENDPOINT_URL`, which is how the tests reach moto).
 */
export function sdkClientFactory(settings: { region: string; profile?: string }): AwsClientFactory {
  const base = {
    region: settings.region,
    ...(settings.profile ? { profile: settings.profile } : {}),
  }
  const withSession = (session: AccountSession) =>
    session.credentials ? { ...base, credentials: session.credentials } : base
  let organizations: OrganizationsClient | undefined
  let sts: STSClient | undefined
  const iam = new Map<string, IAMClient>()
  return {
    organizations: () => {
      organizations ??= new OrganizationsClient(base)
      return organizations
    },
    sts: () => {
      sts ??= new STSClient(base)
      return sts
    },
    iam: (session) => {
      let client = iam.get(session.accountId)
      if (!client) {
        client = new IAMClient(withSession(session))
        iam.set(session.accountId, client)
      }
      return client
    },
    cloudtrail: (session, region) => new CloudTrailClient({ ...withSession(session), region }),
  }
}

/** Everything AWS-facing a run shares: clients, the limited caller, caches. */
export interface AwsContext {
  settings: AwsSettings
  clients: AwsClientFactory
  call: AwsCaller
  log: Logger
  now: () => Date
  /** Set when the run talks to Organizations (accounts or SCPs from there). */
  organization?: OrganizationReader
  /** One session per account, shared by every reader of the run. */
  sessions: Map<string, Promise<AccountSession>>
  /** Runs per-account work at most `aws.concurrency.accounts` at a time. */
  perAccount<T>(work: () => Promise<T>): Promise<T>
}

export function createAwsContext(args: {
  settings: AwsSettings
  clients?: AwsClientFactory
  log: Logger
  now?: () => Date
  sleep?: (ms: number) => Promise<void>
}): AwsContext {
  const { settings } = args
  const clients = args.clients ?? sdkClientFactory(settings)
  const call = createAwsCaller({
    perApi: settings.concurrency.perApi,
    log: args.log,
    ...(args.sleep ? { sleep: args.sleep, baseMs: 1 } : {}),
  })
  const usesOrganizations =
    settings.scps === 'organizations' ||
    (settings.accounts !== undefined && !Array.isArray(settings.accounts))
  const limiter = new Bottleneck({ maxConcurrent: settings.concurrency.accounts })
  return {
    settings,
    clients,
    call,
    log: args.log,
    now: args.now ?? (() => new Date()),
    ...(usesOrganizations
      ? { organization: createOrganizationReader({ client: clients.organizations(), call }) }
      : {}),
    sessions: new Map(),
    perAccount: (work) => limiter.schedule(work),
  }
}

/**
 * Which accounts a run covers, and why each account (of the organization, the list, or the
 * repo) is in or out. Without `aws.accounts`, the repo's accounts are the run's.
 */
export async function resolveAccounts(
  aws: AwsContext,
  repoAccounts: readonly string[],
): Promise<AccountDecision[]> {
  const setting = aws.settings.accounts
  if (!setting) {
    return decideAccounts({ setting: [...new Set(repoAccounts)], repoAccounts }).map((d) => ({
      ...d,
      reason: 'defined in the repo (aws.accounts not set)',
    }))
  }
  if (Array.isArray(setting)) {
    return decideAccounts({ setting, repoAccounts })
  }
  const org = aws.organization as OrganizationReader
  const filter = (setting as { organizations: { ous?: string[]; exclude: string[] } }).organizations
  const [accounts, managementAccountId] = await Promise.all([
    org.listAccounts(filter.ous),
    org.managementAccountId(),
  ])
  return decideAccounts({
    setting: { organizations: filter },
    organization: accounts,
    ...(managementAccountId ? { managementAccountId } : {}),
    repoAccounts,
  })
}

/**
 * Credentials for one account, assumed once per run: the audit role when `aws.assumeRole` is
 * set, else the starting credentials. Throws ScopedownError naming the role and the fix.
 */
export function openAccount(aws: AwsContext, accountId: string): Promise<AccountSession> {
  let session = aws.sessions.get(accountId)
  if (!session) {
    const assume = aws.settings.assumeRole
    session = assume
      ? assumeAccountRole({
          sts: aws.clients.sts(),
          call: aws.call,
          accountId,
          settings: assume,
          now: aws.now,
        })
      : Promise.resolve({ accountId })
    aws.sessions.set(accountId, session)
  }
  return session
}

/** SCP levels per account from Organizations, or the error that stopped them (that account only). */
export async function loadOrganizationScps(
  aws: AwsContext,
  accountIds: readonly string[],
): Promise<Map<string, PolicyDocument[][] | ScopedownError>> {
  const org = aws.organization
  if (!org)
    throw new ScopedownError(
      'CONFIG_INVALID',
      'SCPs from Organizations need aws.scps "organizations"',
    )
  const out = new Map<string, PolicyDocument[][] | ScopedownError>()
  await Promise.all(
    accountIds.map(async (id) => {
      try {
        out.set(id, await org.scpLevels(id))
      } catch (error) {
        out.set(
          id,
          error instanceof ScopedownError
            ? error
            : new ScopedownError('SOURCE_FAILED', `SCPs of account ${id}: ${errorMessage(error)}`, {
                cause: error,
              }),
        )
      }
    }),
  )
  return out
}

/** The `aws` settings of a config, defaults filled, with `--profile` / `--region` applied. */
export function awsSettingsOf(
  config: Config,
  flags: { profile?: string; region?: string },
  parse: (raw: unknown) => AwsSettings,
): AwsSettings {
  const settings = config.aws ?? parse({})
  return {
    ...settings,
    ...(flags.profile ? { profile: flags.profile } : {}),
    ...(flags.region ? { region: flags.region } : {}),
  }
}
