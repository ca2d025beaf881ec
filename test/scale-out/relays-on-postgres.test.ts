/**
 * Relays as peers on one PostgreSQL (docs/operations.md "Several relays on PostgreSQL"), across
 * processes: two relay processes on a throwaway cluster, a vessel node linked to relay A, a stock
 * automerge-repo client on relay B. A change admitted at A reaches B's REST within a second and B's
 * `/sync` clients without reconnecting; two relays racing on one document both succeed and lose
 * nothing; and the faults (PostgreSQL unreachable, out of connections, a newer schema, PostgreSQL
 * restarted mid-session) each end in a clear message and no lost write.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import * as A from '@automerge/automerge'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ContainerStore } from '@tally/replica'
import { openPostgresDatabase, PostgresDatabase } from '@tally/storage-postgres'
import { createVesselNode, type VesselNode } from '../../vessel-node/src/app.ts'
import { startPgCluster, type PgCluster } from '../support/postgres-cluster.ts'
import { lastLine, runCli, startService, type Service } from '../support/processes.ts'
import { booking, containerNo, docIdOf, syncClient, VESSEL, type SyncClient } from '../sync/helpers.ts'

const CONTAINERS = 6

let cluster: PgCluster
let url: string
let relayA: Service
let relayB: Service
let shoreToken: string
let vessel: VesselNode | undefined
let vesselDir: string
const clients: SyncClient[] = []

const relayCli = (args: string[]) => runCli('relay/src/cli.ts', args)
const startRelay = (databaseUrl: string) =>
  startService('relay/src/cli.ts', ['serve', '--port', '0', '--database', databaseUrl])

async function api(base: string, method: string, urlPath: string, body?: unknown, token = shoreToken) {
  const res = await fetch(base + urlPath, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  const text = await res.text()
  return { status: res.status, body: text ? JSON.parse(text) : null }
}

async function until<T>(probe: () => Promise<T | undefined>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await probe()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`${what} not within ${timeoutMs} ms`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

const containerPath = (n: number) => `/api/vessels/${VESSEL}/containers/${containerNo(n)}`

beforeAll(async () => {
  cluster = await startPgCluster({ fast: true })
  url = cluster.createDatabase('fleet')
  const user = await relayCli([
    'add-user',
    '--database',
    url,
    '--user',
    'alice',
    '--role',
    'shore',
    '--create',
  ])
  expect(user.code, user.stderr).toBe(0)
  shoreToken = lastLine(user.stdout)
  ;[relayA, relayB] = await Promise.all([startRelay(url), startRelay(url)])
  const booked = await api(
    relayA.url,
    'POST',
    `/api/vessels/${VESSEL}/containers`,
    Array.from({ length: CONTAINERS }, (_, i) => booking(i + 1)),
  )
  expect(booked.status, JSON.stringify(booked.body)).toBe(201)
}, 180_000)

afterAll(async () => {
  for (const c of clients) await c.close().catch(() => undefined)
  await vessel?.close().catch(() => undefined)
  await Promise.all([relayA?.stop(), relayB?.stop()])
  if (vesselDir) fs.rmSync(vesselDir, { recursive: true, force: true })
  cluster?.destroy()
})

describe('relays as peers on one PostgreSQL', () => {
  it('serves the containers booked at A from B, and a change admitted at A reaches B within a second', async () => {
    const list = await api(relayB.url, 'GET', `/api/vessels/${VESSEL}/containers`)
    expect(list.status).toBe(200)
    expect(list.body.total).toBe(CONTAINERS)

    const patched = await api(relayA.url, 'PATCH', containerPath(1), { cargo: { booking: 'BKFANOUT1' } })
    expect(patched.status, JSON.stringify(patched.body)).toBe(200)
    const t0 = Date.now()
    await until(
      async () =>
        (await api(relayB.url, 'GET', containerPath(1))).body.cargo.booking === 'BKFANOUT1'
          ? true
          : undefined,
      1_000,
      "A's change in B's REST",
    )
    expect(Date.now() - t0).toBeLessThan(1_000)
  })

  it("pushes a crew edit that came in through A's link to a stock automerge-repo client on B, without reconnecting", async () => {
    const added = await relayCli(['add-vessel', '--database', url, '--vessel', VESSEL, '--name', 'MV Peer'])
    expect(added.code, added.stderr).toBe(0)
    vesselDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tally-pg-vessel-'))
    vessel = await createVesselNode({
      dataDir: vesselDir,
      port: 0,
      relayUrl: `${relayA.url.replace('http', 'ws')}/link`,
      vessel: VESSEL,
      token: lastLine(added.stdout),
      engine: { startDelayMs: 600_000, intervalMs: 600_000, debounceMs: 600_000, maxWaitMs: 600_000 },
    })
    const window = async () => {
      vessel!.engine.syncNow()
      await vessel!.engine.settled()
      expect(vessel!.engine.snapshot().lastError).toBeNull()
    }
    await window() // the manifest goes aboard through A
    // The fleet view on B says the vessel's link is open at A (the connection stays open).
    const fleet = await api(relayB.url, 'GET', '/api/vessels')
    expect(fleet.status, JSON.stringify(fleet.body)).toBe(200)
    const atB = (fleet.body as { imo: string; linkUp: boolean; relay: string | null }[]).find(
      (v) => v.imo === VESSEL,
    )
    expect(atB).toMatchObject({ linkUp: true })
    expect(atB?.relay).toMatch(new RegExp(`:${relayA.port}$`))
    // So does the operator dashboard's fleet (its JSON, and the page's Relay column reads it).
    const ops = await relayCli(['add-user', '--database', url, '--user', 'olga', '--role', 'ops'])
    expect(ops.code, ops.stderr).toBe(0)
    const overview = await api(relayB.url, 'GET', '/api/ops/overview', undefined, lastLine(ops.stdout))
    expect(overview.status, JSON.stringify(overview.body)).toBe(200)
    const inOps = (
      overview.body.vessels as { imo: string; relay: string | null; link: { state: string } }[]
    ).find((v) => v.imo === VESSEL)
    expect(inOps?.relay).toBe(atB?.relay)
    // B holds no connection of its own: its link state comes from the shared presence table.
    expect(['in_session', 'connected']).toContain(inOps?.link.state)

    const client = syncClient(`${relayB.url.replace('http', 'ws')}/sync`, shoreToken)
    clients.push(client)
    const handle = await client.find(2)
    expect(String(handle.doc().physical?.condition)).not.toBe('DAMAGED')

    const crew = vessel.tokens.issue('crew', 'bosun', 'vessel')
    const edited = await api(
      vessel.url,
      'PATCH',
      `/api/containers/${containerNo(2)}`,
      {
        physical: { condition: 'DAMAGED' },
      },
      crew,
    )
    expect(edited.status, JSON.stringify(edited.body)).toBe(200)
    await window() // the crew edit enters the fleet at relay A
    await until(
      async () => (String(handle.doc().physical?.condition) === 'DAMAGED' ? true : undefined),
      5_000,
      'the crew edit on the client connected to B',
    )
  }, 180_000)

  it('two relays editing one document at the same time both succeed, converge and lose nothing', async () => {
    const db = new PostgresDatabase(url)
    const store = new ContainerStore(db)
    try {
      const changesOf = () => A.getAllChanges(store.load(docIdOf(3))!).length
      const before = changesOf()
      const N = 12
      const results = await Promise.all(
        Array.from({ length: N }, (_, i) =>
          api(i % 2 === 0 ? relayA.url : relayB.url, 'PATCH', containerPath(3), {
            cargo: { booking: `BKRACE${String(i).padStart(3, '0')}` },
          }),
        ),
      )
      for (const r of results) expect(r.status, JSON.stringify(r.body)).toBe(200)
      store.close()
      const fresh = new ContainerStore(db)
      // Every acknowledged edit is one change in the stored document.
      expect(A.getAllChanges(fresh.load(docIdOf(3))!).length).toBe(before + N)
      fresh.close()
      const [a, b] = await Promise.all([
        api(relayA.url, 'GET', containerPath(3)),
        api(relayB.url, 'GET', containerPath(3)),
      ])
      expect(a.body).toEqual(b.body)
    } finally {
      db.close()
    }
  }, 60_000)
})

describe('faults, each with a clear message', () => {
  it('refuses to start when PostgreSQL is unreachable', async () => {
    const r = await relayCli([
      'serve',
      '--port',
      '0',
      '--database',
      'postgres://postgres@127.0.0.1:1/nowhere',
    ])
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(
      /relay: PostgreSQL at postgres:\/\/postgres@127\.0\.0\.1:1\/nowhere is unavailable/,
    )
  }, 60_000)

  it('refuses to start on a database whose schema is newer than the relay', async () => {
    const newer = cluster.createDatabase('newer')
    const db = openPostgresDatabase(newer)
    db.prepare('INSERT INTO tally_schema (version) VALUES (?)').run(999)
    db.close()
    const r = await relayCli(['list-tokens', '--database', newer])
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(/schema version 999 is newer than this Tally supports/)
  })

  it('says so when PostgreSQL has no free connection for the relay', async () => {
    const admin = new PostgresDatabase(cluster.url())
    admin.exec('CREATE ROLE tally_full LOGIN CONNECTION LIMIT 0')
    admin.close()
    const r = await relayCli([
      'list-tokens',
      '--database',
      cluster.url('fleet').replace('postgres@', 'tally_full@'),
    ])
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(/no free connection/)
  })

  it('answers 503 while PostgreSQL is down and serves again, with nothing lost, once it is back', async () => {
    // A holds the document in its cache; B changes it just before PostgreSQL goes away.
    expect((await api(relayA.url, 'GET', containerPath(4))).status).toBe(200)
    const patched = await api(relayB.url, 'PATCH', containerPath(4), { cargo: { booking: 'BKBEFORE' } })
    expect(patched.status).toBe(200)
    cluster.stop()
    try {
      const down = await api(relayB.url, 'GET', containerPath(5))
      expect(down.status).toBe(503)
      expect(down.body.error.code).toBe('UNAVAILABLE')
      const refused = await api(relayA.url, 'PATCH', containerPath(5), { cargo: { booking: 'BKNEVER' } })
      expect(refused.status).toBe(503)
      // A vessel's session through A is closed with the retryable 4503, and the crew read why.
      if (vessel) {
        vessel.engine.syncNow()
        await vessel.engine.settled()
        expect(vessel.engine.snapshot().lastError).toMatch(/cannot reach its database for now/)
      }
    } finally {
      cluster.start()
    }
    // At once, while A's notice connection may still be reconnecting: B's change goes unannounced.
    const during = await until(
      async () => {
        const r = await api(relayB.url, 'PATCH', containerPath(4), { cargo: { booking: 'BKDURING' } })
        return r.status === 200 ? r : undefined
      },
      15_000,
      'B writing again after the restart',
    )
    expect(during.body.cargo.booking).toBe('BKDURING')
    // A's first answer once it reaches PostgreSQL again is current: a copy cached before the outage
    // is never served without checking it.
    const back = await until(
      async () => {
        const r = await api(relayA.url, 'GET', containerPath(4))
        return r.status === 200 ? r : undefined
      },
      15_000,
      'relay A answering after the restart',
    )
    expect(back.body.cargo.booking).toBe('BKDURING')
    // The vessel's retry completes through A once PostgreSQL is back.
    if (vessel) {
      await until(
        async () => {
          vessel!.engine.syncNow()
          await vessel!.engine.settled()
          return vessel!.engine.snapshot().lastError === null ? true : undefined
        },
        20_000,
        "the vessel's session after the restart",
      )
    }
    // The refused write while PostgreSQL was down left nothing behind.
    expect((await api(relayA.url, 'GET', containerPath(5))).body.cargo.booking).not.toBe('BKNEVER')
    // B's notice connection reconnects on its own: a change at A reaches it again.
    expect((await api(relayA.url, 'PATCH', containerPath(4), { cargo: { booking: 'BKAFTER' } })).status).toBe(
      200,
    )
    await until(
      async () =>
        (await api(relayB.url, 'GET', containerPath(4))).body?.cargo?.booking === 'BKAFTER'
          ? true
          : undefined,
      5_000,
      "A's change in B's REST after the restart",
    )
  }, 60_000)
})
