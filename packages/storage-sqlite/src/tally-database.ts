import Database from 'better-sqlite3'
import type { Logger } from 'pino'
import { migrate } from './migrations.ts'
import { silentLogger } from './silent-logger.ts'
import type { SqlDatabase } from './sql-database.ts'

/** Options for {@link openTallyDatabase}. */
export interface OpenTallyDatabaseOptions {
  logger?: Logger
  /**
   * `FULL` (default) fsyncs every commit: an acknowledged write survives power loss. `NORMAL` in WAL
   * mode survives a killed process but not power loss; only for tests and benchmarks.
   */
  synchronous?: 'FULL' | 'NORMAL'
  /** How long a writer waits for another connection's lock before failing with SQLITE_BUSY. */
  busyTimeoutMs?: number
}

/** Default wait for a lock held by another connection to the same file (e.g. the CLI). */
export const DEFAULT_BUSY_TIMEOUT_MS = 5_000

/**
 * Opens (creating if needed) a Tally SQLite file: WAL mode, `synchronous = FULL`, foreign keys on,
 * schema migrated to the current version. Pass the result to `SqliteStorageAdapter` and the stores
 * so documents and bookkeeping share one file, and one transaction when needed.
 */
export function openTallyDatabase(path: string, options: OpenTallyDatabaseOptions = {}): Database.Database {
  const logger = (options.logger ?? silentLogger()).child({ component: 'tally-database' })
  const db = new Database(path)
  try {
    db.pragma(`busy_timeout = ${Math.trunc(options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS)}`)
    const mode = db.pragma('journal_mode = WAL', { simple: true })
    if (mode !== 'wal' && path !== ':memory:' && path !== '') {
      throw new Error(`could not switch ${path} to WAL mode (got ${String(mode)})`)
    }
    db.pragma(`synchronous = ${options.synchronous ?? 'FULL'}`)
    db.pragma('foreign_keys = ON')
    const version = migrate(db, logger)
    logger.debug({ path, version }, 'database open')
    return db
  } catch (err) {
    db.close()
    throw err
  }
}

/**
 * Gives freed pages back to the file system (after a large delete, such as archiving a voyage):
 * rewrites the file, then truncates the write-ahead log, so the file shrinks by what was removed.
 */
export function shrinkDatabase(db: SqlDatabase): void {
  db.exec('VACUUM')
  db.exec('PRAGMA wal_checkpoint(TRUNCATE)')
}
