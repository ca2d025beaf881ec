/**
 * Counts conflicts as they appear: a field of a container that starts holding two concurrent values
 * (docs/architecture.md) is one conflict event, stamped with the vessel. The conflict-rate metric and the
 * "more than 10 conflicts in an hour" alert read these events.
 *
 * It follows the document store's `changed` event. The index row already says whether a document
 * has a conflict, so the common case (no conflict before or after) costs one row lookup; only
 * conflicted documents are inspected field by field.
 */
import { ConflictStore, type ConflictEvent, type SqlDatabase } from '@tally/storage-sqlite'
import type { Logger } from 'pino'
import { conflictsOf } from '@tally/manifest'
import type { ContainerKey } from '@tally/manifest'
import type { ContainerStore } from '@tally/replica'

export type { ConflictEvent } from '@tally/storage-sqlite'

export class ConflictTracker {
  /** Conflicted fields per document, as last seen (mirrors table `ops_conflict_state`). */
  private readonly current: Map<string, Set<string>>
  private readonly events: ConflictStore
  private readonly onChanged: (e: { docId: string; key: ContainerKey; peerRelay?: true }) => void

  constructor(
    db: SqlDatabase,
    private readonly store: ContainerStore,
    private readonly logger: Logger,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.events = new ConflictStore(db)
    this.current = this.events.conflictedFields()
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
        if (!before?.has(field)) this.events.add(at, key.vessel, docId, key.containerId, field)
      if (fields.size === 0) this.current.delete(docId)
      else this.current.set(docId, fields)
      this.events.setConflictedFields(docId, fields)
    } catch (err) {
      this.logger.warn({ err, vessel: key.vessel, docId }, 'could not record conflicts')
    }
  }

  /** New conflicts per vessel since `since` (ISO time). */
  countsSince(since: string): Map<string, number> {
    return this.events.countsSince(since)
  }

  /** The newest conflict events of a vessel. */
  recent(vessel: string, limit = 50): ConflictEvent[] {
    return this.events.recent(vessel, limit)
  }
}
