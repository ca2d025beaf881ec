import type { SqlDatabase } from './sql-database.ts'
import { isoNow, systemClock, type Clock } from './clock.ts'
import type { StoreOptions } from './store-options.ts'

/** Life cycle of a dead letter: operators retry or discard an open one. */
export type DeadLetterStatus = 'open' | 'retried' | 'discarded'

/** A refused change, as handed to {@link DeadLetterStore.add}. */
export interface NewDeadLetter {
  /** When it was refused. Default: now. */
  at?: string
  /** Who sent it (a vessel or user principal). */
  principal: string
  docId?: string | null
  changeHash?: string | null
  /** Why it was refused, for the sender and the operator. */
  reason: string
  /** The field it tried to write, when one field is to blame. */
  field?: string | null
  /** The refused change itself, so an operator can inspect or retry it. */
  bytes?: Uint8Array | null
}

/** One row of `dead_letters`. */
export interface DeadLetterRecord {
  id: number
  at: string
  principal: string
  docId: string | null
  changeHash: string | null
  reason: string
  field: string | null
  bytes: Uint8Array | null
  status: DeadLetterStatus
  resolvedAt: string | null
  resolvedBy: string | null
  resolutionNote: string | null
}

/** Filter for {@link DeadLetterStore.list}. */
export interface DeadLetterFilter {
  status?: DeadLetterStatus
  principal?: string
  docId?: string
  limit?: number
  offset?: number
}

interface DeadLetterRow {
  id: number
  at: string
  principal: string
  doc_id: string | null
  change_hash: string | null
  reason: string
  field: string | null
  bytes: Buffer | null
  status: DeadLetterStatus
  resolved_at: string | null
  resolved_by: string | null
  resolution_note: string | null
}

/**
 * Changes that policy refused (docs/architecture.md): kept with principal, reason and bytes, never applied.
 * Operators list, inspect, retry or discard them.
 */
export class DeadLetterStore {
  private readonly clock: Clock
  private readonly stmts: ReturnType<typeof prepareStatements>

  constructor(
    private readonly db: SqlDatabase,
    options: StoreOptions = {},
  ) {
    this.clock = options.clock ?? systemClock
    this.stmts = prepareStatements(db)
  }

  /**
   * Records a refused change and returns its ID. A replay of a change that already has an open dead
   * letter from the same principal returns the existing ID instead of queueing it twice (docs/protocol.md:
   * replays are harmless).
   */
  add(letter: NewDeadLetter): number {
    return this.db.transaction(() => {
      if (letter.changeHash) {
        const existing = this.stmts.findOpen.get(letter.changeHash, letter.principal)
        if (existing) return existing.id
      }
      const result = this.stmts.insert.get({
        at: letter.at ?? isoNow(this.clock),
        principal: letter.principal,
        doc_id: letter.docId ?? null,
        change_hash: letter.changeHash ?? null,
        reason: letter.reason,
        field: letter.field ?? null,
        bytes: letter.bytes ?? null,
      })
      return Number(result!.id)
    })()
  }

  /** One dead letter, or undefined. */
  get(id: number): DeadLetterRecord | undefined {
    const row = this.stmts.get.get(id)
    return row ? toRecord(row) : undefined
  }

  /** Dead letters matching `filter`, newest first (default limit 100). */
  list(filter: DeadLetterFilter = {}): DeadLetterRecord[] {
    return this.stmts.list
      .all({
        status: filter.status ?? null,
        principal: filter.principal ?? null,
        doc_id: filter.docId ?? null,
        limit: filter.limit ?? 100,
        offset: filter.offset ?? 0,
      })
      .map(toRecord)
  }

  /** Number of dead letters per status. */
  counts(): Record<DeadLetterStatus, number> {
    const out: Record<DeadLetterStatus, number> = { open: 0, retried: 0, discarded: 0 }
    for (const row of this.stmts.counts.all()) out[row.status] = row.n
    return out
  }

