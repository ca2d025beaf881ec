/**
 * The vessel node's cache of rendered container views (table `vessel_view_cache`): each view as
 * JSON with the document heads it was built at, so a restart serves the list without loading every
 * document. Only a cache: a row whose heads are not the document's is simply built again.
 */
import type { SqlDatabase } from './sql-database.ts'

export class ViewCacheStore {
  private readonly stmts: ReturnType<typeof prepare>

  constructor(private readonly db: SqlDatabase) {
    this.stmts = prepare(db)
  }

  /** The cached view of a document (JSON) and the heads it was built at. */
  get(docId: string): { heads: string; view: string } | undefined {
    return this.stmts.get.get(docId)
  }

  /** Stores views (JSON, with the heads they were built at) in one transaction. */
  putMany(views: Iterable<[docId: string, heads: string, view: string]>): void {
    this.db.transaction(() => {
      for (const [docId, heads, view] of views) this.stmts.put.run(docId, heads, view)
    })()
  }

  /** Up to `limit` documents of `vessel` with no cached view at their current heads. */
  stale(vessel: string, limit: number): string[] {
    return this.stmts.stale.all(vessel, limit).map((r) => r.doc_id)
  }

  remove(docId: string): void {
    this.stmts.remove.run(docId)
  }
}

function prepare(db: SqlDatabase) {
  return {
    get: db.prepare<[string], { heads: string; view: string }>(
      `SELECT heads, view FROM vessel_view_cache WHERE doc_id = ?`,
    ),
    put: db.prepare<[string, string, string]>(
      `INSERT INTO vessel_view_cache (doc_id, heads, view) VALUES (?, ?, ?)
       ON CONFLICT(doc_id) DO UPDATE SET heads = excluded.heads, view = excluded.view`,
    ),
    stale: db.prepare<[string, number], { doc_id: string }>(
      `SELECT c.doc_id FROM containers c LEFT JOIN vessel_view_cache v ON v.doc_id = c.doc_id
       WHERE c.vessel = ? AND (v.heads IS NULL OR v.heads <> c.heads) LIMIT ?`,
    ),
    remove: db.prepare<[string]>(`DELETE FROM vessel_view_cache WHERE doc_id = ?`),
  }
}
