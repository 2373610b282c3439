import type { IamAction } from '../model.js'
import { isProtected, type PolicyDocument, statementsOf } from '../policy/document.js'
import { prune } from '../policy/prune.js'
import { fitToQuota } from '../policy/size.js'
import type { ActionCatalog } from '../usage/catalog.js'
import { InvariantError } from '../util/errors.js'
import { stableStringify } from '../util/stable-json.js'
import type { PlannedPolicy, PlanRules, PolicyChange } from './types.js'

/** One policy after pruning (and fitting): `after: null` deletes it. */
export interface Pruned {
  policy: PlannedPolicy
  after: PolicyDocument[] | null
  notes: string[]
}

/**
 * Rewrites one policy to the kept actions (optionally narrowing Resource to observed ARNs) and
 * fits it into IAM's size quota for its kind on its own. AWS-managed and other non-editable
 * policies come back as they are.
 */
export function rewritePolicy(
  policy: PlannedPolicy,
  keep: ReadonlySet<IamAction>,
  catalog: ActionCatalog,
  rules: Pick<PlanRules, 'protectedSidPrefix'> | undefined,
  narrow: ReadonlyMap<IamAction, readonly string[]> | undefined,
): Pruned {
  if (!policy.editable) return { policy, after: [policy.document], notes: [] }
  const protectedSidPrefix = rules?.protectedSidPrefix
  const result = prune(policy.document, keep, catalog, {
    ...(protectedSidPrefix ? { protectedSidPrefix } : {}),
    ...(narrow ? { narrow: { resources: narrow } } : {}),
  })
  const pruned: Pruned = {
    policy,
    after: result.document ? [result.document] : null,
    notes: [...result.notes],
  }
  if (!pruned.after) return pruned
  const fit = fitToQuota(pruned.after, policy.kind, catalog, {
    ...(protectedSidPrefix ? { protectedSidPrefix } : {}),
  })
  if (fit.notes.length === 0) return pruned
  return {
    ...pruned,
    after: [...(fit.documents[0] ?? [])],
    notes: [
      ...pruned.notes,
      ...fit.notes,
      ...(fit.fits ? [] : ['still over the IAM size quota: a reviewer must split it']),
    ],
  }
}

/**
 * Narrowing for a shared document: an action is narrowed to the union of the ARNs its attaching
 * roles used it on, and only when every role that keeps it used it with named, uncapped ARNs.
 * An action one role keeps for another reason (unobservable, never-remove) is not narrowed.
 */
export function sharedNarrowing(
  attachers: readonly {
    input: { rules: PlanRules; usage: { used: readonly UsedLike[] } }
    keep: ReadonlySet<IamAction>
  }[],
  keep: ReadonlySet<IamAction>,
): Map<IamAction, readonly string[]> | undefined {
  if (!attachers.every((a) => a.input.rules.narrowResources)) return undefined
  const narrow = new Map<IamAction, readonly string[]>()
  for (const action of keep) {
    const arns = new Set<string>()
    let narrowable = true
    for (const attacher of attachers) {
      if (!attacher.keep.has(action)) continue
      const use = attacher.input.usage.used.find((u) => u.action === action)
      if (!use || use.resources.length === 0 || use.resourcesCapped) {
        narrowable = false
        break
      }
      for (const arn of use.resources) arns.add(arn)
    }
    if (narrowable && arns.size > 0) narrow.set(action, [...arns].sort())
  }
  return narrow
}

interface UsedLike {
  action: IamAction
  resources: readonly string[]
  resourcesCapped: boolean
}

/**
 * Protected (`ScopedownKeep...`) and Deny statements are part of the promise: each must come
 * out byte-for-byte as it went in, in some document of the same policy.
 */
export function assertProtectedKept(
  changes: readonly PolicyChange[],
  protectedSidPrefix: string,
  roleArn: string,
): void {
  for (const change of changes) {
    if (!change.changed) continue
    const after = new Set(
      (change.after ?? []).flatMap((doc) => statementsOf(doc).map((s) => stableStringify(s))),
    )
    for (const statement of statementsOf(change.before)) {
      if (statement.Effect !== 'Deny' && !isProtected(statement, protectedSidPrefix)) continue
      if (!after.has(stableStringify(statement))) {
        throw new InvariantError(
          `${change.policy.name} of ${roleArn}: the ${statement.Effect === 'Deny' ? 'Deny' : 'protected'} statement ${statement.Sid ?? '(no Sid)'} would be changed`,
        )
      }
    }
  }
}
