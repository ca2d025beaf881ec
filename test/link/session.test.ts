import { afterEach, describe, expect, it } from 'vitest'
import { randomBytes } from 'node:crypto'
import fs from 'node:fs'
import { documentIdFor, applyPatch } from '@tally/manifest'
import {
  headsEqual,
  keyOf,
  seedRelay,
  startRelay,
  syncOnce,
  tempDir,
  vesselDay,
  vesselSide,
} from './fixtures.ts'

const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

describe('link session over loopback', { timeout: 120_000 }, () => {
  it('delivers the manifest to a fresh vessel, then a day both ways, then an idle session', async () => {
    const dir = tempDir()
    cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }))
    const relay = await startRelay(dir)
    cleanups.push(() => relay.close())
    const vessel = vesselSide(dir)
    cleanups.push(() => void vessel.db.close())
    const shore = randomBytes(16).toString('hex')
    seedRelay(relay, 200, shore)

    const first = await syncOnce(vessel, relay.url, relay.token)
    expect(first.stats.changesDown).toBeGreaterThan(200)
    expect(headsEqual(relay, vessel, 200)).toBe(true)

    vesselDay(vessel, 200)
    relay.store.edit(documentIdFor(keyOf(5)), shore, (d) =>
      applyPatch(d, { customs: { status: 'HELD', holdReason: 'x' } }, 'shore'),
    )
    const second = await syncOnce(vessel, relay.url, relay.token)
    expect(second.stats.changesUp).toBeGreaterThan(400)
    expect(second.stats.changesDown).toBe(1)
    expect(headsEqual(relay, vessel, 200)).toBe(true)

    const idle = await syncOnce(vessel, relay.url, relay.token)
    expect(idle.stats.bytesUp + idle.stats.bytesDown).toBeLessThan(1024)
    expect(idle.stats.chunksUp + idle.stats.chunksDown).toBe(0)
  })
})

describe('cursors after a session that moved changes both ways', { timeout: 120_000 }, () => {
  it('leaves nothing pending on either side when both edited the same containers', async () => {
    const dir = tempDir()
    cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }))
    const relay = await startRelay(dir)
    cleanups.push(() => relay.close())
    const vessel = vesselSide(dir)
    cleanups.push(() => void vessel.db.close())
    const shore = randomBytes(16).toString('hex')
    seedRelay(relay, 50, shore)
    await syncOnce(vessel, relay.url, relay.token)
    vesselDay(vessel, 50)
    // The shore edits some of the same containers while the vessel is away.
    for (const i of [0, 3, 10, 20])
      relay.store.edit(documentIdFor(keyOf(i)), shore, (d) =>
        applyPatch(d, { customs: { status: 'RELEASED' } }, 'shore'),
      )
    const both = await syncOnce(vessel, relay.url, relay.token)
    expect(both.stats.changesUp).toBeGreaterThan(0)
    expect(both.stats.changesDown).toBe(4)
    expect(headsEqual(relay, vessel, 50)).toBe(true)
    // Neither side sends anything again: cursors kept what each side received.
    expect(vessel.replica.pendingCount()).toBe(0)
    const idle = await syncOnce(vessel, relay.url, relay.token)
    expect(idle.stats.changesUp + idle.stats.changesDown).toBe(0)
    expect(idle.stats.bytesUp + idle.stats.bytesDown).toBeLessThan(1024)
  })
})
