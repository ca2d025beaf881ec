/**
 * The vessel node's live events and sync endpoints, on a real node: SSE delivers `sync` at once and
 * `container` after a PATCH; /api/sync has the contract fields and the panel's; "Sync now" is 202;
 * a full node syncs with a real relay link and reports it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { seedContainers, startTestNode, VESSEL } from './helpers.ts'
import type { SeededContainer, TestNode } from './helpers.ts'
import { startRelay } from './relay-fixture.ts'
import type { RelayFixture } from './relay-fixture.ts'

/** Reads Server-Sent Events from a fetch response, bounded in time. */
class EventReader {
  private readonly reader: ReadableStreamDefaultReader<Uint8Array>
  private readonly decoder = new TextDecoder()
  private buffer = ''
  readonly seen: { event: string; data: any }[] = []

  constructor(res: Response) {
    this.reader = res.body!.getReader()
  }

  /** Reads until an event matching `want` arrives; returns it. */
  async until(
    want: (event: string, data: any) => boolean,
    timeoutMs = 10_000,
  ): Promise<{ event: string; data: any }> {
    const deadline = Date.now() + timeoutMs
    while (Date.now() < deadline) {
      let cut: number
      while ((cut = this.buffer.indexOf('\n\n')) >= 0) {
        const block = this.buffer.slice(0, cut)
        this.buffer = this.buffer.slice(cut + 2)
        const event = /^event: (.*)$/m.exec(block)?.[1]
        const data = /^data: (.*)$/m.exec(block)?.[1]
        if (!event || data === undefined) continue
        const item = { event, data: JSON.parse(data) }
        this.seen.push(item)
        if (want(item.event, item.data)) return item
      }
      const next = await Promise.race([
        this.reader.read(),
        new Promise<null>((r) => setTimeout(() => r(null), Math.max(0, deadline - Date.now()))),
      ])
      if (next === null || next.done) break
      this.buffer += this.decoder.decode(next.value, { stream: true })
    }
    throw new Error(`event not seen; got ${this.seen.map((s) => s.event).join(', ')}`)
  }
}

describe('live events and sync endpoints (no relay)', () => {
  let t: TestNode
  let seeded: SeededContainer[]
  beforeAll(async () => {
    t = await startTestNode()
    seeded = seedContainers(t.node.store, t.node.registry, 5)
  })
  afterAll(async () => {
    await t?.close()
  })

  it('refuses the event stream without a valid token', async () => {
    expect((await fetch(`${t.node.url}/api/events`)).status).toBe(401)
    expect((await fetch(`${t.node.url}/api/events?token=nope`)).status).toBe(401)
  })

  it('sends sync at once and a container event after a PATCH', async () => {
    const abort = new AbortController()
    const res = await fetch(`${t.node.url}/api/events?token=${encodeURIComponent(t.crewToken)}`, {
      signal: abort.signal,
    })
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/text\/event-stream/)
    try {
      const events = new EventReader(res)
      const first = await events.until((e) => e === 'sync')
      expect(first.data).toMatchObject({ state: 'IDLE', linkUp: false })
      const patched = t.api(`/api/containers/${seeded[2]!.containerId}`, {
        method: 'PATCH',
        json: { physical: { lashingCheckedAt: '2025-03-02T10:00:00Z' } },
      })
      const changed = await events.until(
        (e, d) => e === 'container' && d.containerId === seeded[2]!.containerId,
      )
      expect(changed.data).toEqual({ containerId: seeded[2]!.containerId, origin: 'local' })
      expect((await patched).status).toBe(200)
    } finally {
      abort.abort()
    }
  })

  it('GET /api/sync has the contract fields, pending counts by priority and a forecast', async () => {
    await t.api(`/api/containers/${seeded[3]!.containerId}`, {
      method: 'PATCH',
      json: { physical: { sealIntact: false } },
    })
    const body = await (await t.api('/api/sync')).json()
    expect(body).toMatchObject({
      state: 'IDLE',
      linkUp: false,
      lastSyncAt: null,
      lastError: null,
      totals: { bytesUp: 0, bytesDown: 0 },
      today: { bytesUp: 0, bytesDown: 0, costUsd: 0 },
      voyage: { bytesUp: 0, bytesDown: 0, costUsd: 0 },
      nextRetryAt: null,
      attempt: 0,
      breaker: 'closed',
      deadLetters: 0,
      learnedKeepaliveS: null,
      costPerMb: 10,
      dailyBill: { bytes: 0, projectedBytes: 0, projectedCostUsd: 0, sessions: 0, connections: 0 },
    })
    expect(body.dailyBill.summary).toBe('today 0.0 KB so far, about 0.0 KB by 24:00, $0.00')
    // Nothing was ever sent: every change of the 5 documents (genesis, shore, vessel, crew edits)
    // is pending, one of them critical (the broken seal), which also adds its signed evidence entry.
    expect(body.pendingChanges).toBeGreaterThanOrEqual(5 * 3 + 2)
    expect(body.pendingDocuments).toBe(5)
    expect(body.pendingByPriority.critical).toBeGreaterThanOrEqual(1)
    expect(body.pendingChanges).toBe(
      body.pendingByPriority.critical + body.pendingByPriority.normal + body.pendingByPriority.routine,
    )
    expect(body.forecast.bytes).toBeGreaterThan(0)
    expect(body.forecast.costUsd).toBeCloseTo((body.forecast.bytes / 1e6) * 10, 3)
    expect(await (await t.api('/api/sync/sessions')).json()).toEqual([])
    expect(await (await t.api('/api/dead-letters')).json()).toEqual([])
  })

  it('pushes the pending counts by priority as soon as an edit is acknowledged', async () => {
    const abort = new AbortController()
    const res = await fetch(`${t.node.url}/api/events?token=${encodeURIComponent(t.crewToken)}`, {
      signal: abort.signal,
    })
    try {
      const events = new EventReader(res)
      const first = await events.until((e) => e === 'sync')
      const before = first.data.pendingByPriority.critical as number
      const patched = await t.api(`/api/containers/${seeded[4]!.containerId}`, {
        method: 'PATCH',
        json: { physical: { condition: 'DAMAGED', damage: 'dent in the door' } },
      })
      expect(patched.status).toBe(200)
      const acknowledgedAt = Date.now()
      // The engine is stopped, so no state change carries the counts: the edit itself must.
      const after = await events.until((e, d) => e === 'sync' && d.pendingByPriority.critical > before, 2_000)
      expect(after.data.pendingComplete).toBe(true)
      expect(Date.now() - acknowledgedAt).toBeLessThan(1_000)
    } finally {
      abort.abort()
    }
  })

  it('POST /api/sync answers 202 and the attempt fails in words', async () => {
    t.node.engine.start()
    const res = await t.api('/api/sync', { method: 'POST' })
    expect(res.status).toBe(202)
    expect((await res.json()).state).toBe('CHECKING')
    await t.node.engine.settled()
    const body = await (await t.api('/api/sync')).json()
    expect(body.state).toBe('RETRYING')
    expect(body.lastError).toMatch(/No connection to shore/)
    expect(body.lastErrorDetail).toBeTruthy()
    expect(body.nextRetryAt).not.toBeNull()
    const sessions = await (await t.api('/api/sync/sessions?limit=5')).json()
    expect(sessions[0]).toMatchObject({ state: 'failed', bytesUp: 0 })
    expect(sessions[0].error).toMatch(/No connection to shore/)
    t.node.engine.stop()
  })
})

