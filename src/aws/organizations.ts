/**
 * Organizations, read-only: the accounts of the organization with their OU paths, and the SCPs
 * attached along each path. Every listing is cached for the run, so an OU's parents, a target's
 * policies and a policy's document are each fetched once however many accounts share them.
 */
import {
  DescribeOrganizationCommand,
  DescribePolicyCommand,
  ListAccountsForParentCommand,
  ListOrganizationalUnitsForParentCommand,
  ListParentsCommand,
  ListPoliciesForTargetCommand,
  ListRootsCommand,
  type OrganizationsClient,
} from '@aws-sdk/client-organizations'
import type { PolicyDocument } from '../policy/document.js'
import { type AwsCaller, allPages } from './calls.js'
import {
  createScpCompiler,
  type OrgAccount,
  type ScpCompiler,
  scpLevels,
} from './organization-model.js'

/** What scopedown asks of Organizations; tests fake it or mock the client under it. */
export interface OrganizationReader {
  /** The management account's id (DescribeOrganization). */
  managementAccountId(): Promise<string | undefined>
  /** Every account under the roots, or under the given OUs, with its path from the root. */
  listAccounts(under?: readonly string[]): Promise<OrgAccount[]>
  /** Parent ids of an account from the root down (ListParents, cached per child). */
  pathOf(accountId: string): Promise<string[]>
  /** The SCP levels of an account, root first (see scpLevels). */
  scpLevels(accountId: string): Promise<PolicyDocument[][]>
  /** Compiles each distinct SCP text once; `distinct` says how many there were. */
  readonly compiler: ScpCompiler
}

