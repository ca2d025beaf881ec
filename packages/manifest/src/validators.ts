/**
 * Value validators for the field catalog. Each returns a human-readable problem, or null when the
 * value is acceptable; the catalog prefixes the field name so every refusal names its field.
 */
import { iso6346Problem } from './iso6346.ts'

export type Validator = (value: unknown) => string | null

/** The longest free-text value any single field accepts; notes have their own, larger limit. */
export const MAX_TEXT_LENGTH = 2_000

export const string =
  (maxLength: number, pattern?: RegExp, hint?: string): Validator =>
  (v) => {
    if (typeof v !== 'string') return 'must be a string'
    if (v.length > maxLength) return `must be at most ${maxLength} characters`
    if (pattern && !pattern.test(v)) return hint ?? `must match ${pattern}`
    return null
  }

export const oneOf =
  <T extends string>(values: readonly T[]): Validator =>
  (v) =>
    typeof v === 'string' && (values as readonly string[]).includes(v)
      ? null
      : `must be one of ${values.join(', ')}`

export const number =
  (min: number, max: number, unit = ''): Validator =>
  (v) => {
    if (typeof v !== 'number' || !Number.isFinite(v)) return 'must be a number'
    if (v < min || v > max) return `must be between ${min} and ${max}${unit}`
    return null
  }

export const boolean: Validator = (v) => (typeof v === 'boolean' ? null : 'must be true or false')

export const nullable =
  (inner: Validator): Validator =>
  (v) =>
    v === null ? null : inner(v)

/** ISO 8601 UTC timestamps as the HTTP contract uses them, e.g. 2026-11-22T10:00:00.000Z. */
export const isoTime: Validator = (v) => {
  if (typeof v !== 'string' || v.length > 40) return 'must be an ISO 8601 UTC time'
  const ms = Date.parse(v)
  // Date.parse rolls impossible dates over (2026-02-30 becomes 2026-03-02) and accepts hour 24, so
  // the calendar date and hour must survive a round trip.
  if (
    !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?Z$/.test(v) ||
    Number.isNaN(ms) ||
    new Date(ms).toISOString().slice(0, 13) !== v.slice(0, 13)
  )
    return 'must be an ISO 8601 UTC time such as 2026-11-22T10:00:00Z'
  return null
}

export const containerId: Validator = (v) => (typeof v !== 'string' ? 'must be a string' : iso6346Problem(v))

/** UN/LOCODE: ISO 3166 country (2 letters) + 3 letters or digits 2–9, e.g. CNSHA, USLAX. */
export const unLocode = string(5, /^[A-Z]{2}[A-Z2-9]{3}$/, 'must be a UN/LOCODE such as CNSHA or USLAX')

/** Stowage BBBRRTT (ISO 9711): bay, row (00 centreline, even port, odd starboard), tier. */
export const stowage: Validator = (v) => {
  if (typeof v !== 'string' || !/^\d{7}$/.test(v)) return 'must be 7 digits BBBRRTT, e.g. 0120482'
  const bay = Number(v.slice(0, 3))
  const tier = Number(v.slice(5, 7))
  if (bay === 0) return 'bay must be 001 or higher'
  if (tier === 0 || tier % 2 !== 0) return 'tier must be even (hold 02–78, deck 80 and up)'
  return null
}

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

/** Checks a plain object's keys against a validator per key; unknown keys are refused by name. */
export function objectOf(shape: Record<string, Validator>, name: string): Validator {
  return (v) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v))
      return `must be an object with ${Object.keys(shape).join(', ')}`
    for (const key of Object.keys(v)) if (!(key in shape)) return `${name}.${key} is not a known field`
    for (const [key, check] of Object.entries(shape)) {
      const problem = check((v as Record<string, unknown>)[key] ?? null)
      if (problem) return `${name}.${key} ${problem}`
    }
    return null
  }
}

export const listOf =
  (item: Validator, maxItems: number): Validator =>
  (v) => {
    if (!Array.isArray(v)) return 'must be a list'
    if (v.length > maxItems) return `must have at most ${maxItems} items`
    for (const [i, x] of v.entries()) {
      const problem = item(x)
      if (problem) return `item ${i} ${problem}`
    }
    return null
  }
