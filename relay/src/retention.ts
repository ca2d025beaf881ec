/**
 * The relay's retention schedule: history older than the operator's limit (`--retention-days`,
 * default 180) is pruned at start and then once a day (docs/operations.md, Retention).
 */
import type { SqlDatabase } from '@tally/storage-sqlite'
import type { Logger } from 'pino'
import { pruneRetention } from '@tally/storage-sqlite'

export const DEFAULT_RETENTION_DAYS = 180
/** How often the schedule runs. */
export const RETENTION_INTERVAL_MS = 24 * 3_600_000

/** Starts the schedule; returns a function that stops it. */
export function scheduleRetention(db: SqlDatabase, keepDays: number, logger: Logger): () => void {
  const run = () => {
    if (!db.open) return
    try {
      const result = pruneRetention(db, keepDays)
      if (result.sessions + result.alerts + result.audit > 0)
        logger.info({ ...result, keepDays }, 'retention: old history pruned')
    } catch (err) {
      logger.warn({ err }, 'retention pass failed; it runs again tomorrow')
    }
  }
  const first = setTimeout(run, 5_000)
  const daily = setInterval(run, RETENTION_INTERVAL_MS)
  first.unref()
  daily.unref()
  return () => {
    clearTimeout(first)
    clearInterval(daily)
  }
}
