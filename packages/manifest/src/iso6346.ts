/**
 * ISO 6346 container numbers: owner code (3 letters), category (U, J or Z), 6-digit serial and a check
 * digit. Letter values count up from A=10 skipping multiples of 11; position i is weighted 2^i from the
 * left; the check digit is `sum % 11 % 10` (so remainder 10 maps to 0).
 */
const LETTER_VALUES: Record<string, number> = (() => {
  const values: Record<string, number> = {}
  let v = 10
  for (const letter of 'ABCDEFGHIJKLMNOPQRSTUVWXYZ') {
    if (v % 11 === 0) v++
    values[letter] = v++
  }
  return values
})()

const SHAPE = /^[A-Z]{3}[UJZ][0-9]{6}[0-9]$/

/** The check digit for the first 10 characters of a container number. */
export function iso6346CheckDigit(first10: string): number {
  let sum = 0
  for (let i = 0; i < 10; i++) {
    const ch = first10[i]!
    const value = ch >= '0' && ch <= '9' ? Number(ch) : LETTER_VALUES[ch]
    if (value === undefined) throw new Error(`not an ISO 6346 character: ${ch}`)
    sum += value * 2 ** i
  }
  return (sum % 11) % 10
}

/** Why a container number is invalid, or null when it is valid. */
export function iso6346Problem(id: string): string | null {
  if (!SHAPE.test(id)) return 'must be 3 letters, U/J/Z, 6 digits and a check digit, e.g. CSQU3054383'
  const expected = iso6346CheckDigit(id.slice(0, 10))
  if (Number(id[10]) !== expected) return `check digit is ${id[10]}, expected ${expected}`
  return null
}

export function isValidContainerId(id: string): boolean {
  return iso6346Problem(id) === null
}

/** Completes a 10-character prefix with its check digit (used by the seeded workload). */
export function withCheckDigit(first10: string): string {
  return first10 + String(iso6346CheckDigit(first10))
}

/** Upper case, without the spaces, dots and dashes people type between the parts (`CSQU 305438-3`). */
export function normalizeContainerId(input: string): string {
  return input.toUpperCase().replace(/[\s.\-/]/g, '')
}

const DIGITS = '0123456789'
const LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ'

/**
 * Valid numbers one typing slip away from `input`, most likely first: two neighbouring characters
 * swapped (the commonest slip, and the one the check digit was designed to catch), then one character
 * mistyped in the serial or owner code, then a wrong check digit. Empty when the input is valid or too
 * far from any shape to guess. At most `limit` suggestions.
 */
export function suggestContainerIds(input: string, limit = 3): string[] {
  const id = normalizeContainerId(input)
  if (isValidContainerId(id)) return []
  const out: string[] = []
  const add = (candidate: string) => {
    if (out.length < limit && candidate !== id && isValidContainerId(candidate) && !out.includes(candidate))
      out.push(candidate)
  }
  // Ten characters: the check digit was left off.
  if (id.length === 10 && /^[A-Z]{3}[UJZ][0-9]{6}$/.test(id)) {
    add(withCheckDigit(id))
    return out
  }
  if (id.length !== 11) return out
  for (let i = 0; i < 10; i++) add(id.slice(0, i) + id[i + 1] + id[i] + id.slice(i + 2))
  for (let i = 4; i < 10; i++) for (const d of DIGITS) add(id.slice(0, i) + d + id.slice(i + 1))
  for (let i = 0; i < 3; i++) for (const l of LETTERS) add(id.slice(0, i) + l + id.slice(i + 1))
  if (/^[A-Z]{3}[UJZ][0-9]{6}/.test(id)) add(withCheckDigit(id.slice(0, 10)))
  return out
}
