/**
 * The documents of one replica (the relay's fleet or a vessel's voyage) on SQLite: load with a
 * bounded cache, create, edit locally, apply changes that arrived from elsewhere, and keep the
 * summary index current. Every write commits before the call returns (synchronous = FULL), so an
 * edit the API acknowledged survives kill -9.
 */
import type Database from 'better-sqlite3'
import * as A from '@automerge/automerge'
import { EventEmitter } from 'node:events'
import { documentIdFor, genesisDoc, ObjectIndex, toView } from '@tally/manifest'
import type { ContainerDoc, ContainerKey, ContainerView, PrincipalOf } from '@tally/manifest'
import { ChunkTable } from './chunks.ts'
import { ContainerIndex } from './container-index.ts'
import type { ContainerRow, ListQuery } from './container-index.ts'

/** Incremental chunks per document before they are folded into one snapshot. */
const COMPACT_AFTER_CHUNKS = 64

interface Loaded {
  doc: A.Doc<ContainerDoc>
  index?: ObjectIndex
}

export interface ContainerStoreEvents {
  /** A document changed: a local edit or changes that arrived by sync. */
  changed: [{ docId: string; key: ContainerKey; origin: 'local' | 'remote' }]
}

export class ContainerStore extends EventEmitter<ContainerStoreEvents> {
  readonly chunks: ChunkTable
  readonly index: ContainerIndex
  private readonly cache = new Map<string, Loaded>()

  constructor(
    readonly db: Database.Database,
    private readonly options: { cacheSize?: number; principalOf?: PrincipalOf; now?: () => string } = {},
  ) {
    super()
    this.chunks = new ChunkTable(db)
    this.index = new ContainerIndex(db)
  }

  private now(): string {
    return this.options.now?.() ?? new Date().toISOString()
  }

  row(docId: string): ContainerRow | undefined {
    return this.index.get(docId)
  }

  keyOf(row: ContainerRow): ContainerKey {
    return { vessel: row.vessel, voyage: row.voyage, containerId: row.container_id }
  }

  /** The document, loaded from SQLite on first use; undefined when it does not exist. */
  load(docId: string): A.Doc<ContainerDoc> | undefined {
    return this.loaded(docId)?.doc
  }

  private loaded(docId: string): Loaded | undefined {
    const hit = this.cache.get(docId)
    if (hit) {
      // Map order is insertion order: re-inserting marks it most recently used.
      this.cache.delete(docId)
      this.cache.set(docId, hit)
      return hit
    }
    const parts = this.chunks.load(docId)
    if (parts.length === 0) return undefined
    // A.load of the first chunk is about twice as fast as loadIncremental into an empty document.
    let doc = A.load<ContainerDoc>(parts[0]!)
    for (const part of parts.slice(1)) doc = A.loadIncremental(doc, part)
    return this.remember(docId, { doc })
  }

  private remember(docId: string, entry: Loaded): Loaded {
    this.cache.set(docId, entry)
    const limit = this.options.cacheSize ?? 5000
    while (this.cache.size > limit) this.cache.delete(this.cache.keys().next().value!)
    return entry
  }

  /** The policy's object index for a document, built once and kept with the cached document. */
  objectIndex(docId: string): ObjectIndex | undefined {
    const entry = this.loaded(docId)
    if (!entry) return undefined
    entry.index ??= ObjectIndex.fromDoc(entry.doc)
    return entry.index
  }

  /** Creates a container's document from its deterministic genesis; returns false if it exists. */
  create(key: ContainerKey, isoType: string): boolean {
    const docId = documentIdFor(key)
    if (this.row(docId)) return false
    const doc = genesisDoc(key, isoType)
    this.db.transaction(() => {
      this.chunks.saveIncremental(docId, A.save(doc))
      this.index.update(docId, key, doc, 1, this.now())
    })()
    this.remember(docId, { doc })
    this.emit('changed', { docId, key, origin: 'local' })
    return true
  }

