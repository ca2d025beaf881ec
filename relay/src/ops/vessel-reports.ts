/**
 * What a vessel tells the relay about itself in its hello (docs/protocol.md, "Hello"): its sync
 * interval, from which its expected window derives, and how many attempts failed since its last
 * completed session. Attempts that never reached the relay (the satellite was down, the connection
 * was refused) leave no session row here; counting them is what lets the failure rate see an outage
 * the relay itself never saw.
 */
import type { SqlDatabase } from '@tally/storage-sqlite'

/** The expected window is this many sync intervals: one missed attempt is normal, two are not. */
export const WINDOW_INTERVALS = 2
/** The shortest expected window derived from a vessel's interval. */
export const MIN_DERIVED_WINDOW_S = 60

export interface HelloReport {
  /** The vessel's automatic sync interval, seconds. */
  syncIntervalS?: number
  /** Attempts that failed since the vessel's last completed session. */
  failedAttempts?: number
}

export class VesselReports {
  private readonly stmts: ReturnType<typeof prepare>

  constructor(db: SqlDatabase) {
    this.stmts = prepare(db)
  }

  /**
   * Records a hello's report. The vessel counts every failed attempt since its last success; those
   * that reached the relay are already failed sessions here, so only the rest is stored.
   */
  record(imo: string, report: HelloReport, now = new Date().toISOString()): { unreached: number } {
    if (report.syncIntervalS !== undefined) this.stmts.interval.run(imo, report.syncIntervalS, now)
    const failed = report.failedAttempts ?? 0
    if (failed <= 0) return { unreached: 0 }
    const seen = this.stmts.failedSinceComplete.get(imo, imo)?.n ?? 0
    const unreached = Math.max(0, failed - seen)
    if (unreached > 0) this.stmts.unreached.run(imo, now, unreached)
    return { unreached }
  }

  /** The expected window derived from the vessel's reported interval, or null if it never said. */
  derivedWindowS(imo: string): number | null {
    const interval = this.stmts.get.get(imo)?.sync_interval_s
    return interval ? Math.max(MIN_DERIVED_WINDOW_S, interval * WINDOW_INTERVALS) : null
  }

  /** Attempts that never reached the relay, reported since `since`, by vessel. */
  unreachedSince(since: string): Map<string, number> {
    return new Map(this.stmts.unreachedSince.all(since).map((r) => [r.imo, r.n]))
  }
}

function prepare(db: SqlDatabase) {
  return {
    get: db.prepare<[string], { sync_interval_s: number | null }>(
      'SELECT sync_interval_s FROM ops_vessel_reports WHERE imo = ?',
    ),
    interval: db.prepare<[string, number, string]>(
      `INSERT INTO ops_vessel_reports (imo, sync_interval_s, updated_at) VALUES (?, ?, ?)
       ON CONFLICT(imo) DO UPDATE SET sync_interval_s = excluded.sync_interval_s, updated_at = excluded.updated_at`,
    ),
    failedSinceComplete: db.prepare<[string, string], { n: number }>(
      // Sessions only: a version 3 connection's own row is 'complete' when it closes, and it starts
      // before its first round, so counting it would hide that round's failure.
      `SELECT COUNT(*) AS n FROM sync_sessions
       WHERE peer = ? AND kind = 'session' AND state IN ('failed', 'aborted')
         AND started_at > COALESCE((SELECT MAX(started_at) FROM sync_sessions
           WHERE peer = ? AND kind = 'session' AND state = 'complete'), '')`,
    ),
    unreached: db.prepare<[string, string, number]>(
      'INSERT INTO ops_unreached_attempts (imo, reported_at, attempts) VALUES (?, ?, ?)',
    ),
    unreachedSince: db.prepare<[string], { imo: string; n: number }>(
      `SELECT imo, SUM(attempts) AS n FROM ops_unreached_attempts WHERE reported_at >= ? GROUP BY imo`,
    ),
  }
}
