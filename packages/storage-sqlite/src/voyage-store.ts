/**
 * The `voyages` table: each voyage's port calls and status, on the relay (where the shore edits them)
 * and on a vessel (the copy received over the link, plus where its archive went). Every write takes
 * the next version number of its vessel, so a vessel asks the relay only for what changed since the
 * version it holds.
 */
import { EventEmitter } from 'node:events'
import { isSharedDatabase, type SqlDatabase } from './sql-database.ts'
import { isoNow, systemClock, type Clock } from './clock.ts'
import type { StoreOptions } from './store-options.ts'

export interface PortCallRow {
  locode: string
  eta: string | null
  ata: string | null
  atd: string | null
}

export interface StoredVoyage {
  vessel: string
  voyage: string
  status: 'OPEN' | 'CLOSED'
  portCalls: PortCallRow[]
  createdAt: string
  closedAt: string | null
  version: number
  /** Vessel only: when its documents went to the archive file, and the file's name. */
  archivedAt: string | null
  archiveFile: string | null
}

interface Row {
  vessel: string
  voyage: string
  status: 'OPEN' | 'CLOSED'
  port_calls: string
  created_at: string
  closed_at: string | null
  version: number
  archived_at: string | null
  archive_file: string | null
}

const fromRow = (r: Row): StoredVoyage => ({
  vessel: r.vessel,
  voyage: r.voyage,
  status: r.status,
  portCalls: JSON.parse(r.port_calls) as PortCallRow[],
  createdAt: r.created_at,
  closedAt: r.closed_at,
  version: r.version,
  archivedAt: r.archived_at,
  archiveFile: r.archive_file,
})

export interface VoyageStoreEvents {
  /** A voyage's port calls or status were written (the DCSA feed derives transport events from them). */
  changed: [{ vessel: string; voyage: string }]
}

/** What a change notice names for a voyage (document IDs never contain a colon). */
export const voyageNoticeKey = (vessel: string, voyage: string): string => `voyage:${vessel}/${voyage}`
const VOYAGE_NOTICE = /^voyage:([^/]+)\/(.+)$/

export class VoyageStore extends EventEmitter<VoyageStoreEvents> {
  private readonly clock: Clock
  private readonly stmts: ReturnType<typeof prepare>

  constructor(
    private readonly db: SqlDatabase,
    options: StoreOptions = {},
  ) {
    super()
    this.clock = options.clock ?? systemClock
    this.stmts = prepare(db)
  }

  /**
   * Raises `changed` for the port calls another process on a shared database wrote, once it
   * committed, as for this process's own writes; the notice travels with the documents' change
   * notices. Returns an unsubscribe. Nothing to follow on SQLite, where this process is the only writer.
   */
  followOtherProcesses(): () => void {
    if (!isSharedDatabase(this.db)) return () => undefined
    return this.db.onRemoteDocumentChanged((key) => {
      const voyage = VOYAGE_NOTICE.exec(key)
      if (!voyage) return
      try {
        this.emit('changed', { vessel: voyage[1]!, voyage: voyage[2]! })
      } catch {
        // A listener failing on a notice must not end the process; the next start catches up.
      }
    })
  }

  /** Every voyage of every vessel. */
  all(): StoredVoyage[] {
    return this.stmts.all.all().map(fromRow)
  }

  get(vessel: string, voyage: string): StoredVoyage | undefined {
    const row = this.stmts.get.get(vessel, voyage)
    return row ? fromRow(row) : undefined
  }

  /** A vessel's voyages, oldest first. */
  list(vessel: string): StoredVoyage[] {
    return this.stmts.list.all(vessel).map(fromRow)
  }

  /** Voyages written after `version` (what a vessel holding `version` lacks). */
  since(vessel: string, version: number): StoredVoyage[] {
    return this.stmts.since.all(vessel, version).map(fromRow)
  }

  /** The highest version held for a vessel; 0 when none. */
  version(vessel: string): number {
    return this.stmts.maxVersion.get(vessel)?.v ?? 0
  }

  /** When the voyage was closed, or undefined while it is open (or unknown). */
  closedAt(vessel: string, voyage: string): string | undefined {
    return this.stmts.closedAt.get(vessel, voyage)?.closed_at ?? undefined
  }

  /** Creates an open voyage if it is not known yet; returns true when it was new. */
  ensure(vessel: string, voyage: string): boolean {
    return this.db.transaction(() => {
      if (this.stmts.get.get(vessel, voyage)) return false
      this.stmts.insert.run({
        vessel,
        voyage,
        port_calls: '[]',
        created_at: isoNow(this.clock),
        version: this.nextVersion(vessel),
      })
      return true
    })()
  }

