/**
 * A document the receiver reported missing a dependency goes again whole, from its genesis
 * (docs/protocol.md, "Short dependencies"): the receiver, which holds most of it already and has
 * changes of its own the sender has not seen, must end with both sides' changes and true heads.
 */
import { afterEach, describe, expect, it } from 'vitest'
import fs from 'node:fs'
import { randomBytes } from 'node:crypto'
import { applyPatch, appendReading, documentIdFor } from '@tally/manifest'
import {
  headsEqual,
  keyOf,
  seedRelay,
  startRelay,
  syncOnce,
  tempDir,
  VESSEL,
  vesselSide,
} from './fixtures.ts'

const cleanups: (() => Promise<unknown> | unknown)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

describe('a document sent again whole', { timeout: 120_000 }, () => {
  it('converges when the receiver holds changes of its own the sender has not seen', async () => {
    const dir = tempDir()
    cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }))
    const relay = await startRelay(dir)
    cleanups.push(() => relay.close())
    const shore = randomBytes(16).toString('hex')
    seedRelay(relay, 5, shore)
    const vessel = vesselSide(dir)
    cleanups.push(() => vessel.db.close())
    await syncOnce(vessel, relay.url, relay.token)
    const docId = documentIdFor(keyOf(0))
    for (let h = 0; h < 80; h++)
      vessel.store.edit(docId, vessel.actor, (d) =>
        appendReading(
          d,
          { at: new Date(Date.UTC(2026, 10, 1, h)).toISOString(), supplyC: 4, returnC: 5 },
          'vessel',
        ),
      )
    await syncOnce(vessel, relay.url, relay.token)
    // Both sides edit; the relay then forgets what the vessel holds of the document, as after a `miss`.
    vessel.store.edit(docId, vessel.actor, (d) =>
      applyPatch(d, { physical: { condition: 'DAMAGED', damage: 'dent' } }, 'vessel'),
    )
    relay.store.edit(docId, shore, (d) =>
      applyPatch(d, { customs: { status: 'HELD', holdReason: 'x' } }, 'shore'),
    )
    relay.cursors.deleteHeads(VESSEL, docId)
    relay.store.index.markCritical(docId)
    await syncOnce(vessel, relay.url, relay.token)
    await syncOnce(vessel, relay.url, relay.token)
    expect(headsEqual(relay, vessel, 5)).toBe(true)
    const vesselCursor = vessel.cursors.getHeads('relay', docId)
    expect([...(vesselCursor ?? [])].sort()).toEqual([...JSON.parse(relay.store.row(docId)!.heads)].sort())
  })
})
