/**
 * kill -9 loses nothing (docs/architecture.md): real relay and vessel node processes, crew edits acknowledged
 * by the vessel's REST API (200/201), then SIGKILL of the relay while it ingests the vessel's
 * backlog, and SIGKILL of the vessel node in the middle of a two-way sync while the crew keep
 * editing. After each restart every acknowledged edit is present on both sides and every
 * container's heads agree.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { VESSEL, divergent, missingEdits, startWorld, viewsOf } from './support/world.ts'
import type { AckedEdit, World } from './support/world.ts'

const CONTAINERS = 300
/** Slow enough that a backlog of a few hundred changes takes seconds to cross. */
const SLOW_LINK = { rateBitsPerSecond: 32_000, oneWayDelayMs: 100 }

let world: World
beforeAll(async () => {
  world = await startWorld({ containers: CONTAINERS })
  await world.useLink(SLOW_LINK)
}, 300_000)
afterAll(async () => {
  await world?.close()
})

/**
 * Waits until the vessel is pushing and the relay is taking its change set in: a chunk already
 * acknowledged, or several kilobytes of one delivered (the slow link keeps a window open for seconds).
 */
async function midSession(): Promise<void> {
  let last: unknown
  let nudgedAt = 0
  world.link.resetStats()
  try {
    await world.poll(
      async () => {
        const s = (last = await world.status())
        const arriving = (s.progress?.chunksUp ?? 0) >= 1 || world.link.stats().bytesUp > 3_000
        if (s.state === 'PUSHING' && arriving) return true
        // A compact round can finish between two polls, and what the crew add next waits for its
        // batching window: ask for the next round now rather than in ten minutes.
        if (s.state === 'IDLE' && s.pendingChanges > 0 && Date.now() - nudgedAt > 2_000) {
          nudgedAt = Date.now()
          await world.vesselApi('POST', '/api/sync')
        }
        return undefined
      },
      120_000,
      25,
    )
  } catch (err) {
    throw new Error(`${(err as Error).message}; last sync status: ${JSON.stringify(last)}`, { cause: err })
  }
}

async function bothSides() {
  const vessel = await viewsOf(world.vesselApi, '/api/containers?limit=1000')
  const relay = await viewsOf(world.relayApi, `/api/vessels/${VESSEL}/containers?limit=1000`)
  return { vessel, relay }
}

describe('kill -9', { timeout: 400_000 }, () => {
  const acked: AckedEdit[] = []

  it('of the relay during ingest loses no acknowledged edit', async () => {
    acked.push(...(await world.crewEdits(800, { tag: 1 })))
    expect(acked.length).toBe(800)
    // The edits start a sync by themselves (debounced); make sure one runs, then kill mid-way.
    await world.vesselApi('POST', '/api/sync')
    await midSession()
    const killedAt = new Date().toISOString()
    await world.restartRelay('SIGKILL')
    const s = await world.settled(killedAt)
    expect(s.lastError === null || typeof s.lastError === 'string').toBe(true)
    const { vessel, relay } = await bothSides()
    expect(vessel.size).toBe(CONTAINERS)
    expect(missingEdits(acked, vessel)).toEqual([])
    expect(missingEdits(acked, relay)).toEqual([])
    expect(divergent(vessel, relay)).toEqual([])
  })

  it('of the vessel node during a two-way sync loses no acknowledged edit', async () => {
    // Shore changes for the vessel, so the window carries data both ways.
    for (const m of world.manifest.slice(0, 40)) {
      const r = await world.relayApi('PATCH', `/api/vessels/${VESSEL}/containers/${m.containerId}`, {
        customs: { status: 'HELD', holdReason: 'documents' },
      })
      expect(r.status).toBe(200)
    }
    acked.push(...(await world.crewEdits(500, { tag: 2 })))
    await world.vesselApi('POST', '/api/sync')
    // The crew keep editing while the session runs; whatever was acknowledged before the kill counts.
    let killed = false
    const during = world.crewEdits(2_000, { tag: 3, concurrency: 2, stop: () => killed })
    await midSession()
    killed = true
    await world.stopVessel('SIGKILL')
    acked.push(...(await during))
    const restartedAt = new Date().toISOString()
    await world.startVessel()
    // Acknowledged before the kill: present at once, before any sync.
    const local = await viewsOf(world.vesselApi, '/api/containers?limit=1000')
    expect(missingEdits(acked, local)).toEqual([])
    await world.settled(restartedAt)
    const { vessel, relay } = await bothSides()
    expect(missingEdits(acked, vessel)).toEqual([])
    expect(missingEdits(acked, relay)).toEqual([])
    expect(divergent(vessel, relay)).toEqual([])
    expect([...relay.values()].filter((v) => v.customs.status === 'HELD')).toHaveLength(40)
    expect([...vessel.values()].filter((v) => v.customs.status === 'HELD')).toHaveLength(40)
    console.log(`[reliability] kill -9: ${acked.length} acknowledged edits checked on both sides`)
  })
})
