/**
 * The sync panel's pending estimate: the genesis index shortcut resolves the same objects as a
 * genesis document, and pending changes are counted by priority class and drop as cursors advance.
 */
import { afterEach, describe, expect, it } from 'vitest'
import * as A from '@automerge/automerge'
import { applyPatch, appendReading, genesisDoc } from '@tally/manifest'
import { ContainerStore } from '@tally/replica'
import { CursorStore, openTallyDatabase, ActorRegistryStore } from '@tally/storage-sqlite'
import { genesisIndex, PendingEstimator } from '../src/pending-estimate.ts'
import { tempDir, testContainer, VESSEL, VOYAGE, vesselActor } from './helpers.ts'

const cleanups: (() => void)[] = []
afterEach(() => {
  while (cleanups.length) cleanups.pop()!()
})

describe('genesis index', () => {
  it.each(['45R1', '42G1'])(
    'resolves every genesis object of a %s like a genesis document does',
    (isoType) => {
      const key = { vessel: VESSEL, voyage: VOYAGE, containerId: testContainer(42).containerId }
      const doc = genesisDoc(key, isoType)
      const index = genesisIndex(key, isoType)
      const objects: [string, unknown[]][] = [
        ['cargo', [doc.cargo]],
        ['customs', [doc.customs]],
        ['physical', [doc.physical]],
        ['customs.hsCodes', [doc.customs.hsCodes]],
        ['proposals', [doc.proposals]],
      ]
      if (doc.reefer) objects.push(['reefer', [doc.reefer]], ['reefer.readings', [doc.reefer.readings]])
      for (const [path, [obj]] of objects)
        expect(index.resolve(A.getObjectId(obj as A.Doc<unknown>)!)).toEqual(path.split('.'))
      expect(index.resolve(A.getObjectId(doc, 'notes')!)).toEqual(['notes'])
    },
  )
})

describe('pending estimator', () => {
  it('counts pending changes by priority and forgets what the relay acknowledged', () => {
    const tmp = tempDir()
    const db = openTallyDatabase(`${tmp.dir}/v.sqlite`, { synchronous: 'NORMAL' })
    cleanups.push(() => (db.close(), tmp.remove()))
    const store = new ContainerStore(db)
    const cursors = new CursorStore(db)
    const actor = vesselActor(new ActorRegistryStore(db))
    const reefer = testContainer(10)
    const dry = testContainer(11)
    for (const c of [reefer, dry])
      store.create({ vessel: VESSEL, voyage: VOYAGE, containerId: c.containerId }, c.isoType)
    // The relay has both genesis changes.
    for (const c of [reefer, dry]) cursors.setHeads('relay', c.docId, A.getHeads(store.load(c.docId)!))
    const estimator = new PendingEstimator({ store, cursors, vessel: VESSEL, peer: 'relay', sliceMs: 10_000 })
    expect(estimator.current()).toMatchObject({ documents: 0, changes: 0, complete: true })

    store.edit(reefer.docId, actor, (d) =>
      applyPatch(
        d,
        { reefer: { alarm: { code: 'HIGH_TEMP', at: '2025-03-01T00:00:00Z', note: null } } },
        'vessel',
      ),
    )
    store.edit(reefer.docId, actor, (d) =>
      appendReading(d, { at: '2025-03-01T01:00:00Z', supplyC: -17, returnC: -16 }, 'vessel'),
    )
    store.edit(reefer.docId, actor, (d) =>
      appendReading(d, { at: '2025-03-01T02:00:00Z', supplyC: -17, returnC: -16 }, 'vessel'),
    )
    store.edit(dry.docId, actor, (d) =>
      applyPatch(d, { physical: { lashingCheckedAt: '2025-03-01T03:00:00Z' } }, 'vessel'),
    )
    estimator.invalidate()
    const e = estimator.current()
    expect(e).toMatchObject({
      documents: 2,
      changes: 4,
      byPriority: { critical: 1, normal: 1, routine: 2 },
      complete: true,
    })
    expect(e.rawBytes).toBeGreaterThan(0)

    cursors.setHeads('relay', dry.docId, A.getHeads(store.load(dry.docId)!))
    estimator.invalidate()
    expect(estimator.current()).toMatchObject({
      documents: 1,
      changes: 3,
      byPriority: { critical: 1, normal: 0, routine: 2 },
    })
    estimator.close()
  })

  it('leaves the rest of a refresh for later while a sync session runs, then finishes it', async () => {
    const tmp = tempDir()
    const db = openTallyDatabase(`${tmp.dir}/v.sqlite`, { synchronous: 'NORMAL' })
    cleanups.push(() => (db.close(), tmp.remove()))
    const store = new ContainerStore(db)
    const cursors = new CursorStore(db)
    for (let i = 0; i < 40; i++) {
      const c = testContainer(20 + i)
      store.create({ vessel: VESSEL, voyage: VOYAGE, containerId: c.containerId }, c.isoType)
    }
    let busy = true
    // A 1 ms slice looks at a few documents per refresh: the rest is background work, which
    // (idle) finishes well within a second.
    const estimator = new PendingEstimator({
      store,
      cursors,
      vessel: VESSEL,
      peer: 'relay',
      sliceMs: 1,
      busy: () => busy,
    })
    cleanups.push(() => estimator.close())
    let updated = 0
    estimator.on('updated', () => updated++)
    expect(estimator.current().complete).toBe(false)
    await new Promise((r) => setTimeout(r, 1_500))
    expect(updated).toBe(0) // the session ran: nothing was refreshed in the background
    busy = false
    const done = await new Promise((resolve) => estimator.once('updated', resolve))
    expect(done).toMatchObject({ documents: 40, complete: true })
  })
})
