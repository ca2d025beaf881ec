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
    up: (db) => {
      // IF NOT EXISTS and the column check: a file whose version was set back (a test, a restore of
      // a copied file) may hold them already.
      db.exec(`
        CREATE TABLE IF NOT EXISTS ops_alert_thresholds (
          name TEXT PRIMARY KEY, value REAL NOT NULL, updated_at TEXT NOT NULL, updated_by TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS ops_vessel_reports (
          imo TEXT PRIMARY KEY, sync_interval_s INTEGER, updated_at TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS ops_unreached_attempts (
          id INTEGER PRIMARY KEY, imo TEXT NOT NULL, reported_at TEXT NOT NULL, attempts INTEGER NOT NULL);
        CREATE INDEX IF NOT EXISTS ops_unreached_attempts_at ON ops_unreached_attempts (imo, reported_at);
      `)
      const columns = (db.prepare(`PRAGMA table_info(ops_alerts)`).all() as { name: string }[]).map(
        (c) => c.name,
      )
      if (!columns.includes('since')) db.exec(`ALTER TABLE ops_alerts ADD COLUMN since TEXT`)
    },
  },
  {
    version: 5,
    description: 'container index: port of discharge, for the shore list filter',
    up: (db) => {
      const columns = (db.prepare(`PRAGMA table_info(containers)`).all() as { name: string }[]).map(
        (c) => c.name,
      )
      if (!columns.includes('pod')) db.exec(`ALTER TABLE containers ADD COLUMN pod TEXT`)
      // Existing rows learn their port the next time a list asks (the row refreshes from its
      // document once, as for any summary that waits for the document).
      db.exec(`UPDATE containers SET dirty = 1`)
      db.exec(`CREATE INDEX IF NOT EXISTS containers_updated ON containers (updated_at)`)
    },
  },
  {
    version: 6,
    description: 'shore integrations: DCSA events, event subscriptions, integration tokens',
    up: (db) =>
      db.exec(`
        -- Events derived from container histories (docs/integrations.md), in admission order: seq
        -- is the feed's cursor and each subscription's delivery position.
        CREATE TABLE IF NOT EXISTS dcsa_events (
          seq INTEGER PRIMARY KEY, -- events are never deleted, so max + 1 only grows
          event_id TEXT NOT NULL UNIQUE,
          doc_id TEXT NOT NULL,
          vessel TEXT NOT NULL,
          equipment_reference TEXT NOT NULL,
          event_type TEXT NOT NULL,
          type_code TEXT NOT NULL,
          document_type_code TEXT,
          carrier_booking_reference TEXT,
          transport_document_reference TEXT,
          created_at TEXT NOT NULL,
          body TEXT NOT NULL
        );
        CREATE INDEX IF NOT EXISTS dcsa_events_equipment ON dcsa_events (equipment_reference, seq);
        CREATE INDEX IF NOT EXISTS dcsa_events_created ON dcsa_events (created_at);

        -- The heads of each document as far as its events have been derived.
        CREATE TABLE IF NOT EXISTS dcsa_indexed (
          doc_id TEXT PRIMARY KEY,
          heads TEXT NOT NULL
        ) WITHOUT ROWID;

        CREATE TABLE IF NOT EXISTS event_subscriptions (
          id TEXT PRIMARY KEY,
          owner TEXT NOT NULL,
          callback_url TEXT NOT NULL,
          secret TEXT NOT NULL,
          filters TEXT NOT NULL,
          created_at TEXT NOT NULL,
          deleted_at TEXT,
          delivered_seq INTEGER NOT NULL,
          delivered_events INTEGER NOT NULL DEFAULT 0,
          last_delivered_at TEXT,
          attempts INTEGER NOT NULL DEFAULT 0,
          next_attempt_at TEXT,
          failing_since TEXT,
          last_error TEXT
        );
        CREATE INDEX IF NOT EXISTS event_subscriptions_owner ON event_subscriptions (owner);

        -- Integration tokens (kind 'integration', role = scope): SQLite cannot widen a CHECK in
        -- place, so the table is rebuilt with the same rows.
        DROP TABLE IF EXISTS tokens_v3;
        CREATE TABLE tokens_v3 (
          id TEXT PRIMARY KEY,
          kind TEXT NOT NULL CHECK (kind IN ('vessel', 'user', 'crew', 'integration')),
          subject TEXT NOT NULL,
          role TEXT,
          token_hash TEXT NOT NULL UNIQUE,
          created_at TEXT NOT NULL,
          revoked_at TEXT
        );
        INSERT INTO tokens_v3 SELECT id, kind, subject, role, token_hash, created_at, revoked_at FROM tokens;
        DROP TABLE tokens;
        ALTER TABLE tokens_v3 RENAME TO tokens;
        CREATE INDEX IF NOT EXISTS tokens_subject ON tokens (kind, subject);
      `),
  },
  {
    version: 7,
    description: 'photos: content-addressed originals, requests and parts in transit, signing keys',
    up: (db) =>
      db.exec(`
        -- Originals and thumbnails by SHA-256 (outside the documents, which hold only the hashes).
        CREATE TABLE IF NOT EXISTS photo_blobs (
          sha256 TEXT PRIMARY KEY,
          mime TEXT NOT NULL,
          bytes INTEGER NOT NULL,
          data BLOB NOT NULL,
          stored_at TEXT NOT NULL
        );
        -- Photos taken on this replica: id → original and thumbnail.
        CREATE TABLE IF NOT EXISTS photos (
          id TEXT PRIMARY KEY,
          doc_id TEXT NOT NULL,
          container_id TEXT NOT NULL,
          sha256 TEXT NOT NULL,
          thumb_sha256 TEXT NOT NULL,
          mime TEXT NOT NULL,
          bytes INTEGER NOT NULL,
          taken_at TEXT NOT NULL
        );
        CREATE INDEX IF NOT EXISTS photos_doc ON photos (doc_id);
        -- Full photos shore asked for; on the relay, how much has arrived; on the vessel, what was asked.
        CREATE TABLE IF NOT EXISTS photo_requests (
          sha256 TEXT PRIMARY KEY,
          vessel TEXT NOT NULL,
          container_id TEXT NOT NULL,
          photo_id TEXT NOT NULL,
          mime TEXT NOT NULL,
          bytes INTEGER NOT NULL,
          requested_at TEXT NOT NULL,
          requested_by TEXT NOT NULL,
          received_bytes INTEGER NOT NULL DEFAULT 0,
          completed_at TEXT
        );
        CREATE INDEX IF NOT EXISTS photo_requests_vessel ON photo_requests (vessel, completed_at);
        -- Acknowledged parts of a full photo still arriving (relay); folded into photo_blobs when whole.
        CREATE TABLE IF NOT EXISTS photo_parts (
          sha256 TEXT NOT NULL,
          offset INTEGER NOT NULL,
          data BLOB NOT NULL,
          PRIMARY KEY (sha256, offset)
        );
        -- The vessel's Ed25519 evidence key (one row).
        CREATE TABLE IF NOT EXISTS signing_keys (
          id INTEGER PRIMARY KEY CHECK (id = 1),
          public_key TEXT NOT NULL,
          secret_key BLOB NOT NULL,
          created_at TEXT NOT NULL
        );
        -- Vessels' public keys as the relay learned them; old keys stay, for old evidence.
        CREATE TABLE IF NOT EXISTS vessel_keys (
          imo TEXT NOT NULL,
          public_key TEXT NOT NULL,
          learned_at TEXT NOT NULL,
          PRIMARY KEY (imo, public_key)
        );
      `),
  },
  {
    version: 8,
    description:
      'link connections in the session log (kind, connection_id); the previous sync token, valid until the peer shows the new one; the session that issued (relay) or last opened (vessel) the token; per-vessel link pacing',
    up: (db) => {
      // Column checks: a file whose version was set back (a test, a restore of a copied file) may
      // hold them already.
      const has = (table: string, column: string) =>
        (db.prepare(`PRAGMA table_info(${table})`).all() as { name: string }[]).some((c) => c.name === column)
      if (!has('sync_sessions', 'kind'))
        db.exec(`ALTER TABLE sync_sessions ADD COLUMN kind TEXT NOT NULL DEFAULT 'session'
          CHECK (kind IN ('session', 'connection'))`)
      if (!has('sync_sessions', 'connection_id'))
        db.exec(`ALTER TABLE sync_sessions ADD COLUMN connection_id TEXT`)
      if (!has('peer_state', 'previous_sync_token'))
        db.exec(`ALTER TABLE peer_state ADD COLUMN previous_sync_token TEXT`)
      if (!has('peer_state', 'sync_session')) db.exec(`ALTER TABLE peer_state ADD COLUMN sync_session TEXT`)
      if (!has('ops_vessel_settings', 'link_pacing'))
        db.exec(`ALTER TABLE ops_vessel_settings ADD COLUMN link_pacing TEXT`)
    },
  },
  {
    version: 9,
    description: 'voyages: port calls, open or closed, and (on a vessel) where the archive went',
    up: (db) =>
      db.exec(`
        CREATE TABLE IF NOT EXISTS voyages (
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
        CREATE INDEX IF NOT EXISTS voyages_version ON voyages (vessel, version);
      `),
  },
  {
    version: 10,
    description: 'link presence: which relay each vessel is connected to (relays sharing a database)',
    up: (db) =>
      db.exec(`
        CREATE TABLE IF NOT EXISTS link_presence (
          vessel TEXT PRIMARY KEY,
          relay TEXT NOT NULL,
          connected_at TEXT NOT NULL,
          seen_at TEXT NOT NULL
        );
      `),
  },
  {
    version: 11,
    description:
      'link presence: whether a session runs on the connection, whether it is long-lived, and until when the row holds (every relay derives the link state from it)',
    up: (db) =>
      db.exec(`
        ALTER TABLE link_presence ADD COLUMN in_session INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE link_presence ADD COLUMN persistent INTEGER NOT NULL DEFAULT 0;
        -- Until when the row holds without a refresh (rows written before this column never do).
        ALTER TABLE link_presence ADD COLUMN fresh_until TEXT;
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
