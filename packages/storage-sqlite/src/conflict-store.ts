/**
 * Conflict events (tables `ops_conflicts` and `ops_conflict_state`): each field of a container that
 * started holding two concurrent values, stamped with the vessel, and the conflicted fields of each
 * document as last seen. The relay's conflict tracker writes them; the conflict-rate metric and the
 * `conflicts` alert read them (docs/operations.md).
 */
import type { SqlDatabase } from './sql-database.ts'

/** One field that became conflicted. */
export interface ConflictEvent {
  at: string
  vessel: string
  containerId: string
  field: string
}

export class ConflictStore {
  private readonly stmts: ReturnType<typeof prepare>

  constructor(db: SqlDatabase) {
    this.stmts = prepare(db)
  }

  /** The conflicted fields of every document that has any, as last recorded. */
  conflictedFields(): Map<string, Set<string>> {
    return new Map(this.stmts.state.all().map((r) => [r.doc_id, new Set(JSON.parse(r.fields) as string[])]))
  }

  /** A field of `docId` became conflicted at `at`. */
  add(at: string, vessel: string, docId: string, containerId: string, field: string): void {
    this.stmts.insert.run(at, vessel, docId, containerId, field)
  }

  /** Records the document's conflicted fields now (none: forgets the document). */
  setConflictedFields(docId: string, fields: ReadonlySet<string>): void {
    if (fields.size === 0) this.stmts.clear.run(docId)
    else this.stmts.save.run(docId, JSON.stringify([...fields]))
  }

  /** New conflicts per vessel since `since` (ISO time). */
  countsSince(since: string): Map<string, number> {
    return new Map(this.stmts.counts.all(since).map((r) => [r.vessel, Number(r.n)]))
  }

  /** The newest conflict events of a vessel. */
  recent(vessel: string, limit = 50): ConflictEvent[] {
    return this.stmts.recent.all(vessel, limit).map((r) => ({
      at: r.at,
      vessel: r.vessel,
      containerId: r.container_id,
      field: r.field,
    }))
  }
}

function prepare(db: SqlDatabase) {
  return {
    state: db.prepare<[], { doc_id: string; fields: string }>('SELECT * FROM ops_conflict_state'),
    insert: db.prepare<[string, string, string, string, string]>(
      'INSERT INTO ops_conflicts (at, vessel, doc_id, container_id, field) VALUES (?, ?, ?, ?, ?)',
    ),
    save: db.prepare<[string, string]>(
      `INSERT INTO ops_conflict_state (doc_id, fields) VALUES (?, ?)
       ON CONFLICT(doc_id) DO UPDATE SET fields = excluded.fields`,
    ),
    clear: db.prepare<[string]>('DELETE FROM ops_conflict_state WHERE doc_id = ?'),
    counts: db.prepare<[string], { vessel: string; n: number }>(
      'SELECT vessel, COUNT(*) AS n FROM ops_conflicts WHERE at >= ? GROUP BY vessel',
    ),
    recent: db.prepare<[string, number], { at: string; vessel: string; container_id: string; field: string }>(
      'SELECT * FROM ops_conflicts WHERE vessel = ? ORDER BY at DESC, id DESC LIMIT ?',
    ),
  }
}
