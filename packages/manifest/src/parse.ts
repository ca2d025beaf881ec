/**
 * Requests are validated by zod schemas, the same ones that describe the HTTP API in
 * `/api/openapi.json`. {@link parseWith} turns zod's first issue into the contract's error: 400
 * INVALID naming the field, e.g. `limit: must be a non-negative integer`.
 */
import { z } from 'zod'
import { invalid } from './errors.ts'

/** The dotted field an issue is about, with `prefix` (a parameter group, say) in front. */
function fieldOf(issue: z.core.$ZodIssue, prefix?: string): string {
  const path = issue.path.map(String)
  if (issue.code === 'unrecognized_keys' && issue.keys.length > 0) path.push(issue.keys[0]!)
  return [prefix, ...path].filter((p) => p !== undefined && p !== '').join('.') || prefix || 'body'
}

function messageOf(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys') return 'is not a known field'
  if (issue.code === 'invalid_type' && issue.input === undefined) return 'is required'
  return issue.message
}

/** The parsed value, or a TallyError INVALID naming the first problem's field. */
export function parseWith<S extends z.ZodType>(schema: S, value: unknown, prefix?: string): z.output<S> {
  const result = schema.safeParse(value)
  if (result.success) return result.data
  const issue = result.error.issues[0]!
  throw invalid(fieldOf(issue, prefix), messageOf(issue))
}

/** A query parameter given once, checked by `ok`; an empty value counts as absent. */
export const queryParam = (ok: (value: string) => boolean, message: string) =>
  z
    .string({ error: 'must be given once, as a plain value' })
    .refine((v) => v === '' || ok(v), { error: message })
    .optional()
    .transform((v) => (v === '' ? undefined : v))
