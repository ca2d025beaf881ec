import * as A from '@automerge/automerge'
import { describe, expect, it } from 'vitest'
import {
  addEvidence,
  addProposal,
  appendReading,
  applyPatch,
  classifyChanges,
  genesisDoc,
  newSigningKey,
  ObjectIndex,
  signEvidence,
  withAppendix,
  touchedOps,
} from '../src/index.ts'
import type { ContainerDoc, PriorityClass } from '../src/index.ts'
import { AT, KEY, reeferDoc } from './helpers.ts'

/** The changes `edit` adds to `doc`, decoded. */
function changesOf(doc: A.Doc<ContainerDoc>, edit: (d: A.Doc<ContainerDoc>) => A.Doc<ContainerDoc>) {
  const after = edit(A.clone(doc))
  return { after, changes: A.getChanges(doc, after).map((c) => A.decodeChange(c)) }
}

function priorityOf(
  edit: (d: A.Doc<ContainerDoc>) => A.Doc<ContainerDoc>,
  doc = reeferDoc(),
): PriorityClass[] {
  const { changes } = changesOf(doc, edit)
  return classifyChanges(changes, ObjectIndex.fromDoc(doc)).map((c) => c.priority)
}

describe('classifyChanges priority classes', () => {
  it.each<[string, (d: A.Doc<ContainerDoc>) => A.Doc<ContainerDoc>]>([
    ['damage', (d) => applyPatch(d, { physical: { condition: 'DAMAGED', damage: 'dent' } }, 'vessel')],
    ['broken seal', (d) => applyPatch(d, { physical: { sealIntact: false } }, 'vessel')],
    [
      'reefer alarm raised',
      (d) => applyPatch(d, { reefer: { alarm: { code: 'HIGH_TEMP', at: AT, note: null } } }, 'vessel'),
    ],
    ['DG incident', (d) => applyPatch(d, { physical: { dgIncident: 'leak from drum' } }, 'vessel')],
    ['customs hold', (d) => applyPatch(d, { customs: { status: 'HELD', holdReason: 'x-ray' } }, 'customs')],
  ])('%s is critical', (_name, edit) => {
    expect(priorityOf(edit)).toEqual(['critical'])
  })

  it('a reading append is routine', () => {
    expect(priorityOf((d) => appendReading(d, { at: AT, supplyC: -18, returnC: -17 }, 'vessel'))).toEqual([
      'routine',
    ])
  })

  it.each<[string, (d: A.Doc<ContainerDoc>) => A.Doc<ContainerDoc>]>([
    ['stowage', (d) => applyPatch(d, { physical: { state: 'ON_BOARD', stowage: '0120482' } }, 'vessel')],
    ['lashing check', (d) => applyPatch(d, { physical: { lashingCheckedAt: AT } }, 'vessel')],
    [
      'seal intact',
      (d) => applyPatch(d, { physical: { sealIntact: true, observedSeal: 'ML-1234' } }, 'vessel'),
    ],
    ['customs release', (d) => applyPatch(d, { customs: { status: 'RELEASED' } }, 'customs')],
    [
      'cargo',
      (d) =>
        applyPatch(
          d,
          { cargo: { pod: 'USLAX', dg: { unNumber: '1203', imoClass: '3', packingGroup: '2' } } },
          'shore',
        ),
    ],
    ['notes', (d) => applyPatch(d, { notes: 'check lashing' }, 'shore')],
    ['set point', (d) => applyPatch(d, { reefer: { actualSetpointC: -18 } }, 'vessel')],
    [
      'proposal',
      (d) => addProposal(d, { field: 'cargo.pod', value: 'USOAK' }, 'IMO9811000', 'vessel', AT, 'p1'),
    ],
  ])('%s is normal', (_name, edit) => {
    expect(priorityOf(edit)).toEqual(['normal'])
  })

  it('clearing an alarm or an incident is normal; the highest class in a change wins', () => {
    const raised = applyPatch(
      reeferDoc(),
      { reefer: { alarm: { code: 'HIGH_TEMP', at: AT, note: null } }, physical: { dgIncident: 'leak' } },
      'vessel',
    )
    expect(priorityOf((d) => applyPatch(d, { reefer: { alarm: null } }, 'vessel'), raised)).toEqual([
      'normal',
    ])
    expect(priorityOf((d) => applyPatch(d, { physical: { dgIncident: null } }, 'vessel'), raised)).toEqual([
      'normal',
    ])
    expect(
      priorityOf((d) =>
        applyPatch(d, { physical: { lashingCheckedAt: AT, condition: 'DAMAGED' } }, 'vessel'),
      ),
    ).toEqual(['critical'])
  })

  it('classifies a batch in causal order, learning objects created earlier in the batch', () => {
    const doc = reeferDoc()
    const { changes } = changesOf(doc, (d) => {
      d = appendReading(d, { at: AT, supplyC: -18, returnC: -17 }, 'vessel')
      d = applyPatch(d, { physical: { condition: 'DAMAGED' } }, 'vessel')
      return applyPatch(d, { reefer: { alarm: { code: 'HIGH_TEMP', at: AT, note: null } } }, 'vessel')
    })
    const classified = classifyChanges(changes, ObjectIndex.fromDoc(doc))
    expect(classified.map((c) => c.priority)).toEqual(['routine', 'critical', 'critical'])
    expect(classified.every((c) => c.ops.every((op) => op.field !== undefined))).toBe(true)
  })
})

