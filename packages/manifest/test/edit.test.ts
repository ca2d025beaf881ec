import * as A from '@automerge/automerge'
import { describe, expect, it } from 'vitest'
import {
  addProposal,
  appendReading,
  applyPatch,
  httpStatusOf,
  planPatch,
  resolveProposal,
  TallyError,
  toView,
} from '../src/index.ts'
import type { Role } from '../src/index.ts'
import { AT, dryDoc, reeferDoc, thrown } from './helpers.ts'

const refusal = (patch: unknown, role: Role = 'shore', doc = reeferDoc()) =>
  thrown(() => applyPatch(doc, patch, role)) as TallyError

describe('applyPatch validation', () => {
  it('applies a valid patch as one change and returns the new view', () => {
    const doc = applyPatch(reeferDoc(), { cargo: { pol: 'CNSHA', pod: 'USLAX', vgmKg: 24_000 } }, 'shore')
    expect(toView(doc).cargo).toMatchObject({ pol: 'CNSHA', pod: 'USLAX', vgmKg: 24_000 })
    expect(A.getAllChanges(doc)).toHaveLength(2)
    expect(A.isImmutableString(doc.cargo.pol)).toBe(true)
  })

  it('refuses bad values as INVALID, naming the field', () => {
    const cases: [unknown, string][] = [
      [{ cargo: { pod: 'usLAX' } }, 'cargo.pod'],
      [{ cargo: { vgmKg: -1 } }, 'cargo.vgmKg'],
      [{ customs: { status: 'MAYBE' } }, 'customs.status'],
      [{ customs: { hsCodes: ['12'] } }, 'customs.hsCodes'],
      [{ cargo: { dg: { unNumber: '12', imoClass: '3', packingGroup: '1' } } }, 'cargo.dg'],
    ]
    for (const [patch, field] of cases) {
      const err = refusal(patch)
      expect(err, field).toBeInstanceOf(TallyError)
      expect(err).toMatchObject({ code: 'INVALID', field })
      expect(err.message).toContain(field)
      expect(httpStatusOf(err)).toBe(400)
    }
    expect(refusal({ physical: { stowage: '0120481' } }, 'vessel')).toMatchObject({
      code: 'INVALID',
      field: 'physical.stowage',
    })
    expect(refusal({ reefer: { actualSetpointC: 31 } }, 'vessel')).toMatchObject({
      code: 'INVALID',
      field: 'reefer.actualSetpointC',
    })
  })

  it('refuses unknown fields and sections as INVALID', () => {
    expect(refusal({ cargo: { colour: 'red' } })).toMatchObject({ code: 'INVALID', field: 'cargo.colour' })
    expect(refusal({ weather: { wind: 3 } })).toMatchObject({ code: 'INVALID', field: 'weather' })
    expect(
      refusal({ cargo: { dg: { unNumber: '1203', imoClass: '3', packingGroup: '2', x: 1 } } }),
    ).toMatchObject({
      code: 'INVALID',
      field: 'cargo.dg',
    })
  })

  it('refuses wrong types as INVALID', () => {
    expect(refusal(null)).toMatchObject({ code: 'INVALID', field: 'body' })
    expect(refusal([1])).toMatchObject({ code: 'INVALID', field: 'body' })
    expect(refusal('x')).toMatchObject({ code: 'INVALID', field: 'body' })
    expect(refusal({ cargo: 'x' })).toMatchObject({ code: 'INVALID', field: 'cargo' })
    expect(refusal({ cargo: ['x'] })).toMatchObject({ code: 'INVALID', field: 'cargo' })
    expect(refusal({ cargo: { vgmKg: '24000' } })).toMatchObject({ code: 'INVALID', field: 'cargo.vgmKg' })
    expect(refusal({ physical: { sealIntact: 'no' } }, 'vessel')).toMatchObject({
      code: 'INVALID',
      field: 'physical.sealIntact',
    })
    expect(refusal({ notes: 42 }, 'vessel')).toMatchObject({ code: 'INVALID', field: 'notes' })
  })

  it('refuses oversize strings as INVALID', () => {
    expect(refusal({ cargo: { shipper: 'x'.repeat(2001) } })).toMatchObject({
      code: 'INVALID',
      field: 'cargo.shipper',
    })
    expect(refusal({ cargo: { booking: 'B'.repeat(36) } })).toMatchObject({
      code: 'INVALID',
      field: 'cargo.booking',
    })
    expect(refusal({ notes: 'n'.repeat(100_001) })).toMatchObject({ code: 'INVALID', field: 'notes' })
  })

  it('refuses reefer fields on a dry container', () => {
    expect(refusal({ reefer: { actualSetpointC: 5 } }, 'vessel', dryDoc())).toMatchObject({
      code: 'INVALID',
      field: 'reefer.actualSetpointC',
    })
  })

  it('writes nothing when the patch fails, even if an earlier field was valid', () => {
    const doc = reeferDoc()
    thrown(() => applyPatch(doc, { cargo: { pol: 'CNSHA', pod: 'nope' } }, 'shore'))
    expect(toView(doc).cargo.pol).toBeNull()
  })

  it('is a no-op for unchanged values and tolerates a whole view sent back', () => {
    const doc = applyPatch(reeferDoc(), { cargo: { pod: 'USLAX' } }, 'shore')
    const again = applyPatch(doc, { cargo: { pod: 'USLAX' } }, 'shore')
    expect(A.getHeads(again)).toEqual(A.getHeads(doc))
    for (const role of ['shore', 'vessel', 'customs', 'ops'] as const)
      expect(A.getHeads(applyPatch(doc, toView(doc), role)), role).toEqual(A.getHeads(doc))
    const withReading = appendReading(doc, { at: AT, supplyC: -18, returnC: -17 }, 'vessel')
    expect(A.getHeads(applyPatch(withReading, toView(withReading), 'shore'))).toEqual(A.getHeads(withReading))
    const dry = dryDoc()
    expect(A.getHeads(applyPatch(dry, toView(dry), 'shore'))).toEqual(A.getHeads(dry))
    // A changed value among the unchanged ones is still refused for a role that does not own it.
    const view = toView(doc)
    expect(
      thrown(() => applyPatch(doc, { ...view, physical: { ...view.physical, state: 'LOADED' } }, 'shore')),
    ).toMatchObject({ code: 'FORBIDDEN_FIELD', field: 'physical.state' })
  })
})

