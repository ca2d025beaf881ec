/**
 * The relay's vessel register: which vessels exist (by IMO, with a display name) and what the link
 * last learned about each (how many changes the vessel said it had waiting), in tables `vessels`
 * and `vessel_link_status`.
 */
import type { SqlDatabase } from './sql-database.ts'

/** A registered vessel. */
export interface VesselRecord {
  imo: string
  name: string
  createdAt: string
}

/** What the last link session told us about a vessel's backlog. */
export interface VesselLinkStatus {
  imo: string
  /** Changes the vessel reported waiting in its last hello (0 after a completed session). */
  vesselPending: number
  updatedAt: string
}

/** Vessel registration and link status, in tables `vessels` and `vessel_link_status`. */
export class VesselRegistry {
  private readonly stmts: ReturnType<typeof prepare>

  constructor(db: SqlDatabase) {
    this.stmts = prepare(db)
  }

  /** Registers a vessel, or renames it if it exists. Returns true when it was new. */
  add(imo: string, name: string, now = new Date().toISOString()): boolean {
    const existed = this.stmts.get.get(imo) !== undefined
    this.stmts.upsert.run(imo, name, now)
    return !existed
  }

  get(imo: string): VesselRecord | undefined {
    const row = this.stmts.get.get(imo)
    return row ? { imo: row.imo, name: row.name, createdAt: row.created_at } : undefined
  }

  /** Every registered vessel, by IMO. */
  list(): VesselRecord[] {
    return this.stmts.list.all().map((row) => ({ imo: row.imo, name: row.name, createdAt: row.created_at }))
  }

  /** Records the vessel's reported backlog. */
  setVesselPending(imo: string, pending: number, now = new Date().toISOString()): void {
    this.stmts.setPending.run(imo, pending, now)
  }

  linkStatus(imo: string): VesselLinkStatus | undefined {
    const row = this.stmts.status.get(imo)
    return row ? { imo: row.imo, vesselPending: row.vessel_pending, updatedAt: row.updated_at } : undefined
  }
}

function prepare(db: SqlDatabase) {
  type Row = { imo: string; name: string; created_at: string }
  type StatusRow = { imo: string; vessel_pending: number; updated_at: string }
  return {
    get: db.prepare<[string], Row>('SELECT * FROM vessels WHERE imo = ?'),
    list: db.prepare<[], Row>('SELECT * FROM vessels ORDER BY imo'),
    upsert: db.prepare<[string, string, string]>(
      `INSERT INTO vessels (imo, name, created_at) VALUES (?, ?, ?)
       ON CONFLICT(imo) DO UPDATE SET name = excluded.name`,
    ),
    setPending: db.prepare<[string, number, string]>(
      `INSERT INTO vessel_link_status (imo, vessel_pending, updated_at) VALUES (?, ?, ?)
       ON CONFLICT(imo) DO UPDATE SET vessel_pending = excluded.vessel_pending, updated_at = excluded.updated_at`,
    ),
    status: db.prepare<[string], StatusRow>('SELECT * FROM vessel_link_status WHERE imo = ?'),
  }
}
