/**
 * Two small operator tables: the alert thresholds operators saved on the dashboard
 * (`ops_alert_thresholds`), and what vessels report about themselves in their hellos
 * (`ops_vessel_reports`, `ops_unreached_attempts`). The relay's ops modules give them meaning
 * (docs/operations.md, "Alerts"); these classes only keep them, on SQLite and PostgreSQL alike.
 */
import type { SqlDatabase } from './sql-database.ts'

/** Saved alert thresholds by name, in stored units (seconds, ratios, counts). */
export class AlertThresholdStore {
  private readonly stmts: ReturnType<typeof prepareThresholds>

  constructor(private readonly db: SqlDatabase) {
    this.stmts = prepareThresholds(db)
  }

  /** Every value ever saved, by name. */
  saved(): Record<string, number> {
    return Object.fromEntries(this.stmts.all.all().map((r) => [r.name, Number(r.value)]))
  }

  /** Saves the given values (others stay) in one transaction; `by` is who saved them. */
  save(
    values: Readonly<Record<string, number | undefined>>,
    by: string,
    now = new Date().toISOString(),
  ): void {
    this.db.transaction(() => {
      for (const [name, value] of Object.entries(values))
        if (value !== undefined) this.stmts.upsert.run(name, value, now, by)
    })()
  }
}

function prepareThresholds(db: SqlDatabase) {
  return {
    all: db.prepare<[], { name: string; value: number }>('SELECT name, value FROM ops_alert_thresholds'),
    upsert: db.prepare<[string, number, string, string]>(
      `INSERT INTO ops_alert_thresholds (name, value, updated_at, updated_by) VALUES (?, ?, ?, ?)
       ON CONFLICT(name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at,
         updated_by = excluded.updated_by`,
    ),
  }
}

/** Each vessel's reported sync interval, and the attempts it reported that never reached a relay. */
export class VesselReportStore {
  private readonly stmts: ReturnType<typeof prepareReports>

  constructor(db: SqlDatabase) {
    this.stmts = prepareReports(db)
  }

  setSyncInterval(imo: string, seconds: number, now: string): void {
    this.stmts.setInterval.run(imo, seconds, now)
  }

  /** The vessel's last reported sync interval in seconds, or null if it never said. */
  syncInterval(imo: string): number | null {
    const s = this.stmts.interval.get(imo)?.sync_interval_s
    return s === null || s === undefined ? null : Number(s)
  }

  /** Link sessions of the vessel that failed since its last completed one (from the session log). */
  failedSinceComplete(imo: string): number {
    return Number(this.stmts.failedSinceComplete.get(imo, imo)?.n ?? 0)
  }

  addUnreached(imo: string, reportedAt: string, attempts: number): void {
    this.stmts.unreached.run(imo, reportedAt, attempts)
  }

  /** Attempts that never reached a relay, reported since `since`, by vessel. */
  unreachedSince(since: string): Map<string, number> {
    return new Map(this.stmts.unreachedSince.all(since).map((r) => [r.imo, Number(r.n)]))
  }
}

function prepareReports(db: SqlDatabase) {
  return {
    interval: db.prepare<[string], { sync_interval_s: number | null }>(
      'SELECT sync_interval_s FROM ops_vessel_reports WHERE imo = ?',
    ),
    setInterval: db.prepare<[string, number, string]>(
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
