/**
 * Daily byte budgets over a real link (docs/operations.md, "Budgets"): once the budget is spent, each sender sends
 * only its critical changes, finishes the session normally, and keeps the rest pending (cursors do
 * not move for what it held back); a later session without a budget sends the rest and converges.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { randomBytes } from 'node:crypto'
import fs from 'node:fs'
import * as A from '@automerge/automerge'
import { applyPatch, documentIdFor } from '@tally/manifest'
import { chunkWireBytes, packChunks, planDocument } from '@tally/link'
import type { PlannedChunk } from '@tally/link'
import {
  headsEqual,
  keyOf,
  seedRelay,
  startRelay,
  syncOnce,
  tempDir,
  VESSEL,
  vesselDay,
  vesselSide,
} from './fixtures.ts'

const N = 40
const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

describe('daily byte budget on the link', { timeout: 120_000 }, () => {
  it('sends only critical changes once spent, keeps the rest pending, then converges', async () => {
    const dir = tempDir()
    cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }))
    let budget: number | null = null
    const relay = await startRelay(dir, 0, { budgetFor: () => budget })
    cleanups.push(() => relay.close())
    const vessel = vesselSide(dir)
    cleanups.push(() => void vessel.db.close())
    const shore = randomBytes(16).toString('hex')
    seedRelay(relay, N, shore)
    await syncOnce(vessel, relay.url, relay.token)
    expect(headsEqual(relay, vessel, N)).toBe(true)

    // A voyage day on board: readings (routine), lashing checks (normal), one damage (critical)...
    vesselDay(vessel, N)
    // ...and on shore: a customs hold (critical) and a booking change (normal).
    const held = documentIdFor(keyOf(7))
    const rebooked = documentIdFor(keyOf(8))
    relay.store.edit(held, shore, (d) =>
      applyPatch(d, { customs: { status: 'HELD', holdReason: 'x' } }, 'shore'),
    )
    relay.store.edit(rebooked, shore, (d) => applyPatch(d, { cargo: { booking: 'BK-NEW' } }, 'shore'))
    const damaged = documentIdFor(keyOf(3))
    const readingsOnly = documentIdFor(keyOf(0))
    const vesselCursorBefore = vessel.cursors.getHeads('relay', readingsOnly)
    const relayCursorBefore = relay.cursors.getHeads(VESSEL, rebooked)

    budget = 1
    const limited = await syncOnce(vessel, relay.url, relay.token)
    // The vessel held back its normal and routine changes and sent the damage report.
    expect(limited.budget).toMatchObject({ remainingBytes: 1, budgetLimited: true })
    expect(limited.budget.heldBack[0]).toBe(0)
    expect(limited.budget.heldBack[1]).toBeGreaterThan(0)
    expect(limited.budget.heldBack[2]).toBeGreaterThan(0)
    expect(limited.stats.changesUp).toBeGreaterThan(0)
    expect(String((relay.store.load(damaged) as any).physical.condition)).toBe('DAMAGED')
    expect((relay.store.load(readingsOnly) as any).reefer.readings ?? []).toHaveLength(0)
    // The relay sent the hold and kept the booking change.
    expect(String((vessel.store.load(held) as any).customs.status)).toBe('HELD')
    expect(String((vessel.store.load(rebooked) as any).cargo.booking)).not.toBe('BK-NEW')
    // Cursors stayed where they were for what was held back, on both sides.
    expect(vessel.cursors.getHeads('relay', readingsOnly)).toEqual(vesselCursorBefore)
    expect(relay.cursors.getHeads(VESSEL, rebooked)).toEqual(relayCursorBefore)
    expect(vessel.replica.pendingCount()).toBeGreaterThan(0)
    // The relay's session record says the budget held its changes back.
    const relayRecord = relay.sessions.list({ peer: VESSEL, limit: 1 })[0]!
    expect(relayRecord).toMatchObject({ state: 'complete', budgetLimited: true })

    // Still spent: a second session moves nothing new that is not critical.
    const again = await syncOnce(vessel, relay.url, relay.token)
    expect(again.budget.budgetLimited).toBe(true)
    expect(again.stats.changesUp + again.stats.changesDown).toBe(0)

    // A new day (or a raised budget): the rest crosses and both sides converge.
    budget = null
    const rest = await syncOnce(vessel, relay.url, relay.token)
    expect(rest.budget).toMatchObject({ remainingBytes: null, budgetLimited: false })
    expect(rest.stats.changesUp).toBeGreaterThan(N)
    expect(rest.stats.changesDown).toBe(1)
    expect(headsEqual(relay, vessel, N)).toBe(true)
    expect(vessel.replica.pendingCount()).toBe(0)
    expect(A.getHeads(relay.store.load(readingsOnly)!)).toEqual(A.getHeads(vessel.store.load(readingsOnly)!))
    const idle = await syncOnce(vessel, relay.url, relay.token)
    expect(idle.stats.chunksUp + idle.stats.chunksDown).toBe(0)
  })

  it('fills a budget that fits part of the backlog in priority order: normal before any routine', async () => {
    const dir = tempDir()
    cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }))
    let budget: number | null = null
    const relay = await startRelay(dir, 0, { budgetFor: () => budget })
    cleanups.push(() => relay.close())
    const vessel = vesselSide(dir)
    cleanups.push(() => void vessel.db.close())
    seedRelay(relay, N, randomBytes(16).toString('hex'))
    await syncOnce(vessel, relay.url, relay.token)
    for (let day = 0; day < 3; day++) vesselDay(vessel, N, day)

    // The chunks the session will pack, to size a budget that fits critical and normal but not
    // routine: half the routine bytes of slack covers the welcome, acks and done frames.
    const chunks = packChunks(vessel.replica.outgoing().flatMap(planDocument), (a) =>
      vessel.replica.bindingOf(a),
    )
    const sum = (p: (c: PlannedChunk) => boolean, f: (c: PlannedChunk) => number) =>
      chunks.filter(p).reduce((n, c) => n + f(c), 0)
    const urgentBytes = sum((c) => c.priority < 2, chunkWireBytes)
    const routineBytes = sum((c) => c.priority === 2, chunkWireBytes)
    const urgentChanges = sum(
      (c) => c.priority < 2,
      (c) => c.changeCount,
    )
    const routineChanges = sum(
      (c) => c.priority === 2,
      (c) => c.changeCount,
    )
    expect(
      sum(
        (c) => c.priority === 1,
        (c) => c.changeCount,
      ),
    ).toBeGreaterThan(0)
    expect(routineBytes).toBeGreaterThan(2_000)

    budget = urgentBytes + Math.floor(routineBytes / 2)
    const part = await syncOnce(vessel, relay.url, relay.token)
    expect(part.budget).toMatchObject({ budgetLimited: true, heldBack: { 0: 0, 1: 0, 2: routineChanges } })
    expect(part.stats.changesUp).toBe(urgentChanges)
    // The lashing check (normal) of container 1 arrived; no reading of container 0 did.
    expect((relay.store.load(documentIdFor(keyOf(1))) as any).physical.lashingCheckedAt).toBeTruthy()
    expect((relay.store.load(documentIdFor(keyOf(0))) as any).reefer.readings ?? []).toHaveLength(0)
    expect(part.stats.bytesUp + part.stats.bytesDown).toBeLessThanOrEqual(budget)

    budget = null
    const rest = await syncOnce(vessel, relay.url, relay.token)
    expect(rest.stats.changesUp).toBe(routineChanges)
    expect(headsEqual(relay, vessel, N)).toBe(true)
  })
})