  /** Replaces the port calls of an open voyage (creating it), under a new version. */
  setPortCalls(vessel: string, voyage: string, portCalls: PortCallRow[]): StoredVoyage {
    const stored = this.db.transaction(() => {
      this.ensure(vessel, voyage)
      this.stmts.setPortCalls.run(JSON.stringify(portCalls), this.nextVersion(vessel), vessel, voyage)
      // Other relays on a shared database hear of it when this commits (followOtherProcesses).
      if (isSharedDatabase(this.db)) this.db.announceDocumentChanged(voyageNoticeKey(vessel, voyage))
      return this.get(vessel, voyage)!
    })()
    this.emit('changed', { vessel, voyage })
    return stored
  }

  /** Marks a voyage closed (creating the record if needed); closing twice keeps the first time. */
  close(vessel: string, voyage: string, at = isoNow(this.clock)): StoredVoyage {
    return this.db.transaction(() => {
      this.ensure(vessel, voyage)
      const current = this.get(vessel, voyage)!
      if (current.status === 'CLOSED') return current
      this.stmts.close.run(at, this.nextVersion(vessel), vessel, voyage)
      return this.get(vessel, voyage)!
    })()
  }

  /**
   * Stores a voyage as another replica sent it (a vessel receiving the relay's), keeping the
   * sender's version so the next request asks only for newer ones. Archive columns stay as they are.
   */
  put(v: Omit<StoredVoyage, 'archivedAt' | 'archiveFile'>): void {
    this.stmts.put.run({
      vessel: v.vessel,
      voyage: v.voyage,
      status: v.status,
      port_calls: JSON.stringify(v.portCalls),
      created_at: v.createdAt,
      closed_at: v.closedAt,
      version: v.version,
    })
  }

  /** Vessel: records that a closed voyage's documents now live in `file`. */
  markArchived(vessel: string, voyage: string, file: string, at = isoNow(this.clock)): void {
    this.stmts.archived.run(at, file, vessel, voyage)
  }

  private nextVersion(vessel: string): number {
    return this.version(vessel) + 1
  }
}

function prepare(db: SqlDatabase) {
  return {
    get: db.prepare<[string, string], Row>('SELECT * FROM voyages WHERE vessel = ? AND voyage = ?'),
    all: db.prepare<[], Row>('SELECT * FROM voyages ORDER BY vessel, created_at, voyage'),
    list: db.prepare<[string], Row>('SELECT * FROM voyages WHERE vessel = ? ORDER BY created_at, voyage'),
    since: db.prepare<[string, number], Row>(
      'SELECT * FROM voyages WHERE vessel = ? AND version > ? ORDER BY version',
    ),
    maxVersion: db.prepare<[string], { v: number | null }>(
      'SELECT MAX(version) AS v FROM voyages WHERE vessel = ?',
    ),
    closedAt: db.prepare<[string, string], { closed_at: string | null }>(
      `SELECT closed_at FROM voyages WHERE vessel = ? AND voyage = ? AND status = 'CLOSED'`,
    ),
    insert: db.prepare(
      `INSERT INTO voyages (vessel, voyage, port_calls, created_at, version)
       VALUES (@vessel, @voyage, @port_calls, @created_at, @version)`,
    ),
    setPortCalls: db.prepare<[string, number, string, string]>(
      'UPDATE voyages SET port_calls = ?, version = ? WHERE vessel = ? AND voyage = ?',
    ),
    close: db.prepare<[string, number, string, string]>(
      `UPDATE voyages SET status = 'CLOSED', closed_at = ?, version = ? WHERE vessel = ? AND voyage = ?`,
    ),
    put: db.prepare(
      `INSERT INTO voyages (vessel, voyage, status, port_calls, created_at, closed_at, version)
       VALUES (@vessel, @voyage, @status, @port_calls, @created_at, @closed_at, @version)
       ON CONFLICT(vessel, voyage) DO UPDATE SET status = excluded.status, port_calls = excluded.port_calls,
       created_at = excluded.created_at, closed_at = excluded.closed_at, version = excluded.version`,
    ),
    archived: db.prepare<[string, string, string, string]>(
      'UPDATE voyages SET archived_at = ?, archive_file = ? WHERE vessel = ? AND voyage = ?',
    ),
  }
}