describe('authority in patches', () => {
  const forbidden = (patch: unknown, role: Role, field: string) => {
    const err = refusal(patch, role)
    expect(err, `${role} → ${field}`).toMatchObject({ code: 'FORBIDDEN_FIELD', field })
    expect(httpStatusOf(err)).toBe(403)
  }

  it('vessel may not write customs or cargo', () => {
    forbidden({ customs: { status: 'RELEASED' } }, 'vessel', 'customs.status')
    forbidden({ cargo: { pod: 'USLAX' } }, 'vessel', 'cargo.pod')
  })
  it('shore may not write physical or reefer', () => {
    forbidden({ physical: { condition: 'DAMAGED' } }, 'shore', 'physical.condition')
    forbidden({ reefer: { actualSetpointC: -18 } }, 'shore', 'reefer.actualSetpointC')
  })
  it('customs may write customs but not cargo or physical', () => {
    const held = { customs: { status: 'HELD', holdReason: 'x-ray' } }
    expect(toView(applyPatch(reeferDoc(), held, 'customs')).customs.status).toBe('HELD')
    forbidden({ cargo: { pod: 'USLAX' } }, 'customs', 'cargo.pod')
    forbidden({ physical: { state: 'LOADED' } }, 'customs', 'physical.state')
  })
  it('HELD needs a hold reason, carried by the same change', () => {
    for (const customs of [{ status: 'HELD' }, { status: 'HELD', holdReason: ' ' }]) {
      const err = thrown(() => applyPatch(reeferDoc(), { customs }, 'customs'))
      expect(err).toMatchObject({ code: 'INVALID', field: 'customs.holdReason' })
      expect(err.message).toMatch(/required with customs status HELD/)
    }
    // A reason already stored is written again with the hold, so the change stands on its own.
    let doc = applyPatch(reeferDoc(), { customs: { holdReason: 'x-ray' } }, 'customs')
    const before = A.getHeads(doc)
    doc = applyPatch(doc, { customs: { status: 'HELD' } }, 'customs')
    const change = A.decodeChange(A.getChanges(A.view(doc, before), doc)[0]!)
    expect(change.ops.map((op) => [op.key, op.value])).toContainEqual(['holdReason', 'x-ray'])
    expect(toView(doc).customs).toMatchObject({ status: 'HELD', holdReason: 'x-ray' })
    // A held container keeps its reason until it is released.
    expect(thrown(() => applyPatch(doc, { customs: { holdReason: null } }, 'customs'))).toMatchObject({
      field: 'customs.holdReason',
    })
    expect(
      toView(applyPatch(doc, { customs: { status: 'RELEASED', holdReason: null } }, 'customs')).customs,
    ).toMatchObject({ status: 'RELEASED', holdReason: null })
  })
  it('ops may write nothing, not even notes', () => {
    forbidden({ cargo: { pod: 'USLAX' } }, 'ops', 'cargo.pod')
    forbidden({ customs: { status: 'HELD' } }, 'ops', 'customs.status')
    forbidden({ physical: { condition: 'DAMAGED' } }, 'ops', 'physical.condition')
    forbidden({ reefer: { actualSetpointC: 1 } }, 'ops', 'reefer.actualSetpointC')
    forbidden({ notes: 'hello' }, 'ops', 'notes')
  })
  it('fixed fields are refused for every role unless unchanged', () => {
    for (const role of ['vessel', 'shore', 'customs', 'ops'] as const) {
      forbidden({ containerId: 'MWCU6059784' }, role, 'containerId')
      forbidden({ vessel: 'IMO9811001' }, role, 'vessel')
      forbidden({ voyage: '025W' }, role, 'voyage')
      forbidden({ isoType: '45G1' }, role, 'isoType')
    }
    expect(planPatch(reeferDoc(), { containerId: 'CSQU3054383', isoType: '45R1' }, 'shore').writes).toEqual(
      [],
    )
  })
  it('readings cannot be written through a patch', () => {
    forbidden({ reefer: { readings: [{ at: AT, supplyC: 1, returnC: 1 }] } }, 'vessel', 'reefer.readings')
  })
  it('a role refusal wins over an invalid value', () => {
    forbidden({ physical: { condition: 'BROKEN' } }, 'shore', 'physical.condition')
  })
  it('notes are open to vessel, shore and customs', () => {
    for (const role of ['vessel', 'shore', 'customs'] as const)
      expect(toView(applyPatch(reeferDoc(), { notes: `by ${role}` }, role)).notes).toBe(`by ${role}`)
  })
})

