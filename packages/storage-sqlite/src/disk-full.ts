import type { SqlDatabase } from './sql-database.ts'
import type { Logger } from 'pino'
import { pruneSyncLogs } from './prune-sync-logs.ts'

/**
 * The database could not grow: the disk (or the configured `max_page_count`) is full.
 *
 * SQLite rolls back the failed statement or transaction, so nothing that was acknowledged before is
 * lost and nothing half-written remains. The operation that failed was not applied and may be
 * retried once space is freed.
 */
export class DiskFullError extends Error {
  readonly code = 'DISK_FULL' as const
  /** Sync-log rows deleted while trying to make room before giving up (0 if none were tried). */
  readonly prunedSyncSessions: number

  constructor(operation: string, options: { cause?: unknown; prunedSyncSessions?: number } = {}) {
    const pruned = options.prunedSyncSessions ?? 0
    super(
      `disk full: could not ${operation}; the database is intact but has no room to grow` +
        (pruned > 0 ? ` (pruned ${pruned} old sync log rows, still not enough)` : '') +
        '. Free disk space and retry.',
      { cause: options.cause },
    )
    this.name = 'DiskFullError'
    this.prunedSyncSessions = pruned
  }
}

/** True for better-sqlite3's `SqliteError` with code `SQLITE_FULL`. */
export function isSqliteFullError(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 'SQLITE_FULL'
}

/** Runs `fn`, turning `SQLITE_FULL` into {@link DiskFullError}; other errors pass through unchanged. */
export function mapDiskFull<T>(operation: string, fn: () => T): T {
  try {
    return fn()
  } catch (err) {
    if (isSqliteFullError(err)) throw new DiskFullError(operation, { cause: err })
    throw err
  }
}

/** How {@link withDiskFullRecovery} makes room. */
export interface DiskFullRecoveryOptions {
  /** Sync sessions older than this many days are pruned when the disk is full. */
  keepDays: number
  logger?: Logger
}

/**
 * Runs `fn`; if it fails with `SQLITE_FULL`, prunes old sync logs and, if that freed any rows,
 * retries `fn` once. Throws {@link DiskFullError} if there is still no room.
 *
 * `fn` must be safe to retry, which a single statement or a `db.transaction` is: SQLite undid it.
 * Pages freed by the DELETE go to the free list and are reused without growing the file.
 */
export function withDiskFullRecovery<T>(
  db: SqlDatabase,
  operation: string,
  fn: () => T,
  options: DiskFullRecoveryOptions,
): T {
  try {
    return fn()
  } catch (err) {
    if (!isSqliteFullError(err)) throw err
    let pruned: number
    try {
      pruned = pruneSyncLogs(db, options.keepDays)
    } catch (pruneErr) {
      // Deleting needs a little room too (journal pages); if even that fails, report the original.
      options.logger?.error({ err: pruneErr }, 'disk full: pruning sync logs failed')
      throw new DiskFullError(operation, { cause: err })
    }
    options.logger?.warn({ pruned, operation, keepDays: options.keepDays }, 'disk full: pruned old sync logs')
    if (pruned === 0) throw new DiskFullError(operation, { cause: err })
    try {
      return fn()
    } catch (retryErr) {
      if (isSqliteFullError(retryErr)) {
        throw new DiskFullError(operation, { cause: retryErr, prunedSyncSessions: pruned })
      }
      throw retryErr
    }
  }
}
