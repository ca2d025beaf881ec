/**
 * A batch that repeats changes the store holds already (a document sent again whole from its
 * genesis, or an echo of this side's own changes) must leave the row's heads true: a repeated change
 * is not a new head beside its own descendants.
 */
import { describe, expect, it } from 'vitest'
import * as A from '@automerge/automerge'
import { appendReading, documentIdFor, withCheckDigit } from '@tally/manifest'
import { ContainerStore } from '../src/index.ts'
import { tempDatabase } from './helpers.ts'

const key = { vessel: 'IMO9811000', voyage: '024E', containerId: withCheckDigit('TGHU100001') }
const docId = documentIdFor(key)
const crew = 'c1'.repeat(16)

describe('ingesting changes held already', () => {
  it('keeps the row’s heads those of the document', () => {
    const db = tempDatabase('repeat')
    const store = new ContainerStore(db)
    store.create(key, '45R1', 'remote')
    for (let h = 0; h < 3; h++)
      store.edit(docId, crew, (d) =>
        appendReading(
          d,
          { at: new Date(Date.UTC(2026, 10, 1, h)).toISOString(), supplyC: 4, returnC: 5 },
          'vessel',
        ),
      )
    const doc = store.load(docId)!
    const heads = A.getHeads(doc)
    // The history's first half again, as the first entry of a whole resend brings it.
    const all = A.getAllChanges(doc)
    const again = all.slice(0, 2)
    store.ingest(
      docId,
      key,
      again.map((c) => A.decodeChange(c)),
      [Buffer.concat(again)],
      store.objectIndex(docId)!,
    )
    expect(JSON.parse(store.row(docId)!.heads)).toEqual(heads)
    expect(A.getHeads(store.load(docId)!)).toEqual(heads)
  })
})
