import { describe, expect, it } from 'vitest'
import { iso6346CheckDigit, iso6346Problem, isValidContainerId, withCheckDigit } from '../src/index.ts'

describe('ISO 6346 container numbers', () => {
  it.each(['CSQU3054383', 'MWCU6059784', 'TEXU3070079', 'APZU4812090', 'CSQU0000070'])(
    '%s is valid',
    (id) => {
      expect(iso6346Problem(id)).toBeNull()
      expect(isValidContainerId(id)).toBe(true)
    },
  )

  it('maps a remainder of 10 to check digit 0 (CSQU0000070)', () => {
    expect(iso6346CheckDigit('CSQU000007')).toBe(0)
  })

  it.each([
    ['CSQU3045383', 1],
    ['MSCU6639871', 0],
  ])('%s fails with expected check digit %i', (id, expected) => {
    expect(iso6346Problem(id)).toBe(`check digit is ${id[10]}, expected ${expected}`)
    expect(isValidContainerId(id)).toBe(false)
  })

  it('weights from the left, not the right', () => {
    // Reversing the weights would give a different digit for the Wikipedia example.
    expect(iso6346CheckDigit('CSQU305438')).toBe(3)
  })

  it.each([
    '',
    'CSQU305438',
    'CSQU30543833',
    'CSQ3054383',
    'CSQU305438X',
    'CS1U3054383',
    'CSQU 305438 3',
    'CSQU-305438-3',
  ])('refuses the wrong shape %j', (id) => {
    expect(iso6346Problem(id)).toMatch(/must be 3 letters/)
  })

  it('refuses lowercase', () => {
    expect(isValidContainerId('csqu3054383')).toBe(false)
  })

  it('accepts only U, J and Z as the category letter', () => {
    for (const cat of 'ABCDEFGHIKLMNOPQRSTVWXY') {
      expect(isValidContainerId(withCheckDigit(`CSQ${cat}305438`))).toBe(false)
    }
    for (const cat of 'UJZ') expect(isValidContainerId(withCheckDigit(`CSQ${cat}305438`))).toBe(true)
  })

  it('withCheckDigit completes a prefix', () => {
    expect(withCheckDigit('CSQU305438')).toBe('CSQU3054383')
    expect(withCheckDigit('APZU481209')).toBe('APZU4812090')
  })

  it('check digit throws on characters outside the alphabet', () => {
    expect(() => iso6346CheckDigit('csqu305438')).toThrow(/not an ISO 6346 character/)
  })
})
