/**
 * A whole voyage across real processes (relay and vessel node CLIs, the vessel's link through the
 * satellite link simulator): three port calls with loading and discharging at each, a box registered
 * aboard and booked ashore while the link is down (one document), a box only registered aboard that
 * the shore sees as not booked and completes, closing refused while out of sync then accepted, writes
 * to the closed voyage refused on the relay's REST API and over the link, the vessel's live database
 * shrinking after the archive, and voyage N+1 arriving and in use.
 */
import fs from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { VESSEL, VOYAGE, divergent, startWorld, viewsOf } from '../reliability/support/world.ts'
import type { World } from '../reliability/support/world.ts'

const CONTAINERS = 40
const NEXT = '025W'
const ABOARD_AND_ASHORE = 'CSQU3054383'
const ABOARD_ONLY = 'MWCU6059784'

let world: World
beforeAll(async () => {
  world = await startWorld({ containers: CONTAINERS })
}, 300_000)
afterAll(async () => {
  await world?.close()
})

const calls = (arrived: number, departed: number) =>
  ['CNSHA', 'USLAX', 'USOAK'].map((locode, i) => ({
    locode,
    eta: `2026-11-${String(1 + 8 * i).padStart(2, '0')}T08:00:00Z`,
    ata: i < arrived ? `2026-11-${String(1 + 8 * i).padStart(2, '0')}T09:00:00Z` : null,
    atd: i < departed ? `2026-11-${String(2 + 8 * i).padStart(2, '0')}T18:00:00Z` : null,
  }))

async function sync(): Promise<void> {
  await world.settled(new Date().toISOString())
}

function vesselDbBytes(): number {
  const file = path.join(world.vesselDir, 'vessel.sqlite')
  return ['', '-wal'].reduce((n, s) => n + (fs.existsSync(file + s) ? fs.statSync(file + s).size : 0), 0)
}

async function portCalls(voyage: string, arrived: number, departed: number): Promise<void> {
  const r = await world.relayApi('PUT', `/api/vessels/${VESSEL}/voyages/${voyage}`, {
    portCalls: calls(arrived, departed),
  })
  expect(r.status, JSON.stringify(r.body)).toBe(200)
}

/** Discharges every box on board whose POD is the port the vessel is in; returns how many. */
async function dischargeHere(): Promise<number> {
  const voyages = (await world.vesselApi('GET', '/api/voyages')).body
  const current = voyages.find((v: any) => v.current)
  expect(current.port.inPort).toBe(true)
  const here = current.port.locode
  const list = await world.vesselApi(
    'GET',
    `/api/containers?voyage=${VOYAGE}&pod=${here}&state=ON_BOARD&limit=1000`,
  )
  for (const v of list.body.items) {
    const r = await world.vesselApi('PATCH', `/api/containers/${v.containerId}`, {
      physical: { state: 'DISCHARGED' },
    })
    expect(r.status).toBe(200)
    expect(r.body.physical).toMatchObject({ state: 'DISCHARGED', dischargePort: here })
  }
  return list.body.total
}

