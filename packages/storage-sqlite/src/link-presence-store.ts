/**
 * Which relay each vessel's link is open at (table `link_presence`). Relays sharing one database
 * (docs/operations.md, "Several relays on PostgreSQL") each record the vessels connected to them,
 * so every relay's fleet view can say where a vessel is. A relay refreshes its rows while it runs;
 * rows a relay stopped refreshing (it was killed) are left out of {@link LinkPresenceStore.current}.
 */
import type { SqlDatabase } from './sql-database.ts'

export interface LinkPresence {
  vessel: string
  /** The relay's name (host and port). */
  relay: string
  connectedAt: string
  seenAt: string
}

interface Row {
  vessel: string
  relay: string
  connected_at: string
  seen_at: string
}

export class LinkPresenceStore {
  private readonly stmts: ReturnType<typeof prepare>

  constructor(db: SqlDatabase) {
    this.stmts = prepare(db)
  }

  /** `vessel` is connected to `relay` from `at` (a newer connection elsewhere replaces the row). */
  connected(vessel: string, relay: string, at: string): void {
    this.stmts.upsert.run(vessel, relay, at, at)
  }

  /** The vessel left `relay`; a row another relay has written since stays. */
  disconnected(vessel: string, relay: string): void {
    this.stmts.remove.run(vessel, relay)
  }

  /** `relay` still holds these vessels' links at `at`. */
  seen(relay: string, vessels: readonly string[], at: string): void {
    for (const vessel of vessels) this.stmts.touch.run(at, vessel, relay)
  }

  /** Rows refreshed at or after `freshSince`, by vessel. */
  current(freshSince: string): Map<string, LinkPresence> {
    return new Map(
      this.stmts.fresh
        .all(freshSince)
        .map((r) => [
          r.vessel,
          { vessel: r.vessel, relay: r.relay, connectedAt: r.connected_at, seenAt: r.seen_at },
        ]),
    )
  }
}

function prepare(db: SqlDatabase) {
  return {
    upsert: db.prepare<[string, string, string, string]>(
      `INSERT INTO link_presence (vessel, relay, connected_at, seen_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (vessel) DO UPDATE SET relay = excluded.relay, connected_at = excluded.connected_at,
         seen_at = excluded.seen_at`,
    ),
    remove: db.prepare<[string, string]>('DELETE FROM link_presence WHERE vessel = ? AND relay = ?'),
    touch: db.prepare<[string, string, string]>(
      'UPDATE link_presence SET seen_at = ? WHERE vessel = ? AND relay = ?',
    ),
    fresh: db.prepare<[string], Row>('SELECT * FROM link_presence WHERE seen_at >= ? ORDER BY vessel'),
  }
}
