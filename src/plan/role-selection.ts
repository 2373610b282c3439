import type { RoleRef } from '../model.js'

/** Which roles scopedown leaves alone unless told otherwise (from config `roles`). */
export interface RoleSelectionRules {
  include: readonly string[]
  exclude: readonly string[]
  includeHumanRoles: boolean
  humanRolePaths: readonly string[]
  humanRoleTags: Readonly<Record<string, string>>
  includeServiceLinkedRoles: boolean
}

export type Exemption =
  | { reason: 'human-role'; detail: string }
  | { reason: 'service-linked'; detail: string }
  | { reason: 'excluded'; detail: string }

/** `*` and `?` glob, whole string, case-sensitive (role names are case-sensitive in ARNs). */
function globMatches(pattern: string, text: string): boolean {
  const body = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.')
  return new RegExp(`^${body}$`).test(text)
}

function matchesAny(patterns: readonly string[], role: RoleRef): boolean {
  return patterns.some((p) => globMatches(p, p.startsWith('arn:') ? role.arn : role.name))
}

/**
 * Why a role must be left alone, or undefined when scopedown may plan it. Service-linked roles
 * (path `/aws-service-role/`) belong to AWS; human roles (by path or tag) are how people work,
 * and their usage is too irregular for a 90-day window to judge.
 */
export function roleExemption(
  role: RoleRef,
  tags: Readonly<Record<string, string>>,
  rules: RoleSelectionRules,
): Exemption | undefined {
  const path = role.path ?? '/'
  if (!rules.includeServiceLinkedRoles && path.startsWith('/aws-service-role/')) {
    return {
      reason: 'service-linked',
      detail: `service-linked role (path ${path}) is managed by AWS`,
    }
  }
  if (!rules.includeHumanRoles) {
    const byPath = rules.humanRolePaths.find((p) => path.startsWith(p))
    if (byPath)
      return { reason: 'human-role', detail: `human role (path ${path} starts with ${byPath})` }
    const byTag = Object.entries(rules.humanRoleTags).find(([k, v]) => tags[k] === v)
    if (byTag) return { reason: 'human-role', detail: `human role (tag ${byTag[0]}=${byTag[1]})` }
  }
  if (matchesAny(rules.exclude, role))
    return { reason: 'excluded', detail: 'matches roles.exclude' }
  if (!matchesAny(rules.include, role))
    return { reason: 'excluded', detail: 'matches no roles.include pattern' }
  return undefined
}
