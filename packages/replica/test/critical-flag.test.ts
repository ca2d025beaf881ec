/**
 * The row flag that lets the link plan documents with critical changes first: raised by a local
 * write that adds a critical change, kept while the peer lacks any of the document, cleared once
 * the peer acknowledged everything, and raised again when the peer must get the document anew.
 */
import { describe, expect, it } from 'vitest'
import pino from 'pino'
import * as A from '@automerge/automerge'
import { applyPatch, appendReading, documentIdFor, withCheckDigit } from '@tally/manifest'
import { planDocument } from '@tally/link'
import type { PlannedEntry } from '@tally/link'
import { ActorRegistryStore, CursorStore, DeadLetterStore } from '@tally/storage-sqlite'
import { ContainerStore, SqliteLinkReplica } from '../src/index.ts'
import { tempDatabase } from './helpers.ts'

const VESSEL = 'IMO9811000'
const key = { vessel: VESSEL, voyage: '024E', containerId: withCheckDigit('TGHU100001') }
const docId = documentIdFor(key)
const crew = 'c1'.repeat(16)

function open() {
  const db = tempDatabase('critical')
  const registry = new ActorRegistryStore(db)
  const store = new ContainerStore(db)
  const cursors = new CursorStore(db)
  const replica = new SqliteLinkReplica({
    store,
    cursors,
    registry,
    deadLetters: new DeadLetterStore(db),
    peer: 'relay',
    vessel: VESSEL,
    peerPrincipal: 'relay',
    trustBinding: () => true,
    validate: (_ctx, changes) => changes.map((c) => ({ hash: c.hash, accepted: true })),
    logger: pino({ level: 'silent' }),
  })
  return { store, cursors, replica }
}

const flag = (store: ContainerStore) => store.row(docId)!.critical
const reading = (h: number) => (d: A.Doc<any>) =>
  appendReading(
    d,
    { at: `2026-11-01T${String(h).padStart(2, '0')}:00:00Z`, supplyC: 4, returnC: 5 },
    'vessel',
  )

/** What the link does when the relay acknowledges everything the vessel has now. */
function ackEverything(s: ReturnType<typeof open>) {
  const out = s.replica.outgoing().find((d) => d.key.containerId === key.containerId)!
  const entries = planDocument(out) as unknown as PlannedEntry[]
  s.replica.acknowledged(entries, [])
  return entries
}

describe('critical flag', () => {
  it('is raised by a local critical write, kept until the peer has everything, then cleared', () => {
    const s = open()
    s.store.create(key, '45R1')
    expect(flag(s.store)).toBe(0)
    s.store.edit(docId, crew, reading(1))
    expect(flag(s.store)).toBe(0) // a reading is routine
    s.store.edit(docId, crew, (d) =>
      applyPatch(d, { physical: { condition: 'DAMAGED', damage: 'dent' } }, 'vessel'),
    )
    expect(flag(s.store)).toBe(1)
    s.store.edit(docId, crew, reading(2))
    expect(flag(s.store)).toBe(1) // a later routine write does not lower it
    expect(s.replica.outgoing()[0]!.mayBeCritical).toBe(true)

    // Acknowledged only up to the damage report: the reading after it is still pending.
    const out = s.replica.outgoing()[0]!
    const [critical] = planDocument(out)
    expect(critical!.priority).toBe(0)
    s.replica.acknowledged([critical as unknown as PlannedEntry], [])
    expect(flag(s.store)).toBe(1)

    ackEverything(s)
    expect(flag(s.store)).toBe(0)
  })

  it('orders documents that may hold a critical change first', () => {
    const s = open()
    const other = { ...key, containerId: withCheckDigit('TGHU100002') }
    s.store.create(other, '45R1')
    s.store.create(key, '45R1')
    s.store.edit(documentIdFor(other), crew, reading(1))
    s.store.edit(docId, crew, (d) => applyPatch(d, { physical: { sealIntact: false } }, 'vessel'))
    const order = s.replica.outgoing().map((d) => [d.key.containerId, d.mayBeCritical])
    expect(order).toEqual([
      [key.containerId, true],
      [other.containerId, false],
    ])
  })

  it('is raised again when the peer lacked a change and must get the document from its start', () => {
    const s = open()
    s.store.create(key, '45R1')
    s.store.edit(docId, crew, reading(1))
    const entries = ackEverything(s)
    expect(flag(s.store)).toBe(0)
    s.replica.acknowledged(entries, [key.containerId])
    expect(s.cursors.getHeads('relay', docId)).toBeUndefined()
    expect(flag(s.store)).toBe(1)
  })

  it('starts over the container on every voyage of the chunk that a miss may name', () => {
    const s = open()
    const later = { ...key, voyage: '025W' }
    for (const k of [key, later]) {
      s.store.create(k, '45R1')
      s.store.edit(documentIdFor(k), crew, reading(1))
    }
    const entries = s.replica.outgoing().flatMap((d) => planDocument(d)) as unknown as PlannedEntry[]
    expect([...new Set(entries.map((e) => e.key.voyage))].sort()).toEqual(['024E', '025W'])
    // The miss is the later voyage's, the first entry the earlier one's: neither may be taken as held.
    s.replica.acknowledged(entries, [key.containerId])
    expect(s.cursors.getHeads('relay', docId)).toBeUndefined()
    expect(s.cursors.getHeads('relay', documentIdFor(later))).toBeUndefined()
  })
})
