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
    description:
      'every other table: documents, the container index, vessels, operator tables, the vessel view cache',
    up: (db) => {
      // Before this step the tables below were created by the modules that use them, on first use,
      // so a file written by an older Tally may hold some of them already: IF NOT EXISTS, and the
      // container index gets the columns it grew after its first release.
      db.exec(`
        CREATE TABLE IF NOT EXISTS automerge_chunks (
          id INTEGER PRIMARY KEY,
          key TEXT NOT NULL UNIQUE,
          data BLOB NOT NULL
        );

        CREATE TABLE IF NOT EXISTS containers (
          doc_id TEXT PRIMARY KEY, vessel TEXT NOT NULL, voyage TEXT NOT NULL, container_id TEXT NOT NULL,
          iso_type TEXT NOT NULL, heads TEXT NOT NULL, chunks INTEGER NOT NULL DEFAULT 0,
          booking TEXT, stowage TEXT, bay TEXT, state TEXT, condition TEXT, customs TEXT,
          reefer INTEGER, dg INTEGER, alarm INTEGER, seal_broken INTEGER, conflict INTEGER, updated_at TEXT);
        CREATE INDEX IF NOT EXISTS containers_vessel ON containers (vessel, container_id);

        CREATE TABLE IF NOT EXISTS vessels (
          imo TEXT PRIMARY KEY, name TEXT NOT NULL, created_at TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS vessel_link_status (
          imo TEXT PRIMARY KEY, vessel_pending INTEGER NOT NULL, updated_at TEXT NOT NULL);

        CREATE TABLE IF NOT EXISTS ops_vessel_settings (
          imo TEXT PRIMARY KEY, daily_budget_bytes INTEGER, expected_window_s INTEGER,
          updated_at TEXT NOT NULL, updated_by TEXT);
        CREATE TABLE IF NOT EXISTS ops_conflicts (
          id INTEGER PRIMARY KEY, at TEXT NOT NULL, vessel TEXT NOT NULL, doc_id TEXT NOT NULL,
          container_id TEXT NOT NULL, field TEXT NOT NULL);
        CREATE INDEX IF NOT EXISTS ops_conflicts_vessel_at ON ops_conflicts (vessel, at);
        CREATE TABLE IF NOT EXISTS ops_conflict_state (doc_id TEXT PRIMARY KEY, fields TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS ops_alerts (
          id INTEGER PRIMARY KEY, kind TEXT NOT NULL, vessel TEXT NOT NULL, state TEXT NOT NULL,
          started_at TEXT NOT NULL, resolved_at TEXT, value REAL NOT NULL, threshold REAL NOT NULL,
          message TEXT NOT NULL);
        CREATE UNIQUE INDEX IF NOT EXISTS ops_alerts_firing ON ops_alerts (kind, vessel) WHERE state = 'firing';
        CREATE INDEX IF NOT EXISTS ops_alerts_started ON ops_alerts (started_at);

        CREATE TABLE IF NOT EXISTS vessel_view_cache (
          doc_id TEXT PRIMARY KEY, heads TEXT NOT NULL, view TEXT NOT NULL);
      `)
      const columns = new Set(
        (db.prepare(`PRAGMA table_info(containers)`).all() as { name: string }[]).map((c) => c.name),
      )
      // The policy's object index (changes validate without loading the document), and a flag for
      // rows whose summary waits for the document.
      if (!columns.has('objects')) db.exec(`ALTER TABLE containers ADD COLUMN objects TEXT`)
      if (!columns.has('dirty')) db.exec(`ALTER TABLE containers ADD COLUMN dirty INTEGER NOT NULL DEFAULT 0`)
      // Rows from before this column may hold critical changes nobody classified: 1 until the peer
      // acknowledges everything (the link then plans them first, which is only ever safe).
      if (!columns.has('critical'))
        db.exec(`ALTER TABLE containers ADD COLUMN critical INTEGER NOT NULL DEFAULT 1`)
    },
  },
  {
    version: 4,
    description:
      'operator tables: alert thresholds saved from the dashboard, what vessels report in their hello, since when an alert holds',
    up: (db) =>
      db.exec(`
        CREATE TABLE ops_alert_thresholds (
          name TEXT PRIMARY KEY, value REAL NOT NULL, updated_at TEXT NOT NULL, updated_by TEXT NOT NULL);
        CREATE TABLE ops_vessel_reports (
          imo TEXT PRIMARY KEY, sync_interval_s INTEGER, updated_at TEXT NOT NULL);
        CREATE TABLE ops_unreached_attempts (
          id INTEGER PRIMARY KEY, imo TEXT NOT NULL, reported_at TEXT NOT NULL, attempts INTEGER NOT NULL);
        CREATE INDEX ops_unreached_attempts_at ON ops_unreached_attempts (imo, reported_at);
        ALTER TABLE ops_alerts ADD COLUMN since TEXT;
      `),
  },
  {
    version: 5,
    description:
      'voyages: port calls, open or closed, and (on a vessel) where the archive went; the container index learns the port of discharge',
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
        ALTER TABLE containers ADD COLUMN pod TEXT;
        -- Rows written before the column fill it in from their documents when next listed.
        UPDATE containers SET dirty = 1;
      `),
  },
]

/**
 * The database was written by a newer Tally: this code does not know its tables, so it refuses to
 * start rather than read or write them wrongly. Upgrade the program, or restore a backup taken
 * before the upgrade.
 */
export class SchemaTooNewError extends Error {
  constructor(
    readonly found: number,
    readonly supported: number,
  ) {
    super(
      `database schema version ${found} is newer than this Tally supports (${supported}): ` +
        `it was written by a newer release. Run that release, or restore a backup taken before the upgrade.`,
    )
    this.name = 'SchemaTooNewError'
  }
}

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
    throw new SchemaTooNewError(current, SCHEMA_VERSION)
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
