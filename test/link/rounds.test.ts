/**
 * The link left up all day (protocol version 3), across real relay and vessel node processes on the
 * simulated satellite link (128 kbit/s, 300 ms each way), with short windows given on the vessel's
 * command line: critical 1 s, normal 4 s, routine 10 s, keepalive 2 s.
 *
 * - while nothing changes, nothing crosses but the keepalive, on the one connection;
 * - a critical change crosses within the bound both ways (a customs hold entered ashore too);
 * - reefer readings wait for the routine window and travel in one round;
 * - a drop right after the relay sent a round's `fin` costs no reconciliation.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEFAULT_KEEPALIVE_S } from '@tally/link/pacing'
import { isReeferType } from '@tally/manifest'
import { startRoundsWorld, VESSEL, within } from './rounds-world.ts'
import type { RoundsWorld } from './rounds-world.ts'

const WINDOWS = { critical: 1, normal: 4, routine: 10 }
const KEEPALIVE_S = 2

let world: RoundsWorld
beforeAll(async () => {
  world = await startRoundsWorld({
    containers: 120,
    vesselFlags: [
      '--window-critical-s',
      String(WINDOWS.critical),
      '--window-normal-s',
      String(WINDOWS.normal),
      '--window-routine-s',
      String(WINDOWS.routine),
      '--keepalive-s',
      String(KEEPALIVE_S),
    ],
  })
}, 240_000)
afterAll(async () => {
  await world?.close()
})

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

describe('the link left up (rounds)', { timeout: 240_000 }, () => {
  it('sends nothing but the keepalive while nothing changes, on one connection', async () => {
    await sleep(1_000)
    const before = world.link.stats()
    const sessionsBefore = (await world.relaySessions()).length
    const quietMs = 9_000
    await sleep(quietMs)
    const after = world.link.stats()
    const up = after.bytesUp - before.bytesUp
    const down = after.bytesDown - before.bytesDown
    const pings = quietMs / 1000 / KEEPALIVE_S
    console.log(
      `[rounds] idle ${quietMs / 1000} s: ${up} B up, ${down} B down (${pings} keepalives); ` +
        `per idle hour at the default ${DEFAULT_KEEPALIVE_S} s keepalive: ${Math.round(((up + down) / pings) * (3600 / DEFAULT_KEEPALIVE_S))} B`,
    )
    expect(after.connections).toBe(before.connections)
    expect((await world.relaySessions()).length).toBe(sessionsBefore)
    // A keepalive is 6 bytes up (a masked, empty ping, or with the one-way keepalive mostly an
    // unsolicited pong); only a ping has a 2-byte pong down.
    expect(up).toBeLessThanOrEqual(Math.ceil(pings + 1) * 6)
    expect(down).toBeLessThanOrEqual(Math.ceil(pings + 1) * 2)
  })

  it('carries a critical change within the bound both ways: damage up, a customs hold down', async () => {
    const [box, other] = world.manifest
    const sessionsBefore = (await world.relaySessions()).length
    const statsBefore = world.link.stats()
    const damaged = await world.vesselApi('PATCH', `/api/containers/${box!.containerId}`, {
      physical: { condition: 'DAMAGED', damage: 'dent in the door' },
    })
    expect(damaged.status).toBe(200)
    const upMs = await within('damage at the relay', 60_000, async () => {
      const r = await world.relayApi('GET', `/api/vessels/${VESSEL}/containers/${box!.containerId}`)
      return r.body.physical.condition === 'DAMAGED'
    })
    const held = await world.relayApi('PATCH', `/api/vessels/${VESSEL}/containers/${other!.containerId}`, {
      customs: { status: 'HELD', holdReason: 'x-ray' },
    })
    expect(held.status).toBe(200)
    const downMs = await within('customs hold at the vessel', 60_000, async () => {
      const r = await world.vesselApi('GET', `/api/containers/${other!.containerId}`)
      return r.body.customs.status === 'HELD'
    })
    await sleep(1_500)
    const statsAfter = world.link.stats()
    const sessions = (await world.relaySessions()).slice(
      0,
      (await world.relaySessions()).length - sessionsBefore,
    )
    console.log(
      `[rounds] critical up in ${upMs} ms, down in ${downMs} ms; ${sessions.length} rounds, ` +
        `${statsAfter.bytesUp - statsBefore.bytesUp} B up, ${statsAfter.bytesDown - statsBefore.bytesDown} B down ` +
        `on the wire; rounds: ${JSON.stringify(sessions.map((s) => [s.bytesUp, s.bytesDown]))}`,
    )
    // The windows are 1 s (vessel) and 2 s (relay default); the rest is the link's round trips.
    expect(upMs).toBeLessThan(15_000)
    expect(downMs).toBeLessThan(15_000)
    expect(statsAfter.connections).toBe(statsBefore.connections)
    expect(sessions.length).toBe(2)
    expect(sessions.every((s) => s.state === 'complete')).toBe(true)
  })

  it('runs no empty round when the relay pokes while the vessel starts one', async () => {
    // A customs hold ashore (the relay pokes 2 s later), then a damage report aboard about 1 s later
    // (the vessel starts its round 1 s after it): poke and round cross on the link, 300 ms each way.
    // Each attempt is one round that carries both, whether or not they crossed.
    const offsetsMs = [1_000, 850, 1_150]
    const boxes = world.manifest.slice(20, 20 + 2 * offsetsMs.length)
    const sessionsBefore = (await world.relaySessions()).length
    for (const [i, offset] of offsetsMs.entries()) {
      const [ashore, aboard] = [boxes[2 * i]!, boxes[2 * i + 1]!]
      const heldAt = Date.now()
      const held = await world.relayApi('PATCH', `/api/vessels/${VESSEL}/containers/${ashore.containerId}`, {
        customs: { status: 'HELD', holdReason: 'documents' },
      })
      expect(held.status).toBe(200)
      await sleep(Math.max(0, heldAt + offset - Date.now()))
      const damaged = await world.vesselApi('PATCH', `/api/containers/${aboard.containerId}`, {
        physical: { condition: 'DAMAGED', damage: 'hole in the roof' },
      })
      expect(damaged.status).toBe(200)
      await within('both changes across', 60_000, async () => {
        const up = await world.relayApi('GET', `/api/vessels/${VESSEL}/containers/${aboard.containerId}`)
        const down = await world.vesselApi('GET', `/api/containers/${ashore.containerId}`)
        return up.body.physical.condition === 'DAMAGED' && down.body.customs.status === 'HELD'
      })
      await sleep(3_000)
    }
    const all = await world.relaySessions()
    const sessions = all.slice(0, all.length - sessionsBefore)
    console.log(`[rounds] crossing pokes: ${JSON.stringify(sessions.map((s) => [s.bytesUp, s.bytesDown]))}`)
    expect(sessions).toHaveLength(offsetsMs.length)
  })

  it('holds reefer readings for the routine window and sends them in one round', async () => {
    const reefers = world.manifest.filter((m) => isReeferType(m.isoType)).slice(0, 4)
    expect(reefers.length).toBeGreaterThan(0)
    await sleep(1_000)
    const sessionsBefore = (await world.relaySessions()).length
    const statsBefore = world.link.stats()
    const start = Date.now()
    for (const [i, r] of reefers.entries()) {
      const res = await world.vesselApi('POST', `/api/containers/${r.containerId}/readings`, {
        at: new Date(Date.parse('2026-11-03T00:00:00Z') + i * 60_000).toISOString(),
        supplyC: 4.1,
        returnC: 5.3,
      })
      expect(res.status).toBe(201)
    }
    const readingsAtRelay = async () => {
      let n = 0
      for (const r of reefers) {
        const v = await world.relayApi('GET', `/api/vessels/${VESSEL}/containers/${r.containerId}`)
        if (v.body.reefer.readings.some((x: { at: string }) => x.at.startsWith('2026-11-03'))) n++
      }
      return n
    }
    // Past the normal window, before the routine one: nothing has crossed.
    await sleep(WINDOWS.normal * 1000 + 1_000)
    expect(await readingsAtRelay()).toBe(0)
    expect((await world.relaySessions()).length).toBe(sessionsBefore)
    await within('readings at the relay', 30_000, async () => (await readingsAtRelay()) === reefers.length)
    const tookMs = Date.now() - start
    await sleep(1_000)
    const sessions = await world.relaySessions()
    const statsAfter = world.link.stats()
    console.log(
      `[rounds] ${reefers.length} readings crossed after ${tookMs} ms in ${sessions.length - sessionsBefore} round: ` +
        `${statsAfter.bytesUp - statsBefore.bytesUp} B up, ${statsAfter.bytesDown - statsBefore.bytesDown} B down`,
    )
    expect(tookMs).toBeGreaterThanOrEqual(WINDOWS.routine * 1000 - 500)
    expect(sessions.length - sessionsBefore).toBe(1)
    expect(sessions[0]).toMatchObject({ state: 'complete', changesUp: reefers.length })
  })
})

describe('a drop right after a round’s fin', { timeout: 240_000 }, () => {
  it('resumes from the previous token: no reconciliation, only the new changes cross', async () => {
    const reconciledBefore = world.relay.output().split('cursors reconciled by heads').length
    // Cut the link inside a round's fin, its last frame: the relay has committed it, the vessel
    // keeps the previous token. The connection compresses every frame, so an idle round's size
    // varies by a few bytes (its session id and token are random): one idle round tells where the
    // next one ends, and the cut goes a few bytes before that end, inside the fin of about 20
    // bytes. Retried if a keepalive pong got in the way.
    const idleRound = async () => {
      const seen = new Set((await world.relaySessions()).map((s) => s.id))
      expect((await world.vesselApi('POST', '/api/sync')).status).toBe(202)
      let round: any
      await within('the relay to commit a fin', 20_000, async () => {
        const [last] = await world.relaySessions()
        round = last
        return !!last && !seen.has(last.id) && last.state === 'complete'
      })
      return round
    }
    let missed = false
    for (let attempt = 0; attempt < 4 && !missed; attempt++) {
      await sleep(1_500)
      const measured = await idleRound()
      await sleep(500)
      // Frame bytes plus a 2-byte WebSocket header for each of welcome, done and fin.
      const disarm = world.link.dropAfterBytes(measured.bytesDown + 3 * 2 - 6, 'down')
      await idleRound()
      await sleep(1_000)
      // A cut that did not happen in this round must not happen in a later one.
      disarm()
      world.link.up()
      const [vesselLast] = (await world.vesselApi('GET', '/api/sync/sessions?limit=1')).body
      missed = vesselLast.state === 'failed'
    }
    expect(missed).toBe(true)
    // A day's worth of edits on both sides, then the link syncs by itself.
    const sessionsBefore = new Set((await world.relaySessions()).map((s) => s.id))
    // Shore edits first: the relay's normal window is 10 minutes, so they cross with the round that
    // the vessel's edits start (every round carries everything pending both ways).
    const shoreBoxes = world.manifest.slice(50, 60)
    for (const b of shoreBoxes)
      expect(
        (
          await world.relayApi('PATCH', `/api/vessels/${VESSEL}/containers/${b.containerId}`, {
            cargo: { shipper: 'Tally Shipping' },
          })
        ).status,
      ).toBe(200)
    const boxes = world.manifest.slice(10, 40)
    for (const b of boxes)
      expect(
        (
          await world.vesselApi('PATCH', `/api/containers/${b.containerId}`, {
            physical: { lashingCheckedAt: '2026-11-04T06:00:00.000Z' },
          })
        ).status,
      ).toBe(200)
    await within('both sides to have the edits', 60_000, async () => {
      const up = await world.relayApi('GET', `/api/vessels/${VESSEL}/containers/${boxes.at(-1)!.containerId}`)
      const down = await world.vesselApi('GET', `/api/containers/${shoreBoxes.at(-1)!.containerId}`)
      const s = await world.status()
      return (
        up.body.physical.lashingCheckedAt === '2026-11-04T06:00:00.000Z' &&
        down.body.cargo.shipper === 'Tally Shipping' &&
        s.pendingChanges === 0
      )
    })
    await sleep(1_000)
    const after = (await world.relaySessions()).filter((s) => !sessionsBefore.has(s.id))
    const moved = after.reduce(
      (t, s) => ({
        up: t.up + s.bytesUp,
        down: t.down + s.bytesDown,
        changesUp: t.changesUp + s.changesUp,
        changesDown: t.changesDown + s.changesDown,
      }),
      { up: 0, down: 0, changesUp: 0, changesDown: 0 },
    )
    console.log(`[rounds] after the lost fin: ${after.length} rounds, ${JSON.stringify(moved)}`)
    expect(world.relay.output()).toContain('the vessel missed the last fin')
    expect(world.relay.output().split('cursors reconciled by heads').length).toBe(reconciledBefore)
    expect(moved.changesUp).toBe(boxes.length)
    expect(moved.changesDown).toBe(shoreBoxes.length)
  })
})
