import type { SqlDatabase } from './sql-database.ts'
import { systemClock, type Clock } from './clock.ts'

const MS_PER_DAY = 86_400_000

/**
 * Deletes finished `sync_sessions` rows that started more than `keepDays` days ago and returns how
 * many were deleted. Sessions still marked `running` are kept whatever their age: a session row is
 * the only record that a link window is in progress.
 *
 * Sync logs are the one table Tally may shed under disk pressure: they are accounting, not data.
 */
export function pruneSyncLogs(db: SqlDatabase, keepDays: number, clock: Clock = systemClock): number {
  if (!Number.isFinite(keepDays) || keepDays < 0)
    throw new RangeError(`keepDays must be >= 0, got ${keepDays}`)
  const cutoff = new Date(clock().getTime() - keepDays * MS_PER_DAY).toISOString()
  const result = db
    .prepare(`DELETE FROM sync_sessions WHERE started_at < ? AND state <> 'running'`)
    .run(cutoff)
  return result.changes
}
