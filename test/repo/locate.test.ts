import { existsSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { CheckoutPolicyRepo } from '../../src/repo/checkout.js'
import type { RepoLayoutOptions, RoleLocation } from '../../src/repo/types.js'
import { fixturePath } from './policy-edits.js'

const role = (accountId: string, name: string) => ({
  accountId,
  name,
  arn: `arn:aws:iam::${accountId}:role/${name}`,
})

async function locate(repo: string, accountId: string, name: string, options?: RepoLayoutOptions) {
  const checkout = await CheckoutPolicyRepo.open(fixturePath(`repos/${repo}`), options)
  return checkout.locate(role(accountId, name))
}

/** A location reduced to what a reader checks: labels, kinds, editability, issue codes. */
function summary(location: RoleLocation) {
  return {
    definedIn: location.definedIn,
    inline: location.inline.map((p) => `${p.label} [${p.encoding}] ${p.file}`),
    managed: location.managed.map((m) =>
      m.editable ? `${m.arn} -> ${m.policy.file}` : `${m.arn} (${m.reason})`,
    ),
    boundary:
      location.boundary === undefined
        ? undefined
        : location.boundary.editable
          ? `${location.boundary.arn} -> ${location.boundary.policy.file}`
          : `${location.boundary.arn} (${location.boundary.reason})`,
    issues: location.issues.map((i) => `${i.code}: ${i.file ?? ''}`),
  }
}

describe('locate: role manifests (demo-org layout)', () => {
  it('finds inline files, customer-managed and AWS-managed policies and the boundary', async () => {
    const location = await locate('manifest', '111111111111', 'app')
    expect(summary(location)).toEqual({
      definedIn: { layout: 'manifest', file: 'accounts/111111111111/roles/app/role.json' },
      inline: [
        'accounts/111111111111/roles/app/inline/s3.json [json-file] accounts/111111111111/roles/app/inline/s3.json',
      ],
      managed: [
        'arn:aws:iam::111111111111:policy/app-shared -> accounts/111111111111/policies/app-shared.json',
        'arn:aws:iam::aws:policy/ReadOnlyAccess (aws-managed)',
        'arn:aws:iam::111111111111:policy/made-in-console (not-in-repo)',
      ],
      boundary:
        'arn:aws:iam::111111111111:policy/boundaries/app-boundary -> accounts/111111111111/boundaries/app-boundary.json',
      issues: ['parse-error: accounts/111111111111/roles/app/inline/queue.json'],
    })
    expect(location.inline[0]).toMatchObject({ kind: 'inline', policyName: 's3' })
    expect(location.boundary).toMatchObject({
      policy: { kind: 'boundary', policyName: 'app-boundary' },
    })
    expect(location.issues[0]?.message).toBe(
      'accounts/111111111111/roles/app/inline/queue.json:4:44: expected \'}\', found "\\""',
    )
  })

  it('reports a manifest it cannot read', async () => {
    const location = await locate('manifest', '222222222222', 'broken-manifest')
    expect(location.issues).toEqual([
      {
        code: 'parse-error',
        file: 'accounts/222222222222/roles/broken-manifest/role.json',
        message: expect.stringContaining('role.json: managedPolicyArns:'),
      },
    ])
  })

  it('reports a role that is not in the repo', async () => {
    const location = await locate('manifest', '222222222222', 'ghost')
    expect(location.definedIn).toBeUndefined()
    expect(location.issues).toEqual([
      {
        code: 'role-not-found',
        message:
          'no definition of ghost (account 222222222222) in the repo; looked for accounts/222222222222/roles/ghost/role.json, aws_iam_role resources in **/*.tf',
      },
    ])
  })
})

describe('locate: path templates', () => {
  const options: RepoLayoutOptions = {
    templates: [
      { path: 'iam/{accountName}/{roleName}/*.json' },
      { path: 'iam/{accountName}/{roleName}/boundary/*.json', kind: 'boundary' },
    ],
    accountNames: { '111111111111': 'prod', '222222222222': 'staging' },
  }

  it('takes every policy file under the role folder, skipping other JSON', async () => {
    expect(summary(await locate('path-template', '111111111111', 'reporter', options))).toEqual({
      definedIn: { layout: 'path-template', file: 'iam/prod/reporter/README.json' },
      inline: ['iam/prod/reporter/reports.json [json-file] iam/prod/reporter/reports.json'],
      managed: [],
      boundary: 'iam/prod/reporter/boundary/limit.json -> iam/prod/reporter/boundary/limit.json',
      issues: [],
    })
  })

  it('keeps accounts apart', async () => {
    const location = await locate('path-template', '222222222222', 'reporter', options)
    expect(location.inline.map((p) => p.file)).toEqual(['iam/staging/reporter/reports.json'])
  })

  it('ignores a template whose account name is unknown', async () => {
    const location = await locate('path-template', '333333333333', 'reporter', options)
    expect(location.issues.map((i) => i.code)).toEqual(['role-not-found'])
  })
})

describe('locate: Terraform discovery', () => {
  it('resolves references within the module', async () => {
    const location = await locate('terraform', '111111111111', 'deployer')
    expect(summary(location)).toEqual({
      definedIn: { layout: 'terraform', file: 'accounts/111111111111/iam/roles.tf' },
      inline: [
        'aws_iam_role_policy.deployer_ecs [jsonencode] accounts/111111111111/iam/policies.tf',
        'data.aws_iam_policy_document.ecr [policy-document] accounts/111111111111/iam/policies.tf',
      ],
      managed: [
        'arn:aws:iam::111111111111:policy/ci/artifacts -> accounts/111111111111/iam/policies/artifacts.json',
        'arn:aws:iam::aws:policy/ReadOnlyAccess (aws-managed)',
        'arn:aws:iam::111111111111:policy/made-in-console (not-in-repo)',
      ],
      boundary:
        'arn:aws:iam::111111111111:policy/deploy-boundary -> accounts/111111111111/iam/policies.tf',
      issues: [],
    })
    expect(location.managed[0]).toMatchObject({
      policy: {
        encoding: 'file-ref',
        kind: 'managed',
        declaredIn: { label: 'aws_iam_policy.artifacts' },
      },
    })
    expect(location.boundary).toMatchObject({ policy: { kind: 'boundary', encoding: 'heredoc' } })
  })

  it('evaluates names built from locals and follows file() into the JSON file', async () => {
    const location = await locate('terraform', '111111111111', 'prod-worker')
    expect(location.inline).toMatchObject([
      {
        file: 'accounts/111111111111/iam/policies/queue.json',
        format: 'json',
        encoding: 'file-ref',
        policyName: 'queue',
        declaredIn: {
          file: 'accounts/111111111111/iam/roles.tf',
          label: 'aws_iam_role.worker.inline_policy["queue"]',
        },
      },
    ])
  })

  it('picks the module under the role account folder when names repeat', async () => {
    const location = await locate('terraform', '222222222222', 'deployer')
    expect(location.definedIn?.file).toBe('accounts/222222222222/iam/main.tf')
    expect(location.inline.map((p) => p.policyName)).toEqual(['staging-deploy'])
  })

  it('says which modules compete when it cannot choose', async () => {
    const location = await locate('terraform', '111111111111', 'cron')
    expect(location.inline).toEqual([])
    expect(location.issues).toEqual([
      {
        code: 'ambiguous-role',
        message:
          'cron is defined in several modules: modules/legacy-a/main.tf (aws_iam_role.cron), modules/legacy-b/main.tf (aws_iam_role.cron)',
      },
    ])
  })

  it('mentions for_each roles it did not expand when a role is missing', async () => {
    const location = await locate('terraform', '222222222222', 'team-a')
    expect(location.issues[0]?.message).toContain(
      'roles made with count/for_each are not expanded: accounts/222222222222/iam/main.tf (aws_iam_role.team, for_each)',
    )
  })
})

describe('listRoles', () => {
  it.each([
    {
      repo: 'manifest',
      options: {},
      expected: ['111111111111/app', '222222222222/batch', '222222222222/broken-manifest'],
    },
    {
      repo: 'path-template',
      options: {
        templates: [{ path: 'iam/{accountName}/{roleName}/*.json' }],
        accountNames: { '111111111111': 'prod' },
      },
      expected: ['111111111111/reporter'],
    },
    {
      repo: 'terraform',
      options: {},
      expected: [
        '/cron',
        '111111111111/deployer',
        '111111111111/prod-worker',
        '222222222222/deployer',
      ],
    },
  ])('lists the roles of the $repo layout', async ({ repo, options, expected }) => {
    const checkout = await CheckoutPolicyRepo.open(fixturePath(`repos/${repo}`), options)
    const roles = await checkout.listRoles()
    expect(roles.map((r) => `${r.accountId ?? ''}/${r.name}`)).toEqual(expected)
  })
})

const DEMO_REPO = new URL('../../fixtures/demo-org/repo/', import.meta.url).pathname

describe.skipIf(!existsSync(DEMO_REPO))('the demo org repo', () => {
  it('locates every role it defines, without issues, and round-trips every document', async () => {
    const checkout = await CheckoutPolicyRepo.open(DEMO_REPO)
    const roles = await checkout.listRoles()
    expect(roles.length).toBeGreaterThan(0)
    for (const defined of roles) {
      const location = await checkout.locate(role(defined.accountId ?? '', defined.name))
      expect(location.issues, `${defined.accountId}/${defined.name}`).toEqual([])
      expect(location.definedIn?.layout).toBe('manifest')
      const policies = [
        ...location.inline,
        ...location.managed.flatMap((m) => (m.editable ? [m.policy] : [])),
        ...(location.boundary?.editable ? [location.boundary.policy] : []),
      ]
      const changes = policies.map((policy) => ({ policy, after: policy.document }))
      expect(await checkout.applyChanges(changes)).toEqual([])
    }
  })
})
