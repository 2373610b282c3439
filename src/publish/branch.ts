import { InvariantError } from '../util/errors.js'
import { sha256 } from '../util/stable-json.js'

/**
 * Names and markers that make proposals findable again on the next run. The branch name is a
 * pure function of the grouping, and the plan hash travels in a hidden HTML comment in the PR
 * body, so a monthly run can tell "same plan, nothing to do" without any state of its own.
 */

/** Where a proposal belongs: one role (`scopedown/<account>/<role>`) or a whole account. */
export interface BranchTarget {
  accountId: string
  /** Omit for per-account grouping: one branch and one PR holding every role's change. */
  roleName?: string
}

const BRANCH_PREFIX = 'scopedown'

/**
 * The deterministic branch for a target, valid under `git check-ref-format`. IAM role names are
 * almost always valid as they are; a name that needs sanitising gets a short hash of the original
 * appended, so two different roles can never share a branch.
 */
export function branchName(target: BranchTarget): string {
  const parts = [BRANCH_PREFIX, refComponent(target.accountId)]
  if (target.roleName != null) parts.push(refComponent(target.roleName))
  return parts.join('/')
}

/** The folder (relative, `/`-separated) a branch's dry-run output goes to: `<account>[/<role>]`. */
export function branchFolder(branch: string): string {
  const rest = branch.startsWith(`${BRANCH_PREFIX}/`)
    ? branch.slice(BRANCH_PREFIX.length + 1)
    : branch
  const segments = rest.split('/')
  if (segments.some((s) => s === '' || s === '.' || s === '..')) {
    throw new InvariantError(`branch ${JSON.stringify(branch)} cannot be used as a folder name`)
  }
  return segments.join('/')
}

function refComponent(raw: string): string {
  let part = raw
    .replace(/[^A-Za-z0-9._+=,@-]/g, '-') // no spaces, controls, ~^:?*[\ or slashes
    .replace(/\.{2,}/g, '.') // no '..'
    .replace(/^\.+/, '') // no component starting with '.'
  const needsSuffix =
    part !== raw || part === '' || part === '@' || part.endsWith('.') || part.endsWith('.lock')
  if (needsSuffix) part = `${part === '' ? 'x' : part}-${sha256(raw).slice(0, 8)}`
  return part
}

const PLAN_MARKER_RE = /<!-- scopedown:v1 plan=([0-9a-f]{64}) -->/g
const HASH_RE = /^[0-9a-f]{64}$/

/** The hidden marker that carries the plan hash in a PR body: `<!-- scopedown:v1 plan=<sha256> -->`. */
export function planMarker(planHash: string): string {
  if (!HASH_RE.test(planHash)) {
    throw new InvariantError(`plan hash must be a hex sha256, got ${JSON.stringify(planHash)}`)
  }
  return `<!-- scopedown:v1 plan=${planHash} -->`
}

/**
 * The plan hash a PR body carries, or undefined. The LAST marker wins: a renderer always writes
 * it at the very end, after any text that came from logs.
 */
export function readPlanHash(body: string | null | undefined): string | undefined {
  if (body == null) return undefined
  let found: string | undefined
  for (const match of body.matchAll(PLAN_MARKER_RE)) found = match[1]
  return found
}

/** One hash for a per-account PR: order-independent over its roles' plan hashes. */
export function combinePlanHashes(planHashes: readonly string[]): string {
  return sha256([...planHashes].sort().join('\n'))
}

/** Hidden marker that identifies a comment scopedown posts about one topic, so it is posted once. */
export function topicMarker(topic: string): string {
  if (!/^[a-z0-9-]+$/.test(topic)) throw new InvariantError(`bad comment topic ${topic}`)
  return `<!-- scopedown:topic=${topic} -->`
}