  /**
   * Dead letters by the vessel whose container they concern (else the principal that sent them),
   * by status, with the oldest open one's time.
   */
  countsByVessel(): Map<string, Record<DeadLetterStatus, number> & { oldestOpenAt: string | null }> {
    const out = new Map<string, Record<DeadLetterStatus, number> & { oldestOpenAt: string | null }>()
    for (const r of this.stmts.countsByVessel.all()) {
      const entry = out.get(r.vessel) ?? { open: 0, retried: 0, discarded: 0, oldestOpenAt: null }
      entry[r.status] += Number(r.n)
      if (r.status === 'open') entry.oldestOpenAt = r.oldest
      out.set(r.vessel, entry)
    }
    return out
  }

  /**
   * Marks an open dead letter as retried (the caller re-submitted its bytes). Returns false if it is
   * unknown or no longer open, so two operators cannot both resolve it.
   */
  markRetried(id: number, by: string, note?: string): boolean {
    return this.resolve(id, 'retried', by, note)
  }

  /** Marks an open dead letter as discarded. Returns false if it is unknown or no longer open. */
  discard(id: number, by: string, note?: string): boolean {
    return this.resolve(id, 'discarded', by, note)
  }

  private resolve(id: number, status: Exclude<DeadLetterStatus, 'open'>, by: string, note?: string): boolean {
    return this.stmts.resolve.run(status, isoNow(this.clock), by, note ?? null, id).changes === 1
  }
}

function prepareStatements(db: SqlDatabase) {
  return {
    countsByVessel: db.prepare<[], { vessel: string; status: DeadLetterStatus; n: number; oldest: string }>(
      `SELECT COALESCE(c.vessel, d.principal) AS vessel, d.status AS status, COUNT(*) AS n,
         MIN(d.at) AS oldest
       FROM dead_letters d LEFT JOIN containers c ON c.doc_id = d.doc_id GROUP BY 1, 2`,
    ),
    findOpen: db.prepare<[string, string], { id: number }>(
      `SELECT id FROM dead_letters WHERE change_hash = ? AND principal = ? AND status = 'open' LIMIT 1`,
    ),
    insert: db.prepare<[Record<string, string | Uint8Array | null>], { id: number }>(
      `INSERT INTO dead_letters (at, principal, doc_id, change_hash, reason, field, bytes)
       VALUES (@at, @principal, @doc_id, @change_hash, @reason, @field, @bytes) RETURNING id`,
    ),
    get: db.prepare<[number], DeadLetterRow>('SELECT * FROM dead_letters WHERE id = ?'),
    list: db.prepare<[Record<string, string | number | null>], DeadLetterRow>(
      `SELECT * FROM dead_letters
       WHERE (CAST(@status AS TEXT) IS NULL OR status = @status) AND (CAST(@principal AS TEXT) IS NULL OR principal = @principal)
         AND (CAST(@doc_id AS TEXT) IS NULL OR doc_id = @doc_id)
       ORDER BY at DESC, id DESC LIMIT @limit OFFSET @offset`,
    ),
    counts: db.prepare<[], { status: DeadLetterStatus; n: number }>(
      'SELECT status, COUNT(*) AS n FROM dead_letters GROUP BY status',
    ),
    resolve: db.prepare<[string, string, string, string | null, number]>(
      `UPDATE dead_letters SET status = ?, resolved_at = ?, resolved_by = ?, resolution_note = ?
       WHERE id = ? AND status = 'open'`,
    ),
  }
}

function toRecord(row: DeadLetterRow): DeadLetterRecord {
  return {
    id: row.id,
    at: row.at,
    principal: row.principal,
    docId: row.doc_id,
    changeHash: row.change_hash,
    reason: row.reason,
    field: row.field,
    bytes: row.bytes === null ? null : new Uint8Array(row.bytes),
    status: row.status,
    resolvedAt: row.resolved_at,
    resolvedBy: row.resolved_by,
    resolutionNote: row.resolution_note,
  }
}
