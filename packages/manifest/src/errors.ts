/**
 * The one error type Tally's libraries throw for bad input. The `code` is part of the HTTP contract
 * (`{"error": {"code", "field"?, "message"}}`) and is mapped to a status once, in {@link httpStatusOf}.
 */
export type TallyErrorCode =
  | 'INVALID'
  | 'FORBIDDEN_FIELD'
  | 'NOT_FOUND'
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'CONFLICT'
  | 'PAYLOAD_TOO_LARGE'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'NOT_AT_SHORE'
  | 'DISK_FULL'
  /** The relay's database cannot be reached for now; try again. */
  | 'UNAVAILABLE'
  | 'RATE_LIMITED'
  | 'INTERNAL'

export class TallyError extends Error {
  readonly code: TallyErrorCode
  readonly field?: string
  /** Machine-readable particulars (a suggested container number, what blocks a close), sent as is. */
  readonly details?: Record<string, unknown>

  constructor(code: TallyErrorCode, message: string, field?: string, details?: Record<string, unknown>) {
    super(message)
    this.name = 'TallyError'
    this.code = code
    if (field !== undefined) this.field = field
    if (details !== undefined) this.details = details
  }

  toJSON(): {
    error: { code: TallyErrorCode; field?: string; message: string } & Record<string, unknown>
  } {
    return {
      error: {
        code: this.code,
        ...(this.field ? { field: this.field } : {}),
        message: this.message,
        ...(this.details ?? {}),
      },
    }
  }
}

const STATUS: Record<TallyErrorCode, number> = {
  INVALID: 400,
  FORBIDDEN_FIELD: 403,
  NOT_FOUND: 404,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  NOT_AT_SHORE: 409,
  DISK_FULL: 507,
  UNAVAILABLE: 503,
  RATE_LIMITED: 429,
  INTERNAL: 500,
}

/** The HTTP status for an error code; anything that is not a TallyError is a 500. */
export function httpStatusOf(err: unknown): number {
  return err instanceof TallyError ? STATUS[err.code] : 500
}

/** Shorthand for the most common refusal: a value that fails validation, naming the field. */
export function invalid(field: string, message: string): TallyError {
  return new TallyError('INVALID', `${field}: ${message}`, field)
}
