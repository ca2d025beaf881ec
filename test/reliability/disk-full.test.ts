/**
 * The vessel's database full in the middle of a sync (emulated with SQLite `max_page_count` on the
 * node's own connection): the session fails with an error the crew can read, old sync logs are
 * pruned to make room, crew edits either save or answer 507 DISK_FULL, the file stays intact
 * (`integrity_check`), and once there is room again the next session converges by heads.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import fs from 'node:fs'
import path from 'node:path'
import { randomBytes } from 'node:crypto'
import * as A from '@automerge/automerge'
import { pino } from 'pino'
import { applyPatch, documentIdFor } from '@tally/manifest'
import { createRelay } from '../../relay/src/app.ts'
import type { Relay } from '../../relay/src/app.ts'
import { createVesselNode } from '../../vessel-node/src/app.ts'
import type { VesselNode } from '../../vessel-node/src/app.ts'
import { keyOf, seedRelay, tempDir, VESSEL } from '../link/fixtures.ts'
import { waitFor } from '../support/processes.ts'

const N = 60
/** Pages SQLite may use at most: the database can never grow (1073741823 is SQLite's default cap). */
const UNLIMITED_PAGES = 1_073_741_823

let dir: string
let relay: Relay
let node: VesselNode
let crew: string
let shoreActor: string

const api = async (method: string, url: string, body?: unknown) => {
  const res = await fetch(node.url + url, {
    method,
    headers: { authorization: `Bearer ${crew}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  })
  return { status: res.status, body: (await res.json().catch(() => null)) as any }
}

beforeAll(async () => {
  dir = tempDir()
  const silent = pino({ level: 'silent' })
  relay = await createRelay({ dataDir: path.join(dir, 'relay'), port: 0, logger: silent })
  const token = relay.context.tokens.issue('vessel', VESSEL, 'vessel')
  shoreActor = randomBytes(16).toString('hex')
  seedRelay(relay.context, N, shoreActor)
  node = await createVesselNode({
    dataDir: path.join(dir, 'vessel'),
    port: 0,
    relayUrl: relay.url.replace(/^http/, 'ws') + '/link',
    vessel: VESSEL,
    token,
    syncIntervalMs: 3_600_000,
    logger: silent,
    engine: {
      startDelayMs: 0,
      retry: { baseMs: 200, capMs: 1_000, limit: 1_000 },
      breaker: { failureThreshold: 1_000 },
    },
  })
  crew = node.tokens.issue('crew', 'bosun', 'vessel')
  await waitFor(() => (node.syncStatus().lastSyncAt ? true : undefined), 60_000)
}, 120_000)

afterAll(async () => {
  await node?.close()
  await relay?.close()
  fs.rmSync(dir, { recursive: true, force: true })
})

function headsOf(store: { load(id: string): A.Doc<unknown> | undefined }): string[] {
  return Array.from({ length: N }, (_, i) => {
    const doc = store.load(documentIdFor(keyOf(i)))
    return doc ? A.getHeads(doc).sort().join() : 'missing'
  })
}

/** What the crew saw and what was left of the old logs when the sync hit the full disk. */
const observed = { lastError: '' as string | null, oldLogsLeft: -1 }

describe('vessel database full during a sync', { timeout: 180_000 }, () => {
  it('fails the session without corrupting or losing anything, and converges once there is room', async () => {
    const db = node.db
    // A month-old link history: what the node may shed to make room.
    const insert = db.prepare(
      `INSERT INTO sync_sessions (id, peer, started_at, ended_at, state, error) VALUES (?, 'relay', ?, ?, 'failed', ?)`,
    )
    db.transaction(() => {
      for (let i = 0; i < 40; i++)
        insert.run(`old-${i}`, '2020-01-01T00:00:00.000Z', '2020-01-01T00:01:00.000Z', 'x'.repeat(2_000))
    })()
    const acked = await api('PATCH', `/api/containers/${keyOf(1).containerId}`, {
      physical: { damage: 'before the disk filled' },
    })
    expect(acked.status).toBe(200)
    // The shore's day is far bigger than the old logs: random notes do not compress.
    for (let i = 0; i < N; i++)
      relay.store.edit(documentIdFor(keyOf(i)), shoreActor, (d) =>
        applyPatch(d, { cargo: { shipper: `S-${i}` }, notes: randomBytes(1_500).toString('hex') }, 'shore'),
      )
    db.pragma('wal_checkpoint(TRUNCATE)')
    db.pragma(`max_page_count = ${db.pragma('page_count', { simple: true })}`)
    try {
      const before = node.syncStatus().lastAttemptAt ?? ''
      await api('POST', '/api/sync')
      const failed = await waitFor(() => {
        const s = node.syncStatus()
        return s.lastError && (s.lastAttemptAt ?? '') > before ? s : undefined
      }, 60_000)
      observed.lastError = failed.lastError
      observed.oldLogsLeft = (
        db.prepare(`SELECT count(*) AS n FROM sync_sessions WHERE id LIKE 'old-%'`).get() as { n: number }
      ).n
      console.log(`[reliability] disk full: ${JSON.stringify(observed)}`)
      expect(failed.lastError).toMatch(/disk/i)
      expect(failed.lastError).not.toMatch(/SQLITE_|at .*\.ts/)
      // A crew edit either fits or is refused with 507 DISK_FULL in words.
      const edit = await api('PATCH', `/api/containers/${keyOf(2).containerId}`, {
        notes: randomBytes(3_000).toString('hex'),
      })
      expect([200, 507]).toContain(edit.status)
      if (edit.status === 507) expect(edit.body.error).toMatchObject({ code: 'DISK_FULL' })
      // Nothing corrupted, nothing acknowledged lost.
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok')
      expect((await api('GET', `/api/containers/${keyOf(1).containerId}`)).body.physical.damage).toBe(
        'before the disk filled',
      )
      expect((await api('GET', '/api/containers?limit=1000')).body.total).toBe(N)
    } finally {
      db.pragma(`max_page_count = ${UNLIMITED_PAGES}`)
    }
    // Room again: the next session brings the shore's day and takes the crew's edit.
    const since = new Date().toISOString()
    await api('POST', '/api/sync')
    await waitFor(
      () => {
        const s = node.syncStatus()
        return s.lastSyncAt && s.lastSyncAt >= since && !s.lastError ? true : undefined
      },
      120_000,
      200,
    )
    expect(headsOf(node.store)).toEqual(headsOf(relay.store))
    expect(relay.store.view(documentIdFor(keyOf(1)))!.physical.damage).toBe('before the disk filled')
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok')
  })

  // The link's ingest runs through the same disk-full recovery as the REST API.
  it('on the sync path, prunes old sync logs and tells the crew the disk is full', () => {
    expect(observed.oldLogsLeft).toBe(0)
    expect(observed.lastError).toMatch(/disk is full|disk full/i)
    expect(observed.lastError).not.toMatch(/internal error/i)
  })
})
