/**
 * A full disk at the relay (docs/operations.md, "Runbooks"): like the vessel node, the relay first
 * makes room by pruning old link session logs and tries the write once more; if there is still no
 * room, REST answers 507 DISK_FULL and `/link` closes the session with 4507 (DiskFull). SQLite rolls
 * the failed write back, so nothing half-written remains and the sender simply sends it again later.
 */
import type Database from 'better-sqlite3'
import type { Logger } from 'pino'
import { CloseCode, SessionError } from '@tally/link'
import type { ChunkPayload, IngestResult, PlannedEntry } from '@tally/link'
import { SqliteLinkReplica } from '@tally/replica'
import { DiskFullError, isSqliteFullError, pruneSyncLogs, withDiskFullRecovery } from '@tally/storage-sqlite'

/**
 * Session logs older than this are pruned when the disk is full. The dashboard charts 30 days, the
 * budget counts today and the failure rate 24 h, so older rows only feed history nobody is shown.
 */
export const RELAY_PRUNE_SYNC_LOGS_OLDER_THAN_DAYS = 30

/** Runs a write; on a full disk prunes old session logs and retries once; else throws DiskFullError. */
export type DiskGuard = <T>(operation: string, fn: () => T) => T

export function relayDiskGuard(db: Database.Database, logger: Logger): DiskGuard {
  return (operation, fn) =>
    withDiskFullRecovery(db, operation, fn, { keepDays: RELAY_PRUNE_SYNC_LOGS_OLDER_THAN_DAYS, logger })
}

/**
 * Makes room after a write failed with a full disk somewhere the guard did not wrap (an operator
 * action, a session log row), so the sender's retry can succeed. Returns the rows pruned.
 */
export function pruneAfterDiskFull(db: Database.Database, logger: Logger): number {
  try {
    const pruned = pruneSyncLogs(db, RELAY_PRUNE_SYNC_LOGS_OLDER_THAN_DAYS)
    logger.warn({ pruned }, 'disk full: pruned old link session logs')
    return pruned
  } catch (err) {
    logger.error({ err }, 'disk full: pruning link session logs failed')
    return 0
  }
}

/** The vessel's link replica at the relay, whose writes go through the disk guard and end in 4507. */
export class GuardedLinkReplica extends SqliteLinkReplica {
  private guard: DiskGuard | undefined

  /** Sets the guard (after construction, since the parent's constructor takes its own options). */
  withGuard(guard: DiskGuard): this {
    this.guard = guard
    return this
  }

  override ingest(payload: ChunkPayload): IngestResult {
    return this.guarded('store a chunk from the vessel', () => super.ingest(payload))
  }

  override acknowledged(entries: PlannedEntry[], missing: string[]): void {
    this.guarded('record what the vessel acknowledged', () => super.acknowledged(entries, missing))
  }

  private guarded<T>(operation: string, fn: () => T): T {
    try {
      return this.guard ? this.guard(operation, fn) : fn()
    } catch (err) {
      if (err instanceof DiskFullError || isSqliteFullError(err))
        throw new SessionError(CloseCode.DiskFull, `the relay’s disk is full (${(err as Error).message})`)
      throw err
    }
  }
}
