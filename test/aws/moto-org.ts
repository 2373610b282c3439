/**
 * Builds the demo organization inside moto: a management account, OUs with SCPs at the root, an
 * OU, a nested OU and an account, three member accounts whose roles and policies are created
 * from the demo repository (fixtures/demo-org/repo, with moto's account ids written in), an
 * audit role per account, one drifted inline policy, one live role the repository lacks, and a
 * runner user that may not assume the audit role of the third account. Then moto's IAM
 * authorization is switched on, so scopedown's calls are checked against examples/iam/.
 */
import { execFileSync } from 'node:child_process'
import { cp, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  AttachRolePolicyCommand,
  CreateAccessKeyCommand,
  CreatePolicyCommand as CreateIamPolicyCommand,
  CreateRoleCommand,
  CreateUserCommand,
  IAMClient,
  PutRolePolicyCommand,
  PutUserPolicyCommand,
} from '@aws-sdk/client-iam'
import {
  AttachPolicyCommand,
  CreateAccountCommand,
  CreateOrganizationalUnitCommand,
  CreateOrganizationCommand,
  CreatePolicyCommand,
  EnablePolicyTypeCommand,
  ListRootsCommand,
  MoveAccountCommand,
  OrganizationsClient,
} from '@aws-sdk/client-organizations'
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts'
import { DEMO_REPO_SOURCE } from '../helpers/demo-repo.js'

export const MANAGEMENT = '123456789012'
const REGION = 'us-east-1'
const ROOT_KEYS = { accessKeyId: 'testing', secretAccessKey: 'testing' }
const EXAMPLES = new URL('../../examples/iam/', import.meta.url).pathname

export interface MotoOrganization {
  /** Demo account id (111..., 222..., 333...) -> moto's. */
  ids: Record<string, string>
  ous: { prod: string; data: string; shared: string; root: string }
  /** The demo repository with moto's account ids, a git checkout. */
  repoDir: string
  /** Keys of the runner user (what scopedown starts from). */
  runner: { accessKeyId: string; secretAccessKey: string }
  /** The demo account whose audit role the runner may not assume. */
  unassumable: string
}

async function moto(endpoint: string, path: string, body: string) {
  const response = await fetch(`${endpoint}/moto-api/${path}`, { method: 'POST', body })
  if (!response.ok) throw new Error(`moto ${path}: ${response.status}`)
}

const json = async (file: string) =>
  JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>

async function* walk(dir: string): AsyncGenerator<string> {
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name)
    if (e.isDirectory()) yield* walk(p)
    else yield p
  }
}

/** The demo repo with account ids replaced, in paths and contents, committed on main. */
async function rewrittenRepo(ids: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'scopedown-moto-repo-'))
  await cp(DEMO_REPO_SOURCE, dir, {
    recursive: true,
    filter: (src) =>
      !src.includes('/accounts/') ||
      Object.keys(ids).some((id) => src.includes(id)) ||
      src.endsWith('/accounts'),
  })
  for (const [demo, real] of Object.entries(ids)) {
    execFileSync('mv', [join(dir, 'accounts', demo), join(dir, 'accounts', real)])
  }
  for await (const file of walk(dir)) {
    let text = await readFile(file, 'utf8')
    for (const [demo, real] of Object.entries(ids)) text = text.replaceAll(demo, real)
    await writeFile(file, text)
  }
  const git = (...args: string[]) =>
    execFileSync('git', args, {
      cwd: dir,
      env: {
        ...process.env,
        GIT_AUTHOR_NAME: 'A',
        GIT_AUTHOR_EMAIL: 'a@example.com',
        GIT_COMMITTER_NAME: 'A',
        GIT_COMMITTER_EMAIL: 'a@example.com',
      },
    })
  git('init', '-q', '-b', 'main')
  git('add', '-A')
  git('commit', '-q', '-m', 'policies as they are')
  return dir
}

