import { evaluateEach, type PolicySet } from '../policy/evaluate.js'
import type { Contradiction } from './types.js'

interface ContradictionInput {
  policies: readonly { document: PolicySet['identity'][number] }[]
  boundary?: PolicySet['boundary']
  scps?: PolicySet['scps']
  usage: {
    used: readonly {
      action: string
      calls: number
      lastSeen: string
      resources: readonly string[]
    }[]
  }
}

/**
 * Used actions that the repository's policies say could not have succeeded: the permission
 * boundary or an SCP level never allows them, or a Deny refuses them, in every reading of the
 * conditions. The calls did succeed, so the repository is not what AWS enforces (drift, or a
 * stale SCP file). An action the identity policies simply do not grant is not listed: AWS-managed
 * policies outside the repository or a resource policy may grant it.
 */
export function contradictionsOf(input: ContradictionInput): Contradiction[] {
  const identity = input.policies.map((p) => p.document)
  const out: Contradiction[] = []
  for (const use of input.usage.used) {
    const resources = use.resources.length > 0 ? use.resources : ['*']
    const refusedBy = refusal(use.action, resources, {
      identity,
      ...(input.boundary ? { boundary: input.boundary } : {}),
      ...(input.scps ? { scps: input.scps } : {}),
    })
    if (refusedBy)
      out.push({ action: use.action, calls: use.calls, lastSeen: use.lastSeen, refusedBy })
  }
  return out
}

/** What refuses `action` on every one of `resources` for sure, or undefined. */
function refusal(
  action: string,
  resources: readonly string[],
  policies: PolicySet,
): string | undefined {
  const refusedAlone = (set: PolicySet) =>
    evaluateEach(action, resources, set).every((e) => e.permissive !== 'allow')
  if (!refusedAlone(policies)) return undefined
  if (
    evaluateEach(action, resources, { identity: policies.identity }).every(
      (e) => e.permissive === 'explicit-deny',
    )
  ) {
    return 'a Deny statement of the role'
  }
  if (policies.boundary && refusedAlone({ identity: [policies.boundary] })) {
    return 'the permission boundary'
  }
  const level = (policies.scps ?? []).findIndex((docs) => refusedAlone({ identity: docs }))
  if (level !== -1) return `the service control policies at OU level ${level} (0 = root)`
  return undefined
}