describe('touchedOps', () => {
  it('names the field and kind of each op', () => {
    const doc = reeferDoc()
    const index = ObjectIndex.fromDoc(doc)
    const { changes } = changesOf(doc, (d) => applyPatch(d, { physical: { stowage: '0120482' } }, 'vessel'))
    index.learn(changes[0]!)
    expect(touchedOps(changes[0]!, index)).toEqual([
      {
        field: 'physical.stowage',
        path: ['physical', 'stowage'],
        key: 'stowage',
        kind: 'field',
        action: 'set',
        value: '0120482',
      },
    ])
  })

  it('reading appends are append + new ops under reefer.readings', () => {
    const doc = reeferDoc()
    const index = ObjectIndex.fromDoc(doc)
    const { changes } = changesOf(doc, (d) =>
      appendReading(d, { at: AT, supplyC: -18, returnC: -17 }, 'vessel'),
    )
    index.learn(changes[0]!)
    const ops = touchedOps(changes[0]!, index)
    expect(ops.map((o) => [o.field, o.kind])).toEqual([
      ['reefer.readings', 'append'],
      ['reefer.readings', 'new'],
      ['reefer.readings', 'new'],
      ['reefer.readings', 'new'],
    ])
  })

  it('an edit or delete of a stored reading is an existing op', () => {
    const before = appendReading(reeferDoc(), { at: AT, supplyC: -18, returnC: -17 }, 'vessel')
    const index = ObjectIndex.fromDoc(before)
    const { changes } = changesOf(before, (d) =>
      A.change(d, (x) => {
        x.reefer!.readings[0]!.supplyC = 5
        x.reefer!.readings.splice(0, 1)
      }),
    )
    index.learn(changes[0]!)
    expect(touchedOps(changes[0]!, index).map((o) => [o.field, o.kind, o.action])).toEqual([
      ['reefer.readings', 'existing', 'set'],
      ['reefer.readings', 'existing', 'del'],
    ])
  })

  it('top-level writes are root ops and unknown objects have no field', () => {
    const doc = reeferDoc()
    const { changes } = changesOf(doc, (d) =>
      A.change(d, (x) => {
        x.vessel = new A.ImmutableString('IMO9811001')
      }),
    )
    const index = ObjectIndex.fromDoc(doc)
    index.learn(changes[0]!)
    expect(touchedOps(changes[0]!, index)[0]).toMatchObject({ field: 'vessel', kind: 'root' })
    // An empty index knows only the root: section objects are unknown.
    const { changes: edits } = changesOf(doc, (d) => applyPatch(d, { cargo: { pod: 'USLAX' } }, 'shore'))
    expect(touchedOps(edits[0]!, new ObjectIndex())[0]).toMatchObject({ field: undefined, kind: 'existing' })
  })

  it('section object IDs are the same on every replica, so an index from one resolves the other', () => {
    const index = ObjectIndex.fromDoc(genesisDoc(KEY, '45R1'))
    const { changes } = changesOf(reeferDoc('99'.repeat(16)), (d) =>
      applyPatch(d, { customs: { status: 'HELD', holdReason: 'x-ray' } }, 'customs'),
    )
    expect(touchedOps(changes[0]!, index)[0]).toMatchObject({ field: 'customs.status', kind: 'field' })
  })
})

