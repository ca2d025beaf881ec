/**
 * The DCSA feed across relays on one PostgreSQL (docs/operations.md, "Several relays on
 * PostgreSQL"; docs/integrations.md): a voyage's port calls edited at relay A reach relay B's feed
 * as transport events within a second, through the same change notice the documents use, without
 * B restarting, even when A derives none itself. Two in-process relays on a throwaway cluster.
 */
import { pino } from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createRelay, type Relay } from '../../relay/src/app.ts'
import { startPgCluster, type PgCluster } from '../support/postgres-cluster.ts'

const VESSEL = 'IMO9811000'
const VOYAGE = '024E'

let cluster: PgCluster
let relayA: Relay
let relayB: Relay
let shore: string
let customs: string

const startRelay = (databaseUrl: string, dcsa: boolean) =>
  createRelay({
    databaseUrl,
    port: 0,
    logger: pino({ level: 'silent' }),
    sync: false,
    ...(dcsa ? {} : { dcsa: false }),
  })

async function putPortCalls(relay: Relay, portCalls: unknown[]): Promise<void> {
  const res = await fetch(`${relay.url}/api/vessels/${VESSEL}/voyages/${VOYAGE}`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${shore}`, 'content-type': 'application/json' },
    body: JSON.stringify({ portCalls }),
  })
  expect(res.status, await res.text()).toBe(200)
}

/** The transport events in a relay's feed, as `CODE CLASSIFIER time`. */
async function transportAt(relay: Relay): Promise<string[]> {
  const res = await fetch(`${relay.url}/dcsa/tnt/v2/events?eventType=TRANSPORT&limit=100`, {
    headers: { authorization: `Bearer ${customs}` },
  })
  expect(res.status).toBe(200)
  return ((await res.json()) as any[]).map(
    (e) => `${e.transportEventTypeCode} ${e.eventClassifierCode} ${e.eventDateTime}`,
  )
}

/** Polls B's feed, bounded, until it holds `event`; returns how long that took. */
async function untilAtB(event: string, timeoutMs = 1_000): Promise<number> {
  const t0 = Date.now()
  for (;;) {
    if ((await transportAt(relayB)).includes(event)) return Date.now() - t0
    if (Date.now() - t0 > timeoutMs) throw new Error(`${event} not in B's feed within ${timeoutMs} ms`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

beforeAll(async () => {
  cluster = await startPgCluster({ fast: true })
  const url = cluster.createDatabase('dcsa')
  // A derives no feed of its own, as a relay killed between its commit and its indexing would not:
  // the events reach B's feed only if B hears of the edit.
  relayA = await startRelay(url, false)
  relayB = await startRelay(url, true)
  shore = relayA.context.tokens.issue('user', 'alice', 'shore')
  customs = relayA.context.tokens.issue('user', 'carl', 'customs')
}, 120_000)

afterAll(async () => {
  await relayA?.close().catch(() => undefined)
  await relayB?.close().catch(() => undefined)
  cluster?.destroy()
})

describe('the DCSA feed on relays sharing one database', () => {
  it("carries a port call edited at A in B's feed within a second, and each later edit too", async () => {
    expect(await transportAt(relayB)).toEqual([])
    await putPortCalls(relayA, [{ locode: 'USLAX', eta: '2026-11-15T08:00:00Z', ata: null, atd: null }])
    expect(await untilAtB('ARRI EST 2026-11-15T08:00:00Z')).toBeLessThan(1_000)
    // A new estimate, then the arrival: each a new event at B, the earlier ones kept.
    await putPortCalls(relayA, [{ locode: 'USLAX', eta: '2026-11-16T08:00:00Z', ata: null, atd: null }])
    await untilAtB('ARRI EST 2026-11-16T08:00:00Z')
    await putPortCalls(relayA, [
      { locode: 'USLAX', eta: '2026-11-16T08:00:00Z', ata: '2026-11-16T09:30:00Z', atd: null },
    ])
    await untilAtB('ARRI ACT 2026-11-16T09:30:00Z')
    expect(await transportAt(relayB)).toEqual([
      'ARRI EST 2026-11-15T08:00:00Z',
      'ARRI EST 2026-11-16T08:00:00Z',
      'ARRI ACT 2026-11-16T09:30:00Z',
    ])
  })
})
