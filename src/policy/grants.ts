import type { IamAction } from '../model.js'
import type { ActionCatalog } from '../usage/catalog.js'
import { actionIndex, coverageOf, forEachCovered } from './action-classes.js'
import { isConditional, listOf, type PolicyDocument, statementsOf } from './document.js'
import { hasPolicyVariable } from './match.js'

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
 * Works on catalog ids (action-classes.ts): a NotAction statement costs one pass over the catalog,
 * and the result comes out sorted by name without comparing names.
 */
export function grantedActions(
  docs: readonly PolicyDocument[],
  catalog: ActionCatalog,
): GrantReport {
  const index = actionIndex(catalog)
  const grants: (StatementRef[] | undefined)[] = new Array(index.size)
  const denies: (StatementRef[] | undefined)[] = new Array(index.size)
  const granted: number[] = []
  const unknown: { pattern: string; ref: StatementRef }[] = []
  docs.forEach((doc, policy) => {
    statementsOf(doc).forEach((statement, i) => {
      const resources = listOf(statement.Resource ?? statement.NotResource)
      const ref: StatementRef = {
        policy,
        statement: i,
        ...(statement.Sid === undefined ? {} : { sid: statement.Sid }),
        effect: statement.Effect,
        conditional: isConditional(statement) || resources.some(hasPolicyVariable),
        resourceScoped:
          statement.NotResource !== undefined || !(resources.length === 1 && resources[0] === '*'),
      }
      const allow = statement.Effect === 'Allow'
      const target = allow ? grants : denies
      const add = (id: number) => {
        const list = target[id]
        if (list) list.push(ref)
        else {
          target[id] = [ref]
          if (allow) granted.push(id)
        }
      }
      forEachCovered(coverageOf(statement, index), index, add)
      if (allow && statement.NotAction === undefined) {
        for (const pattern of listOf(statement.Action)) {
          if (index.idsOf(pattern).length === 0) unknown.push({ pattern, ref })
        }
      }
    })
  })
  const ordered =
    granted.length * 8 > index.size
      ? index.byName.filter((id) => grants[id] !== undefined)
      : Int32Array.from(granted).sort(
          (a, b) => (index.rank[a] as number) - (index.rank[b] as number),
        )
  const actions: ActionGrant[] = []
  for (const id of ordered) {
    actions.push({
      action: index.names[id] as IamAction,
      grants: grants[id] ?? [],
      denies: denies[id] ?? [],
    })
  }
  return { actions, unknown }
}
