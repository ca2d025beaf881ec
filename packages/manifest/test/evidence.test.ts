import { describe, expect, it } from 'vitest'
import {
  derivedEvidenceId,
  EVIDENCE_SHAPE,
  newSigningKey,
  signEvidence,
  stableUuid,
  verifyEvidence,
} from '../src/index.ts'

const KEY = { vessel: 'IMO9811000', voyage: '024E', containerId: 'TGHU1000007' }
const FACT = {
  kind: 'damage',
  at: '2026-11-02T14:05:00.000Z',
  by: 'IMO9811000',
  crew: 'bosun',
  fact: { condition: 'DAMAGED' },
} as const

describe('evidence IDs', () => {
  const signer = newSigningKey()

  it('are derived from what the entry says when none is given, and signed like any other', () => {
    const entry = signEvidence(KEY, signer, FACT)
    expect(entry.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
    expect(EVIDENCE_SHAPE.id(entry.id)).toBeNull()
    expect(verifyEvidence(KEY, entry, entry.key)).toBe(true)
    expect(signEvidence(KEY, signer, FACT).id).toBe(entry.id)
    expect(derivedEvidenceId(KEY, { ...entry })).toBe(entry.id)
  })

  it('differ when the container, time, fact, superseded entry or key differ', () => {
    const id = signEvidence(KEY, signer, FACT).id
    const others = [
      signEvidence({ ...KEY, containerId: 'MSCU1234565' }, signer, FACT),
      signEvidence(KEY, signer, { ...FACT, at: '2026-11-02T14:05:00.001Z' }),
      signEvidence(KEY, signer, { ...FACT, fact: { condition: 'OK' } }),
      signEvidence(KEY, signer, { ...FACT, supersedes: id }),
      signEvidence(KEY, newSigningKey(), FACT),
    ].map((e) => e.id)
    expect(new Set([id, ...others]).size).toBe(6)
  })

  it('keep a given ID, and derive none for a map that is not an evidence entry', () => {
    const entry = signEvidence(KEY, signer, { ...FACT, id: 'e-1' })
    expect(entry.id).toBe('e-1')
    expect(verifyEvidence(KEY, entry, entry.key)).toBe(true)
    expect(derivedEvidenceId(KEY, { ...entry, extra: 1 })).toBeUndefined()
    expect(derivedEvidenceId(KEY, { ...entry, at: 5 })).toBeUndefined()
    expect(derivedEvidenceId(KEY, { at: '2026-11-02T14:05:00.000Z', supplyC: -23.3 })).toBeUndefined()
  })

  it('are stable UUIDs: the same name gives the same one', () => {
    expect(stableUuid('tally/dcsa/x/DISC')).toBe(stableUuid('tally/dcsa/x/DISC'))
    // The DCSA event IDs published before this function moved here keep their value.
    expect(stableUuid('abc')).toBe('ba7816bf-8f01-8fea-8141-40de5dae2223')
  })
})
