/**
 * The relay Repo stays small: handles beyond the cap and idle ones are evicted, and an evicted
 * document still reaches the clients that have it open when it changes (reopened on demand), and
 * still takes their edits.
 */
import * as A from '@automerge/automerge'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { toPlain } from '@tally/manifest'
import { syncServiceOf } from '../../relay/src/sync/index.ts'
import type { SyncService } from '../../relay/src/sync/index.ts'
import { containerNo, docIdOf, startSyncRelay, syncClient, VESSEL, waitFor } from './helpers.ts'
import type { SyncClient, SyncRelay } from './helpers.ts'

const DOCS = 12

describe('/sync handle eviction', () => {
  let r: SyncRelay
  let service: SyncService
  let client: SyncClient

  beforeAll(async () => {
    r = await startSyncRelay(DOCS, { sync: { maxOpen: 3, idleMs: 300, sweepMs: 50, minResidencyMs: 0 } })
    service = syncServiceOf(r.relay)!
    client = syncClient(r.syncUrl, r.tokens.shore)
  })
  afterAll(async () => {
    await client?.close()
    await r?.close()
  })

  it('keeps at most maxOpen handles and evicts idle ones', async () => {
    const handles = []
    for (let n = 1; n <= DOCS; n++) handles.push(await client.find(n))
    expect(handles.map((h) => toPlain(h.doc().containerId))).toEqual(
      Array.from({ length: DOCS }, (_, i) => containerNo(i + 1)),
    )
    expect(service.keeper.stats().open).toBeLessThanOrEqual(3)
    await waitFor(() => service.keeper.stats().open === 0, 5_000, 'idle handles evicted')
    expect(service.keeper.stats()).toMatchObject({ wanted: DOCS })
    expect(service.keeper.stats().evictions).toBeGreaterThanOrEqual(DOCS)
  })

  it('reopens an evicted document for the client that has it when the store changes it', async () => {
    const handle = await client.find(1)
    expect(service.keeper.stats().open).toBe(0)
    const res = await r.api('PATCH', `/api/vessels/${VESSEL}/containers/${containerNo(1)}`, {
      customs: { declaration: 'DEC-0001' },
    })
    expect(res.status).toBe(200)
    await waitFor(() => toPlain(handle.doc().customs.declaration) === 'DEC-0001', 5_000, 'live update')
  })

  it('takes edits for an evicted document', async () => {
    await waitFor(() => service.keeper.stats().open === 0, 5_000, 'idle handles evicted')
    const handle = await client.find(2)
    handle.change((d) => {
      d.cargo.consignee = new A.ImmutableString('Lisbon Traders')
    })
    await waitFor(
      () => r.relay.store.view(docIdOf(2))!.cargo.consignee === 'Lisbon Traders',
      5_000,
      'edit stored',
    )
  })
})