describe('ObjectIndex.fromDoc', () => {
  it('indexes list elements by their own IDs and keeps the list path intact', () => {
    let doc = appendReading(reeferDoc(), { at: AT, supplyC: -18, returnC: -17 }, 'vessel')
    doc = addProposal(doc, { field: 'cargo.pod', value: 'USOAK' }, 'IMO9811000', 'vessel', AT, 'p1')
    doc = applyPatch(doc, { customs: { hsCodes: ['847130'] } }, 'shore')
    const index = ObjectIndex.fromDoc(doc)
    expect(index.resolve(A.getObjectId(doc.reefer!.readings)!)).toEqual(['reefer', 'readings'])
    expect(index.resolve(A.getObjectId(doc.reefer!.readings[0]!)!)).toEqual(['reefer', 'readings', '*'])
    expect(index.resolve(A.getObjectId(doc.proposals)!)).toEqual(['proposals'])
    expect(index.resolve(A.getObjectId(doc.proposals[0]!)!)).toEqual(['proposals', '*'])
    expect(index.resolve(A.getObjectId(doc.customs.hsCodes)!)).toEqual(['customs', 'hsCodes'])
    expect(index.resolve(A.getObjectId(doc, 'notes')!)).toEqual(['notes'])
  })

  it('records objects only, not scalar values (getObjectId answers a scalar with its value)', () => {
    let doc = appendReading(reeferDoc(), { at: AT, supplyC: -18, returnC: -17 }, 'vessel')
    doc = addProposal(doc, { field: 'cargo.pod', value: 'USOAK' }, 'IMO9811000', 'vessel', AT, 'p1')
    const ids = ObjectIndex.fromDoc(doc)
      .toJSON()
      .map(([id]) => id)
    expect(ids.filter((id) => id !== '_root' && !/^\d+@[0-9a-f]+$/.test(id))).toEqual([])
    expect(ids).not.toContain(AT)
  })

  it('storedFormOf skips walking the readings and gives what toJSON keeps of the whole index', () => {
    let doc = reeferDoc()
    for (let i = 0; i < 3; i++) doc = appendReading(doc, { at: AT, supplyC: -18 - i, returnC: -17 }, 'vessel')
    doc = addProposal(doc, { field: 'cargo.pod', value: 'USOAK' }, 'IMO9811000', 'vessel', AT, 'p1')
    doc = applyPatch(doc, { customs: { hsCodes: ['847130'] } }, 'shore')
    const stored = ObjectIndex.storedFormOf(doc)
    expect(stored).toEqual(ObjectIndex.fromDoc(doc).toJSON())
    expect(stored.length).toBeGreaterThan(5)
    expect(stored).toContainEqual([A.getObjectId(doc.reefer!.readings)!, ['reefer', 'readings']])
    expect(stored.some(([, path]) => path.length > 2 && path[1] === 'readings')).toBe(false)
  })
})

describe('ObjectIndex.forget', () => {
  it('undoes what learn recorded for a refused change', () => {
    const doc = reeferDoc()
    const index = ObjectIndex.fromDoc(doc)
    const { changes } = changesOf(doc, (d) =>
      appendReading(d, { at: AT, supplyC: -18, returnC: -17 }, 'vessel'),
    )
    const change = changes[0]!
    index.learn(change)
    const readingId = `${change.startOp}@${change.actor}`
    expect(index.resolve(readingId)).toEqual(['reefer', 'readings', '*'])
    expect(index.isFresh(readingId)).toBe(true)
    index.forget(change)
    expect(index.resolve(readingId)).toBeUndefined()
    expect(index.isFresh(readingId)).toBe(false)
    expect(
      touchedOps(change, index)
        .slice(1)
        .every((op) => op.field === undefined),
    ).toBe(true)
  })
})

describe('signed evidence', () => {
  const signer = newSigningKey()
  const signed = (kind: 'damage' | 'seal' | 'alarm', fact: unknown) =>
    signEvidence(KEY, signer, { id: `e-${kind}`, kind, at: AT, by: 'IMO9811000', crew: 'bosun', fact })
  it.each<[string, 'damage' | 'seal' | 'alarm', unknown, PriorityClass]>([
    ['a damage report', 'damage', { condition: 'DAMAGED', damage: 'dent' }, 'critical'],
    ['a broken seal', 'seal', { sealIntact: false, observedSeal: 'ML-1234' }, 'critical'],
    ['a raised alarm', 'alarm', { alarm: { code: 'HIGH_TEMP', at: AT, note: null } }, 'critical'],
    ['a routine seal check', 'seal', { sealIntact: true, observedSeal: 'ML-1234' }, 'normal'],
    ['a repair', 'damage', { condition: 'OK', damage: null }, 'normal'],
    ['a cleared alarm', 'alarm', { alarm: null }, 'normal'],
  ])('of %s is %s', (_name, kind, fact, expected) => {
    // On a document whose evidence list exists (its appendix is written once, by the first entry).
    expect(
      priorityOf((d) => addEvidence(d, [signed(kind, fact)], 'vessel'), withAppendix(reeferDoc())),
    ).toEqual([expected])
  })

  it('is critical when any finding signed in the change is', () => {
    const entries = [
      signed('seal', { sealIntact: true, observedSeal: 'ML-1234' }),
      signed('damage', { condition: 'DAMAGED', damage: 'dent' }),
    ]
    expect(priorityOf((d) => addEvidence(d, entries, 'vessel'), withAppendix(reeferDoc()))).toEqual([
      'critical',
    ])
  })
})

describe('the appendix', () => {
  it('is normal: it only creates the empty photo and evidence lists', () => {
    expect(priorityOf((d) => withAppendix(d))).toEqual(['normal'])
  })
})
