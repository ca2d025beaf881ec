/**
 * A vessel's link state across relays on one PostgreSQL (docs/operations.md, "Several relays on
 * PostgreSQL"): relay B holds no connection of the vessel, yet its fleet view (`/api/vessels`) and
 * its operator dashboard (`/api/ops/overview`, which the `/ops` page renders) say the vessel is
 * connected, or in a session, at relay A, from the shared presence table. When A stops refreshing
 * its rows (as a relay killed with -9 does), B stops calling the vessel connected once the rows'
 * freshness has run out. Two in-process relays on a throwaway cluster, a real vessel node on A.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { pino } from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createRelay, type Relay } from '../../relay/src/app.ts'
import type { LinkSessionEvent } from '../../relay/src/link-server.ts'
import { PRESENCE_MISSED_BEATS } from '../../relay/src/link-presence.ts'
import { createVesselNode, type VesselNode } from '../../vessel-node/src/app.ts'
import { startPgCluster, type PgCluster } from '../support/postgres-cluster.ts'
import { booking, VESSEL } from '../sync/helpers.ts'

/** Short, so the test can wait out a killed relay's rows. */
const HEARTBEAT_MS = 200

let cluster: PgCluster
let relayA: Relay
let relayB: Relay
let vessel: VesselNode | undefined
let vesselDir: string
let opsToken: string

const startRelay = (databaseUrl: string) =>
  createRelay({
    databaseUrl,
    port: 0,
    logger: pino({ level: 'silent' }),
    presenceHeartbeatMs: HEARTBEAT_MS,
    sync: false,
    dcsa: false,
  })

async function get(relay: Relay, urlPath: string): Promise<any> {
  const res = await fetch(relay.url + urlPath, { headers: { authorization: `Bearer ${opsToken}` } })
  expect(res.status, urlPath).toBe(200)
  return res.json()
}

/** The vessel as B's fleet view and B's dashboard show it (the dashboard's cache dropped first). */
async function atB() {
  relayB.ops.fleet.invalidate()
  const fleet = (await get(relayB, '/api/vessels')) as {
    imo: string
    linkUp: boolean
    relay: string | null
  }[]
  const overview = await get(relayB, '/api/ops/overview')
  const ops = (overview.vessels as { imo: string; relay: string | null; link: { state: string } }[]).find(
    (v) => v.imo === VESSEL,
  )
  return { summary: fleet.find((v) => v.imo === VESSEL), ops }
}

beforeAll(async () => {
  cluster = await startPgCluster({ fast: true })
  const url = cluster.createDatabase('presence')
  relayA = await startRelay(url)
  relayB = await startRelay(url)
  opsToken = relayA.context.tokens.issue('user', 'olga', 'ops')
  relayA.context.vessels.add(VESSEL, 'MV Presence')
  const vesselToken = relayA.context.tokens.issue('vessel', VESSEL, 'vessel')
  const booked = await fetch(`${relayA.url}/api/vessels/${VESSEL}/containers`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${relayA.context.tokens.issue('user', 'alice', 'shore')}`,
      'content-type': 'application/json',
    },
    body: JSON.stringify([booking(1), booking(2)]),
  })
  expect(booked.status).toBe(201)
  vesselDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tally-presence-'))
  vessel = await createVesselNode({
    dataDir: vesselDir,
    port: 0,
    relayUrl: `${relayA.url.replace('http', 'ws')}/link`,
    vessel: VESSEL,
    token: vesselToken,
    engine: { startDelayMs: 600_000, intervalMs: 600_000, debounceMs: 600_000, maxWaitMs: 600_000 },
  })
}, 120_000)

afterAll(async () => {
  await vessel?.close().catch(() => undefined)
  await relayA?.close().catch(() => undefined)
  await relayB?.close().catch(() => undefined)
  if (vesselDir) fs.rmSync(vesselDir, { recursive: true, force: true })
  cluster?.destroy()
})

describe('link presence across relays on one PostgreSQL', () => {
  it('shows at B a vessel in a session, then connected, at A; and not connected once A stops refreshing', async () => {
    const nameOfA = relayA.context.presence!.name()
    // While A runs the vessel's session, B already says so (read synchronously from A's start event).
    const duringSession: string[] = []
    const onSession = (e: LinkSessionEvent) => {
      if (e.state === 'started') duringSession.push(relayB.ops.fleet.vessel(VESSEL)?.link.state ?? 'unknown')
    }
    relayA.linkServer.on('session', onSession)
    vessel!.engine.syncNow()
    await vessel!.engine.settled()
    relayA.linkServer.off('session', onSession)
    expect(vessel!.engine.snapshot().lastError).toBeNull()
    expect(duringSession[0]).toBe('in_session')

    // The session ended; the long-lived connection stays open at A.
    expect(relayA.linkServer.active.has(VESSEL)).toBe(true)
    expect(relayB.linkServer.active.has(VESSEL)).toBe(false)
    const connected = await atB()
    expect(connected.summary).toMatchObject({ linkUp: true, relay: nameOfA })
    expect(connected.ops).toMatchObject({ relay: nameOfA, link: { state: 'connected' } })

    // A stops refreshing its rows, as a relay killed with -9 would (its connection stays open, so
    // nothing removes the row): B counts it connected only until the row's freshness runs out.
    relayA.context.presence!.close()
    await new Promise((r) => setTimeout(r, (PRESENCE_MISSED_BEATS + 1) * HEARTBEAT_MS))
    const gone = await atB()
    expect(gone.summary).toMatchObject({ linkUp: false, relay: null })
    // Its last session was moments ago, well within its expected window.
    expect(gone.ops).toMatchObject({ relay: null, link: { state: 'reachable' } })
  })
})
