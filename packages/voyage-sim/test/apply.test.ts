import * as A from '@automerge/automerge'
import { describe, expect, it } from 'vitest'
import { createContainerDoc, TallyError, toPlain } from '@tally/manifest'
import type { ContainerDoc } from '@tally/manifest'
import { applyEvent, buildVoyage, changesSince, changeTime, headsOf, simActor } from '../src/index.ts'
import type { Voyage } from '../src/index.ts'

const CONTAINERS = 100
const build = (): Voyage => buildVoyage({ seed: 3, containers: CONTAINERS, days: 2, syncedDays: 1 })
const voyage = build()
const day1 = voyage.events[1]!

describe('buildVoyage and applyEvent', () => {
  it('builds both replicas of every booked box from a common genesis and booking', () => {
    expect(voyage.vesselDocs.size).toBe(CONTAINERS)
    expect(voyage.shoreDocs.size).toBe(CONTAINERS)
    for (const entry of voyage.manifest) {
      const doc = voyage.vesselDocs.get(entry.containerId)!
      expect(toPlain(doc.cargo)).toEqual(entry.cargo)
      expect(toPlain(doc.physical.stowage)).toBe(entry.physical.stowage)
      expect(toPlain(doc.customs.hsCodes)).toBeDefined()
    }
    expect(voyage.vesselActor).toBe(simActor('vessel'))
    expect(voyage.vesselActor).not.toBe(voyage.shoreActor)
  })

  it('turns every event of the unsynced day into exactly one change, by its side, at its time', () => {
    for (const side of ['vessel', 'shore'] as const) {
      const docs = side === 'vessel' ? voyage.vesselDocs : voyage.shoreDocs
      const actor = side === 'vessel' ? voyage.vesselActor : voyage.shoreActor
      const expected = day1.filter((e) => e.side === side)
      const changes = [...changesSince(docs, voyage.baseHeads).values()].flat().map((c) => A.decodeChange(c))
      expect(changes).toHaveLength(expected.length)
      expect(changes.every((c) => c.actor === actor)).toBe(true)
      expect(changes.map((c) => c.time).sort()).toEqual(expected.map((e) => changeTime(e.at)).sort())
    }
  })

  it('shares the synced day on both sides and leaves the last day apart', () => {
    let differing = 0
    for (const [id, vesselDoc] of voyage.vesselDocs) {
      const shoreDoc = voyage.shoreDocs.get(id)!
      const base = voyage.baseHeads.get(id)!
      expect(A.hasHeads(vesselDoc, base) && A.hasHeads(shoreDoc, base)).toBe(true)
      if (A.getHeads(vesselDoc).join() !== A.getHeads(shoreDoc).join()) differing++
    }
    expect(differing).toBeGreaterThan(0)
    // The shore's day-0 notes reached the vessel; its day-1 notes did not.
    for (const [day, seen] of [
      [0, true],
      [1, false],
    ] as const)
      for (const e of voyage.events[day]!)
        if (e.kind === 'notes')
          expect(voyage.vesselDocs.get(e.containerId)!.notes.includes(e.insert)).toBe(seen)
  })

  it('writes readings, physical, customs and notes into the documents', () => {
    const reefer = voyage.manifest.find((e) => e.isoType === '45R1')!
    const doc = voyage.vesselDocs.get(reefer.containerId)!
    expect(doc.reefer!.readings).toHaveLength(48)
    const notesEvents = voyage.events.flat().filter((e) => e.kind === 'notes')
    expect(notesEvents.length).toBeGreaterThan(0)
    const noted = voyage.shoreDocs.get(notesEvents[0]!.containerId)!
    expect(noted.notes).toContain(notesEvents[0]!.kind === 'notes' ? notesEvents[0]!.insert : '')
  })

  it('is byte-for-byte deterministic for a seed', () => {
    const again = build()
    for (const [id, doc] of voyage.vesselDocs)
      expect(A.getHeads(again.vesselDocs.get(id)!)).toEqual(A.getHeads(doc))
    for (const [id, doc] of voyage.shoreDocs)
      expect(A.getHeads(again.shoreDocs.get(id)!)).toEqual(A.getHeads(doc))
    expect(headsOf(again.shoreDocs)).toEqual(headsOf(voyage.shoreDocs))
  })

  it('refuses an event for another box, or a reading for a dry box', () => {
    const dry = voyage.manifest.find((e) => e.isoType !== '45R1')!
    let doc: A.Doc<ContainerDoc> = createContainerDoc(
      { vessel: voyage.vessel, voyage: voyage.voyage, containerId: dry.containerId },
      dry.isoType,
    )
    const reading = {
      kind: 'reading',
      side: 'vessel',
      containerId: dry.containerId,
      at: '2026-11-01T01:00:00Z',
      supplyC: 1,
      returnC: 2,
    } as const
    expect(() => applyEvent(doc, reading)).toThrow(TallyError)
    expect(() => applyEvent(doc, { ...reading, containerId: 'CSQU3054383' })).toThrow(/applied to/)
    doc = applyEvent(doc, {
      kind: 'patch',
      side: 'vessel',
      containerId: dry.containerId,
      at: '2026-11-01T01:00:00Z',
      patch: { physical: { lashingCheckedAt: '2026-11-01T01:00:00Z' } },
    })
    expect(toPlain(doc.physical.lashingCheckedAt)).toBe('2026-11-01T01:00:00Z')
    expect(() =>
      applyEvent(doc, {
        kind: 'patch',
        side: 'vessel',
        containerId: dry.containerId,
        at: '2026-11-01T02:00:00Z',
        patch: { customs: { status: 'RELEASED' } },
      }),
    ).toThrow(/FORBIDDEN|owned by shore/)
  })
})
