/**
 * How scopedown recognises its own commits. Every commit it writes ends with two git trailers:
 *
 *     Scopedown-Plan: <plan sha256>
 *     Scopedown-Tree: <sha of the tree this very commit points at>
 *
 * A commit counts as scopedown's only if both trailers are there, the tree trailer names the
 * commit's actual tree, and it has exactly one parent. A human commit on top, an amend that
 * changes files, a rebase or a merge of the base all fail that test. Gateways add an identity
 * check (the bot login on GitHub, the configured author in plain git) on top of this.
 */

const PLAN_TRAILER = 'Scopedown-Plan'
const TREE_TRAILER = 'Scopedown-Tree'

/** The commit message scopedown writes: the caller's message plus our trailers. */
export function withTrailers(message: string, trailers: { planHash: string; treeSha: string }) {
  return `${message.trimEnd()}\n\n${PLAN_TRAILER}: ${trailers.planHash}\n${TREE_TRAILER}: ${trailers.treeSha}\n`
}

/** Our trailers from the last paragraph of a commit message, if present. */
export function readTrailers(message: string): { planHash?: string; treeSha?: string } {
  const paragraphs = message.trim().split(/\n\s*\n/)
  const last = paragraphs[paragraphs.length - 1] ?? ''
  const found: { planHash?: string; treeSha?: string } = {}
  for (const line of last.split('\n')) {
    const match = /^([A-Za-z-]+): *([0-9a-f]+)\s*$/.exec(line)
    if (match?.[1] === PLAN_TRAILER) found.planHash = match[2]
    if (match?.[1] === TREE_TRAILER) found.treeSha = match[2]
  }
  return found
}

/** The identity-free half of the "is this our commit?" test (see the module comment). */
export function hasScopedownTrailers(commit: {
  message: string
  treeSha: string
  parents: readonly string[]
}): boolean {
  const trailers = readTrailers(commit.message)
  return (
    commit.parents.length === 1 && trailers.planHash != null && trailers.treeSha === commit.treeSha
  )
}
