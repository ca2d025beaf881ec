/**
 * Which relay each vessel's link is open at (table `link_presence`), and whether a session runs on
 * it now. Relays sharing one database (docs/operations.md, "Several relays on PostgreSQL") each
 * record the vessels connected to them, so every relay's fleet view can say where a vessel is and
 * in which link state. A relay refreshes its rows while it runs, and each write says until when the
 * row holds without another (`fresh_until`); rows a relay stopped refreshing (it was killed) are
 * left out of {@link LinkPresenceStore.current} once that time has passed.
 */
import type { SqlDatabase } from './sql-database.ts'

export interface LinkPresence {
  vessel: string
  /** The relay's name (host and port). */
  relay: string
  connectedAt: string
  /** The last time that relay confirmed the link open (its heartbeat, or a session starting or ending). */
  seenAt: string
  /** Until when the row holds without another refresh. */
  freshUntil: string
  /** A session (a round, on a long-lived connection) runs on the link now. */
  inSession: boolean
  /** The link is a long-lived (protocol version 3) connection. */
  persistent: boolean
}

interface Row {
  vessel: string
  relay: string
  connected_at: string
  seen_at: string
  in_session: number
  persistent: number
  fresh_until: string
}

export class LinkPresenceStore {
  private readonly stmts: ReturnType<typeof prepare>

  constructor(db: SqlDatabase) {
    this.stmts = prepare(db)
  }

  /**
   * `vessel` is connected to `relay` from `at` (a newer connection elsewhere replaces the row); the
   * row holds until `freshUntil` unless refreshed.
   */
  connected(vessel: string, relay: string, at: string, freshUntil: string, persistent = false): void {
    this.stmts.upsert.run(vessel, relay, at, at, freshUntil, persistent ? 1 : 0)
  }

  /** A session started (`inSession`) or ended on the vessel's link at `relay`, at `at`. */
  session(vessel: string, relay: string, inSession: boolean, at: string, freshUntil: string): void {
    this.stmts.session.run(inSession ? 1 : 0, at, freshUntil, vessel, relay)
  }

  /** The vessel left `relay`; a row another relay has written since stays. */
  disconnected(vessel: string, relay: string): void {
    this.stmts.remove.run(vessel, relay)
  }

  /** `relay` still holds these vessels' links at `at`. */
  seen(relay: string, vessels: readonly string[], at: string, freshUntil: string): void {
    for (const vessel of vessels) this.stmts.touch.run(at, freshUntil, vessel, relay)
  }

  /** Rows still fresh at `now`, by vessel. */
  current(now: string): Map<string, LinkPresence> {
    return new Map(
      this.stmts.fresh.all(now).map((r) => [
        r.vessel,
        {
          vessel: r.vessel,
          relay: r.relay,
          connectedAt: r.connected_at,
          seenAt: r.seen_at,
          freshUntil: r.fresh_until,
          inSession: Number(r.in_session) === 1,
          persistent: Number(r.persistent) === 1,
        },
      ]),
    )
  }
}

function prepare(db: SqlDatabase) {
  return {
    upsert: db.prepare<[string, string, string, string, string, number]>(
      `INSERT INTO link_presence (vessel, relay, connected_at, seen_at, fresh_until, in_session, persistent)
       VALUES (?, ?, ?, ?, ?, 0, ?)
       ON CONFLICT (vessel) DO UPDATE SET relay = excluded.relay, connected_at = excluded.connected_at,
         seen_at = excluded.seen_at, fresh_until = excluded.fresh_until, in_session = 0,
         persistent = excluded.persistent`,
    ),
    session: db.prepare<[number, string, string, string, string]>(
      'UPDATE link_presence SET in_session = ?, seen_at = ?, fresh_until = ? WHERE vessel = ? AND relay = ?',
    ),
    remove: db.prepare<[string, string]>('DELETE FROM link_presence WHERE vessel = ? AND relay = ?'),
    touch: db.prepare<[string, string, string, string]>(
      'UPDATE link_presence SET seen_at = ?, fresh_until = ? WHERE vessel = ? AND relay = ?',
    ),
    fresh: db.prepare<[string], Row>('SELECT * FROM link_presence WHERE fresh_until >= ? ORDER BY vessel'),
  }
}
