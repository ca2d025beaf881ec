/**
 * Errors as people read them. Components catch whatever a save callback throws and show it with
 * {@link problemOf}: the server's `{error: {code, field, message}}` words, never a stack trace.
 */
import { labelOf } from './format.ts'
import type { FieldError } from './fields.ts'

/** The error body of the HTTP API. */
export interface ApiErrorBody {
  error: { code: string; field?: string; message: string }
}

/** A problem to show: the message, and the field it names when there is one. */
export interface Problem {
  message: string
  field?: string
  code?: string
}

const FALLBACK = 'Something went wrong. Please try again.'

/** Extracts a showable problem from anything thrown (an API error, a TallyError, a fetch failure). */
export function problemOf(err: unknown): Problem {
  if (err && typeof err === 'object') {
    const body = (err as Partial<ApiErrorBody>).error
    if (body && typeof body === 'object' && typeof body.message === 'string')
      return { message: body.message, field: body.field, code: body.code }
    const e = err as { message?: unknown; field?: unknown; code?: unknown }
    if (typeof e.message === 'string' && e.message)
      return {
        // A message is shown as one line: a multi-line message is a stack trace or a dump.
        message: e.message.split('\n')[0]!,
        field: typeof e.field === 'string' ? e.field : undefined,
        code: typeof e.code === 'string' ? e.code : undefined,
      }
  }
  if (typeof err === 'string' && err) return { message: err.split('\n')[0]! }
  return { message: FALLBACK }
}

/** A problem as a field error when it names a field, so forms can mark the input. */
export function fieldErrorOf(problem: Problem): FieldError | null {
  if (!problem.field) return null
  const prefix = `${problem.field}: `
  const text = problem.message.startsWith(prefix) ? problem.message.slice(prefix.length) : problem.message
  return { field: problem.field, label: labelOf(problem.field), problem: text }
}
