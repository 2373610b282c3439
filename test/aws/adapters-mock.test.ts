import {
  GenerateServiceLastAccessedDetailsCommand,
  GetAccountAuthorizationDetailsCommand,
  GetServiceLastAccessedDetailsCommand,
  IAMClient,
} from '@aws-sdk/client-iam'
import {
  DescribeOrganizationCommand,
  DescribePolicyCommand,
  ListAccountsForParentCommand,
  ListOrganizationalUnitsForParentCommand,
  ListParentsCommand,
  ListPoliciesForTargetCommand,
  ListRootsCommand,
  OrganizationsClient,
} from '@aws-sdk/client-organizations'
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts'
import { mockClient } from 'aws-sdk-client-mock'
import { describe, expect, it } from 'vitest'
import { readAccessAdvisor } from '../../src/aws/access-advisor.js'
import { createAwsCaller } from '../../src/aws/calls.js'
import { assumeAccountRole } from '../../src/aws/credentials.js'
import { readLiveIam } from '../../src/aws/live-iam.js'
import { createOrganizationReader } from '../../src/aws/organizations.js'
import { ScopedownError } from '../../src/util/errors.js'
import { silentLogger } from '../../src/util/log.js'

const waits: number[] = []
const call = () =>
  createAwsCaller({
    perApi: 2,
    log: silentLogger,
    baseMs: 100,
    sleep: async (ms) => void waits.push(ms),
  })
const throttled = () =>
  Object.assign(new Error('Rate exceeded'), {
    name: 'TooManyRequestsException',
    $metadata: { httpStatusCode: 400 },
  })
const denied = () =>
  Object.assign(new Error('not authorized'), {
    name: 'AccessDenied',
    $metadata: { httpStatusCode: 403 },
  })
const scp = (action: string) =>
  JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Deny', Action: action, Resource: '*' }],
  })

