import type { SqlDatabase } from './sql-database.ts'
import { systemClock, type Clock } from './clock.ts'

const MS_PER_DAY = 86_400_000

/** Rows deleted by one {@link pruneRetention} pass, by table. */
export interface RetentionResult {
  cutoff: string
  sessions: number
  alerts: number
  audit: number
}

/**
 * Deletes the relay's history older than `keepDays` days: finished sync sessions, resolved alerts and
 * audit rows. Running sessions and firing alerts are kept whatever their age (they are the present,
 * not history). Container documents are never touched here: a closed voyage's documents are kept,
 * compacted, as evidence.
 */
export function pruneRetention(
  db: SqlDatabase,
  keepDays: number,
  clock: Clock = systemClock,
): RetentionResult {
  if (!Number.isFinite(keepDays) || keepDays < 1)
    throw new RangeError(`keepDays must be at least 1, got ${keepDays}`)
  const cutoff = new Date(clock().getTime() - keepDays * MS_PER_DAY).toISOString()
  return db.transaction(() => ({
    cutoff,
    sessions: db.prepare(`DELETE FROM sync_sessions WHERE started_at < ? AND state <> 'running'`).run(cutoff)
      .changes,
    alerts: db
      .prepare(`DELETE FROM ops_alerts WHERE state <> 'firing' AND COALESCE(resolved_at, started_at) < ?`)
      .run(cutoff).changes,
    audit: db.prepare(`DELETE FROM audit WHERE at < ?`).run(cutoff).changes,
  }))()
}
