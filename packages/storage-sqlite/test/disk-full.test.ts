// "A full disk gives a clear error and prunes old sync logs. Nothing is corrupted." (docs/architecture.md)
// The disk is simulated with PRAGMA max_page_count: SQLite then fails writes with SQLITE_FULL,
// the same code path as ENOSPC.
import path from 'node:path'
import type Database from 'better-sqlite3'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import {
  DiskFullError,
  SessionLog,
  SqliteStorageAdapter,
  mapDiskFull,
  openTallyDatabase,
  withDiskFullRecovery,
  type Clock,
} from '../src/index.ts'
import { makeTempDir, quietLogger } from './helpers.ts'

const PAGE_HEADROOM = 40
const CHUNK = new Uint8Array(64 * 1024).fill(7)

let file: string
let db: Database.Database
let cleanup: () => void

beforeEach(() => {
  const tmp = makeTempDir()
  cleanup = tmp.cleanup
  file = path.join(tmp.dir, 'full.sqlite')
  db = openTallyDatabase(file, { logger: quietLogger() })
})

afterEach(() => {
  if (db.open) db.close()
  cleanup()
})

/** Caps the file at its current size plus `headroom` pages. */
function capDatabase(headroom: number): void {
  const pages = db.pragma('page_count', { simple: true }) as number
  db.pragma(`max_page_count = ${pages + headroom}`)
}

/** Reopens the file from scratch and checks it. */
function reopenAndCheck(): Database.Database {
  db.close()
  db = openTallyDatabase(file)
  expect(db.pragma('integrity_check', { simple: true })).toBe('ok')
  return db
}

describe('disk full', () => {
  it('save() rejects with a clear DiskFullError and leaves the database intact', async () => {
    const adapter = new SqliteStorageAdapter(db)
    await adapter.save(['doc', 'snapshot', 'before'], new Uint8Array([1, 2, 3]))
    capDatabase(PAGE_HEADROOM)

    let error: unknown
    for (let i = 0; i < 1000 && error === undefined; i++) {
      await adapter.save(['doc', 'incremental', String(i)], CHUNK).catch((err: unknown) => (error = err))
    }
    expect(error).toBeInstanceOf(DiskFullError)
    const diskFull = error as DiskFullError
    expect(diskFull.code).toBe('DISK_FULL')
    expect(diskFull.message).toMatch(/disk full: could not save a chunk/)
    expect((diskFull.cause as { code?: string }).code).toBe('SQLITE_FULL')

    // The connection still works for reads, and a saveMany batch that does not fit is all-or-nothing.
    const before = (await adapter.loadRange(['doc'])).length
    await expect(
      adapter.saveMany([
        { key: ['doc2', 'a'], data: new Uint8Array([1]) },
        { key: ['doc2', 'b'], data: CHUNK },
      ]),
    ).rejects.toBeInstanceOf(DiskFullError)
    expect(await adapter.loadRange(['doc2'])).toEqual([])

    reopenAndCheck()
    const reopened = new SqliteStorageAdapter(db)
    expect(await reopened.load(['doc', 'snapshot', 'before'])).toEqual(new Uint8Array([1, 2, 3]))
    expect((await reopened.loadRange(['doc'])).length).toBe(before)
  })

  it('prunes old sync logs to make room, then retries the write', async () => {
    let now = new Date('2025-01-01T00:00:00.000Z')
    const clock: Clock = () => now
    const sessions = new SessionLog(db, { clock })
    // A pile of old, finished sessions with bulky error text: the accounting that may be shed.
    db.transaction(() => {
      for (let i = 0; i < 200; i++) {
        const id = sessions.start('IMO9811000')
        sessions.finish(id, { state: 'failed', error: 'x'.repeat(2000) })
      }
    })()
    now = new Date('2025-02-01T00:00:00.000Z')
    const recent = sessions.start('IMO9811000')
    // The adapters create their table before the cap: this test is about the write, and whether
    // the set-up fits in two pages depends on how the rows above happen to fill pages.
    const adapter = new SqliteStorageAdapter(db, { diskFullRecovery: { keepDays: 7 } })
    const plain = new SqliteStorageAdapter(db)
    capDatabase(2)

    const payload = new Uint8Array(32 * 1024).fill(3)
    // Without recovery the write does not fit ...
    await expect(plain.save(['doc', 'incremental', 'x'], payload)).rejects.toBeInstanceOf(DiskFullError)
    // ... with recovery, old logs are pruned (the pruning uses the real clock: they are far older
    // than 7 days) and the same write succeeds.
    await adapter.save(['doc', 'incremental', 'x'], payload)
    expect(await adapter.load(['doc', 'incremental', 'x'])).toEqual(payload)
    const remaining = db.prepare('SELECT id FROM sync_sessions').all() as { id: string }[]
    expect(remaining).toEqual([{ id: recent }])
    reopenAndCheck()
  })

  it('reports how much was pruned when pruning was not enough', () => {
    const sessions = new SessionLog(db, { clock: () => new Date('2020-01-01T00:00:00.000Z') })
    sessions.finish(sessions.start('v'), { state: 'complete' })
    capDatabase(2)
    const insert = db.prepare('INSERT INTO audit (at, principal, doc_id, to_value) VALUES (?, ?, ?, ?)')
    const tooBig = () => insert.run('2025-01-01T00:00:00.000Z', 'p', 'd', 'y'.repeat(1_000_000))
    let error: unknown
    try {
      withDiskFullRecovery(db, 'append audit', tooBig, { keepDays: 1, logger: quietLogger() })
    } catch (err) {
      error = err
    }
    expect(error).toBeInstanceOf(DiskFullError)
    expect((error as DiskFullError).prunedSyncSessions).toBe(1)
    expect((error as DiskFullError).message).toMatch(/pruned 1 old sync log rows/)
    // Non-disk errors pass through untouched.
    expect(() => mapDiskFull('x', () => db.exec('SELECT * FROM no_such_table'))).toThrow(/no such table/)
    reopenAndCheck()
  })
})