describe('Organizations reader (aws-sdk-client-mock)', () => {
  it('walks paged OUs top-down, and fetches and compiles each SCP once for 40 accounts', async () => {
    const org = mockClient(OrganizationsClient)
    org
      .on(DescribeOrganizationCommand)
      .resolves({ Organization: { MasterAccountId: '999999999999' } })
    org.on(ListRootsCommand).resolves({
      Roots: [
        { Id: 'r-root', PolicyTypes: [{ Type: 'SERVICE_CONTROL_POLICY', Status: 'ENABLED' }] },
      ],
    })
    org.on(ListOrganizationalUnitsForParentCommand).resolves({ OrganizationalUnits: [] })
    org
      .on(ListOrganizationalUnitsForParentCommand, { ParentId: 'r-root' })
      .resolves({ OrganizationalUnits: [{ Id: 'ou-aaaa-11111111' }] })
    const accounts = Array.from({ length: 40 }, (_, i) => ({
      Id: String(100000000000 + i),
      Status: 'ACTIVE' as const,
      Name: `a${i}`,
    }))
    let throttledOnce = false
    // Two pages under the OU, the first one throttled once.
    org
      .on(ListAccountsForParentCommand)
      .callsFake((input: { ParentId?: string; NextToken?: string }) => {
        if (input.ParentId === 'r-root')
          return { Accounts: [{ Id: '999999999999', Status: 'ACTIVE' }] }
        if (!input.NextToken && !throttledOnce) {
          throttledOnce = true
          throw throttled()
        }
        return input.NextToken === 'page2'
          ? { Accounts: accounts.slice(25) }
          : { Accounts: accounts.slice(0, 25), NextToken: 'page2' }
      })
    org.on(ListPoliciesForTargetCommand).resolves({ Policies: [{ Id: 'p-full' }] })
    org
      .on(ListPoliciesForTargetCommand, { TargetId: 'r-root' })
      .resolves({ Policies: [{ Id: 'p-full' }, { Id: 'p-root' }] })
    org
      .on(ListPoliciesForTargetCommand, { TargetId: 'ou-aaaa-11111111' })
      .resolves({ Policies: [{ Id: 'p-full' }, { Id: 'p-ou' }] })
    org.on(DescribePolicyCommand, { PolicyId: 'p-full' }).resolves({
      Policy: {
        Content: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }],
        }),
      },
    })
    org
      .on(DescribePolicyCommand, { PolicyId: 'p-root' })
      .resolves({ Policy: { Content: scp('cloudtrail:DeleteTrail') } })
    // Same text under another id: compiled once.
    org
      .on(DescribePolicyCommand, { PolicyId: 'p-ou' })
      .resolves({ Policy: { Content: scp('cloudtrail:DeleteTrail') } })
    waits.length = 0
    const reader = createOrganizationReader({
      client: new OrganizationsClient({ region: 'us-east-1' }),
      call: call(),
    })

    const listed = await reader.listAccounts()
    expect(listed.map((a) => a.id).sort()).toEqual(
      ['999999999999', ...accounts.map((a) => a.Id)].sort(),
    )
    expect(listed.find((a) => a.id === '100000000007')?.path).toEqual([
      'r-root',
      'ou-aaaa-11111111',
    ])
    expect(waits).toEqual([100])

    const levels = await Promise.all(accounts.map((a) => reader.scpLevels(a.Id)))
    expect(levels[0]?.map((l) => l.length)).toEqual([2, 2, 1])
    expect(levels[39]?.[1]?.[1]).toBe(levels[0]?.[0]?.[1]) // one compiled object shared
    expect(await reader.scpLevels('999999999999')).toEqual([]) // management account: SCPs do not apply
    expect(org.commandCalls(DescribePolicyCommand)).toHaveLength(3)
    expect(org.commandCalls(ListParentsCommand)).toHaveLength(0) // the walk already knew every parent
    expect(reader.compiler.distinct).toBe(2)
    expect(org.commandCalls(ListPoliciesForTargetCommand)).toHaveLength(2 + 41)
    org.restore()
  })

  it('walks ListParents up to the root for a listed account, each parent once', async () => {
    const org = mockClient(OrganizationsClient)
    org
      .on(ListParentsCommand, { ChildId: '111111111111' })
      .resolves({ Parents: [{ Id: 'ou-aaaa-22222222', Type: 'ORGANIZATIONAL_UNIT' }] })
    org
      .on(ListParentsCommand, { ChildId: '222222222222' })
      .resolves({ Parents: [{ Id: 'ou-aaaa-22222222', Type: 'ORGANIZATIONAL_UNIT' }] })
    org
      .on(ListParentsCommand, { ChildId: 'ou-aaaa-22222222' })
      .resolves({ Parents: [{ Id: 'r-root', Type: 'ROOT' }] })
    const reader = createOrganizationReader({
      client: new OrganizationsClient({ region: 'us-east-1' }),
      call: call(),
    })
    expect(await reader.pathOf('111111111111')).toEqual(['r-root', 'ou-aaaa-22222222'])
    expect(await reader.pathOf('222222222222')).toEqual(['r-root', 'ou-aaaa-22222222'])
    expect(org.commandCalls(ListParentsCommand)).toHaveLength(3)
    org.restore()
  })

  it('an access denied names the action and what to grant', async () => {
    const org = mockClient(OrganizationsClient)
    org.on(ListParentsCommand).rejects(denied())
    const reader = createOrganizationReader({
      client: new OrganizationsClient({ region: 'us-east-1' }),
      call: call(),
    })
    const error = await reader.pathOf('111111111111').catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ScopedownError)
    expect((error as ScopedownError).message).toBe(
      'organizations:ListParents (111111111111) failed: AccessDenied: not authorized',
    )
    expect((error as ScopedownError).hint).toContain('grant organizations:ListParents')
    org.restore()
  })
})

