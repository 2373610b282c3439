import { describe, expect, it } from 'vitest'
import type { RawRoleDefinition } from '../../src/aws/authorization-details.js'
import {
  canonicalStatements,
  compareAccount,
  compareRole,
  driftedBy,
  type RepoRoleState,
} from '../../src/aws/drift.js'
import { decideAccounts } from '../../src/aws/organization-model.js'

const doc = (statements: unknown) => ({ Version: '2012-10-17', Statement: statements })
const REPO: RepoRoleState = {
  accountId: '111111111111',
  name: 'app',
  path: '/service/',
  definedIn: { file: 'accounts/111111111111/roles/app/role.json', line: 1 },
  inline: [
    {
      name: 'data',
      document: doc([
        {
          Effect: 'Allow',
          Action: ['s3:GetObject', 's3:ListBucket'],
          Resource: 'arn:aws:s3:::b/*',
        },
      ]),
      at: { file: 'accounts/111111111111/roles/app/inline/data.json', line: 1 },
    },
  ],
  managed: [
    {
      arn: 'arn:aws:iam::aws:policy/ReadOnlyAccess',
      at: { file: 'accounts/111111111111/roles/app/role.json', line: 9 },
    },
  ],
}
const LIVE: RawRoleDefinition = {
  role: {
    accountId: '111111111111',
    name: 'app',
    arn: 'arn:aws:iam::111111111111:role/service/app',
    path: '/service/',
  },
  tags: {},
  // Same meaning, written differently: order, key case, scalars, action case.
  inline: [
    {
      name: 'data',
      document: {
        version: '2012-10-17',
        statement: {
          resource: ['arn:aws:s3:::b/*'],
          action: ['s3:listbucket', 'S3:GetObject'],
          effect: 'Allow',
        },
      },
    },
  ],
  managed: [
    {
      name: 'ReadOnlyAccess',
      arn: 'arn:aws:iam::aws:policy/ReadOnlyAccess',
      document: {},
      awsManaged: true,
    },
  ],
}

describe('drift', () => {
  it('normalises statement and list order, key case, scalars and action case', () => {
    expect(compareRole(REPO, LIVE)).toEqual([])
    expect(canonicalStatements(REPO.inline[0]?.document)).toEqual(
      canonicalStatements(LIVE.inline[0]?.document),
    )
  })

  it('reports each kind of difference with the repository file and line', () => {
    const live: RawRoleDefinition = {
      ...LIVE,
      role: { ...LIVE.role, path: '/' },
      inline: [
        {
          name: 'data',
          document: doc([{ Effect: 'Allow', Action: 's3:*', Resource: 'arn:aws:s3:::b/*' }]),
        },
        { name: 'console', document: doc([]) },
      ],
      managed: [
        {
          name: 'x',
          arn: 'arn:aws:iam::111111111111:policy/x',
          document: doc([]),
          awsManaged: false,
        },
      ],
      boundary: { arn: 'arn:aws:iam::111111111111:policy/boundaries/b', document: doc([]) },
    }
    const kinds = compareRole(REPO, live).map((d) => [d.kind, d.file, d.line])
    expect(kinds).toEqual([
      ['path-differs', REPO.definedIn.file, 1],
      ['inline-differs', 'accounts/111111111111/roles/app/inline/data.json', 1],
      ['inline-missing-repo', REPO.definedIn.file, 1],
      ['managed-missing-live', REPO.definedIn.file, 9],
      ['managed-missing-repo', REPO.definedIn.file, 1],
      ['boundary-differs', REPO.definedIn.file, 1],
    ])
    const differs = compareRole(REPO, live)[1]
    expect(differs?.liveOnly).toEqual([
      '{"action":["s3:*"],"effect":"Allow","resource":["arn:aws:s3:::b/*"]}',
    ])
    expect(differs?.repoOnly).toHaveLength(1)
  })

  it('covers roles on either side, ignores AWS-made roles, and a role missing from the repo does not block others', () => {
    const slr: RawRoleDefinition = {
      ...LIVE,
      role: {
        accountId: '111111111111',
        name: 'AWSServiceRoleForX',
        arn: 'arn:aws:iam::111111111111:role/aws-service-role/x/AWSServiceRoleForX',
        path: '/aws-service-role/x/',
      },
    }
    const extra: RawRoleDefinition = {
      ...LIVE,
      role: { ...LIVE.role, name: 'extra', arn: 'arn:aws:iam::111111111111:role/extra', path: '/' },
    }
    const gone: RepoRoleState = { ...REPO, name: 'gone' }
    const diffs = compareAccount({
      accountId: '111111111111',
      repo: [REPO, gone],
      live: [LIVE, slr, extra],
      ignoreRoles: ['/aws-service-role/*'],
    })
    expect(diffs.map((d) => [d.role, d.kind])).toEqual([
      ['extra', 'role-missing-repo'],
      ['gone', 'role-missing-live'],
    ])
    expect(driftedBy(diffs).map((d) => d.role)).toEqual(['gone'])
  })
})

describe('which accounts a run covers', () => {
  const org = [
    { id: '111111111111', name: 'prod', status: 'ACTIVE', path: ['r-root', 'ou-aaaa-11111111'] },
    { id: '222222222222', name: 'old', status: 'SUSPENDED', path: ['r-root', 'ou-aaaa-11111111'] },
    { id: '333333333333', name: 'sandbox', status: 'ACTIVE', path: ['r-root', 'ou-aaaa-22222222'] },
    { id: '444444444444', name: 'mgmt', status: 'ACTIVE', path: ['r-root'] },
  ]
  it('says why each account is in or out', () => {
    const decided = decideAccounts({
      setting: {
        organizations: { ous: ['ou-aaaa-11111111', 'r-root'], exclude: ['333333333333'] },
      },
      organization: org,
      managementAccountId: '444444444444',
      repoAccounts: ['555555555555'],
    })
    expect(decided.map((d) => [d.accountId, d.included, d.reason])).toEqual([
      ['111111111111', true, 'in the organization, under ou-aaaa-11111111'],
      ['222222222222', false, 'account status is SUSPENDED'],
      ['333333333333', false, 'excluded by aws.accounts.organizations.exclude'],
      ['444444444444', true, 'in the organization, under r-root'],
      ['555555555555', false, 'defined in the repo, not an account of the organization'],
    ])
    expect(decided[3]?.management).toBe(true)
    const listed = decideAccounts({
      setting: ['111111111111'],
      repoAccounts: ['111111111111', '222222222222'],
    })
    expect(listed.map((d) => [d.accountId, d.included, d.reason])).toEqual([
      ['111111111111', true, 'listed in aws.accounts'],
      ['222222222222', false, 'defined in the repo, not listed in aws.accounts'],
    ])
  })
})