export function createOrganizationReader(args: {
  client: OrganizationsClient
  call: AwsCaller
}): OrganizationReader {
  const { client, call } = args
  const compiler = createScpCompiler()
  const once = <T>(cache: Map<string, Promise<T>>, key: string, load: () => Promise<T>) => {
    let p = cache.get(key)
    if (!p) {
      p = load()
      cache.set(key, p)
      // A failed lookup is not remembered: the next account may try again.
      p.catch(() => cache.delete(key))
    }
    return p
  }
  const parents = new Map<string, Promise<string | undefined>>()
  const policiesOf = new Map<string, Promise<string[]>>()
  const documents = new Map<string, Promise<PolicyDocument>>()
  let management: Promise<string | undefined> | undefined
  let roots: Promise<{ id: string; scpsEnabled: boolean }[]> | undefined

  const listRoots = () => {
    roots ??= allPages(
      call,
      { action: 'organizations:ListRoots' },
      (token) => client.send(new ListRootsCommand({ ...(token ? { NextToken: token } : {}) })),
      (page) => page.NextToken,
    ).then((pages) =>
      pages.flatMap((p) =>
        (p.Roots ?? []).flatMap((r) =>
          r.Id
            ? [
                {
                  id: r.Id,
                  scpsEnabled: (r.PolicyTypes ?? []).some(
                    (t) => t.Type === 'SERVICE_CONTROL_POLICY' && t.Status === 'ENABLED',
                  ),
                },
              ]
            : [],
        ),
      ),
    )
    return roots
  }

  const parentOf = (childId: string) =>
    once(parents, childId, async () => {
      const pages = await allPages(
        call,
        { action: 'organizations:ListParents', resource: childId },
        (token) =>
          client.send(
            new ListParentsCommand({ ChildId: childId, ...(token ? { NextToken: token } : {}) }),
          ),
        (page) => page.NextToken,
      )
      return pages.flatMap((p) => p.Parents ?? [])[0]?.Id
    })

  const pathOf = async (id: string): Promise<string[]> => {
    const path: string[] = []
    let parent = await parentOf(id)
    while (parent) {
      path.unshift(parent)
      if (parent.startsWith('r-')) break
      parent = await parentOf(parent)
    }
    return path
  }

  const children = async (parentId: string) => {
    const [ous, accounts] = await Promise.all([
      allPages(
        call,
        { action: 'organizations:ListOrganizationalUnitsForParent', resource: parentId },
        (token) =>
          client.send(
            new ListOrganizationalUnitsForParentCommand({
              ParentId: parentId,
              ...(token ? { NextToken: token } : {}),
            }),
          ),
        (page) => page.NextToken,
      ),
      allPages(
        call,
        { action: 'organizations:ListAccountsForParent', resource: parentId },
        (token) =>
          client.send(
            new ListAccountsForParentCommand({
              ParentId: parentId,
              ...(token ? { NextToken: token } : {}),
            }),
          ),
        (page) => page.NextToken,
      ),
    ])
    return {
      ous: ous.flatMap((p) => (p.OrganizationalUnits ?? []).flatMap((o) => (o.Id ? [o.Id] : []))),
      accounts: accounts.flatMap((p) => p.Accounts ?? []),
    }
  }

  /** Top-down from each start: one listing per OU, however many accounts it holds. */
  const walk = async (starts: readonly { id: string; path: string[] }[]): Promise<OrgAccount[]> => {
    const found: OrgAccount[] = []
    const queue = [...starts]
    while (queue.length > 0) {
      const level = queue.splice(0, queue.length)
      const listed = await Promise.all(
        level.map(async (node) => ({ node, ...(await children(node.id)) })),
      )
      for (const { node, ous, accounts } of listed) {
        const path = [...node.path, node.id]
        for (const a of accounts) {
          if (!a.Id) continue
          found.push({
            id: a.Id,
            ...(a.Name ? { name: a.Name } : {}),
            ...(a.Status ? { status: a.Status } : {}),
            path,
          })
          parents.set(a.Id, Promise.resolve(node.id))
        }
        for (const ou of ous) {
          parents.set(ou, Promise.resolve(node.id))
          queue.push({ id: ou, path })
        }
      }
    }
    return found
  }

  const attachedTo = (targetId: string) =>
    once(policiesOf, targetId, async () => {
      const pages = await allPages(
        call,
        { action: 'organizations:ListPoliciesForTarget', resource: targetId },
        (token) =>
          client.send(
            new ListPoliciesForTargetCommand({
              TargetId: targetId,
              Filter: 'SERVICE_CONTROL_POLICY',
              ...(token ? { NextToken: token } : {}),
            }),
          ),
        (page) => page.NextToken,
      )
      return pages.flatMap((p) => (p.Policies ?? []).flatMap((s) => (s.Id ? [s.Id] : [])))
    })

  const document = (policyId: string) =>
    once(documents, policyId, async () => {
      const answer = await call(
        { action: 'organizations:DescribePolicy', resource: policyId },
        () => client.send(new DescribePolicyCommand({ PolicyId: policyId })),
      )
      const content = answer.Policy?.Content ?? ''
      return compiler.compile({
        id: policyId,
        name: answer.Policy?.PolicySummary?.Name ?? policyId,
        content,
      })
    })

  return {
    compiler,
    managementAccountId() {
      management ??= call({ action: 'organizations:DescribeOrganization' }, () =>
        client.send(new DescribeOrganizationCommand({})),
      ).then((o) => o.Organization?.MasterAccountId)
      return management
    },
    async listAccounts(under) {
      if (!under) return walk((await listRoots()).map((r) => ({ id: r.id, path: [] })))
      const starts = await Promise.all(
        under.map(async (id) => ({ id, path: id.startsWith('r-') ? [] : await pathOf(id) })),
      )
      const seen = new Set<string>()
      return (await walk(starts)).filter((a) => !seen.has(a.id) && seen.add(a.id))
    },
    pathOf,
    async scpLevels(accountId) {
      const [path, managementId, rootList] = await Promise.all([
        pathOf(accountId),
        this.managementAccountId(),
        listRoots(),
      ])
      const root = rootList.find((r) => r.id === path[0])
      // SCPs do nothing where the policy type is disabled, and never to the management account.
      if (root && !root.scpsEnabled) return []
      const targets = [...path, accountId]
      const docs = new Map<string, PolicyDocument[]>()
      await Promise.all(
        targets.map(async (t) => {
          const ids = await attachedTo(t)
          docs.set(t, await Promise.all(ids.map(document)))
        }),
      )
      return scpLevels(accountId, path, (t) => docs.get(t) ?? [], accountId === managementId)
    },
  }
}
