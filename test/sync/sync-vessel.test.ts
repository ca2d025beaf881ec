/**
 * From a browser's socket to the ship: a customs edit made by a stock automerge-repo client over
 * `/sync` reaches a real vessel node (createVesselNode, its own SQLite, the real /link) in the next
 * link window, named as the customs user there; a physical edit refused on `/sync` never does.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import * as A from '@automerge/automerge'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createVesselNode } from '../../vessel-node/src/app.ts'
import type { VesselNode } from '../../vessel-node/src/app.ts'
import { containerNo, docIdOf, startSyncRelay, syncClient, VESSEL, waitFor } from './helpers.ts'
import type { SyncClient, SyncRelay } from './helpers.ts'

const s = (v: string) => new A.ImmutableString(v)

describe('/sync to a vessel node over the link', () => {
  let r: SyncRelay
  let vessel: VesselNode
  let vesselDir: string
  const clients: SyncClient[] = []

  /** One link window: a session started now, awaited to its end. */
  async function linkWindow(): Promise<void> {
    vessel.engine.syncNow()
    await vessel.engine.settled()
    expect(vessel.engine.snapshot().lastError).toBeNull()
  }

  beforeAll(async () => {
    r = await startSyncRelay(3)
    r.relay.context.vessels.add(VESSEL, 'Test Vessel')
    const token = r.relay.context.tokens.issue('vessel', VESSEL, 'vessel')
    vesselDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tally-sync-vessel-'))
    vessel = await createVesselNode({
      dataDir: vesselDir,
      port: 0,
      relayUrl: `${r.relay.url.replace('http', 'ws')}/link`,
      vessel: VESSEL,
      token,
      // Windows are opened by the test, not by the schedule.
      engine: { startDelayMs: 600_000, intervalMs: 600_000, debounceMs: 600_000, maxWaitMs: 600_000 },
    })
    await linkWindow() // the manifest goes aboard
  })
  afterAll(async () => {
    for (const c of clients) await c.close().catch(() => undefined)
    await vessel?.close()
    await r?.close()
    fs.rmSync(vesselDir, { recursive: true, force: true })
  })

  it('carries an accepted customs edit aboard and never a refused physical one', async () => {
    expect(vessel.store.view(docIdOf(1))?.customs.status).toBe('PENDING')
    const carl = syncClient(r.syncUrl, r.tokens.customs)
    const alice = syncClient(r.syncUrl, r.tokens.shore)
    clients.push(carl, alice)
    const held = await carl.find(1)
    held.change((d) => {
      d.customs.status = s('HELD')
      d.customs.holdReason = s('Seal number mismatch')
    })
    const damaged = await alice.find(2)
    damaged.change((d) => {
      d.physical.condition = s('DAMAGED')
    })
    const refusedHash = A.getHeads(damaged.doc())[0]!
    await waitFor(
      () => r.relay.store.view(docIdOf(1))!.customs.status === 'HELD',
      10_000,
      'customs edit stored',
    )
    await waitFor(
      () => r.relay.context.deadLetters.list({ docId: docIdOf(2) }).length > 0,
      10_000,
      'physical edit refused',
    )

    await linkWindow()

    const aboard = vessel.store.view(docIdOf(1))!
    expect(aboard.customs).toMatchObject({ status: 'HELD', holdReason: 'Seal number mismatch' })
    const actor = A.getActorId(held.doc())
    expect(vessel.registry.get(actor)).toMatchObject({ principal: 'user:carl', role: 'customs' })
    expect(vessel.store.view(docIdOf(2))!.physical.condition).toBe('OK')
    expect(A.hasHeads(vessel.store.load(docIdOf(2))!, [refusedHash])).toBe(false)
    expect(vessel.store.view(docIdOf(3))!.containerId).toBe(containerNo(3))
  })
})
