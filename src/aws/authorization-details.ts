import type { IsoDate, RoleRef } from '../model.js'
import { ScopedownError } from '../util/errors.js'

/** A role's permissions as raw policy JSON, before parsing: what a dump or a repo tells us. */
export interface RawRoleDefinition {
  role: RoleRef
  createDate?: IsoDate
  tags: Readonly<Record<string, string>>
  inline: readonly { name: string; document: unknown }[]
  managed: readonly {
    name: string
    arn: string
    document: unknown | undefined
    awsManaged: boolean
  }[]
  boundary?: { arn: string; document: unknown | undefined }
  /** IAM's RoleLastUsed (live reads and dumps carry it; repositories do not). */
  lastUsed?: { date?: IsoDate; region?: string }
}

interface DumpPolicy {
  Arn?: string
  PolicyName?: string
  DefaultVersionId?: string
  PolicyVersionList?: { Document?: unknown; VersionId?: string; IsDefaultVersion?: boolean }[]
}

interface DumpRole {
  Path?: string
  RoleName?: string
  Arn?: string
  CreateDate?: string
  Tags?: { Key: string; Value: string }[]
  RolePolicyList?: { PolicyName?: string; PolicyDocument?: unknown }[]
  AttachedManagedPolicies?: { PolicyName?: string; PolicyArn?: string }[]
  PermissionsBoundary?: { PermissionsBoundaryArn?: string }
  RoleLastUsed?: { LastUsedDate?: string; Region?: string }
}

/** True when the JSON looks like `aws iam get-account-authorization-details` output. */
export function isAuthorizationDetails(json: unknown): boolean {
  return (
    typeof json === 'object' &&
    json !== null &&
    Array.isArray((json as { RoleDetailList?: unknown }).RoleDetailList)
  )
}

/** The raw API returns URL-encoded JSON strings; the CLI decodes them. Accept both. */
function decodeDocument(doc: unknown): unknown {
  if (typeof doc !== 'string') return doc
  const text = doc.trimStart().startsWith('{') ? doc : decodeURIComponent(doc)
  return JSON.parse(text)
}

/** Dumps write `2026-01-02T03:04:05Z` or `2026-01-02 03:04:05+00:00`; the SDK gives Dates. */
function isoDate(value: string | Date | undefined): IsoDate | undefined {
  if (!value) return undefined
  const ms = value instanceof Date ? value.getTime() : Date.parse(value.replace(' ', 'T'))
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString()
}

/**
 * Every role in an authorization-details dump, with inline, attached and boundary documents
 * resolved from the dump's Policies list (AWS-managed documents are present only if the dump
 * was taken with them; otherwise `document` is undefined).
 */
export function rolesFromAuthorizationDetails(json: unknown, file: string): RawRoleDefinition[] {
  if (!isAuthorizationDetails(json)) {
    throw new ScopedownError(
      'POLICY_INVALID',
      `${file} is not get-account-authorization-details output`,
      {
        hint: 'expected a JSON object with RoleDetailList and Policies',
      },
    )
  }
  const dump = json as { RoleDetailList: DumpRole[]; Policies?: DumpPolicy[] }
  const byArn = new Map<string, unknown>()
  for (const policy of dump.Policies ?? []) {
    const version =
      policy.PolicyVersionList?.find((v) => v.IsDefaultVersion) ??
      policy.PolicyVersionList?.find((v) => v.VersionId === policy.DefaultVersionId)
    if (policy.Arn && version?.Document !== undefined)
      byArn.set(policy.Arn, decodeDocument(version.Document))
  }
  return dump.RoleDetailList.map((r, index) => {
    if (!r.Arn || !r.RoleName) {
      throw new ScopedownError(
        'POLICY_INVALID',
        `${file}: RoleDetailList[${index}] has no Arn or RoleName`,
      )
    }
    const accountId = r.Arn.split(':')[4] ?? ''
    const boundaryArn = r.PermissionsBoundary?.PermissionsBoundaryArn
    const lastUsedDate = isoDate(r.RoleLastUsed?.LastUsedDate)
    const lastUsedRegion = r.RoleLastUsed?.Region
    return {
      role: { accountId, name: r.RoleName, arn: r.Arn, path: r.Path ?? '/' },
      createDate: isoDate(r.CreateDate),
      tags: Object.fromEntries((r.Tags ?? []).map((t) => [t.Key, t.Value])),
      inline: (r.RolePolicyList ?? []).map((p, i) => ({
        name: p.PolicyName ?? `inline-${i}`,
        document: decodeDocument(p.PolicyDocument),
      })),
      managed: (r.AttachedManagedPolicies ?? []).flatMap((p) =>
        p.PolicyArn
          ? [
              {
                name: p.PolicyName ?? p.PolicyArn.split('/').pop() ?? p.PolicyArn,
                arn: p.PolicyArn,
                document: byArn.get(p.PolicyArn),
                awsManaged: /^arn:[^:]+:iam::aws:policy\//.test(p.PolicyArn),
              },
            ]
          : [],
      ),
      boundary: boundaryArn ? { arn: boundaryArn, document: byArn.get(boundaryArn) } : undefined,
      ...(lastUsedDate || lastUsedRegion
        ? {
            lastUsed: {
              ...(lastUsedDate ? { date: lastUsedDate } : {}),
              ...(lastUsedRegion ? { region: lastUsedRegion } : {}),
            },
          }
        : {}),
    }
  })
}