  /**
   * Stores a whole document as it is (seeding a demo or a benchmark, or importing a replica): a new
   * container gets one snapshot; an existing one gets the changes it lacks.
   */
  put(key: ContainerKey, doc: A.Doc<ContainerDoc>): void {
    const docId = documentIdFor(key)
    const row = this.row(docId)
    if (!row) {
      this.db.transaction(() => {
        this.chunks.replaceWithSnapshot(docId, A.getHeads(doc), A.save(doc))
        this.index.update(docId, key, doc, 1, this.now())
      })()
      this.remember(docId, { doc })
      this.emit('changed', { docId, key, origin: 'local' })
      return
    }
    const current = this.loaded(docId)!.doc
    const delta = A.saveSince(doc, A.getHeads(current))
    if (delta.length > 0) this.applyRemote(docId, key, [delta])
  }

  /**
   * Applies a local edit as `actor`. `edit` returns the new document (through the manifest's edit
   * functions, which validate). The change is committed before this returns.
   */
  edit(
    docId: string,
    actor: string,
    edit: (doc: A.Doc<ContainerDoc>) => A.Doc<ContainerDoc>,
  ): A.Doc<ContainerDoc> {
    const entry = this.loaded(docId)
    const row = this.row(docId)
    if (!entry || !row) throw new Error(`no document ${docId}`)
    const before = A.getHeads(entry.doc)
    const mine =
      A.getActorId(entry.doc) === actor ? entry.doc : A.clone(entry.doc, { actor: actor as A.ActorId })
    const next = edit(mine)
    const delta = A.saveSince(next, before)
    if (delta.length === 0 || A.getHeads(next).join() === before.join()) return next
    this.persist(docId, row, next, [delta], 'local')
    return next
  }

  /**
   * Applies changes from elsewhere (already validated by policy). `data` is a bundle or
   * concatenated raw changes. Call inside the caller's transaction for atomic ingest.
   * Returns the document's missing dependencies (non-empty when history has a gap).
   */
  applyRemote(docId: string, key: ContainerKey, data: Uint8Array[]): string[] {
    const entry = this.loaded(docId)
    const row = this.row(docId)
    if (!entry || !row) throw new Error(`no document ${docId}`)
    let doc = entry.doc
    for (const part of data) doc = A.loadIncremental(doc, part)
    this.persist(docId, row, doc, data, 'remote', entry.index)
    return A.getMissingDeps(doc, [])
  }

  private persist(
    docId: string,
    row: ContainerRow,
    doc: A.Doc<ContainerDoc>,
    parts: Uint8Array[],
    origin: 'local' | 'remote',
    index?: ObjectIndex,
  ): void {
    const key = this.keyOf(row)
    let chunks = row.chunks + parts.length
    try {
      this.db.transaction(() => {
        if (chunks > COMPACT_AFTER_CHUNKS) {
          this.chunks.replaceWithSnapshot(docId, A.getHeads(doc), A.save(doc))
          chunks = 1
        } else for (const part of parts) this.chunks.saveIncremental(docId, part)
        this.index.update(docId, key, doc, chunks, this.now())
      })()
    } catch (err) {
      // Nothing was stored (a full disk, say): drop the cached copy so memory matches the database.
      this.cache.delete(docId)
      throw err
    }
    // A local edit may have created objects the cached policy index does not know yet.
    this.remember(docId, { doc, index: origin === 'remote' ? index : undefined })
    this.emit('changed', { docId, key, origin })
  }

  view(docId: string): ContainerView | undefined {
    const doc = this.load(docId)
    return doc ? toView(doc, this.options.principalOf) : undefined
  }

  list(query: ListQuery): { items: ContainerView[]; total: number } {
    const { ids, total } = this.index.list(query)
    return { items: ids.map((id) => this.view(id)!).filter(Boolean), total }
  }
}
