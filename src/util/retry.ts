/** Retrying with exponential back-off: one helper, one vocabulary, an injectable sleep. */

export interface RetryOptions {
  /** Attempts after the first. */
  retries: number
  /** Wait before the first retry; doubles each time. */
  baseMs: number
  /** Cap on one wait. */
  maxMs?: number
  isRetryable(error: unknown): boolean
  /** Injected in tests so back-off costs no wall time. */
  sleep?: (ms: number) => Promise<void>
  onRetry?(error: unknown, attempt: number, delayMs: number): void
}

export const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, ms))

/** Runs `work`, retrying while `isRetryable` says so, waiting `baseMs * 2^n` (capped) between. */
export async function withRetry<T>(work: () => Promise<T>, options: RetryOptions): Promise<T> {
  const pause = options.sleep ?? sleep
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await work()
    } catch (error) {
      if (attempt >= options.retries || !options.isRetryable(error)) throw error
      const delay = Math.min(
        options.maxMs ?? Number.POSITIVE_INFINITY,
        options.baseMs * 2 ** attempt,
      )
      options.onRetry?.(error, attempt + 1, delay)
      await pause(delay)
    }
  }
}

const THROTTLING_NAMES = new Set([
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'SlowDown',
  'PriorRequestNotComplete',
])

/**
 * True for an AWS SDK error that says "slow down": a throttling error name, HTTP 429, or the
 * SDK's own `$retryable.throttling` mark. Other errors (access denied, not found) are final.
 */
export function isThrottlingError(error: unknown): boolean {
  if (error === null || typeof error !== 'object') return false
  const { name, $metadata, $retryable } = error as {
    name?: unknown
    $metadata?: { httpStatusCode?: number }
    $retryable?: { throttling?: boolean }
  }
  return (
    (typeof name === 'string' && THROTTLING_NAMES.has(name)) ||
    $metadata?.httpStatusCode === 429 ||
    $retryable?.throttling === true
  )
}
