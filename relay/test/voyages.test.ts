/**
 * Voyages on the relay (docs/api.md): port calls validated and written by the shore role only, the
 * close refused with what is missing and then accepted, a closed voyage refusing edits and bookings
 * with one reason, and the retention pass pruning old history.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { pruneRetention } from '@tally/storage-sqlite'
import { booking, containerNo, startTestRelay, VESSEL, VOYAGE } from './helpers.ts'
import type { TestRelay } from './helpers.ts'

let t: TestRelay
beforeAll(async () => {
  t = await startTestRelay()
  const r = await t.api('POST', `/api/vessels/${VESSEL}/containers`, { body: [booking(1), booking(2)] })
  expect(r.status).toBe(201)
})
afterAll(async () => {
  await t?.close()
})

const base = `/api/vessels/${VESSEL}/voyages`

describe('port calls', () => {
  it('a booking opens its voyage; the shore sets the calls, which must be valid', async () => {
    const list = await t.api('GET', base)
    expect(list.body).toMatchObject([{ voyage: VOYAGE, status: 'OPEN', portCalls: [], containers: 2 }])
    const bad = await t.api('PUT', `${base}/${VOYAGE}`, {
      body: { portCalls: [{ locode: 'CNSHA', eta: 'soon' }] },
    })
    expect(bad.status).toBe(400)
    expect(bad.body.error.field).toBe('portCalls[0].eta')
    const customs = await t.api('PUT', `${base}/${VOYAGE}`, {
      token: t.tokens.customs,
      body: { portCalls: [{ locode: 'CNSHA' }] },
    })
    expect(customs.status).toBe(403)
    const ok = await t.api('PUT', `${base}/${VOYAGE}`, {
      body: { portCalls: [{ locode: 'CNSHA', ata: '2026-11-01T09:00:00Z' }, { locode: 'USLAX' }] },
    })
    expect(ok.status).toBe(200)
    expect(ok.body.portCalls[1]).toEqual({ locode: 'USLAX', eta: null, ata: null, atd: null })
    const next = await t.api('PUT', `${base}/025W`, { body: { portCalls: [{ locode: 'CNSHA' }] } })
    expect(next.body).toMatchObject({ voyage: '025W', status: 'OPEN', containers: 0 })
    expect((await t.api('GET', `${base}/099X`)).status).toBe(404)
  })
})

describe('closing a voyage', () => {
  it('is refused with what is missing until the vessel acknowledged every document', async () => {
    const refused = await t.api('POST', `${base}/${VOYAGE}/close`)
    expect(refused.status).toBe(409)
    expect(refused.body.error.missing).toMatchObject({
      notInSync: [containerNo(1), containerNo(2)].sort(),
      notInSyncCount: 2,
      deadLetters: [],
      vesselPending: 0,
    })
    expect((await t.api('POST', `${base}/${VOYAGE}/close`, { token: t.tokens.customs })).status).toBe(403)
  })

  it('is accepted once in sync, and the voyage is read-only on REST and for bookings', async () => {
    const { store, cursors } = t.relay.context
    for (const row of store.index.voyageRows(VESSEL, VOYAGE))
      cursors.setHeads(VESSEL, row.doc_id, JSON.parse(row.heads))
    const closed = await t.api('POST', `${base}/${VOYAGE}/close`)
    expect(closed.status).toBe(200)
    expect(closed.body).toMatchObject({ status: 'CLOSED', containers: 2 })
    expect((await t.api('POST', `${base}/${VOYAGE}/close`)).body.closedAt).toBe(closed.body.closedAt)
    const edit = await t.api('PATCH', `/api/vessels/${VESSEL}/containers/${containerNo(1)}`, {
      body: { customs: { declaration: 'LATE' } },
    })
    expect(edit.status).toBe(403)
    expect(edit.body.error.message).toBe(
      `voyage ${VOYAGE} of ${VESSEL} was closed at ${closed.body.closedAt}; its documents are read-only`,
    )
    const book = await t.api('POST', `/api/vessels/${VESSEL}/containers`, { body: [booking(3)] })
    expect(book.status).toBe(409)
    const calls = await t.api('PUT', `${base}/${VOYAGE}`, { body: { portCalls: [] } })
    expect(calls.status).toBe(409)
    // Kept for history, compacted to one snapshot each.
    expect(store.index.voyageRows(VESSEL, VOYAGE).every((r) => r.chunks === 1)).toBe(true)
  })
})

describe('retention', () => {
  it('prunes finished sessions and audit rows older than the limit, keeping running ones', () => {
    const { db, sessions, audit } = t.relay.context
    const old = sessions.start(VESSEL)
    sessions.finish(old, { state: 'complete' })
    const running = sessions.start(VESSEL)
    audit.append({ principal: 'user:alice', docId: 'x', field: 'f', from: 1, to: 2 })
    const later = () => new Date(Date.now() + 200 * 86_400_000)
    const result = pruneRetention(db, 180, later)
    expect(result.sessions).toBeGreaterThanOrEqual(1)
    expect(result.audit).toBeGreaterThanOrEqual(1)
    expect(sessions.get(running)?.state).toBe('running')
    expect(() => pruneRetention(db, 0)).toThrow(RangeError)
  })
})
