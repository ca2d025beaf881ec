/**
 * Value validators for the field catalog. Each is a zod schema (the one `/api/openapi.json`
 * describes the field with) wrapped as a function that returns a human-readable problem, or null
 * when the value is acceptable; the catalog prefixes the field name so every refusal names its
 * field. Policy, REST and the link call the function; the OpenAPI builders read `.schema`, so the
 * checks and the description are one definition and cannot drift.
 */
import { z } from 'zod'
import { iso6346Problem } from './iso6346.ts'

/** A check of one value, and the zod schema it runs. */
export type Validator = ((value: unknown) => string | null) & { readonly schema: z.ZodType }

/** The longest free-text value any single field accepts; notes have their own, larger limit. */
export const MAX_TEXT_LENGTH = 2_000

/** How a zod issue reads in a refusal: `item 2 …`, `cargo.dg.imoClass …`, or the bare message. */
type IssueFormat = (issue: z.core.$ZodIssue) => string

const bare: IssueFormat = (issue) => issue.message

/** Wraps a schema as a {@link Validator} that reports its first issue through `format`. */
export function fromSchema(schema: z.ZodType, format: IssueFormat = bare): Validator {
  const check = (v: unknown): string | null => {
    const result = schema.safeParse(v)
    return result.success ? null : format(result.error.issues[0]!)
  }
  return Object.assign(check, { schema })
}

/** A zod refinement from a hand-kept rule that returns a problem or null (ISO 6346, stowage). */
const refinedBy =
  (rule: (v: string) => string | null) =>
  (v: string, ctx: z.core.$RefinementCtx<string>): void => {
    const problem = rule(v)
    if (problem) ctx.addIssue({ code: 'custom', message: problem, input: v })
  }

const stringSchema = (maxLength: number, pattern?: RegExp, hint?: string) => {
  const s = z.string({ error: 'must be a string' }).max(maxLength, `must be at most ${maxLength} characters`)
  return pattern ? s.regex(pattern, hint ?? `must match ${pattern}`) : s
}

export const string = (maxLength: number, pattern?: RegExp, hint?: string): Validator =>
  fromSchema(stringSchema(maxLength, pattern, hint))

export const oneOf = <T extends string>(values: readonly T[]): Validator =>
  fromSchema(z.enum(values as unknown as [T, ...T[]], { error: `must be one of ${values.join(', ')}` }))

export const number = (min: number, max: number, unit = ''): Validator =>
  fromSchema(
    // zod refuses NaN and ±Infinity as numbers, as the contract does.
    z
      .number({ error: 'must be a number' })
      .min(min, `must be between ${min} and ${max}${unit}`)
      .max(max, `must be between ${min} and ${max}${unit}`),
  )

export const boolean: Validator = fromSchema(z.boolean({ error: 'must be true or false' }))

/** Any value: for list fields whose items the policy layer checks entry by entry (photos, evidence). */
export const anything: Validator = fromSchema(z.unknown())

/** Null, or what `inner` accepts; a problem reads as `inner` words it (an object's field path, say). */
export const nullable = (inner: Validator): Validator =>
  Object.assign((v: unknown) => (v === null ? null : inner(v)), { schema: inner.schema.nullable() })

const ISO_TIME_HINT = 'must be an ISO 8601 UTC time such as 2026-11-22T10:00:00Z'

/** ISO 8601 UTC timestamps as the HTTP contract uses them, e.g. 2026-11-22T10:00:00.000Z. */
export const isoTime: Validator = fromSchema(
  z
    .string({ error: 'must be an ISO 8601 UTC time' })
    .max(40, 'must be an ISO 8601 UTC time')
    .regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?Z$/, ISO_TIME_HINT)
    // Date.parse rolls impossible dates over (2026-02-30 becomes 2026-03-02) and accepts hour 24,
    // so the calendar date and hour must survive a round trip.
    .refine((v) => {
      const ms = Date.parse(v)
      return !Number.isNaN(ms) && new Date(ms).toISOString().slice(0, 13) === v.slice(0, 13)
    }, ISO_TIME_HINT)
    .meta({ format: 'date-time', example: '2026-11-22T10:00:00Z' }),
)