/** Creates every role of one account's repo folder in IAM, as the repository says. */
async function createRoles(iam: IAMClient, accountDir: string) {
  const roles = join(accountDir, 'roles')
  const policies = new Map<string, string>()
  for (const kind of ['policies', 'boundaries']) {
    let names: string[] = []
    try {
      names = await readdir(join(accountDir, kind))
    } catch {
      continue
    }
    for (const file of names) {
      const name = file.replace(/\.json$/, '')
      const created = await iam.send(
        new CreateIamPolicyCommand({
          PolicyName: name,
          Path: kind === 'boundaries' ? '/boundaries/' : '/',
          PolicyDocument: await readFile(join(accountDir, kind, file), 'utf8'),
        }),
      )
      policies.set(created.Policy?.Arn ?? '', name)
    }
  }
  for (const name of await readdir(roles)) {
    const role = await json(join(roles, name, 'role.json'))
    const tags = Object.entries((role.tags as Record<string, string>) ?? {}).map(
      ([Key, Value]) => ({ Key, Value }),
    )
    await iam.send(
      new CreateRoleCommand({
        RoleName: name,
        Path: role.path as string,
        AssumeRolePolicyDocument: JSON.stringify(role.trustPolicy),
        ...(tags.length ? { Tags: tags } : {}),
        ...(role.permissionsBoundaryArn
          ? { PermissionsBoundary: role.permissionsBoundaryArn as string }
          : {}),
      }),
    )
    let inline: string[] = []
    try {
      inline = await readdir(join(roles, name, 'inline'))
    } catch {
      inline = []
    }
    for (const file of inline) {
      await iam.send(
        new PutRolePolicyCommand({
          RoleName: name,
          PolicyName: file.replace(/\.json$/, ''),
          PolicyDocument: await readFile(join(roles, name, 'inline', file), 'utf8'),
        }),
      )
    }
    for (const arn of (role.managedPolicyArns as string[]) ?? []) {
      await iam.send(new AttachRolePolicyCommand({ RoleName: name, PolicyArn: arn }))
    }
  }
}