describe('readings', () => {
  const reading = { at: AT, supplyC: -18.2, returnC: -17.5 }

  it('appends a reading as the vessel', () => {
    let doc = appendReading(reeferDoc(), reading, 'vessel')
    doc = appendReading(doc, { ...reading, at: '2026-11-22T11:00:00Z' }, 'vessel')
    expect(toView(doc).reefer!.readings).toEqual([reading, { ...reading, at: '2026-11-22T11:00:00Z' }])
  })

  it('refuses other roles, dry containers and bad readings', () => {
    expect(thrown(() => appendReading(reeferDoc(), reading, 'shore'))).toMatchObject({
      code: 'FORBIDDEN_FIELD',
      field: 'reefer.readings',
    })
    expect(thrown(() => appendReading(dryDoc(), reading, 'vessel'))).toMatchObject({
      code: 'INVALID',
      field: 'reefer.readings',
    })
    expect(thrown(() => appendReading(reeferDoc(), { ...reading, supplyC: 99 }, 'vessel'))).toMatchObject({
      code: 'INVALID',
      field: 'reefer.readings.supplyC',
    })
    expect(thrown(() => appendReading(reeferDoc(), { ...reading, at: 'yesterday' }, 'vessel'))).toMatchObject(
      {
        code: 'INVALID',
        field: 'reefer.readings.at',
      },
    )
    expect(thrown(() => appendReading(reeferDoc(), { ...reading, humidity: 80 }, 'vessel'))).toMatchObject({
      code: 'INVALID',
      field: 'reefer.readings.humidity',
    })
    expect(thrown(() => appendReading(reeferDoc(), 'warm', 'vessel'))).toMatchObject({
      code: 'INVALID',
      field: 'reefer.readings',
    })
  })
})

