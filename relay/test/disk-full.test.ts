/**
 * A full disk at the relay (`max_page_count` pins the database's size, as the vessel's reliability
 * test does): REST prunes old link session logs first and the write goes through; with nothing left
 * to prune it answers 507 DISK_FULL, and a vessel's link session closes with 4507. The database
 * stays intact and works again once there is room.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { randomBytes } from 'node:crypto'
import * as A from '@automerge/automerge'
import { applyPatch, documentIdFor } from '@tally/manifest'
import { CloseCode } from '@tally/link'
import { SessionLog } from '@tally/storage-sqlite'
import { keyOf } from '../../test/link/fixtures.ts'
import { startOpsRelay, VESSEL } from './ops-fixtures.ts'
import type { OpsRelay } from './ops-fixtures.ts'

const cleanups: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

/** Pins the database at its current size: any write that needs a new page fails with SQLITE_FULL. */
function fillDisk(t: OpsRelay): void {
  const db = t.relay.db
  db.exec(`CREATE TABLE IF NOT EXISTS filler (x BLOB)`)
  db.pragma('wal_checkpoint(TRUNCATE)')
  const pages = db.pragma('page_count', { simple: true }) as number
  // Use up the free pages too, so the next write really has nowhere to go.
  db.pragma(`max_page_count = ${pages}`)
  const fill = db.prepare('INSERT INTO filler VALUES (?)')
  // Thousands of small commits: no fsync each (the relay's own setting comes back below).
  db.pragma('synchronous = OFF')
  for (let size = 64_000; size >= 64; size = Math.floor(size / 2))
    for (let i = 0; i < 10_000; i++) {
      try {
        fill.run(Buffer.alloc(size))
      } catch {
        break // full at this size: try smaller rows in what is left
      }
    }
  db.pragma('synchronous = FULL')
}

/** Random text does not compress: storing it needs pages a pinned file cannot grow. */
const bulkyNotes = () => randomBytes(10_000).toString('hex')

/** Old session log rows (40 days ago), written through the session log with a moved clock. */
function oldSessions(t: OpsRelay, n: number): void {
  const at = new Date(Date.now() - 40 * 86_400_000)
  const log = new SessionLog(t.relay.db, { clock: () => at })
  t.relay.db.transaction(() => {
    for (let i = 0; i < n; i++) log.finish(log.start(VESSEL), { state: 'failed', error: 'x'.repeat(400) })
  })()
}

const countSessions = (t: OpsRelay) =>
  (t.relay.db.prepare('SELECT COUNT(*) AS n FROM sync_sessions').get() as { n: number }).n

describe('a full disk at the relay', { timeout: 150_000 }, () => {
  it('prunes old session logs and stores the REST edit; with nothing to prune answers 507 DISK_FULL', async () => {
    const t = await startOpsRelay({ containers: 3 })
    cleanups.push(() => t.close())
    const container = `/api/vessels/${VESSEL}/containers/${keyOf(1).containerId}`
    oldSessions(t, 400)
    fillDisk(t)
    const notes = bulkyNotes()
    const patched = await t.api('PATCH', container, {
      token: t.tokens.shore,
      body: { customs: { status: 'INSPECTION' }, notes },
    })
    expect(patched.status).toBe(200)
    expect(patched.body.customs.status).toBe('INSPECTION')
    expect(patched.body.notes).toBe(notes)
    expect(countSessions(t)).toBe(0)

    fillDisk(t)
    const full = await t.api('PATCH', container, {
      token: t.tokens.shore,
      body: { customs: { status: 'RELEASED' }, notes: bulkyNotes() },
    })
    expect(full.status).toBe(507)
    expect(full.body.error).toMatchObject({ code: 'DISK_FULL' })
    expect(full.body.error.message).toMatch(/disk full/)
    expect((await t.api('GET', container, { token: t.tokens.shore })).body.customs.status).toBe('INSPECTION')

    // Room again: the same edit goes through, and the database is intact.
    t.relay.db.pragma('max_page_count = 1073741823')
    t.relay.db.exec('DROP TABLE IF EXISTS filler')
    expect(
      (await t.api('PATCH', container, { token: t.tokens.shore, body: { customs: { status: 'RELEASED' } } }))
        .status,
    ).toBe(200)
    expect(t.relay.db.pragma('integrity_check', { simple: true })).toBe('ok')
  })

  it('closes a vessel’s link session with 4507 when a chunk cannot be stored', async () => {
    const t = await startOpsRelay({ containers: 20 })
    cleanups.push(() => t.close())
    await t.sync()
    const vessel = t.vessel()
    for (let i = 0; i < 20; i++)
      vessel.store.edit(documentIdFor(keyOf(i)), vessel.actor, (d: A.Doc<any>) =>
        applyPatch(
          d,
          { physical: { condition: 'DAMAGED', damage: `dent ${'x'.repeat(200)} ${i}` } },
          'vessel',
        ),
      )
    fillDisk(t)
    const failed = await t.sync().then(
      () => null,
      (err: { closeCode?: number; message: string }) => err,
    )
    expect(failed?.closeCode).toBe(CloseCode.DiskFull)
    expect(failed?.message).toMatch(/relay’s disk is full/)
    const sessions = (await t.api('GET', `/api/ops/vessels/${VESSEL}`)).body.sessions
    expect(sessions[0]).toMatchObject({ state: 'failed' })

    t.relay.db.pragma('max_page_count = 1073741823')
    t.relay.db.exec('DROP TABLE IF EXISTS filler')
    await t.sync()
    expect(t.relay.store.view(documentIdFor(keyOf(5)))?.physical.condition).toBe('DAMAGED')
  })
})