describe('live IAM (aws-sdk-client-mock)', () => {
  it('reads every page of GetAccountAuthorizationDetails into the dump shape, retrying throttling with back-off', async () => {
    const iam = mockClient(IAMClient)
    const doc = encodeURIComponent(
      JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }],
      }),
    )
    iam
      .on(GetAccountAuthorizationDetailsCommand, { Marker: undefined })
      .rejectsOnce(throttled())
      .rejectsOnce(throttled())
      .resolves({
        IsTruncated: true,
        Marker: 'm1',
        RoleDetailList: [
          {
            RoleName: 'app',
            Path: '/service/',
            Arn: 'arn:aws:iam::111111111111:role/service/app',
            CreateDate: new Date('2024-01-02T03:04:05Z'),
            Tags: [{ Key: 'team', Value: 'a' }],
            RolePolicyList: [{ PolicyName: 'inline', PolicyDocument: doc }],
            AttachedManagedPolicies: [
              { PolicyName: 'shared', PolicyArn: 'arn:aws:iam::111111111111:policy/shared' },
            ],
            RoleLastUsed: { LastUsedDate: new Date('2026-10-30T00:00:00Z'), Region: 'eu-west-1' },
          },
        ],
      })
    iam.on(GetAccountAuthorizationDetailsCommand, { Marker: 'm1' }).resolves({
      IsTruncated: false,
      Policies: [
        {
          Arn: 'arn:aws:iam::111111111111:policy/shared',
          DefaultVersionId: 'v2',
          PolicyVersionList: [{ VersionId: 'v2', IsDefaultVersion: true, Document: doc }],
        },
      ],
    })
    waits.length = 0
    const live = await readLiveIam({
      accountId: '111111111111',
      iam: new IAMClient({ region: 'us-east-1' }),
      call: call(),
    })
    expect(waits).toEqual([100, 200])
    expect(live.roles).toEqual([
      {
        role: {
          accountId: '111111111111',
          name: 'app',
          arn: 'arn:aws:iam::111111111111:role/service/app',
          path: '/service/',
        },
        createDate: '2024-01-02T03:04:05.000Z',
        tags: { team: 'a' },
        inline: [{ name: 'inline', document: JSON.parse(decodeURIComponent(doc)) }],
        managed: [
          {
            name: 'shared',
            arn: 'arn:aws:iam::111111111111:policy/shared',
            document: JSON.parse(decodeURIComponent(doc)),
            awsManaged: false,
          },
        ],
        boundary: undefined,
        lastUsed: { date: '2026-10-30T00:00:00.000Z', region: 'eu-west-1' },
      },
    ])
    iam.restore()
  })
})

describe('assume role (aws-sdk-client-mock)', () => {
  it('assumes once, renews near expiry, and explains a refusal', async () => {
    const sts = mockClient(STSClient)
    let clock = Date.parse('2026-11-01T00:00:00Z')
    sts.on(AssumeRoleCommand).callsFake(() => ({
      Credentials: {
        AccessKeyId: `AK${sts.commandCalls(AssumeRoleCommand).length}`,
        SecretAccessKey: 's',
        SessionToken: 't',
        Expiration: new Date(clock + 3600_000),
      },
    }))
    const session = await assumeAccountRole({
      sts: new STSClient({ region: 'us-east-1' }),
      call: call(),
      accountId: '111111111111',
      settings: {
        role: 'audit/scopedown-audit',
        externalId: 'xid',
        sessionName: 'scopedown',
        durationSeconds: 3600,
      },
      now: () => new Date(clock),
    })
    expect(session.roleArn).toBe('arn:aws:iam::111111111111:role/audit/scopedown-audit')
    expect(sts.commandCalls(AssumeRoleCommand)[0]?.args[0].input).toEqual({
      RoleArn: 'arn:aws:iam::111111111111:role/audit/scopedown-audit',
      RoleSessionName: 'scopedown',
      DurationSeconds: 3600,
      ExternalId: 'xid',
    })
    expect((await session.credentials?.())?.accessKeyId).toBe('AK1')
    clock += 3500_000
    expect((await session.credentials?.())?.accessKeyId).toBe('AK2')
    sts.on(AssumeRoleCommand).rejects(denied())
    const error = await assumeAccountRole({
      sts: new STSClient({ region: 'us-east-1' }),
      call: call(),
      accountId: '333333333333',
      settings: {
        role: 'arn:aws:iam::{accountId}:role/scopedown-audit',
        sessionName: 'scopedown',
        durationSeconds: 3600,
      },
    }).then(
      () => undefined,
      (e: unknown) => e as ScopedownError,
    )
    expect(error?.message).toBe(
      'cannot assume arn:aws:iam::333333333333:role/scopedown-audit: AccessDenied: not authorized',
    )
    expect(error?.hint).toContain('trust policy')
    sts.restore()
  })
})