export async function buildMotoOrganization(endpoint: string): Promise<MotoOrganization> {
  await moto(endpoint, 'reset', '')
  await moto(endpoint, 'reset-auth', 'inf')
  const base = { region: REGION, endpoint, credentials: ROOT_KEYS }
  const org = new OrganizationsClient(base)
  await org.send(new CreateOrganizationCommand({ FeatureSet: 'ALL' }))
  const root = (await org.send(new ListRootsCommand({}))).Roots?.[0]?.Id as string
  await org.send(
    new EnablePolicyTypeCommand({ RootId: root, PolicyType: 'SERVICE_CONTROL_POLICY' }),
  )
  const ou = async (parent: string, name: string) =>
    (await org.send(new CreateOrganizationalUnitCommand({ ParentId: parent, Name: name })))
      .OrganizationalUnit?.Id as string
  const prod = await ou(root, 'prod')
  const data = await ou(prod, 'data')
  const shared = await ou(root, 'shared')
  const place: Record<string, { name: string; ou: string }> = {
    '111111111111': { name: 'acme-prod', ou: prod },
    '222222222222': { name: 'acme-data', ou: data },
    '333333333333': { name: 'acme-shared', ou: shared },
  }
  const ids: Record<string, string> = {}
  for (const [demo, { name, ou: parent }] of Object.entries(place)) {
    const created = await org.send(
      new CreateAccountCommand({ AccountName: name, Email: `${name}@example.com` }),
    )
    const id = created.CreateAccountStatus?.AccountId as string
    await org.send(
      new MoveAccountCommand({ AccountId: id, SourceParentId: root, DestinationParentId: parent }),
    )
    ids[demo] = id
  }
  const scp = async (name: string, document: unknown, target: string) => {
    const created = await org.send(
      new CreatePolicyCommand({
        Name: name,
        Description: name,
        Type: 'SERVICE_CONTROL_POLICY',
        Content: JSON.stringify(document),
      }),
    )
    await org.send(
      new AttachPolicyCommand({
        PolicyId: created.Policy?.PolicySummary?.Id as string,
        TargetId: target,
      }),
    )
  }
  const demoScp = async (file: string) => json(join(DEMO_REPO_SOURCE, 'org/scps', file))
  await scp('protect-security-tooling', await demoScp('protect-security-tooling.json'), root)
  await scp('region-guardrail', await demoScp('region-guardrail.json'), prod)
  const noUsers = {
    Version: '2012-10-17',
    Statement: [{ Sid: 'NoIamUsers', Effect: 'Deny', Action: 'iam:CreateUser', Resource: '*' }],
  }
  await scp('no-iam-users', noUsers, data)
  const noRoute53Domains = {
    Version: '2012-10-17',
    Statement: [{ Sid: 'NoDomains', Effect: 'Deny', Action: 'route53domains:*', Resource: '*' }],
  }
  await scp('no-domains', noRoute53Domains, ids['111111111111'] as string)

  const repoDir = await rewrittenRepo(ids)
  const sts = new STSClient(base)
  const auditPolicy = await readFile(join(EXAMPLES, 'audit-role-policy.json'), 'utf8')
  for (const id of Object.values(ids)) {
    const c = (
      await sts.send(
        new AssumeRoleCommand({
          RoleArn: `arn:aws:iam::${id}:role/OrganizationAccountAccessRole`,
          RoleSessionName: 'setup',
        }),
      )
    ).Credentials
    const iam = new IAMClient({
      ...base,
      credentials: {
        accessKeyId: c?.AccessKeyId as string,
        secretAccessKey: c?.SecretAccessKey as string,
        sessionToken: c?.SessionToken as string,
      },
    })
    await createRoles(iam, join(repoDir, 'accounts', id))
    await iam.send(
      new CreateRoleCommand({
        RoleName: 'scopedown-audit',
        AssumeRolePolicyDocument: await readFile(
          join(EXAMPLES, 'audit-role-trust-policy.json'),
          'utf8',
        ),
      }),
    )
    await iam.send(
      new PutRolePolicyCommand({
        RoleName: 'scopedown-audit',
        PolicyName: 'audit',
        PolicyDocument: auditPolicy,
      }),
    )
    if (id === ids['111111111111']) {
      // Drift: someone widened orders-data in the console.
      const file = join(repoDir, 'accounts', id, 'roles/orders-api/inline/orders-data.json')
      const doc = await json(file)
      ;(doc.Statement as unknown[]).push({
        Sid: 'ConsoleHotfix',
        Effect: 'Allow',
        Action: 'sqs:SendMessage',
        Resource: '*',
      })
      await iam.send(
        new PutRolePolicyCommand({
          RoleName: 'orders-api',
          PolicyName: 'orders-data',
          PolicyDocument: JSON.stringify(doc),
        }),
      )
    }
    if (id === ids['222222222222']) {
      // A role made by hand, never written into the repository.
      await iam.send(
        new CreateRoleCommand({
          RoleName: 'hand-made',
          Path: '/',
          AssumeRolePolicyDocument: await readFile(
            join(EXAMPLES, 'audit-role-trust-policy.json'),
            'utf8',
          ),
        }),
      )
    }
  }
  const iam = new IAMClient(base)
  await iam.send(new CreateUserCommand({ UserName: 'scopedown-runner' }))
  await iam.send(
    new PutUserPolicyCommand({
      UserName: 'scopedown-runner',
      PolicyName: 'runner',
      PolicyDocument: await readFile(join(EXAMPLES, 'scopedown-runner-policy.json'), 'utf8'),
    }),
  )
  const unassumable = '333333333333'
  await iam.send(
    new PutUserPolicyCommand({
      UserName: 'scopedown-runner',
      PolicyName: 'not-shared',
      PolicyDocument: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Deny',
            Action: 'sts:AssumeRole',
            Resource: `arn:aws:iam::${ids[unassumable]}:role/scopedown-audit`,
          },
        ],
      }),
    }),
  )
  const key = (await iam.send(new CreateAccessKeyCommand({ UserName: 'scopedown-runner' })))
    .AccessKey
  await moto(endpoint, 'reset-auth', '0')
  return {
    ids,
    ous: { prod, data, shared, root },
    repoDir,
    runner: {
      accessKeyId: key?.AccessKeyId as string,
      secretAccessKey: key?.SecretAccessKey as string,
    },
    unassumable,
  }
}
