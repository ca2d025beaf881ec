/**
 * Counts conflicts as they appear: a field of a container that starts holding two concurrent values
 * (docs/architecture.md) is one conflict event, stamped with the vessel. The conflict-rate metric and the
 * "more than 10 conflicts in an hour" alert read these events.
 *
 * It follows the document store's `changed` event. The index row already says whether a document
 * has a conflict, so the common case (no conflict before or after) costs one row lookup; only
 * conflicted documents are inspected field by field.
 */
import type { SqlDatabase } from '@tally/storage-sqlite'
import type { Logger } from 'pino'
import { conflictsOf } from '@tally/manifest'
import type { ContainerKey } from '@tally/manifest'
import type { ContainerStore } from '@tally/replica'

/** One field that became conflicted. */
export interface ConflictEvent {
  at: string
  vessel: string
  containerId: string
  field: string
}

export class ConflictTracker {
  /** Conflicted fields per document, as last seen (mirrors table `ops_conflict_state`). */
  private readonly current = new Map<string, Set<string>>()
  private readonly stmts: ReturnType<typeof prepare>
  private readonly onChanged: (e: { docId: string; key: ContainerKey; peerRelay?: true }) => void

  constructor(
    db: SqlDatabase,
    private readonly store: ContainerStore,
    private readonly logger: Logger,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.stmts = prepare(db)
    for (const row of this.stmts.state.all()) this.current.set(row.doc_id, new Set(JSON.parse(row.fields)))
    // Another relay on the same database records the conflicts of the changes it admitted.
    this.onChanged = (e) => {
      if (!e.peerRelay) this.observe(e.docId, e.key)
    }
    store.on('changed', this.onChanged)
  }

  close(): void {
    this.store.off('changed', this.onChanged)
  }

  /**
   * Records fields of `docId` that became conflicted. Runs inside the ingest transaction, so the
   * event commits with the change that caused it; a failure here must never fail the ingest.
   */
  observe(docId: string, key: ContainerKey): void {
    try {
      const row = this.store.row(docId) as { conflict?: number } | undefined
      const before = this.current.get(docId)
      if (!row?.conflict && !before) return
      const doc = row?.conflict ? this.store.load(docId) : undefined
      const fields = new Set(doc ? conflictsOf(doc).map((c) => c.field) : [])
      const at = this.now().toISOString()
      for (const field of fields)
        if (!before?.has(field)) this.stmts.insert.run(at, key.vessel, docId, key.containerId, field)
      if (fields.size === 0) {
        this.current.delete(docId)
        this.stmts.clear.run(docId)
      } else {
        this.current.set(docId, fields)
        this.stmts.save.run(docId, JSON.stringify([...fields]))
      }
    } catch (err) {
      this.logger.warn({ err, vessel: key.vessel, docId }, 'could not record conflicts')
    }
  }

  /** New conflicts per vessel since `since` (ISO time). */
  countsSince(since: string): Map<string, number> {
    return new Map(this.stmts.counts.all(since).map((r) => [r.vessel, r.n]))
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