describe('Access Advisor (aws-sdk-client-mock)', () => {
  const options = (iam: IAMClient) => ({
    iam,
    call: call(),
    accountId: '111111111111',
    pollMs: 50,
    maxPolls: 5,
    sleep: async (ms: number) => void waits.push(ms),
  })

  it('polls the ACTION_LEVEL job with back-off until it completes, then reads every page', async () => {
    const iam = mockClient(IAMClient)
    iam.on(GenerateServiceLastAccessedDetailsCommand).resolves({ JobId: 'job-1' })
    iam
      .on(GetServiceLastAccessedDetailsCommand, { JobId: 'job-1', Marker: undefined })
      .resolvesOnce({ JobStatus: 'IN_PROGRESS' })
      .resolvesOnce({ JobStatus: 'IN_PROGRESS' })
      .resolves({
        JobStatus: 'COMPLETED',
        JobCompletionDate: new Date('2026-11-01T06:00:00Z'),
        IsTruncated: true,
        Marker: 'p2',
        ServicesLastAccessed: [
          {
            ServiceNamespace: 's3',
            ServiceName: 'Amazon S3',
            LastAuthenticated: new Date('2026-10-01T00:00:00Z'),
            TrackedActionsLastAccessed: [
              { ActionName: 'GetObject', LastAccessedTime: new Date('2026-10-01T00:00:00Z') },
              { ActionName: 'PutObject' },
            ],
          },
        ],
      })
    iam.on(GetServiceLastAccessedDetailsCommand, { JobId: 'job-1', Marker: 'p2' }).resolves({
      JobStatus: 'COMPLETED',
      ServicesLastAccessed: [{ ServiceNamespace: 'neptune-db', ServiceName: 'Neptune' }],
    })
    waits.length = 0
    const evidence = await readAccessAdvisor(
      'arn:aws:iam::111111111111:role/app',
      options(new IAMClient({ region: 'us-east-1' })),
    )
    expect(iam.commandCalls(GenerateServiceLastAccessedDetailsCommand)[0]?.args[0].input).toEqual({
      Arn: 'arn:aws:iam::111111111111:role/app',
      Granularity: 'ACTION_LEVEL',
    })
    expect(waits).toEqual([50, 100])
    expect(evidence).toEqual({
      roleArn: 'arn:aws:iam::111111111111:role/app',
      generatedAt: '2026-11-01T06:00:00.000Z',
      trackingStart: '2025-09-27T06:00:00.000Z',
      services: [
        {
          namespace: 's3',
          lastAccessed: '2026-10-01T00:00:00.000Z',
          actions: [
            { name: 'GetObject', lastAccessed: '2026-10-01T00:00:00.000Z' },
            { name: 'PutObject' },
          ],
        },
        { namespace: 'neptune-db' },
      ],
    })
    iam.restore()
  })

  it('a failed job and a job that never finishes are errors naming the role', async () => {
    const iam = mockClient(IAMClient)
    iam.on(GenerateServiceLastAccessedDetailsCommand).resolves({ JobId: 'job-2' })
    iam
      .on(GetServiceLastAccessedDetailsCommand)
      .resolves({ JobStatus: 'FAILED', Error: { Message: 'internal', Code: 'x' } })
    await expect(
      readAccessAdvisor(
        'arn:aws:iam::111111111111:role/app',
        options(new IAMClient({ region: 'us-east-1' })),
      ),
    ).rejects.toThrow(
      'Access Advisor job job-2 for arn:aws:iam::111111111111:role/app failed: internal',
    )
    iam.on(GetServiceLastAccessedDetailsCommand).resolves({ JobStatus: 'IN_PROGRESS' })
    await expect(
      readAccessAdvisor(
        'arn:aws:iam::111111111111:role/app',
        options(new IAMClient({ region: 'us-east-1' })),
      ),
    ).rejects.toThrow('did not finish after 5 polls')
    iam.restore()
  })
})
