import * as A from '@automerge/automerge'
import { describe, expect, it } from 'vitest'
import {
  appendReading,
  applyPatch,
  createContainerDoc,
  documentIdFor,
  documentUrlFor,
  genesisActor,
  genesisDoc,
  genesisHash,
  toView,
  TallyError,
} from '../src/index.ts'

const KEY = { vessel: 'IMO9811000', voyage: '024E', containerId: 'CSQU3054383' }
const VESSEL_ACTOR = '11'.repeat(16)
const SHORE_ACTOR = '22'.repeat(16)

describe('deterministic genesis', () => {
  it('gives the same document URL for the same key, and a different one for another key', () => {
    expect(documentUrlFor(KEY)).toBe(documentUrlFor({ ...KEY }))
    expect(documentUrlFor(KEY)).toMatch(/^automerge:/)
    expect(documentUrlFor({ ...KEY, voyage: '025W' })).not.toBe(documentUrlFor(KEY))
    expect(documentUrlFor({ ...KEY, containerId: 'MWCU6059784' })).not.toBe(documentUrlFor(KEY))
    expect(documentUrlFor(KEY)).toBe(`automerge:${documentIdFor(KEY)}`)
  })

  it('creates a byte-identical genesis change on replicas with different actors', () => {
    const vessel = createContainerDoc(KEY, '45R1', VESSEL_ACTOR)
    const shore = createContainerDoc(KEY, '45R1', SHORE_ACTOR)
    expect(A.getActorId(vessel)).toBe(VESSEL_ACTOR)
    expect(A.getActorId(shore)).toBe(SHORE_ACTOR)
    expect(A.getHeads(vessel)).toEqual(A.getHeads(shore))
    expect(A.getHeads(vessel)).toEqual([genesisHash(KEY, '45R1')])
    expect(A.getAllChanges(vessel)).toEqual(A.getAllChanges(shore))
    const genesis = A.decodeChange(A.getAllChanges(vessel)[0]!)
    expect(genesis.actor).toBe(genesisActor(KEY))
    expect(genesis.time).toBe(0)
  })

  it('genesis carries the fixed fields and every section with defaults', () => {
    const view = toView(genesisDoc(KEY, '45R1'))
    expect(view).toMatchObject({
      containerId: 'CSQU3054383',
      vessel: 'IMO9811000',
      voyage: '024E',
      isoType: '45R1',
      customs: { status: 'PENDING', hsCodes: [] },
      physical: { state: 'PLANNED', condition: 'OK', sealIntact: true },
      reefer: { actualSetpointC: null, alarm: null, readings: [] },
      notes: '',
      proposals: [],
    })
    expect(toView(genesisDoc(KEY, '22G1')).reefer).toBeNull()
  })

  it('stores scalar strings as ImmutableString', () => {
    const doc = genesisDoc(KEY, '45R1')
    expect(A.isImmutableString(doc.containerId)).toBe(true)
    expect(A.isImmutableString(doc.physical.state)).toBe(true)
  })

  it('refuses a bad key, naming the field', () => {
    const attempt = (key: typeof KEY, isoType = '45R1') => {
      try {
        genesisDoc(key, isoType)
      } catch (err) {
        return err as TallyError
      }
      throw new Error('expected a refusal')
    }
    expect(attempt({ ...KEY, containerId: 'CSQU3045383' })).toMatchObject({
      code: 'INVALID',
      field: 'containerId',
    })
    expect(attempt({ ...KEY, vessel: '9811000' })).toMatchObject({ code: 'INVALID', field: 'vessel' })
    expect(attempt({ ...KEY, voyage: '' })).toMatchObject({ code: 'INVALID', field: 'voyage' })
    expect(attempt(KEY, '45r1')).toMatchObject({ code: 'INVALID', field: 'isoType' })
  })

  it('two replicas created apart and edited apart merge into ONE document', () => {
    let vessel = createContainerDoc(KEY, '45R1', VESSEL_ACTOR)
    let shore = createContainerDoc(KEY, '45R1', SHORE_ACTOR)
    vessel = applyPatch(
      vessel,
      { physical: { state: 'ON_BOARD', stowage: '0120482' } },
      'vessel',
      1_800_000_000,
    )
    vessel = appendReading(vessel, { at: '2026-11-22T10:00:00Z', supplyC: -18, returnC: -17 }, 'vessel')
    vessel = applyPatch(vessel, { notes: 'lashing ok' }, 'vessel')
    shore = applyPatch(
      shore,
      { customs: { status: 'HELD', holdReason: 'docs' }, cargo: { pod: 'USLAX' } },
      'shore',
    )

    const a = A.merge(A.clone(vessel), shore)
    const b = A.merge(A.clone(shore), vessel)
    expect(A.getHeads(a).sort()).toEqual(A.getHeads(b).sort())
    const view = toView(a)
    expect(toView(b)).toEqual(view)
    expect(view.physical).toMatchObject({ state: 'ON_BOARD', stowage: '0120482' })
    expect(view.customs).toMatchObject({ status: 'HELD', holdReason: 'docs' })
    expect(view.cargo.pod).toBe('USLAX')
    expect(view.reefer!.readings).toHaveLength(1)
    expect(view.notes).toBe('lashing ok')
    // One genesis, so no section exists twice and no root key is in conflict.
    for (const key of ['cargo', 'customs', 'physical', 'reefer', 'notes', 'proposals', 'containerId'])
      expect(A.getConflicts(a, key as never), key).toBeUndefined()
    expect(view.conflicts).toEqual([])
    expect(A.getAllChanges(a)).toHaveLength(5)
  })
})
