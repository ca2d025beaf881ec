/**
 * Voyages aboard, against a real vessel node (port 0, temp SQLite, no relay): registering a box that
 * is not on the manifest (ISO 6346 with "did you mean"), the voyage records the relay sends, the port
 * that matters now and "to discharge here", DISCHARGED recording where and when, a closed voyage
 * refusing writes, and its archive: file written, live database emptied of it and smaller, browsable.
 */
import { existsSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { documentIdFor, genesisDoc } from '@tally/manifest'
import * as A from '@automerge/automerge'
import { encodeVoyages } from '@tally/link'
import { VoyageStore } from '@tally/storage-sqlite'
import { RELAY_PEER } from '../src/sync-engine.ts'
import { readArchive } from '../src/voyage-archive.ts'
import { seedContainers, startTestNode, VESSEL, VOYAGE } from './helpers.ts'
import type { TestNode } from './helpers.ts'

let t: TestNode
const json = async <T = any>(res: Response): Promise<T> => (await res.json()) as T

/** Voyage records as the relay's welcome would bring them. */
function receive(records: Parameters<typeof encodeVoyages>[0]): void {
  const replica = (t.node.engine as unknown as { o: { replica: { receiveVoyages(d: Uint8Array): void } } }).o
    .replica
  replica.receiveVoyages(encodeVoyages(records))
}

const record = (
  voyage: string,
  version: number,
  extra: Partial<Parameters<typeof encodeVoyages>[0][0]> = {},
) => ({
  vessel: VESSEL,
  voyage,
  status: 'OPEN' as const,
  portCalls: [
    {
      locode: 'NLRTM',
      eta: '2026-11-01T08:00:00Z',
      ata: '2026-11-01T09:00:00Z',
      atd: '2026-11-02T18:00:00Z',
    },
    { locode: 'SGSIN', eta: '2026-11-20T08:00:00Z', ata: '2026-11-20T07:30:00Z', atd: null },
    { locode: 'CNSHA', eta: '2026-11-26T08:00:00Z', ata: null, atd: null },
  ],
  createdAt: `2026-10-0${version}T00:00:00.000Z`,
  closedAt: null,
  version,
  ...extra,
})

beforeAll(async () => {
  t = await startTestNode()
  seedContainers(t.node.store, t.node.registry, 40)
  receive([record(VOYAGE, 1)])
})
afterAll(async () => {
  await t?.close()
})

describe('registering a container aboard', () => {
  it('creates the document the shore would create, ON_BOARD, and answers 201 with the view', async () => {
    const res = await t.api('/api/containers', {
      method: 'POST',
      json: { containerId: 'csqu 305438-3', isoType: '45G1', physical: { stowage: '0120482' } },
    })
    expect(res.status).toBe(201)
    const view = await json(res)
    expect(view).toMatchObject({ containerId: 'CSQU3054383', voyage: VOYAGE, isoType: '45G1' })
    expect(view.physical).toMatchObject({ state: 'ON_BOARD', stowage: '0120482' })
    expect(view.cargo.booking).toBeNull()
    const key = { vessel: VESSEL, voyage: VOYAGE, containerId: 'CSQU3054383' }
    expect(view.documentUrl).toBe(`automerge:${documentIdFor(key)}`)
    // The same genesis as the shore's: the first change is byte for byte the deterministic genesis.
    const doc = t.node.store.load(documentIdFor(key))!
    expect(A.getAllChanges(doc)[0]).toEqual(A.getAllChanges(genesisDoc(key, '45G1'))[0])
  })

  it('refuses a typo with the nearest valid number', async () => {
    const res = await t.api('/api/containers', {
      method: 'POST',
      json: { containerId: 'CSQU3045383', isoType: '22G1' },
    })
    expect(res.status).toBe(400)
    const body = await json(res)
    expect(body.error).toMatchObject({ code: 'INVALID', field: 'containerId' })
    expect(body.error.message).toMatch(/expected 1; did you mean CSQU3054383/)
    expect(body.error.suggestions[0]).toBe('CSQU3054383')
  })

  it('refuses a box already on the voyage, a bad size-type and unknown fields', async () => {
    const again = await t.api('/api/containers', {
      method: 'POST',
      json: { containerId: 'CSQU3054383', isoType: '45G1' },
    })
    expect(again.status).toBe(409)
    const badType = await t.api('/api/containers', {
      method: 'POST',
      json: { containerId: 'MWCU6059784', isoType: 'XX' },
    })
    expect(badType.status).toBe(400)
    expect((await json(badType)).error.field).toBe('isoType')
    const extra = await t.api('/api/containers', {
      method: 'POST',
      json: { containerId: 'MWCU6059784', isoType: '22G1', cargo: { booking: 'X' } },
    })
    expect(extra.status).toBe(400)
    expect((await json(extra)).error.field).toBe('cargo')
    const badPhysical = await t.api('/api/containers', {
      method: 'POST',
      json: { containerId: 'MWCU6059784', isoType: '22G1', physical: { state: 'FLOATING' } },
    })
    expect(badPhysical.status).toBe(400)
    expect((await json(badPhysical)).error.field).toBe('physical.state')
    expect((await t.api('/api/containers/MWCU6059784')).status).toBe(404)
  })
})

describe('voyages and port calls', () => {
  it('lists the voyage with the port the vessel is in', async () => {
    const voyages = await json(await t.api('/api/voyages'))
    expect(voyages).toHaveLength(1)
    expect(voyages[0]).toMatchObject({
      voyage: VOYAGE,
      status: 'OPEN',
      current: true,
      port: { locode: 'SGSIN', inPort: true },
    })
  })

  it('lists "to discharge here" by port of discharge, and DISCHARGED records where and when', async () => {
    const here = await json(await t.api(`/api/containers?voyage=${VOYAGE}&pod=SGSIN&limit=1000`))
    expect(here.total).toBe(40)
    const id = here.items[0].containerId
    const before = Date.now()
    const res = await t.api(`/api/containers/${id}`, {
      method: 'PATCH',
      json: { physical: { state: 'DISCHARGED' } },
    })
    expect(res.status).toBe(200)
    const view = await json(res)
    expect(view.physical).toMatchObject({ state: 'DISCHARGED', dischargePort: 'SGSIN' })
    expect(Date.parse(view.physical.dischargedAt)).toBeGreaterThanOrEqual(before - 1000)
  })
})

describe('a closed voyage', () => {
  it('refuses writes, archives once everything is acknowledged, and the database shrinks', async () => {
    receive([
      record(VOYAGE, 2, { status: 'CLOSED', closedAt: '2026-11-27T00:00:00.000Z' }),
      record('025W', 3),
    ])
    const refused = await t.api('/api/containers/CSQU3054383?voyage=' + VOYAGE, {
      method: 'PATCH',
      json: { physical: { condition: 'DAMAGED' } },
    })
    expect(refused.status).toBe(403)
    expect((await json(refused)).error.message).toMatch(/voyage 024E of IMO9811000 was closed at .*read-only/)
    const voyages = await json(await t.api('/api/voyages'))
    expect(voyages.find((v: any) => v.voyage === '025W').current).toBe(true)

    // Nothing is archived while the relay has not acknowledged every document.
    const archiver = new (await import('../src/voyage-archive.ts')).VoyageArchiver({
      dataDir: t.dir,
      vessel: VESSEL,
      store: t.node.store,
      voyages: new VoyageStore(t.node.db),
      cursors: (t.node.engine as any).o.cursors,
      peer: RELAY_PEER,
      logger: (t.node.engine as any).o.logger,
    })
    const waiting = archiver.archive(VOYAGE)
    expect(waiting).toMatchObject({ archived: false, waitingFor: 41 })
    // The relay acknowledges everything (as a completed session would).
    const cursors = (t.node.engine as any).o.cursors
    for (const row of t.node.store.index.voyageRows(VESSEL, VOYAGE))
      cursors.setHeads(RELAY_PEER, row.doc_id, JSON.parse(row.heads))
    const done = archiver.archive(VOYAGE)
    expect(done).toMatchObject({ archived: true, waitingFor: 0, containers: 41 })
    expect(done.dbBytesAfter!).toBeLessThan(done.dbBytesBefore!)
    expect(t.node.store.index.voyageRows(VESSEL, VOYAGE)).toHaveLength(0)
    const file = join(t.dir, 'archive', `${VESSEL}-${VOYAGE}.tally`)
    expect(existsSync(file) && statSync(file).size).toBeGreaterThan(0)
    expect(readArchive(file).containers).toHaveLength(41)

    // Browsable read-only from the archive.
    const page = await json(await t.api(`/api/voyages/${VOYAGE}/containers?q=CSQU`))
    expect(page).toMatchObject({ archived: true, total: 1 })
    expect(page.items[0].physical.stowage).toBe('0120482')
    const one = await json(await t.api(`/api/voyages/${VOYAGE}/containers/CSQU3054383`))
    expect(one.containerId).toBe('CSQU3054383')
    expect((await json(await t.api('/api/containers'))).total).toBe(0)
  })
})
