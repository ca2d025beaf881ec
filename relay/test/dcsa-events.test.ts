/**
 * `GET /dcsa/tnt/v2/events` over the standard voyage day (2,000 containers, day 0 of the seeded
 * workload, both sides' events): every event validates against DCSA's published T&T 2.2.0 schemas,
 * paging with the cursor neither skips nor repeats, the filters select what DCSA says, and the same
 * fact has the same eventID on every call and on another relay.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { applyEvents, bookedDocs, DEFAULT_VESSEL, seedManifest, voyageDay } from '@tally/voyage-sim'
import type { Replica } from '@tally/voyage-sim'
import { toPlain } from '@tally/manifest'
import { dcsaProblems } from './dcsa-schema.ts'
import { startTestRelay } from './helpers.ts'
import type { TestRelay } from './helpers.ts'

const MAX_PAGES = 200

/** The voyage's rotation: alongside in Shanghai over day 0, Los Angeles expected two weeks later. */
const PORT_CALLS = [
  { locode: 'CNSHA', eta: '2026-10-31T04:00:00Z', ata: '2026-10-31T06:30:00Z', atd: '2026-11-01T22:00:00Z' },
  { locode: 'USLAX', eta: '2026-11-15T08:00:00Z', ata: null, atd: null },
]

/** Both sides' events of day 0 applied to one replica: the state after that day's sync. */
let docs: Replica
let t: TestRelay
let all: any[]

function loadVoyage(relay: TestRelay, only?: Set<string>): void {
  for (const [id, doc] of docs) {
    if (only && !only.has(id)) continue
    relay.relay.store.put({ vessel: toPlain(doc.vessel), voyage: toPlain(doc.voyage), containerId: id }, doc)
  }
}

/** Every event of a query, following Next-Page. */
async function readAll(relay: TestRelay, query: string): Promise<{ events: any[]; pages: number }> {
  const events: any[] = []
  let next: string | null = `/dcsa/tnt/v2/events?${query}`
  let pages = 0
  while (next && pages < MAX_PAGES) {
    const res: Response = await fetch(relay.relay.url + next, {
      headers: { authorization: `Bearer ${relay.tokens.customs}` },
    })
    expect(res.status).toBe(200)
    expect(res.headers.get('api-version')).toBe('2.2.0')
    events.push(...((await res.json()) as any[]))
    next = res.headers.get('next-page')
    pages++
  }
  expect(next).toBeNull()
  return { events, pages }
}

beforeAll(async () => {
  const manifest = seedManifest({ seed: 1 })
  docs = applyEvents(bookedDocs(manifest, DEFAULT_VESSEL), voyageDay(manifest, 0, 1))
  t = await startTestRelay()
  loadVoyage(t)
  const voyage = await t.api('PUT', `/api/vessels/${DEFAULT_VESSEL}/voyages/024E`, {
    body: { portCalls: PORT_CALLS },
  })
  expect(voyage.status).toBe(200)
  all = (await readAll(t, 'limit=1000')).events
}, 240_000)

afterAll(async () => {
  await t?.close()
})

