import { describe, expect, it } from 'vitest'
import {
  checkPortCalls,
  currentPortCall,
  isValidContainerId,
  suggestContainerIds,
  TallyError,
} from '../src/index.ts'

describe('container number suggestions', () => {
  it('suggests the swap first for two neighbouring digits typed the wrong way round', () => {
    expect(suggestContainerIds('CSQU3045383')[0]).toBe('CSQU3054383')
  })
  it('completes a number typed without its check digit', () => {
    expect(suggestContainerIds('csqu 305438')).toEqual(['CSQU3054383'])
  })
  it('offers only valid numbers, none for a valid one or for nonsense', () => {
    for (const s of suggestContainerIds('MSCU6639871')) expect(isValidContainerId(s)).toBe(true)
    expect(suggestContainerIds('MSCU6639871').length).toBeGreaterThan(0)
    expect(suggestContainerIds('CSQU3054383')).toEqual([])
    expect(suggestContainerIds('hello')).toEqual([])
  })
})

describe('port calls', () => {
  const calls = [
    {
      locode: 'NLRTM',
      eta: '2026-11-01T08:00:00Z',
      ata: '2026-11-01T09:00:00Z',
      atd: '2026-11-02T18:00:00Z',
    },
    { locode: 'SGSIN', eta: '2026-11-20T08:00:00Z', ata: null, atd: null },
  ]
  it('accepts a valid list, filling absent times with null', () => {
    expect(checkPortCalls([{ locode: 'CNSHA' }])).toEqual([
      { locode: 'CNSHA', eta: null, ata: null, atd: null },
    ])
    expect(checkPortCalls(calls)).toEqual(calls)
  })
  it('refuses bad values naming the field', () => {
    const fieldOf = (v: unknown) => {
      try {
        checkPortCalls(v)
        return null
      } catch (err) {
        return (err as TallyError).field
      }
    }
    expect(fieldOf('x')).toBe('portCalls')
    expect(fieldOf([{ locode: 'XX' }])).toBe('portCalls[0].locode')
    expect(fieldOf([calls[0], { locode: 'SGSIN', eta: 'soon' }])).toBe('portCalls[1].eta')
    expect(fieldOf([{ locode: 'SGSIN', atd: '2026-11-02T18:00:00Z' }])).toBe('portCalls[0].atd')
    expect(fieldOf([{ locode: 'SGSIN', berth: 'K1' }])).toBe('portCalls[0].berth')
  })
  it('the current call is the one in port, else the next one not departed', () => {
    expect(currentPortCall(calls)).toEqual({ call: calls[1], inPort: false })
    const arrived = [calls[0]!, { ...calls[1]!, ata: '2026-11-20T07:00:00Z' }]
    expect(currentPortCall(arrived)?.inPort).toBe(true)
    expect(currentPortCall([calls[0]!])).toBeUndefined()
  })
})
