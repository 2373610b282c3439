/**
 * Every AWS call scopedown makes goes through one {@link AwsCaller}: at most `perApi` calls of one
 * API in flight (Organizations and IAM have low account-wide rate limits, shared with everyone
 * else in the account), retried with back-off while throttled, and wrapped once into a
 * ScopedownError that names the IAM action needed and the account it was refused in.
 */
import Bottleneck from 'bottleneck'
import { errorMessage, ScopedownError } from '../util/errors.js'
import type { Logger } from '../util/log.js'
import { isThrottlingError, withRetry } from '../util/retry.js'

/** What one call is, for limits and messages: the IAM action it needs and where it runs. */
export interface AwsCallTarget {
  /** The IAM action the call needs, e.g. `organizations:ListParents`. */
  action: string
  /** The account the call is made in (for messages). */
  accountId?: string
  /** The resource it is about, e.g. a role ARN or an OU id (for messages). */
  resource?: string
}

/** Runs one AWS request under the limits; failures come back as ScopedownError. */
export type AwsCaller = <T>(target: AwsCallTarget, send: () => Promise<T>) => Promise<T>

export interface AwsCallerOptions {
  /** Calls in flight per API (per IAM action). */
  perApi: number
  /** Retries of a throttled call (default 5). */
  retries?: number
  /** First back-off wait (default 500 ms, doubling up to 20 s). */
  baseMs?: number
  sleep?: (ms: number) => Promise<void>
  log: Logger
}

/** Error names that mean "not allowed": the message then says which action to grant. */
const DENIED = new Set([
  'AccessDenied',
  'AccessDeniedException',
  'UnauthorizedOperation',
  'AuthorizationError',
  'InvalidClientTokenId',
  'ExpiredToken',
  'UnrecognizedClientException',
  'AWSOrganizationsNotInUseException',
])

/** True when the error was AWS refusing the caller (not a bug, not a network problem). */
export function isAccessDenied(error: unknown): boolean {
  const cause = error instanceof ScopedownError ? error.cause : error
  const name = (cause as { name?: unknown } | null)?.name
  const status = (cause as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata
    ?.httpStatusCode
  return (typeof name === 'string' && DENIED.has(name)) || status === 403
}

export function createAwsCaller(options: AwsCallerOptions): AwsCaller {
  const limiters = new Bottleneck.Group({ maxConcurrent: options.perApi })
  return async (target, send) => {
    try {
      return await limiters.key(target.action).schedule(() =>
        withRetry(send, {
          retries: options.retries ?? 5,
          baseMs: options.baseMs ?? 500,
          maxMs: 20_000,
          isRetryable: isThrottlingError,
          ...(options.sleep ? { sleep: options.sleep } : {}),
          onRetry: (_error, attempt, delayMs) =>
            options.log.debug('aws: throttled, backing off', {
              action: target.action,
              account: target.accountId,
              attempt,
              delayMs,
            }),
        }),
      )
    } catch (error) {
      throw awsError(target, error)
    }
  }
}

/** One message for every AWS failure: what was refused, where, and what to grant. */
export function awsError(target: AwsCallTarget, error: unknown): ScopedownError {
  if (error instanceof ScopedownError) return error
  const name = (error as { name?: unknown } | null)?.name
  const where = [
    target.accountId ? `account ${target.accountId}` : undefined,
    target.resource,
  ].filter(Boolean)
  const prefix = `${target.action}${where.length > 0 ? ` (${where.join(', ')})` : ''}`
  const denied = isAccessDenied(error)
  return new ScopedownError(
    'SOURCE_FAILED',
    `${prefix} failed: ${typeof name === 'string' && name !== 'Error' ? `${name}: ` : ''}${errorMessage(error)}`,
    {
      cause: error,
      hint: denied
        ? `grant ${target.action} to the credentials scopedown uses${target.accountId ? ` in account ${target.accountId}` : ''} (examples/iam/ has the policies)`
        : isThrottlingError(error)
          ? `still throttled after retries: lower aws.concurrency.perApi`
          : undefined,
    },
  )
}

/**
 * Every page of a paged AWS listing, each one a separate call under the limits. `next` reads the
 * token from a page; the loop stops when it returns undefined.
 */
export async function allPages<P>(
  call: AwsCaller,
  target: AwsCallTarget,
  fetch: (token: string | undefined) => Promise<P>,
  next: (page: P) => string | undefined,
): Promise<P[]> {
  const pages: P[] = []
  let token: string | undefined
  do {
    const page = await call(target, () => fetch(token))
    pages.push(page)
    token = next(page)
  } while (token)
  return pages
}
