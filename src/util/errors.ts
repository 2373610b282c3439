/** What kind of expected failure a {@link ScopedownError} is; the CLI maps codes to exit codes. */
export type ErrorCode =
  | 'USAGE'
  | 'CONFIG_INVALID'
  | 'INPUT_INVALID'
  | 'SOURCE_FAILED'
  | 'CATALOG_FAILED'
  | 'POLICY_INVALID'
  | 'POLICY_NOT_FOUND'
  | 'PUBLISH_FAILED'

/**
 * An expected failure: bad input, a failed query, a missing file. Carries a `hint` that tells the
 * user what to do next. Printed without a stack trace.
 */
export class ScopedownError extends Error {
  readonly code: ErrorCode
  readonly hint: string | undefined

  constructor(code: ErrorCode, message: string, options: { cause?: unknown; hint?: string } = {}) {
    super(message, { cause: options.cause })
    this.name = 'ScopedownError'
    this.code = code
    this.hint = options.hint
  }
}

/** A scopedown bug, such as a plan that would widen access. Never caught below the CLI. */
export class InvariantError extends Error {
  constructor(message: string) {
    super(
      `${message}\nThis is a scopedown bug: nothing was emitted. Please report it with the inputs that caused it.`,
    )
    this.name = 'InvariantError'
  }
}

/** The message of any thrown value, for reports. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
