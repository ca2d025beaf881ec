/**
 * ContainerStore.holding: a link chunk's ingest keeps the documents it reads in memory until it
 * ends, so each is loaded from SQLite once per chunk; a failed ingest leaves no copy in memory that
 * is ahead of the database.
 */
import { describe, expect, it, vi } from 'vitest'
import * as A from '@automerge/automerge'
import { documentIdFor, withCheckDigit } from '@tally/manifest'
import { ContainerStore } from '../src/index.ts'
import { readingBy, tempDatabase } from './helpers.ts'

const key = { vessel: 'IMO9811000', voyage: '024E', containerId: withCheckDigit('TGHU100001') }
const docId = documentIdFor(key)
const crew = 'c1'.repeat(16)
const shore = 'd2'.repeat(16)

/** A store with one document, and a change made elsewhere that it lacks. */
function setup(cacheSize = 5000) {
  const db = tempDatabase('holding')
  const store = new ContainerStore(db, { cacheSize })
  store.create(key, '45R1', 'remote')
  store.edit(docId, crew, (d) => readingBy(d, 0, crew))
  const before = store.load(docId)!
  const remote = readingBy(before, 1, shore)
  const bytes = A.getChanges(before, remote)
  const ingest = () =>
    store.ingest(
      docId,
      key,
      bytes.map((c) => A.decodeChange(c)),
      [Buffer.concat(bytes)],
      store.objectIndex(docId)!,
    )
  return { db, store, before, remote, ingest }
}

describe('ContainerStore.holding', () => {
  it('keeps every document read during the hold, trimming to the cache size after it', () => {
    const { store } = setup(1)
    const other = { ...key, containerId: withCheckDigit('TGHU100002') }
    store.create(other, '45R1', 'remote')
    store.holding(() => {
      const a = store.load(docId)
      store.load(documentIdFor(other))
      // Still the same copy: nothing left the cache while held.
      expect(store.load(docId)).toBe(a)
    })
    // Trimmed once the hold ended: the least recently used (the other one) left.
    const reads = vi.spyOn(store.chunks, 'load')
    store.load(docId)
    expect(reads).not.toHaveBeenCalled()
    store.load(documentIdFor(other))
    expect(reads).toHaveBeenCalledOnce()
  })

  it('an ingest inside the hold drops the copy, which loads again with the changes', () => {
    const { store, remote, ingest } = setup()
    store.holding(() => store.db.transaction(ingest)())
    expect(A.getHeads(store.load(docId)!)).toEqual(A.getHeads(remote))
    expect(JSON.parse(store.row(docId)!.heads)).toEqual(A.getHeads(remote))
  })

  it('drops what it loaded after a write when the transaction around it fails', () => {
    const { store, before, remote, ingest } = setup()
    expect(() =>
      store.holding(() =>
        store.db.transaction(() => {
          ingest()
          // Read inside the transaction: its own uncommitted write is in this copy.
          expect(A.getHeads(store.load(docId)!)).toEqual(A.getHeads(remote))
          throw new Error('disk full')
        })(),
      ),
    ).toThrow('disk full')
    // Loaded again from SQLite, where the change was rolled back.
    const reads = vi.spyOn(store.chunks, 'load')
    expect(A.getHeads(store.load(docId)!)).toEqual(A.getHeads(before))
    expect(reads).toHaveBeenCalledOnce()
    expect(JSON.parse(store.row(docId)!.heads)).toEqual(A.getHeads(before))
  })
})
