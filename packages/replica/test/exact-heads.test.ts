/**
 * The cursor after an acknowledgement: heads that are all the document's own heads are exact as
 * they are, so the document is not loaded; otherwise it is, to drop a head another descends from.
 */
import { describe, expect, it, vi } from 'vitest'
import pino from 'pino'
import * as A from '@automerge/automerge'
import { documentIdFor, withCheckDigit } from '@tally/manifest'
import type { PlannedEntry } from '@tally/link'
import { ActorRegistryStore, CursorStore, DeadLetterStore } from '@tally/storage-sqlite'
import { ContainerStore, SqliteLinkReplica } from '../src/index.ts'
import { readingBy, tempDatabase } from './helpers.ts'

const VESSEL = 'IMO9811000'
const key = { vessel: VESSEL, voyage: '024E', containerId: withCheckDigit('TGHU100001') }
const docId = documentIdFor(key)
const crew = 'c1'.repeat(16)
const shore = 'd2'.repeat(16)

/** A document whose heads are the crew's change and a concurrent shore change. */
function concurrent() {
  const db = tempDatabase('heads')
  const store = new ContainerStore(db)
  const cursors = new CursorStore(db)
  const replica = new SqliteLinkReplica({
    store,
    cursors,
    registry: new ActorRegistryStore(db),
    deadLetters: new DeadLetterStore(db),
    peer: 'relay',
    vessel: VESSEL,
    peerPrincipal: 'relay',
    trustBinding: () => true,
    validate: (_ctx, changes) => changes.map((c) => ({ hash: c.hash, accepted: true })),
    logger: pino({ level: 'silent' }),
  })
  store.create(key, '45R1', 'remote')
  const base = store.load(docId)!
  const first = A.decodeChange(A.getLastLocalChange(store.edit(docId, crew, (d) => readingBy(d, 0, crew)))!)
  const second = A.decodeChange(A.getLastLocalChange(store.edit(docId, crew, (d) => readingBy(d, 1, crew)))!)
  const remote = readingBy(base, 2, shore)
  const bytes = A.getChanges(base, remote)
  const shoreChange = A.decodeChange(bytes[0]!)
  store.ingest(docId, key, [shoreChange], [Buffer.concat(bytes)], store.objectIndex(docId)!)
  return { store, cursors, replica, first, second, shoreChange }
}

const acked = (changes: A.DecodedChange[]) =>
  [{ key, changes: changes.map((c) => ({ hash: c.hash, deps: c.deps, actor: c.actor })) }] as PlannedEntry[]

describe('the cursor after an acknowledgement', () => {
  it('takes heads that are the document’s own as they are, without loading it', () => {
    const { store, cursors, replica, second, shoreChange } = concurrent()
    expect(new Set(JSON.parse(store.row(docId)!.heads))).toEqual(new Set([second.hash, shoreChange.hash]))
    cursors.setHeads('relay', docId, [shoreChange.hash])
    const loads = vi.spyOn(store, 'load')
    replica.acknowledged(acked([second]), [])
    expect(loads).not.toHaveBeenCalled()
    expect(new Set(cursors.getHeads('relay', docId))).toEqual(new Set([second.hash, shoreChange.hash]))
  })

  it('drops a head another descends from, reading the document', () => {
    const { store, cursors, replica, first, second, shoreChange } = concurrent()
    // The cursor names the crew's second change; the first comes back acknowledged (a resend).
    cursors.setHeads('relay', docId, [second.hash, shoreChange.hash])
    const loads = vi.spyOn(store, 'load')
    replica.acknowledged(acked([first]), [])
    expect(loads).toHaveBeenCalled()
    expect(new Set(cursors.getHeads('relay', docId))).toEqual(new Set([second.hash, shoreChange.hash]))
  })
})
