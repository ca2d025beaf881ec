/**
 * Conversion between stored values (ImmutableString for scalar strings) and plain JSON values.
 */
import * as A from '@automerge/automerge'

/** A stored value as plain JSON: ImmutableStrings become strings, Text and proxies are copied. */
export function toPlain(value: unknown): any {
  if (value === null || value === undefined) return value ?? null
  // Lists first: inside a change callback a list proxy claims every own property, so
  // isImmutableString would mistake it for a string and flatten it.
  if (Array.isArray(value)) return Array.from(value, toPlain)
  if (A.isImmutableString(value)) return value.toString()
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value
  if (value instanceof Date) return value.toISOString()
  if (typeof value === 'object') {
    const out: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(value)) out[k] = toPlain(v)
    return out
  }
  return value
}

/** A plain JSON value in stored form: every string becomes an ImmutableString. */
export function toStored(value: unknown): any {
  if (typeof value === 'string') return new A.ImmutableString(value)
  if (Array.isArray(value)) return value.map(toStored)
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = toStored(v)
    return out
  }
  return value
}

/** Deep equality of plain JSON values. */
export function sameValue(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b)
}
