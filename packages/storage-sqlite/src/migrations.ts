import type Database from 'better-sqlite3'
import type { Logger } from 'pino'

/** One schema step. `up` runs inside a transaction together with the `user_version` bump. */
export interface Migration {
  version: number
  description: string
  up: (db: Database.Database) => void
}

/**
 * Tally's bookkeeping schema, in order. Append new migrations; never edit one that has shipped.
 * Times are ISO 8601 UTC strings (they sort lexicographically); JSON goes in TEXT columns.
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'sync bookkeeping: cursors, peer state, sessions, dead letters, audit, actors, tokens',
    up: (db) =>
      db.exec(`
        CREATE TABLE cursors (
          peer TEXT NOT NULL,
          doc_id TEXT NOT NULL,
          heads TEXT NOT NULL,
          updated_at TEXT NOT NULL,
          PRIMARY KEY (peer, doc_id)
        ) WITHOUT ROWID;

        CREATE TABLE peer_state (
          peer TEXT PRIMARY KEY,
          sync_token TEXT,
          updated_at TEXT NOT NULL
        );

        CREATE TABLE sync_sessions (
          id TEXT PRIMARY KEY,
          peer TEXT NOT NULL,
          started_at TEXT NOT NULL,
          ended_at TEXT,
          state TEXT NOT NULL,
          bytes_up INTEGER NOT NULL DEFAULT 0,
          bytes_down INTEGER NOT NULL DEFAULT 0,
          chunks_up INTEGER NOT NULL DEFAULT 0,
          chunks_down INTEGER NOT NULL DEFAULT 0,
          changes_up INTEGER NOT NULL DEFAULT 0,
          changes_down INTEGER NOT NULL DEFAULT 0,
          rejected INTEGER NOT NULL DEFAULT 0,
          cost_usd REAL NOT NULL DEFAULT 0,
          error TEXT
        );
        CREATE INDEX sync_sessions_peer_started ON sync_sessions (peer, started_at);
        CREATE INDEX sync_sessions_started ON sync_sessions (started_at);

        CREATE TABLE dead_letters (
          id INTEGER PRIMARY KEY,
          at TEXT NOT NULL,
          principal TEXT NOT NULL,
          doc_id TEXT,
          change_hash TEXT,
          reason TEXT NOT NULL,
          field TEXT,
          bytes BLOB,
          status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'retried', 'discarded')),
          resolved_at TEXT,
          resolved_by TEXT,
          resolution_note TEXT
        );
        CREATE INDEX dead_letters_status_at ON dead_letters (status, at);
        CREATE INDEX dead_letters_change ON dead_letters (change_hash, principal);
        CREATE INDEX dead_letters_doc ON dead_letters (doc_id);

        CREATE TABLE audit (
          id INTEGER PRIMARY KEY,
          at TEXT NOT NULL,
          principal TEXT NOT NULL,
          role TEXT,
          doc_id TEXT NOT NULL,
          field TEXT,
          from_value TEXT,
          to_value TEXT,
          change_hash TEXT
        );
        CREATE INDEX audit_doc_at ON audit (doc_id, at);
        CREATE INDEX audit_change ON audit (change_hash);

        CREATE TABLE actors (
          actor TEXT PRIMARY KEY,
          principal TEXT NOT NULL,
          kind TEXT NOT NULL CHECK (kind IN ('vessel', 'user', 'system')),
          role TEXT,
          name TEXT,
          bound_at TEXT NOT NULL
        );
        CREATE INDEX actors_principal ON actors (principal);
        CREATE INDEX actors_bound_at ON actors (bound_at);

        CREATE TABLE tokens (
          id TEXT PRIMARY KEY,
          kind TEXT NOT NULL CHECK (kind IN ('vessel', 'user', 'crew')),
          subject TEXT NOT NULL,
          role TEXT,
          token_hash TEXT NOT NULL UNIQUE,
          created_at TEXT NOT NULL,
          revoked_at TEXT
        );
        CREATE INDEX tokens_subject ON tokens (kind, subject);
      `),
  },
  {
    version: 2,
    description: 'sync sessions: whether the daily byte budget held changes back',
    up: (db) => db.exec(`ALTER TABLE sync_sessions ADD COLUMN budget_limited INTEGER NOT NULL DEFAULT 0`),
  },
  {
    version: 3,
    description: 'voyages: port calls, open or closed, and (on a vessel) where the archive went',
    up: (db) =>
      db.exec(`
        CREATE TABLE voyages (
          vessel TEXT NOT NULL,
          voyage TEXT NOT NULL,
          status TEXT NOT NULL DEFAULT 'OPEN' CHECK (status IN ('OPEN', 'CLOSED')),
          port_calls TEXT NOT NULL DEFAULT '[]',
          created_at TEXT NOT NULL,
          closed_at TEXT,
          version INTEGER NOT NULL,
          archived_at TEXT,
          archive_file TEXT,
          PRIMARY KEY (vessel, voyage)
        );
        CREATE INDEX voyages_version ON voyages (vessel, version);
      `),
  },
]

/** The schema version this code writes. */
export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1].version

/** Reads `PRAGMA user_version`. */
export function schemaVersion(db: Database.Database): number {
  return db.pragma('user_version', { simple: true }) as number
}

/**
 * Brings the schema up to {@link SCHEMA_VERSION}. Each step commits with its version number, so a
 * crash between steps resumes where it stopped. Refuses a database written by a newer Tally rather
 * than guess at a schema it does not know.
 */
export function migrate(db: Database.Database, logger?: Logger): number {
  const current = schemaVersion(db)
  if (current > SCHEMA_VERSION) {
    throw new Error(`database schema version ${current} is newer than this Tally (${SCHEMA_VERSION})`)
  }
  for (const migration of MIGRATIONS) {
    if (migration.version <= current) continue
    db.transaction(() => {
      migration.up(db)
      // PRAGMA does not take bound parameters; the version is an integer from our own table.
      db.pragma(`user_version = ${Math.trunc(migration.version)}`)
    })()
    logger?.info({ version: migration.version, description: migration.description }, 'migrated schema')
  }
  return schemaVersion(db)
}
