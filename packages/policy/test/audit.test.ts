import * as A from '@automerge/automerge'
import { describe, expect, it } from 'vitest'
import { addProposal, appendReading, applyPatch, resolveProposal } from '@tally/manifest'
import type { ContainerDoc } from '@tally/manifest'
import { auditTrail } from '../src/index.ts'
import { ALICE_ACTOR, BOSUN_ACTOR, genesis, registry } from './helpers.ts'

const time = (iso: string) => Date.parse(iso) / 1000
const as = (doc: A.Doc<ContainerDoc>, actor: string) => A.clone(doc, { actor: actor as A.ActorId })

describe('auditTrail', () => {
  it('lists each field each change wrote, with principal names, times, before and after', () => {
    let doc = genesis()
    doc = applyPatch(
      as(doc, BOSUN_ACTOR),
      { physical: { condition: 'DAMAGED', damage: 'dent' } },
      'vessel',
      time('2026-11-22T10:00:00Z'),
    )
    doc = appendReading(doc, { at: '2026-11-22T11:00:00Z', supplyC: -18, returnC: -17.5 }, 'vessel')
    doc = addProposal(
      doc,
      { field: 'cargo.pod', value: 'USOAK' },
      'IMO9811000',
      'vessel',
      '2026-11-22T11:30:00Z',
      'p1',
    )
    doc = applyPatch(
      as(doc, ALICE_ACTOR),
      { cargo: { pod: 'USLAX' }, notes: 'hello' },
      'shore',
      time('2026-11-22T12:00:00Z'),
    )
    doc = resolveProposal(doc, 'p1', 'ACCEPTED', 'user:alice', 'shore', '2026-11-22T13:00:00Z')

    const trail = auditTrail(doc, registry())
    const rows = trail.map((e) => [e.principal, e.role, e.field, e.from, e.to])
    const proposal = {
      id: 'p1',
      at: '2026-11-22T11:30:00Z',
      by: 'IMO9811000',
      field: 'cargo.pod',
      value: 'USOAK',
      reason: null,
      status: 'OPEN',
      resolvedBy: null,
      resolvedAt: null,
    }
    expect(rows).toEqual([
      ['bosun@IMO9811000', 'vessel', 'physical.condition', 'OK', 'DAMAGED'],
      ['bosun@IMO9811000', 'vessel', 'physical.damage', null, 'dent'],
      [
        'bosun@IMO9811000',
        'vessel',
        'reefer.readings',
        null,
        { at: '2026-11-22T11:00:00Z', supplyC: -18, returnC: -17.5 },
      ],
      ['bosun@IMO9811000', 'vessel', 'proposals', null, proposal],
      ['alice', 'shore', 'cargo.pod', null, 'USLAX'],
      ['alice', 'shore', 'notes', '', 'hello'],
      ['alice', 'shore', 'cargo.pod', 'USLAX', 'USOAK'],
      [
        'alice',
        'shore',
        'proposals',
        proposal,
        { ...proposal, status: 'ACCEPTED', resolvedBy: 'user:alice', resolvedAt: '2026-11-22T13:00:00Z' },
      ],
    ])
    expect(trail[0]!.at).toBe('2026-11-22T10:00:00.000Z')
    expect(trail[4]!.at).toBe('2026-11-22T12:00:00.000Z')
    // Every row names its change; rows of one change share it.
    const hashes = A.getAllChanges(doc).map((c) => A.decodeChange(c).hash)
    expect(trail.every((e) => hashes.includes(e.change))).toBe(true)
    expect(trail[0]!.change).toBe(trail[1]!.change)
    expect(hashes).not.toContain(undefined)
  })

  it('skips the genesis and names unknown actors without exposing the whole ID', () => {
    const doc = applyPatch(as(genesis(), 'ee'.repeat(16)), { cargo: { pol: 'CNSHA' } }, 'shore')
    const trail = auditTrail(doc, registry())
    expect(trail).toHaveLength(1)
    expect(trail[0]).toMatchObject({
      principal: 'unknown actor eeeeeeee',
      role: null,
      field: 'cargo.pol',
      to: 'CNSHA',
    })
    expect(auditTrail(genesis(), registry())).toEqual([])
  })

  it('shows each side of a concurrent write against its own history', () => {
    const base = genesis()
    const a = applyPatch(as(base, BOSUN_ACTOR), { physical: { stowage: '0120482' } }, 'vessel')
    const b = applyPatch(as(base, 'b4'.repeat(16)), { physical: { stowage: '0140282' } }, 'vessel')
    const merged = A.merge(A.clone(a), b)
    const rows = auditTrail(merged, registry()).map((e) => [e.field, e.from, e.to])
    expect(rows).toEqual(
      expect.arrayContaining([
        ['physical.stowage', null, '0120482'],
        ['physical.stowage', null, '0140282'],
      ]),
    )
  })

  it('shows an object field as a whole value', () => {
    const doc = applyPatch(
      as(genesis(), ALICE_ACTOR),
      { cargo: { dg: { unNumber: '1203', imoClass: '3', packingGroup: '2' } } },
      'shore',
    )
    expect(auditTrail(doc, registry())[0]).toMatchObject({
      field: 'cargo.dg',
      from: null,
      to: { unNumber: '1203', imoClass: '3', packingGroup: '2' },
    })
  })
})
