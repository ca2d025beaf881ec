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
      const code = `${e.eventType} ${e.equipmentEventTypeCode ?? e.shipmentEventTypeCode}`
      counts[code] = (counts[code] ?? 0) + 1
    }
    console.info(`DCSA events for one voyage day: ${JSON.stringify(counts)}`)
    // The day's workload (packages/voyage-sim): 100 boxes loaded, inspections, customs holds.
    expect(counts['EQUIPMENT LOAD']).toBe(100)
    expect(counts['EQUIPMENT INSP']).toBeGreaterThan(100)
    expect(counts['SHIPMENT HOLD']).toBeGreaterThan(0)
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
})
