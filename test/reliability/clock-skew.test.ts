/**
 * A vessel whose clock is a day ahead, then a day behind (a real vessel node process with its Date
 * shifted by a preload): its edits still sync both ways, converge by heads and are refused nowhere;
 * the relay judges lag and its own accounting by its own clock, and the vessel's skewed times show
 * only where they belong (the author's change times).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import path from 'node:path'
import { ROOT } from '../support/processes.ts'
import { VESSEL, divergent, missingEdits, startWorld, viewsOf } from './support/world.ts'
import type { AckedEdit, World } from './support/world.ts'

const DAY_MS = 86_400_000
const PRELOAD = path.join(ROOT, 'test/reliability/support/skewed-clock.mjs')
const skewed = (ms: number): NodeJS.ProcessEnv => ({
  NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import ${PRELOAD}`.trim(),
  TALLY_CLOCK_SKEW_MS: String(ms),
})

let world: World
beforeAll(async () => {
  world = await startWorld({ containers: 80, vesselEnv: skewed(DAY_MS) })
}, 300_000)
afterAll(async () => {
  await world?.close()
})

describe('vessel clock skewed by ±1 day', { timeout: 300_000 }, () => {
  const acked: AckedEdit[] = []

  for (const [label, skew] of [
    ['a day ahead', DAY_MS],
    ['a day behind', -DAY_MS],
  ] as const)
    it(`syncs both ways and converges with the vessel clock ${label}`, async () => {
      if (skew < 0) {
        await world.stopVessel('SIGTERM')
        await world.startVessel(skewed(skew))
      }
      const shoreBox = world.manifest[skew > 0 ? 5 : 6]!.containerId
      const hold = await world.relayApi('PATCH', `/api/vessels/${VESSEL}/containers/${shoreBox}`, {
        customs: { status: 'HELD', holdReason: `skew ${label}` },
      })
      expect(hold.status).toBe(200)
      const before = Date.now()
      acked.push(...(await world.crewEdits(60, { tag: skew > 0 ? 10 : 11 })))
      const since = new Date().toISOString()
      await world.settled(since)
      const vessel = await viewsOf(world.vesselApi, '/api/containers?limit=1000')
      const relay = await viewsOf(world.relayApi, `/api/vessels/${VESSEL}/containers?limit=1000`)
      expect(missingEdits(acked, relay)).toEqual([])
      expect(divergent(vessel, relay)).toEqual([])
      expect(vessel.get(shoreBox).customs.holdReason).toBe(`skew ${label}`)
      expect((await world.status()).deadLetters).toBe(0)

      // The relay measures the vessel by its own clock: a sync just now is a lag of seconds.
      const fleet = (await world.relayApi('GET', '/api/vessels')).body as any[]
      const me = fleet.find((v) => v.imo === VESSEL)
      expect(Math.abs(Date.parse(me.lastSyncAt) - Date.now())).toBeLessThan(5 * 60_000)
      expect(me.lagSeconds).toBeGreaterThanOrEqual(0)
      expect(me.lagSeconds).toBeLessThan(300)
      // The crew's change carries the vessel's clock in the history (who wrote what, when).
      const lashing = acked.filter((e) => e.kind === 'lashing').at(-1)!
      const history = (
        await world.relayApi('GET', `/api/vessels/${VESSEL}/containers/${lashing.containerId}/history`)
      ).body as { at: string; field: string }[]
      const entry = history.filter((h) => h.field === 'physical.lashingCheckedAt').at(-1)!
      const offset = Date.parse(entry.at) - before
      expect(Math.abs(offset - skew)).toBeLessThan(10 * 60_000)
      console.log(
        `[reliability] clock ${label}: history time offset ${Math.round(offset / 3_600_000)} h, lag ${me.lagSeconds} s`,
      )
    })
})
