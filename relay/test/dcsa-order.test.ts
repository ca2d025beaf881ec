/**
 * The DCSA feed follows the order in which the relay admitted the facts, across containers, even
 * when one indexing pass picks up several writes to several documents (a link chunk, a burst of
 * REST edits). Subscriptions deliver in feed order, so this is their order too.
 */
import { afterAll, beforeAll, expect, it } from 'vitest'
import { applyPatch, documentIdFor } from '@tally/manifest'
import type { RelayUser } from '../src/auth.ts'
import { booking, containerNo, startTestRelay, VESSEL } from './helpers.ts'
import type { TestRelay } from './helpers.ts'

let t: TestRelay
beforeAll(async () => {
  t = await startTestRelay()
})
afterAll(async () => {
  await t?.close()
})

it('orders events by admission across containers within one indexing pass', async () => {
  const boxes = [1, 2, 3].map((n) => booking(40 + n))
  expect((await t.api('POST', `/api/vessels/${VESSEL}/containers`, { body: boxes })).status).toBe(201)
  const user: RelayUser = { name: 'alice', role: 'shore', principal: 'user:alice', tokenId: 'test' }
  const docId = (n: number) =>
    documentIdFor({ vessel: VESSEL, voyage: '024E', containerId: containerNo(40 + n) })
  const customs = (status: string) =>
    status === 'HELD' ? { customs: { status, holdReason: 'scan' } } : { customs: { status } }
  // Four writes in one turn of the event loop: the indexer sees them all in one pass.
  const writes = [
    [1, 'HELD'],
    [2, 'HELD'],
    [1, 'RELEASED'],
    [3, 'HELD'],
    [2, 'RELEASED'],
  ] as const
  for (const [n, status] of writes)
    t.relay.context.editor.asUser(docId(n), user, (d) => applyPatch(d, customs(status), 'shore'))
  const res = await t.api('GET', '/dcsa/tnt/v2/events?eventType=SHIPMENT')
  expect(res.status).toBe(200)
  expect(res.body.map((e: any) => [e.references[0].referenceValue, e.shipmentEventTypeCode])).toEqual(
    writes.map(([n, status]) => [containerNo(40 + n), status === 'HELD' ? 'HOLD' : 'RELS']),
  )
})