describe('DCSA events of the standard voyage day', () => {
  it('validate against the DCSA T&T 2.2.0 schemas, one for each fact', () => {
    expect(all.length).toBeGreaterThan(100)
    const problems = all.flatMap((e) => dcsaProblems(e).map((p) => `${e.eventID} ${p}`))
    expect(problems.slice(0, 10)).toEqual([])
    expect(new Set(all.map((e) => e.eventID)).size).toBe(all.length)
    const counts: Record<string, number> = {}
    for (const e of all) {
      const code =
        e.eventType === 'TRANSPORT'
          ? `TRANSPORT ${e.transportEventTypeCode} ${e.eventClassifierCode}`
          : `${e.eventType} ${e.equipmentEventTypeCode ?? e.shipmentEventTypeCode}`
      counts[code] = (counts[code] ?? 0) + 1
    }
    console.info(`DCSA events for one voyage day: ${JSON.stringify(counts)}`)
    // The day's workload (packages/voyage-sim): 100 boxes loaded, inspections, customs holds.
    expect(counts['EQUIPMENT LOAD']).toBe(100)
    expect(counts['EQUIPMENT INSP']).toBeGreaterThan(100)
    expect(counts['SHIPMENT HOLD']).toBeGreaterThan(0)
    // The port calls: arrived and departed Shanghai (ACT), Los Angeles expected (EST).
    expect(counts['TRANSPORT ARRI ACT']).toBe(1)
    expect(counts['TRANSPORT DEPA ACT']).toBe(1)
    expect(counts['TRANSPORT ARRI EST']).toBe(1)
  })

  it('carry the container, the fact time recorded aboard, and ACT', () => {
    const load = all.find((e) => e.equipmentEventTypeCode === 'LOAD')
    const doc = docs.get(load.equipmentReference)!
    expect(load).toMatchObject({
      eventClassifierCode: 'ACT',
      ISOEquipmentCode: toPlain(doc.isoType),
      emptyIndicatorCode: 'LADEN',
      transportCall: { modeOfTransport: 'VESSEL', vessel: { vesselIMONumber: '9811000' } },
    })
    // Day 0 of the voyage: the facts' own times, not the time the relay stored them.
    expect(load.eventCreatedDateTime.startsWith('2026-11-01T0')).toBe(true)
    expect(load.seals[0].sealNumber).toBe(toPlain(doc.cargo.declaredSeal))
    const hold = all.find((e) => e.shipmentEventTypeCode === 'HOLD')
    expect(hold).toMatchObject({ documentTypeCode: 'CUS', eventType: 'SHIPMENT' })
    expect(hold.references[0].referenceType).toBe('EQ')
  })

  it('page with the cursor without skipping or repeating, and filter as DCSA defines', async () => {
    const paged = await readAll(t, 'limit=137')
    expect(paged.pages).toBe(Math.ceil(all.length / 137))
    expect(paged.events.map((e) => e.eventID)).toEqual(all.map((e) => e.eventID))

    const box = all.find((e) => e.equipmentEventTypeCode === 'INSP').equipmentReference
    const forBox = (await readAll(t, `equipmentReference=${box}`)).events
    expect(forBox.length).toBeGreaterThan(0)
    expect(
      forBox.every((e) => e.equipmentReference === box || e.references?.[0].referenceValue === box),
    ).toBe(true)

    const loads = (await readAll(t, 'equipmentEventTypeCode=LOAD,DISC&limit=30')).events
    expect(loads.length).toBe(100)
    expect(new Set(loads.map((e) => e.equipmentEventTypeCode))).toEqual(new Set(['LOAD']))

    const shipment = (await readAll(t, 'eventType=SHIPMENT')).events
    expect(shipment.length).toBe(all.filter((e) => e.eventType === 'SHIPMENT').length)
    const holds = (await readAll(t, 'shipmentEventTypeCode=HOLD')).events
    expect(holds.every((e) => e.shipmentEventTypeCode === 'HOLD')).toBe(true)

    const byVessel = (await readAll(t, 'vesselIMONumber=9811000&limit=1000')).events
    expect(byVessel.length).toBe(all.length)
    expect((await readAll(t, 'vesselIMONumber=9000000')).events).toEqual([])

    const noon = '2026-11-01T12:00:00Z'
    const morning = (await readAll(t, `eventCreatedDateTime:lt=${noon}&limit=1000`)).events
    const afternoon = (await readAll(t, `eventCreatedDateTime:gte=${noon}&limit=1000`)).events
    expect(morning.length + afternoon.length).toBe(all.length)
    expect(afternoon.every((e) => e.eventCreatedDateTime >= '2026-11-01T12:00:00.000Z')).toBe(true)
    // An unencoded "+01:00" arrives as " 01:00"; it is read as the offset it was.
    const withOffset = (await readAll(t, `eventCreatedDateTime:gte=2026-11-01T13:00:00+01:00&limit=1000`))
      .events
    expect(withOffset.length).toBe(afternoon.length)
  })

  it('refuse bad filters and cursors by name', async () => {
    const bad = async (query: string) => (await t.api('GET', `/dcsa/tnt/v2/events?${query}`)).body
    expect((await bad('equipmentEventTypeCode=LOAD,XXXX')).error).toMatchObject({
      code: 'INVALID',
      field: 'equipmentEventTypeCode',
    })
    expect((await bad('eventCreatedDateTime:gte=yesterday')).error.field).toBe('eventCreatedDateTime:gte')
    expect((await bad('limit=0')).error.field).toBe('limit')
    expect((await bad('cursor=bm90IGEgY3Vyc29y')).error.field).toBe('cursor')
    const unknown = await bad('carrierServiceCode=FE1')
    expect(unknown).toMatchObject({
      error: { code: 'INVALID', field: 'carrierServiceCode' },
      statusCode: 400,
    })
    expect(unknown.errors[0].reason).toBe('INVALID')
    expect((await t.api('GET', '/dcsa/tnt/v2/events', { token: null })).status).toBe(401)
  })

  it('give the same eventID for the same fact on every call and on another relay', async () => {
    const again = (await readAll(t, 'limit=1000')).events
    expect(again.map((e) => e.eventID)).toEqual(all.map((e) => e.eventID))
    const some = new Set([...docs.keys()].slice(0, 300))
    const other = await startTestRelay()
    try {
      loadVoyage(other, some)
      const there = (await readAll(other, 'limit=1000')).events
      expect(there.length).toBeGreaterThan(0)
      const here = new Map(all.map((e) => [e.eventID, e]))
      for (const e of there) expect(here.get(e.eventID)).toEqual(e)
    } finally {
      await other.close()
    }
  })

  it('follow later edits: a customs hold over REST becomes a HOLD event', async () => {
    const [id] = [...docs].find(([, d]) => toPlain(d.customs.status) !== 'HELD')!
    const res = await t.api('PATCH', `/api/vessels/IMO9811000/containers/${id}`, {
      token: t.tokens.customs,
      body: { customs: { status: 'HELD', holdReason: 'scan requested' } },
    })
    expect(res.status).toBe(200)
    const events = (await readAll(t, `equipmentReference=${id}&shipmentEventTypeCode=HOLD`)).events
    expect(events.at(-1)).toMatchObject({ shipmentEventTypeCode: 'HOLD', reason: 'scan requested' })
    expect(dcsaProblems(events.at(-1))).toEqual([])
  })

  it('carry the vessel’s port calls as transport events, filtered and stable', async () => {
    const transport = (await readAll(t, 'eventType=TRANSPORT')).events
    expect(
      transport.map((e) => `${e.transportEventTypeCode} ${e.eventClassifierCode} ${e.eventDateTime}`),
    ).toEqual([
      'ARRI ACT 2026-10-31T06:30:00Z',
      'DEPA ACT 2026-11-01T22:00:00Z',
      'ARRI EST 2026-11-15T08:00:00Z',
    ])
    expect(transport.flatMap((e) => dcsaProblems(e))).toEqual([])
    expect(transport[0]).toMatchObject({
      eventCreatedDateTime: '2026-10-31T06:30:00Z',
      transportCall: {
        transportCallID: 'IMO9811000-024E-CNSHA',
        UNLocationCode: 'CNSHA',
        transportCallSequenceNumber: 1,
        modeOfTransport: 'VESSEL',
        vessel: { vesselIMONumber: '9811000' },
      },
    })
    expect((await readAll(t, 'transportEventTypeCode=DEPA')).events.map((e) => e.eventID)).toEqual([
      transport[1].eventID,
    ])
    expect((await readAll(t, 'eventType=TRANSPORT&vesselIMONumber=9811000')).events).toHaveLength(3)
    expect((await readAll(t, 'eventType=TRANSPORT&vesselIMONumber=9000000')).events).toEqual([])
    // A container's own feed does not carry the vessel's movements.
    expect(
      (await readAll(t, `equipmentReference=${[...docs.keys()][0]}&eventType=TRANSPORT`)).events,
    ).toEqual([])

    // The same port calls written again add nothing; the arrival in Los Angeles adds one ACT event.
    const put = (portCalls: unknown) =>
      t.api('PUT', `/api/vessels/${DEFAULT_VESSEL}/voyages/024E`, { body: { portCalls } })
    expect((await put(PORT_CALLS)).status).toBe(200)
    expect((await readAll(t, 'eventType=TRANSPORT')).events).toEqual(transport)
    const arrived = [PORT_CALLS[0], { ...PORT_CALLS[1], ata: '2026-11-15T09:10:00Z' }]
    expect((await put(arrived)).status).toBe(200)
    const after = (await readAll(t, 'eventType=TRANSPORT')).events
    expect(after.slice(0, 3)).toEqual(transport)
    expect(after.slice(3).map((e) => `${e.transportEventTypeCode} ${e.eventClassifierCode}`)).toEqual([
      'ARRI ACT',
    ])

    // Another relay with the same port calls gives the actual events the same IDs and bodies.
    const other = await startTestRelay()
    try {
      const there = await other.api('PUT', `/api/vessels/${DEFAULT_VESSEL}/voyages/024E`, {
        body: { portCalls: arrived },
      })
      expect(there.status).toBe(200)
      const acts = (await readAll(other, 'eventType=TRANSPORT')).events
      expect(acts).toEqual(after.filter((e) => e.eventClassifierCode === 'ACT'))
    } finally {
      await other.close()
    }
  })
})
