/**
 * The daily byte budget as the crew see it (docs/operations.md, "Budgets"): a real node syncs with a real relay
 * link whose budget is spent; GET /api/sync, the live `sync` event and the session log say that only
 * critical changes went, and what was held back goes once the budget allows it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { seedContainers, startTestNode, VESSEL } from './helpers.ts'
import type { SeededContainer, TestNode } from './helpers.ts'
import { startRelay } from './relay-fixture.ts'
import type { RelayFixture } from './relay-fixture.ts'

/** The first `sync` event of a fresh event stream, read within a bounded time. */
async function firstSyncEvent(t: TestNode, timeoutMs = 10_000): Promise<any> {
  const abort = new AbortController()
  const timer = setTimeout(() => abort.abort(), timeoutMs)
  try {
    const res = await fetch(`${t.node.url}/api/events?token=${encodeURIComponent(t.crewToken)}`, {
      signal: abort.signal,
    })
    const reader = res.body!.getReader()
    const decoder = new TextDecoder()
    let buffer = ''
    for (;;) {
      const next = await reader.read()
      if (next.done) throw new Error('event stream ended before a sync event')
      buffer += decoder.decode(next.value, { stream: true })
      for (const block of buffer.split('\n\n').slice(0, -1)) {
        if (/^event: sync$/m.test(block)) return JSON.parse(/^data: (.*)$/m.exec(block)![1]!)
      }
    }
  } finally {
    clearTimeout(timer)
    abort.abort()
  }
}

describe('the daily budget on the vessel node', () => {
  let relay: RelayFixture
  let t: TestNode
  let seeded: SeededContainer[]
  let budget: number | null = null
  beforeAll(async () => {
    relay = await startRelay(0, { budgetFor: () => budget })
    seeded = seedContainers(relay.store, relay.registry, 8)
    // Sessions start only when the test asks ("Sync now"), so each one sees the budget set for it.
    t = await startTestNode({
      relayUrl: relay.url,
      token: relay.vesselToken,
      syncIntervalMs: 3_600_000,
      engine: { startDelayMs: 3_600_000, debounceMs: 3_600_000, maxWaitMs: 3_600_000 },
    })
    t.node.engine.start()
  })
  afterAll(async () => {
    await t?.close()
    await relay?.close()
  })

  const syncNow = async () => {
    t.node.engine.syncNow()
    await t.node.engine.settled()
  }
  const status = async () => (await t.api('/api/sync')).json()
  const relayView = (i: number) => {
    const docId = relay.store.index
      .allHeads(VESSEL)
      .find((r) => r.container_id === seeded[i]!.containerId)!.doc_id
    return relay.store.view(docId)!
  }

  it('shows no budget while the relay configures none', async () => {
    await syncNow()
    const body = await status()
    expect(body).toMatchObject({ state: 'COMPLETE', pendingChanges: 0, budget: null })
  })

  it('says "critical only" once the budget is spent, and holds the rest back', async () => {
    const patch = (i: number, json: unknown) =>
      t.api(`/api/containers/${seeded[i]!.containerId}`, { method: 'PATCH', json })
    expect((await patch(2, { physical: { condition: 'DAMAGED', damage: 'dent' } })).status).toBe(200)
    expect((await patch(5, { physical: { lashingCheckedAt: '2026-11-02T06:00:00Z' } })).status).toBe(200)
    budget = 1
    await syncNow()

    const body = await status()
    expect(body.state).toBe('COMPLETE')
    expect(body.budget).toMatchObject({ remainingBytes: 0, limited: true })
    expect(body.budget.heldBack.normal).toBeGreaterThanOrEqual(1)
    expect(Date.parse(body.budget.resetsAt) % 86_400_000).toBe(0)
    // The damage crossed; the lashing check is still pending on board.
    expect(relayView(2).physical.condition).toBe('DAMAGED')
    expect(relayView(5).physical.lashingCheckedAt).not.toBe('2026-11-02T06:00:00Z')
    expect(body.pendingChanges).toBeGreaterThanOrEqual(1)
    expect(body.pendingByPriority.critical).toBe(0)

    const live = await firstSyncEvent(t)
    expect(live.budget).toMatchObject({ limited: true, remainingBytes: 0 })
    const [last] = await (await t.api('/api/sync/sessions?limit=1')).json()
    expect(last).toMatchObject({ state: 'complete', budgetLimited: true })
  })

  it('sends what was held back once the budget allows it', async () => {
    budget = null
    await syncNow()
    const body = await status()
    expect(body).toMatchObject({ state: 'COMPLETE', pendingChanges: 0, budget: null })
    expect(relayView(5).physical.lashingCheckedAt).toBe('2026-11-02T06:00:00Z')
    const [last] = await (await t.api('/api/sync/sessions?limit=1')).json()
    expect(last).toMatchObject({ state: 'complete', budgetLimited: false })
  })
})
