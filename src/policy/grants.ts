import type { IamAction } from '../model.js'
import type { ActionCatalog } from '../usage/catalog.js'
import { isConditional, listOf, type PolicyDocument, statementsOf } from './document.js'
import { compareText, hasPolicyVariable, statementActions } from './match.js'

/** Points at one statement of one document in a list, with what the planner needs to judge it. */
export interface StatementRef {
  /** Index of the document in the list given. */
  policy: number
  /** Index of the statement within the document. */
  statement: number
  sid?: string
  effect: 'Allow' | 'Deny'
  /** Has a Condition or a policy variable in its resources: logs cannot tell when it applies. */
  conditional: boolean
  /** Its Resource is not just `*` (or it uses NotResource). */
  resourceScoped: boolean
}

/** One catalog action the documents grant, with every statement granting it. */
export interface ActionGrant {
  action: IamAction
  /** Allow statements covering the action (by Action pattern or by NotAction's complement). */
  grants: readonly StatementRef[]
  /** Deny statements covering the action, whatever their resources or conditions. */
  denies: readonly StatementRef[]
}

export interface GrantReport {
  /** Sorted by action. */
  actions: readonly ActionGrant[]
  /** Allow patterns that match no catalog action: the planner cannot judge them, so keeps them. */
  unknown: readonly { pattern: string; ref: StatementRef }[]
}

/**
 * Lists the catalog actions a set of identity documents grants, and the statements granting
 * (and denying) each. This is the planner's worklist: it decides keep or remove per action,
 * then calls `prune`. Whether a boundary or SCP blocks a grant is a separate question (`evaluate`).
 */
export function grantedActions(
  docs: readonly PolicyDocument[],
  catalog: ActionCatalog,
): GrantReport {
  const grants = new Map<IamAction, StatementRef[]>()
  const denies = new Map<IamAction, StatementRef[]>()
  const unknown: { pattern: string; ref: StatementRef }[] = []
  docs.forEach((doc, policy) => {
    statementsOf(doc).forEach((statement, index) => {
      const resources = listOf(statement.Resource ?? statement.NotResource)
      const ref: StatementRef = {
        policy,
        statement: index,
        ...(statement.Sid === undefined ? {} : { sid: statement.Sid }),
        effect: statement.Effect,
        conditional: isConditional(statement) || resources.some(hasPolicyVariable),
        resourceScoped:
          statement.NotResource !== undefined || !(resources.length === 1 && resources[0] === '*'),
      }
      const expanded = statementActions(statement, catalog)
      const target = statement.Effect === 'Allow' ? grants : denies
      for (const action of expanded.actions) {
        const list = target.get(action)
        if (list) list.push(ref)
        else target.set(action, [ref])
      }
      if (statement.Effect === 'Allow') {
        for (const pattern of expanded.unknown) unknown.push({ pattern, ref })
      }
    })
  })
  const actions = [...grants.keys()].sort(compareText).map((action) => ({
    action,
    grants: grants.get(action) ?? [],
    denies: denies.get(action) ?? [],
  }))
  return { actions, unknown }
}