describe('a voyage from first port to archive', { timeout: 400_000 }, () => {
  it('loads at the first port; the shore plans the calls and routes every box to USLAX or USOAK', async () => {
    await portCalls(VOYAGE, 1, 0)
    for (const m of world.manifest)
      if (m.cargo.pod !== 'USLAX') {
        const r = await world.relayApi('PATCH', `/api/vessels/${VESSEL}/containers/${m.containerId}`, {
          cargo: { pod: 'USOAK' },
        })
        expect(r.status).toBe(200)
      }
    await sync()
    for (const m of world.manifest) {
      const r = await world.vesselApi('PATCH', `/api/containers/${m.containerId}`, {
        physical: { state: 'ON_BOARD' },
      })
      expect(r.status).toBe(200)
    }
    const voyages = (await world.vesselApi('GET', '/api/voyages')).body
    expect(voyages[0]).toMatchObject({
      voyage: VOYAGE,
      current: true,
      port: { locode: 'CNSHA', inPort: true },
    })
  })

  it('a box registered aboard and booked ashore while apart is one container', async () => {
    world.link.down()
    const aboard = await world.vesselApi('POST', '/api/containers', {
      containerId: ABOARD_AND_ASHORE,
      isoType: '45G1',
      physical: { stowage: '0120482' },
    })
    expect(aboard.status).toBe(201)
    const only = await world.vesselApi('POST', '/api/containers', {
      containerId: ABOARD_ONLY,
      isoType: '22G1',
    })
    expect(only.status).toBe(201)
    const ashore = await world.relayApi('POST', `/api/vessels/${VESSEL}/containers`, [
      {
        containerId: ABOARD_AND_ASHORE,
        isoType: '45G1',
        voyage: VOYAGE,
        cargo: { booking: 'MEDU000000001', pol: 'CNSHA', pod: 'USOAK' },
      },
    ])
    expect(ashore.body).toEqual({ created: 1 })
    world.link.up()
    await sync()
    const relay = await viewsOf(world.relayApi, `/api/vessels/${VESSEL}/containers?limit=1000`)
    const vessel = await viewsOf(world.vesselApi, '/api/containers?limit=1000')
    expect(relay.size).toBe(CONTAINERS + 2)
    expect(divergent(vessel, relay)).toEqual([])
    for (const side of [relay, vessel])
      expect(side.get(ABOARD_AND_ASHORE)).toMatchObject({
        cargo: { booking: 'MEDU000000001', pod: 'USOAK' },
        physical: { state: 'ON_BOARD', stowage: '0120482' },
      })
  })

  it('the shore sees the box added aboard as not booked, and completes its cargo', async () => {
    const fleet = (await world.relayApi('GET', '/api/vessels')).body
    expect(fleet.find((v: any) => v.imo === VESSEL).notBooked).toBe(1)
    const unbooked = await world.relayApi('GET', `/api/vessels/${VESSEL}/containers?booked=false`)
    expect(unbooked.body.items.map((v: any) => v.containerId)).toEqual([ABOARD_ONLY])
    const r = await world.relayApi('PATCH', `/api/vessels/${VESSEL}/containers/${ABOARD_ONLY}`, {
      cargo: { booking: 'MEDU000000002', pol: 'CNSHA', pod: 'USLAX' },
    })
    expect(r.status).toBe(200)
    expect((await world.relayApi('GET', '/api/vessels')).body[0].notBooked).toBe(0)
  })

  it('discharges at each port, and voyage N+1 is booked while N sails', async () => {
    await portCalls(VOYAGE, 2, 1)
    await portCalls(NEXT, 0, 0)
    const next = world.manifest.slice(0, 10).map((m) => ({ ...m, voyage: NEXT }))
    expect((await world.relayApi('POST', `/api/vessels/${VESSEL}/containers`, next)).status).toBe(201)
    await sync()
    const atLax = await dischargeHere()
    await portCalls(VOYAGE, 3, 2)
    await sync()
    const atOak = await dischargeHere()
    expect(atLax + atOak).toBe(CONTAINERS + 2)
    await sync()
    const relay = await viewsOf(
      world.relayApi,
      `/api/vessels/${VESSEL}/containers?voyage=${VOYAGE}&limit=1000`,
    )
    expect([...relay.values()].every((v) => v.physical.state === 'DISCHARGED')).toBe(true)
    expect(relay.get(ABOARD_ONLY).physical.dischargePort).toBe('USLAX')
  })

  it('closing is refused while the voyage is out of sync, then accepted', async () => {
    world.link.down()
    const id = world.manifest[0]!.containerId
    expect(
      (
        await world.relayApi('PATCH', `/api/vessels/${VESSEL}/containers/${id}?voyage=${VOYAGE}`, {
          customs: { declaration: 'ENS-LATE-0001' },
        })
      ).status,
    ).toBe(200)
    const refused = await world.relayApi('POST', `/api/vessels/${VESSEL}/voyages/${VOYAGE}/close`)
    expect(refused.status).toBe(409)
    expect(refused.body.error.code).toBe('CONFLICT')
    expect(refused.body.error.missing.notInSync).toEqual([id])
    // The crew write once more, before the vessel hears of the close.
    const late = await world.vesselApi(
      'PATCH',
      `/api/containers/${world.manifest[1]!.containerId}?voyage=${VOYAGE}`,
      {
        physical: { lashingCheckedAt: '2026-11-18T10:00:00Z' },
      },
    )
    expect(late.status).toBe(200)
    world.link.up()
    await sync()
    const closed = await world.relayApi('POST', `/api/vessels/${VESSEL}/voyages/${VOYAGE}/close`)
    expect(closed.status, JSON.stringify(closed.body)).toBe(200)
    expect(closed.body).toMatchObject({ status: 'CLOSED', containers: CONTAINERS + 2 })
  })

  it('refuses writes to the closed voyage on every path, and the vessel archives it and shrinks', async () => {
    const id = world.manifest[2]!.containerId
    const shore = await world.relayApi('PATCH', `/api/vessels/${VESSEL}/containers/${id}?voyage=${VOYAGE}`, {
      customs: { status: 'HELD', holdReason: 'exam ordered' },
    })
    expect(shore.status).toBe(403)
    expect(shore.body.error.message).toMatch(/voyage 024E of IMO9811000 was closed at .*read-only/)
    const booking = await world.relayApi('POST', `/api/vessels/${VESSEL}/containers`, [
      { containerId: 'TEXU3070079', isoType: '22G1', voyage: VOYAGE },
    ])
    expect(booking.status).toBe(409)

    // The crew edit before the vessel heard of the close: the vessel sends it, the relay refuses it
    // over the link with the reason, and the vessel keeps it as a dead letter.
    world.link.down()
    const offline = await world.vesselApi('PATCH', `/api/containers/${id}?voyage=${VOYAGE}`, {
      physical: { lashingCheckedAt: '2026-11-19T10:00:00Z' },
    })
    expect(offline.status).toBe(200)
    const before = vesselDbBytes()
    world.link.up()
    await sync()
    const letters = (await world.vesselApi('GET', '/api/dead-letters')).body
    expect(letters.some((l: any) => /was closed at .*read-only/.test(l.reason))).toBe(true)
    // Now the vessel knows: its own API refuses too (403 with the same reason; 404 once the
    // voyage went to the archive, which follows the session at once).
    const crew = await world.vesselApi('PATCH', `/api/containers/${id}?voyage=${VOYAGE}`, {
      physical: { lashingCheckedAt: '2026-11-20T10:00:00Z' },
    })
    expect([403, 404]).toContain(crew.status)

    const archived = await world.poll(async () => {
      const v = (await world.vesselApi('GET', '/api/voyages')).body.find((x: any) => x.voyage === VOYAGE)
      return v?.archived ? v : undefined
    }, 60_000)
    expect(archived).toMatchObject({ status: 'CLOSED', containers: 0 })
    const after = vesselDbBytes()
    console.log(
      `[voyage] vessel database ${before} → ${after} bytes after archiving ${CONTAINERS + 2} containers`,
    )
    expect(after).toBeLessThan(before)
    const page = (await world.vesselApi('GET', `/api/voyages/${VOYAGE}/containers?limit=1000`)).body
    expect(page).toMatchObject({ archived: true, total: CONTAINERS + 2 })
    // The relay keeps it for history, read-only.
    const kept = await world.relayApi('GET', `/api/vessels/${VESSEL}/containers?voyage=${VOYAGE}&limit=0`)
    expect(kept.body.total).toBe(CONTAINERS + 2)
  })

  it('voyage N+1 arrived and is the current voyage aboard, and in use', async () => {
    const voyages = (await world.vesselApi('GET', '/api/voyages')).body
    expect(voyages.find((v: any) => v.current).voyage).toBe(NEXT)
    const list = (await world.vesselApi('GET', `/api/containers?voyage=${NEXT}`)).body
    expect(list.total).toBe(10)
    const id = list.items[0].containerId
    const r = await world.vesselApi('PATCH', `/api/containers/${id}`, { physical: { state: 'LOADED' } })
    expect(r.status).toBe(200)
    expect(r.body.voyage).toBe(NEXT)
    await sync()
    const relay = await world.relayApi('GET', `/api/vessels/${VESSEL}/containers/${id}?voyage=${NEXT}`)
    expect(relay.body.physical.state).toBe('LOADED')
  })
})
