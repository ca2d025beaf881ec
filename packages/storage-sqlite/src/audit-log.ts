import type { SqlDatabase } from './sql-database.ts'
import { isoNow, systemClock, type Clock } from './clock.ts'
import type { StoreOptions } from './store-options.ts'

/** One field change to record. `from`/`to` are any JSON-serialisable values. */
export interface NewAuditEntry {
  /** When the change was made (its Automerge time, or now). Default: now. */
  at?: string
  /** The principal (vessel or user), never the actor ID (docs/architecture.md). */
  principal: string
  role?: string | null
  docId: string
  /** Dotted path such as `physical.condition`. */
  field?: string | null
  from?: unknown
  to?: unknown
  changeHash?: string | null
}

/** One row of `audit`, with `from`/`to` parsed back from JSON (undefined when not recorded). */
export interface AuditRecord {
  id: number
  at: string
  principal: string
  role: string | null
  docId: string
  field: string | null
  from: unknown
  to: unknown
  changeHash: string | null
}

interface AuditRow {
  id: number
  at: string
  principal: string
  role: string | null
  doc_id: string
  field: string | null
  from_value: string | null
  to_value: string | null
  change_hash: string | null
}

/** Who changed which field of which document, from what to what. Append-only. */
export class AuditLog {
  private readonly clock: Clock
  private readonly stmts: ReturnType<typeof prepareStatements>

  constructor(
    private readonly db: SqlDatabase,
    options: StoreOptions = {},
  ) {
    this.clock = options.clock ?? systemClock
    this.stmts = prepareStatements(db)
  }

  /** Appends one entry and returns its ID. */
  append(entry: NewAuditEntry): number {
    return Number(this.stmts.insert.get(this.toParams(entry))!.id)
  }

  /** Appends entries in one transaction. */
  appendMany(entries: Iterable<NewAuditEntry>): void {
    this.db.transaction(() => {
      for (const entry of entries) this.stmts.insert.run(this.toParams(entry))
    })()
  }

  /**
   * Appends the entries of one change unless that change is already audited, and says whether it
   * did. Makes auditing idempotent when a change arrives twice (replays, reconnects).
   */
  appendForChange(changeHash: string, entries: Iterable<Omit<NewAuditEntry, 'changeHash'>>): boolean {
    return this.db.transaction(() => {
      if (this.stmts.hasChange.get(changeHash)) return false
      for (const entry of entries) this.stmts.insert.run(this.toParams({ ...entry, changeHash }))
      return true
    })()
  }

  /** Whether any entry names `changeHash`. */
  hasChange(changeHash: string): boolean {
    return this.stmts.hasChange.get(changeHash) !== undefined
  }

  /** History of one document, oldest first (default limit 1000). */
  forDoc(docId: string, options: { limit?: number; offset?: number } = {}): AuditRecord[] {
    return this.stmts.forDoc
      .all({ doc_id: docId, limit: options.limit ?? 1000, offset: options.offset ?? 0 })
      .map(toRecord)
  }

  /** Entries by one principal, newest first (default limit 100). */
  byPrincipal(principal: string, options: { limit?: number } = {}): AuditRecord[] {
    return this.stmts.byPrincipal.all(principal, options.limit ?? 100).map(toRecord)
  }

  /**
   * The newest entries whose document ID starts with `prefix` (letters, digits and `:` only, such as
   * `ops:` for operator actions), newest first.
   */
  newestUnder(prefix: string, limit: number): AuditRecord[] {
    if (!/^[A-Za-z0-9:]+$/.test(prefix))
      throw new Error(`audit prefix ${prefix}: letters, digits and ':' only`)
    return this.stmts.newestUnder.all(`${prefix}%`, limit).map(toRecord)
  }

  private toParams(entry: NewAuditEntry): Record<string, string | null> {
    return {
      at: entry.at ?? isoNow(this.clock),
      principal: entry.principal,
      role: entry.role ?? null,
      doc_id: entry.docId,
      field: entry.field ?? null,
      from_value: toJson(entry.from),
      to_value: toJson(entry.to),
      change_hash: entry.changeHash ?? null,
    }
  }
}

function prepareStatements(db: SqlDatabase) {
  return {
    insert: db.prepare<[Record<string, string | null>], { id: number }>(
      `INSERT INTO audit (at, principal, role, doc_id, field, from_value, to_value, change_hash)
       VALUES (@at, @principal, @role, @doc_id, @field, @from_value, @to_value, @change_hash) RETURNING id`,
    ),
    hasChange: db.prepare<[string], { one: number }>(
      'SELECT 1 AS one FROM audit WHERE change_hash = ? LIMIT 1',
    ),
    forDoc: db.prepare<[{ doc_id: string; limit: number; offset: number }], AuditRow>(
      'SELECT * FROM audit WHERE doc_id = @doc_id ORDER BY at, id LIMIT @limit OFFSET @offset',
    ),
    newestUnder: db.prepare<[string, number], AuditRow>(
      'SELECT * FROM audit WHERE doc_id LIKE ? ORDER BY at DESC, id DESC LIMIT ?',
    ),
    byPrincipal: db.prepare<[string, number], AuditRow>(
      'SELECT * FROM audit WHERE principal = ? ORDER BY at DESC, id DESC LIMIT ?',
    ),
  }
}

// undefined (not recorded) is stored as NULL; JSON null is stored as the text 'null'.
function toJson(value: unknown): string | null {
  return value === undefined ? null : JSON.stringify(value)
}

function fromJson(text: string | null): unknown {
  return text === null ? undefined : JSON.parse(text)
}

function toRecord(row: AuditRow): AuditRecord {
  return {
    id: row.id,
    at: row.at,
    principal: row.principal,
    role: row.role,
    docId: row.doc_id,
    field: row.field,
    from: fromJson(row.from_value),
    to: fromJson(row.to_value),
    changeHash: row.change_hash,
  }
}
