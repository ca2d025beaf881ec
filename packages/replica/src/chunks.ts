/**
 * Synchronous access to automerge-repo's chunk table, so that a document write, its index row and
 * the sync bookkeeping commit in one SQLite transaction. Keys follow automerge-repo's layout
 * ([documentId, 'incremental' | 'snapshot', hash]) so a Repo on the same file loads the same documents.
 */
import type { SqlDatabase, SqlStatement } from '@tally/storage-sqlite'
import { createHash } from 'node:crypto'
import { DEFAULT_CHUNK_TABLE, encodeStorageKey, storageKeyRange } from '@tally/storage-sqlite'

export class ChunkTable {
  private readonly insert: SqlStatement<[string, Uint8Array]>
  private readonly range: SqlStatement<[string, string, string]>
  private readonly removeRange: SqlStatement<[string, string, string]>

  constructor(db: SqlDatabase, table = DEFAULT_CHUNK_TABLE) {
    // The table comes from the storage migrations.
    this.insert = db.prepare(`INSERT INTO ${table} (key, data) VALUES (?, ?) ON CONFLICT (key) DO NOTHING`)
    this.range = db.prepare(`SELECT data FROM ${table} WHERE key = ? OR (key >= ? AND key < ?) ORDER BY id`)
    this.removeRange = db.prepare(`DELETE FROM ${table} WHERE key = ? OR (key >= ? AND key < ?)`)
  }

  /** Every chunk of a document, oldest first. */
  load(docId: string): Uint8Array[] {
    const r = storageKeyRange([docId])
    return (this.range.all(r.exact, r.lower, r.upper) as { data: Buffer }[]).map(
      (row) => new Uint8Array(row.data),
    )
  }

  /** Appends changes of a document; identical bytes land on the same key, so replays add nothing. */
  saveIncremental(docId: string, data: Uint8Array): void {
    const hash = createHash('sha256').update(data).digest('hex')
    this.insert.run(encodeStorageKey([docId, 'incremental', hash]), data)
  }

  /** Deletes every chunk of a document (it went to an archive). */
  remove(docId: string): void {
    const r = storageKeyRange([docId])
    this.removeRange.run(r.exact, r.lower, r.upper)
  }

  /** Replaces every chunk of a document with one snapshot (compaction). */
  replaceWithSnapshot(docId: string, heads: string[], data: Uint8Array): void {
    const r = storageKeyRange([docId])
    this.removeRange.run(r.exact, r.lower, r.upper)
    const hash = createHash('sha256').update(heads.join(',')).digest('hex')
    this.insert.run(encodeStorageKey([docId, 'snapshot', hash]), data)
  }
}