describe('proposals', () => {
  const propose = (doc = reeferDoc()) =>
    addProposal(
      doc,
      { field: 'cargo.pod', value: 'USOAK', reason: 'diverted' },
      'IMO9811000',
      'vessel',
      AT,
      'p1',
    )

  it('adds an open proposal for a field the proposer does not own', () => {
    const [p] = toView(propose()).proposals
    expect(p).toEqual({
      id: 'p1',
      at: AT,
      by: 'IMO9811000',
      field: 'cargo.pod',
      value: 'USOAK',
      reason: 'diverted',
      status: 'OPEN',
      resolvedBy: null,
      resolvedAt: null,
    })
  })

  it('refuses proposals for own, fixed, unknown or append-only fields and invalid values', () => {
    const add = (field: string, value: unknown, role: Role = 'vessel') =>
      thrown(() => addProposal(reeferDoc(), { field, value }, 'x', role, AT, 'p'))
    expect(add('physical.condition', 'DAMAGED')).toMatchObject({ code: 'INVALID', field: 'proposal.field' })
    expect(add('containerId', 'MWCU6059784')).toMatchObject({ code: 'INVALID', field: 'proposal.field' })
    expect(add('cargo.colour', 'red')).toMatchObject({ code: 'INVALID', field: 'proposal.field' })
    expect(add('reefer.readings', [], 'shore')).toMatchObject({ code: 'INVALID', field: 'proposal.field' })
    expect(add('notes', 'x')).toMatchObject({ code: 'INVALID', field: 'proposal.field' })
    expect(add('cargo.pod', 'nowhere')).toMatchObject({ code: 'INVALID', field: 'proposal.value' })
  })

  it('the owner accepts by writing the field', () => {
    const doc = resolveProposal(propose(), 'p1', 'ACCEPTED', 'user:alice', 'shore', '2026-11-22T12:00:00Z')
    const view = toView(doc)
    expect(view.cargo.pod).toBe('USOAK')
    expect(view.proposals[0]).toMatchObject({
      status: 'ACCEPTED',
      resolvedBy: 'user:alice',
      resolvedAt: '2026-11-22T12:00:00Z',
    })
  })

  it('the owner declines without writing the field', () => {
    const view = toView(resolveProposal(propose(), 'p1', 'DECLINED', 'user:alice', 'shore', AT))
    expect(view.cargo.pod).toBeNull()
    expect(view.proposals[0]!.status).toBe('DECLINED')
  })

  it('only the owner may resolve, only once, and only a known proposal', () => {
    expect(
      thrown(() => resolveProposal(propose(), 'p1', 'ACCEPTED', 'IMO9811000', 'vessel', AT)),
    ).toMatchObject({
      code: 'FORBIDDEN_FIELD',
      field: 'cargo.pod',
    })
    const declined = resolveProposal(propose(), 'p1', 'DECLINED', 'user:alice', 'shore', AT)
    expect(
      thrown(() => resolveProposal(declined, 'p1', 'ACCEPTED', 'user:alice', 'shore', AT)),
    ).toMatchObject({
      code: 'CONFLICT',
    })
    expect(
      thrown(() => resolveProposal(propose(), 'p9', 'ACCEPTED', 'user:alice', 'shore', AT)),
    ).toMatchObject({
      code: 'NOT_FOUND',
    })
  })
})

describe('notes', () => {
  it('merges concurrent notes edits as text', () => {
    const base = applyPatch(reeferDoc('01'.repeat(16)), { notes: 'check lashing' }, 'vessel')
    const vessel = applyPatch(
      A.clone(base, { actor: '02'.repeat(16) as A.ActorId }),
      { notes: 'check lashing bay 12' },
      'vessel',
    )
    const shore = applyPatch(
      A.clone(base, { actor: '03'.repeat(16) as A.ActorId }),
      { notes: 'URGENT check lashing' },
      'shore',
    )
    expect(toView(A.merge(vessel, shore)).notes).toBe('URGENT check lashing bay 12')
  })
})
