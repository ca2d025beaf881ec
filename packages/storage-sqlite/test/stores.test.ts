import path from 'node:path'
import Database from 'better-sqlite3'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { MIGRATIONS, SCHEMA_VERSION, TokenStore, openTallyDatabase, schemaVersion } from '../src/index.ts'
import { runBookkeepingSuite } from './bookkeeping-suite.ts'
import { makeTempDir, quietLogger } from './helpers.ts'

let db: Database.Database
let file: string
let cleanup: () => void

beforeEach(() => {
  const tmp = makeTempDir()
  cleanup = tmp.cleanup
  file = path.join(tmp.dir, 'tally.sqlite')
  db = openTallyDatabase(file, { logger: quietLogger() })
})

afterEach(() => {
  if (db.open) db.close()
  cleanup()
})

describe('openTallyDatabase', () => {
  it('creates the schema at the current version, in WAL mode with synchronous = FULL', () => {
    expect(schemaVersion(db)).toBe(SCHEMA_VERSION)
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal')
    expect(db.pragma('synchronous', { simple: true })).toBe(2)
    const tables = (
      db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table'`).all() as { name: string }[]
    )
      .map((r) => r.name)
      .sort()
    // Every table Tally keeps comes from the migrations, none from the modules that use it.
    expect(tables).toEqual([
      'actors',
      'audit',
      'automerge_chunks',
      'containers',
      'cursors',
      'dcsa_events',
      'dcsa_indexed',
      'dead_letters',
      'event_subscriptions',
      'link_presence',
      'ops_alert_thresholds',
      'ops_alerts',
      'ops_conflict_state',
      'ops_conflicts',
      'ops_unreached_attempts',
      'ops_vessel_reports',
      'ops_vessel_settings',
      'peer_state',
      'photo_blobs',
      'photo_parts',
      'photo_requests',
      'photos',
      'signing_keys',
      'sync_sessions',
      'tokens',
      'vessel_keys',
      'vessel_link_status',
      'vessel_view_cache',
      'vessels',
      'voyages',
    ])
  })

  it('brings a file whose modules created their own tables up to date, keeping the rows', () => {
    db.close()
    const oldFile = `${file}.v2`
    const old = new Database(oldFile)
    // A file as version 2 left it, with the container index as first released (made by its module).
    for (const m of MIGRATIONS.filter((m) => m.version <= 2)) m.up(old)
    old.pragma('user_version = 2')
    old.exec(`CREATE TABLE containers (
      doc_id TEXT PRIMARY KEY, vessel TEXT NOT NULL, voyage TEXT NOT NULL, container_id TEXT NOT NULL,
      iso_type TEXT NOT NULL, heads TEXT NOT NULL, chunks INTEGER NOT NULL DEFAULT 0,
      booking TEXT, stowage TEXT, bay TEXT, state TEXT, condition TEXT, customs TEXT,
      reefer INTEGER, dg INTEGER, alarm INTEGER, seal_broken INTEGER, conflict INTEGER, updated_at TEXT)`)
    old.exec(`INSERT INTO containers (doc_id, vessel, voyage, container_id, iso_type, heads)
      VALUES ('d1', 'IMO9811000', 'V1', 'MSCU1234565', '45G1', '[]')`)
    old.close()
    db = openTallyDatabase(oldFile)
    expect(schemaVersion(db)).toBe(SCHEMA_VERSION)
    // dirty: the row refreshes from its document once, to learn the columns added since (pod).
    expect(db.prepare(`SELECT doc_id, objects, dirty, critical, pod FROM containers`).all()).toEqual([
      { doc_id: 'd1', objects: null, dirty: 1, critical: 1, pod: null },
    ])
  })

  it('reopens an existing file without re-running migrations', () => {
    new TokenStore(db).issue('vessel', 'IMO9811000')
    db.close()
    db = openTallyDatabase(file)
    expect(new TokenStore(db).list()).toHaveLength(1)
  })

  it('refuses a file from a newer schema', () => {
    db.pragma(`user_version = ${SCHEMA_VERSION + 1}`)
    db.close()
    expect(() => openTallyDatabase(file)).toThrow(
      new RegExp(
        `schema version ${SCHEMA_VERSION + 1} is newer than this Tally supports \\(${SCHEMA_VERSION}\\)`,
      ),
    )
  })
})

runBookkeepingSuite('SQLite', async () => {
  const tmp = makeTempDir()
  const db = openTallyDatabase(path.join(tmp.dir, 'tally.sqlite'), { logger: quietLogger() })
  return {
    db,
    teardown: () => {
      db.close()
      tmp.cleanup()
    },
  }
})
