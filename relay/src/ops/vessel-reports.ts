/**
 * What a vessel tells the relay about itself in its hello (docs/protocol.md, "Hello"): its sync
 * interval, from which its expected window derives, and how many attempts failed since its last
 * completed session. Attempts that never reached the relay (the satellite was down, the connection
 * was refused) leave no session row here; counting them is what lets the failure rate see an outage
 * the relay itself never saw.
 */
import { VesselReportStore, type SqlDatabase } from '@tally/storage-sqlite'

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
  private readonly store: VesselReportStore

  constructor(db: SqlDatabase) {
    this.store = new VesselReportStore(db)
  }

  /**
   * Records a hello's report. The vessel counts every failed attempt since its last success; those
   * that reached the relay are already failed sessions here, so only the rest is stored.
   */
  record(imo: string, report: HelloReport, now = new Date().toISOString()): { unreached: number } {
    if (report.syncIntervalS !== undefined) this.store.setSyncInterval(imo, report.syncIntervalS, now)
    const failed = report.failedAttempts ?? 0
    if (failed <= 0) return { unreached: 0 }
    const unreached = Math.max(0, failed - this.store.failedSinceComplete(imo))
    if (unreached > 0) this.store.addUnreached(imo, now, unreached)
    return { unreached }
  }

  /** The expected window derived from the vessel's reported interval, or null if it never said. */
  derivedWindowS(imo: string): number | null {
    const interval = this.store.syncInterval(imo)
    return interval ? Math.max(MIN_DERIVED_WINDOW_S, interval * WINDOW_INTERVALS) : null
  }

  /** Attempts that never reached the relay, reported since `since`, by vessel. */
  unreachedSince(since: string): Map<string, number> {
    return this.store.unreachedSince(since)
  }
}