export const containerId: Validator = fromSchema(
  z
    .string({ error: 'must be a string' })
    .superRefine(refinedBy(iso6346Problem))
    .meta({ description: 'ISO 6346 container number, check digit verified', example: 'CSQU3054383' }),
)

/** UN/LOCODE: ISO 3166 country (2 letters) + 3 letters or digits 2–9, e.g. CNSHA, USLAX. */
export const unLocode = string(5, /^[A-Z]{2}[A-Z2-9]{3}$/, 'must be a UN/LOCODE such as CNSHA or USLAX')

/** Stowage BBBRRTT (ISO 9711): bay, row (00 centreline, even port, odd starboard), tier. */
export const stowage: Validator = fromSchema(
  z
    .string({ error: 'must be 7 digits BBBRRTT, e.g. 0120482' })
    .regex(/^\d{7}$/, 'must be 7 digits BBBRRTT, e.g. 0120482')
    .superRefine(
      refinedBy((v) => {
        const bay = Number(v.slice(0, 3))
        const tier = Number(v.slice(5, 7))
        if (bay === 0) return 'bay must be 001 or higher'
        if (tier === 0 || tier % 2 !== 0) return 'tier must be even (hold 02–78, deck 80 and up)'
        return null
      }),
    )
    .meta({ description: 'Stowage BBBRRTT (ISO 9711)', example: '0120482' }),
)

/** ISO size-type: length (2, 4, L…), height (0–9, L, M…), and two characters of type group. */
export const isoSizeType = string(
  4,
  /^[1-4L-P][0-9A-Z][A-Z][0-9A-Z]$/,
  'must be an ISO size-type code such as 45R1',
)

/** IMDG classes 1–9 with divisions and (for class 1) compatibility groups. */
export const imoClass = string(
  4,
  /^(1\.[1-6][A-HJKLNS]?|2\.[1-3]|3|4\.[1-3]|5\.[12]|6\.[12]|7|8|9)$/,
  'must be an IMDG class such as 1.1A, 2.1, 3 or 8',
)

export const unNumber = string(4, /^\d{4}$/, 'must be a 4-digit UN number such as 1203')

/** Reefer set points and air temperatures in °C; wider for readings, since a failing unit drifts. */
export const setpointC = number(-40, 30, ' °C')
export const airTemperatureC = number(-60, 60, ' °C')

export const hsCode = string(10, /^\d{6,10}$/, 'must be an HS code of 6 to 10 digits')

export const sealNumber = string(20, /^[A-Z0-9-]{3,20}$/i, 'must be 3–20 letters, digits or dashes')

/** The zod object of a validator shape: a key absent counts as null, as stored documents write it. */
export function objectSchemaOf(shape: Record<string, Validator>): z.ZodObject {
  const fields = Object.fromEntries(
    Object.entries(shape).map(([key, check]) => [
      key,
      check.schema.safeParse(null).success ? check.schema.optional() : check.schema,
    ]),
  )
  return z.strictObject(fields, { error: `must be an object with ${Object.keys(shape).join(', ')}` })
}

/** Checks a plain object's keys against a validator per key; unknown keys are refused by name. */
export function objectOf(shape: Record<string, Validator>, name: string): Validator {
  return fromSchema(objectSchemaOf(shape), (issue) => {
    if (issue.code === 'unrecognized_keys') return `${name}.${issue.keys[0]} is not a known field`
    if (issue.path.length === 0) return issue.message
    return `${name}.${issue.path.join('.')} ${issue.message}`
  })
}

export const listOf = (item: Validator, maxItems: number): Validator =>
  fromSchema(
    z.array(item.schema, { error: 'must be a list' }).max(maxItems, `must have at most ${maxItems} items`),
    (issue) => {
      if (issue.path.length === 0) return issue.message
      const [index, ...inner] = issue.path.map(String)
      return `item ${index} ${[...inner, issue.message].join(' ')}`
    },
  )