describe('a full node syncing with a relay', () => {
  let relay: RelayFixture
  let t: TestNode
  beforeAll(async () => {
    relay = await startRelay()
    seedContainers(relay.store, relay.registry, 12)
    t = await startTestNode({
      relayUrl: relay.url,
      token: relay.vesselToken,
      autoSync: true,
      engine: { startDelayMs: 0, debounceMs: 50, completeDisplayMs: 100 },
    })
  })
  afterAll(async () => {
    await t?.close()
    await relay?.close()
  })

  it('receives the voyage, reports the session, and sends a crew edit after the debounce', async () => {
    const deadline = Date.now() + 20_000
    while (t.node.syncStatus().lastSyncAt === null && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20))
    const list = await (await t.api('/api/containers')).json()
    expect(list.total).toBe(12)
    const status = await (await t.api('/api/sync')).json()
    expect(status).toMatchObject({ linkUp: true, lastError: null, pendingChanges: 0, attempt: 0 })
    expect(status.totals.bytesDown).toBeGreaterThan(0)
    expect(status.today.costUsd).toBeGreaterThan(0)
    const id = list.items[4].containerId
    const docId = list.items[4].documentUrl
    expect(
      (
        await t.api(`/api/containers/${id}`, {
          method: 'PATCH',
          json: { physical: { condition: 'DAMAGED', damage: 'crushed corner post' } },
        })
      ).status,
    ).toBe(200)
    const relayDocId = relay.store.index.allHeads(VESSEL).find((r) => r.container_id === id)!.doc_id
    while (relay.store.view(relayDocId)!.physical.condition !== 'DAMAGED' && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20))
    expect(relay.store.view(relayDocId)!.physical).toMatchObject({
      condition: 'DAMAGED',
      damage: 'crushed corner post',
    })
    expect(docId).toMatch(/^automerge:/)
    // The crew member's actor reached the relay bound to the vessel, with the crew name.
    const history = relay.store.load(relayDocId)!
    expect(history).toBeTruthy()
    const bound = relay.registry.forPrincipal(VESSEL).map((b) => b.name)
    expect(bound).toContain('bosun')
  })

  it("GET /api/sync adds today's bill: bytes so far, the projected day, sessions and connections", async () => {
    const status = await (await t.api('/api/sync')).json()
    const bill = status.dailyBill
    const now = new Date()
    expect(bill.day).toBe(now.toISOString().slice(0, 10))
    expect(bill.bytesUp).toBe(status.today.bytesUp)
    expect(bill.bytesDown).toBe(status.today.bytesDown)
    expect(bill.bytes).toBe(bill.bytesUp + bill.bytesDown)
    expect(bill.bytes).toBeGreaterThan(0)
    expect(bill.projectedBytes).toBeGreaterThanOrEqual(bill.bytes)
    expect(bill.projectedCostUsd).toBeCloseTo((bill.projectedBytes / 1e6) * 10, 2)
    const sessions = await (await t.api('/api/sync/sessions?limit=500')).json()
    const today = sessions.filter((s: { startedAt: string }) => s.startedAt.startsWith(bill.day))
    expect(bill.sessions).toBe(today.length)
    expect(bill.connections).toBe(today.length)
    expect(bill.hourly).toHaveLength(24)
    const thisHour = bill.hourly[now.getUTCHours()]
    // The sessions may have started in the previous hour if the test straddles one.
    const lastTwo =
      thisHour.bytesUp + thisHour.bytesDown + (bill.hourly[now.getUTCHours() - 1]?.bytesDown ?? 0)
    expect(lastTwo).toBeGreaterThan(0)
    expect(bill.summary).toMatch(/^today [\d.,]+ KB so far, about [\d.,]+ KB by 24:00, \$\d+\.\d\d$/)
  })
})
