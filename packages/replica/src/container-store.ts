/**
 * The documents of one replica (the relay's fleet or a vessel's voyage) on SQLite: load with a
 * bounded cache, create, edit locally, apply changes that arrived from elsewhere, and keep the
 * summary index current. Every write commits before the call returns (synchronous = FULL), so an
 * edit the API acknowledged survives kill -9.
 */
import { isSharedDatabase, type SharedSqlDatabase, type SqlDatabase } from '@tally/storage-sqlite'
import * as A from '@automerge/automerge'
import { EventEmitter } from 'node:events'
import {
  classifyChanges,
  documentIdFor,
  genesisDoc,
  ObjectIndex,
  PRIORITY_ORDER,
  toView,
  touchedOps,
} from '@tally/manifest'
import type { ContainerDoc, ContainerKey, ContainerView, PhotoFullState, PrincipalOf } from '@tally/manifest'
import { ChunkTable } from './chunks.ts'
import { ContainerIndex, SUMMARY_COLUMNS } from './container-index.ts'
import { advanceHeads } from '@tally/link'
import type { ContainerRow, ListQuery } from './container-index.ts'

/** The policy's object index of a document, as its summary row keeps it. */
const objectsOf = (doc: A.Doc<ContainerDoc>): string => JSON.stringify(ObjectIndex.storedFormOf(doc))
/** The object index a summary row keeps, if it has one (a fresh copy each time). */
const rowIndex = (row: ContainerRow | undefined): ObjectIndex | undefined =>
  row?.objects ? ObjectIndex.fromJSON(JSON.parse(row.objects)) : undefined

/**
 * Whether the changes of `doc` after `before` include a critical one. Every write that did not come
 * over the link is classified so, and the link plans such documents first: a session can then send
 * its first chunk, with every critical change, before the rest of the backlog is planned.
 */
function addsCritical(doc: A.Doc<ContainerDoc>, before: string[], index: ObjectIndex): boolean {
  return topPriority(doc, before, index) === 'critical'
}

/** Whether two head lists name the same changes (their order may differ). */
function sameHeads(a: string[], b: string[]): boolean {
  if (a.length !== b.length) return false
  const set = new Set(a)
  return b.every((h) => set.has(h))
}

/** The most urgent class among the changes of `doc` after `before` (normal when there are none). */
function topPriority(doc: A.Doc<ContainerDoc>, before: string[], index: ObjectIndex): ChangePriority {
  const changes = A.getChangesSince(doc, before).map((c) => A.decodeChange(c))
  const classes = new Set(classifyChanges(changes, index).map((c) => c.priority))
  return PRIORITY_ORDER.find((p) => classes.has(p)) ?? 'normal'
}

/** A change's class for the link (docs/protocol.md, "Priority"). */
export type ChangePriority = 'critical' | 'normal' | 'routine'

/** Incremental chunks per document before they are folded into one snapshot. */
const COMPACT_AFTER_CHUNKS = 64

interface Loaded {
  doc: A.Doc<ContainerDoc>
  index?: ObjectIndex
}

export interface ContainerStoreEvents {
  /**
   * A document changed: a local edit or changes that arrived by sync. `priority` is the most urgent
   * class of what was written, when the store classified it (every write but link ingest); the link
   * uses it to pick a batching window.
   */
  changed: [
    {
      docId: string
      key: ContainerKey
      origin: 'local' | 'remote'
      priority?: ChangePriority
      /** Set when another relay on the same shared database made the change (it handled it itself). */
      peerRelay?: true
    },
  ]
  /** A stored document's history has a gap (changes waiting for dependencies it lacks). */
  gap: [{ docId: string; missing: string[] }]
  /**
   * Change notices from other relays were lost and are back: any document may have changed
   * meanwhile, so whoever holds copies of documents (the `/sync` handles) reads them again.
   */
  resynced: []
}

export class ContainerStore extends EventEmitter<ContainerStoreEvents> {
  readonly chunks: ChunkTable
  readonly index: ContainerIndex
  private readonly cache = new Map<string, Loaded>()
  /** Set on a database other processes write too (PostgreSQL shared by several relays). */
  private readonly shared: SharedSqlDatabase | undefined
  private readonly unsubscribe: (() => void)[] = []
  /**
   * While the shared database's notice connection is down, another relay's change may go
   * unannounced: every cached copy is checked against its row's heads before it is served.
   */
  private unannounced = false
  /** Depth of {@link holding} calls: while above 0 nothing leaves the cache. */
  private holds = 0
  /** Documents loaded during the outermost hold: dropped if it fails (see holding). */
  private readonly loadedWhileHeld = new Set<string>()

  constructor(
    readonly db: SqlDatabase,
    private readonly options: {
      cacheSize?: number
      principalOf?: PrincipalOf
      now?: () => string
      /** Where each full photo is on this replica, for views (docs/photos.md). */
      photoState?: (sha256: string) => PhotoFullState
    } = {},
  ) {
    super()
    this.chunks = new ChunkTable(db)
    this.index = new ContainerIndex(db)
    if (isSharedDatabase(db)) {
      this.shared = db
      this.unsubscribe.push(
        db.onRemoteDocumentChanged((docId) => this.remoteChanged(docId)),
        db.onNoticesLost(() => {
          this.unannounced = true
          this.cache.clear()
        }),
        // Notices may have been missed while PostgreSQL was away: nothing cached can be trusted.
        db.onNoticesResumed(() => {
          this.cache.clear()
          this.unannounced = false
          this.fromNotice(() => this.emit('resynced'))
        }),
      )
    }
  }

  /** Stops following other relays' changes (the database stays open). */
  close(): void {
    for (const off of this.unsubscribe.splice(0)) off()
  }

  /**
   * Another relay committed a change to a document: drop the cached copy and raise the same
   * 'changed' event a local write raises, so `/sync` clients and the link hear of it.
   */
  private remoteChanged(docId: string): void {
    this.cache.delete(docId)
    let row: ContainerRow | undefined
    try {
      row = this.row(docId)
    } catch {
      return // the database is away; the copy is dropped, the next read loads it again
    }
    if (row)
      this.fromNotice(() =>
        this.emit('changed', { docId, key: this.keyOf(row), origin: 'remote', peerRelay: true }),
      )
  }

  /**
   * Raises an event from a database notice, outside any request: a listener that reads the database
   * (the `/sync` handles) may find it away again, and that must not end the process. The listener
   * catches up with the next notice or read.
   */
  private fromNotice(emit: () => void): void {
    try {
      emit()
    } catch {
      // See above: the copy in question was dropped; the next read loads it again.
    }
  }

  /**
   * Before a write on a shared database, inside its transaction: waits for the document's lock (two
   * relays writing one document take turns), drops a cached copy another relay has moved past, and
   * (`announce`) tells the other relays when the transaction commits. Nothing to do on SQLite,
   * where this process is the only writer.
   */
  private claim(docId: string, announce = true): void {
    if (!this.shared) return
    this.shared.lockDocument(docId)
    const cached = this.cache.get(docId)
    if (cached) {
      const row = this.row(docId)
      if (!row || !sameHeads(JSON.parse(row.heads) as string[], A.getHeads(cached.doc)))
        this.cache.delete(docId)
    }
    if (announce) this.shared.announceDocumentChanged(docId)
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
    if (hit && this.unannounced && !this.stillCurrent(docId, hit)) this.cache.delete(docId)
    else if (hit) {
      // Map order is insertion order: re-inserting marks it most recently used.
      this.cache.delete(docId)
      this.cache.set(docId, hit)
      return hit
    }
    const parts = this.chunks.load(docId)
    if (parts.length === 0) return undefined
    // One load of every chunk together: loading them one by one computed a patch for each, and
    // after a backlog was stored in many parts that was most of a load (a change whose
    // dependencies are missing is queued either way; refresh reports it).
    const doc = A.load<ContainerDoc>(parts.length === 1 ? parts[0]! : Buffer.concat(parts))
    const row = this.row(docId)
    if (row && (row.dirty || row.chunks > COMPACT_AFTER_CHUNKS)) this.refresh(docId, row, doc)
    return this.remember(docId, { doc })
  }

  /** Whether a cached copy still has its row's heads (no other relay wrote since it was read). */
  private stillCurrent(docId: string, entry: Loaded): boolean {
    const row = this.row(docId)
    return row !== undefined && sameHeads(JSON.parse(row.heads) as string[], A.getHeads(entry.doc))
  }

  private remember(docId: string, entry: Loaded): Loaded {
    this.cache.set(docId, entry)
    if (this.holds === 0) this.trimCache()
    else this.loadedWhileHeld.add(docId)
    return entry
  }

  private trimCache(): void {
    const limit = this.options.cacheSize ?? 5000
    while (this.cache.size > limit) this.cache.delete(this.cache.keys().next().value!)
  }

  /**
   * Runs `fn` (one link chunk's ingest, which should include its transaction) with every document
   * it loads kept in memory until it returns. A chunk names up to a few thousand documents, each
   * read to rebuild its entry and again to store it: with a cache smaller than the chunk, each was
   * loaded from SQLite twice or more. If `fn` throws, what it loaded is dropped: its transaction
   * rolled back, and a copy loaded after one of its writes would be ahead of the database.
   */
  holding<T>(fn: () => T): T {
    this.holds++
    try {
      return fn()
    } catch (err) {
      for (const docId of this.loadedWhileHeld) this.cache.delete(docId)
      throw err
    } finally {
      if (--this.holds === 0) {
        this.loadedWhileHeld.clear()
        this.trimCache()
      }
    }
  }

  /**
   * Rewrites a row from its document: after changes were stored without loading it (dirty), or
   * when its incremental chunks are due to be folded into one snapshot.
   */
  private refresh(docId: string, row: ContainerRow, doc: A.Doc<ContainerDoc>): void {
    const missing = A.getMissingDeps(doc, [])
    // Defence in depth: cursors should make this impossible. Automerge keeps the changes queued
    // until their dependencies arrive, so nothing is lost; an operator should know.
    if (missing.length > 0) this.emit('gap', { docId, missing })
    this.db.transaction(() => {
      if (this.shared) {
        this.claim(docId, false)
        // Another relay wrote since this copy was read: its write stands, the refresh waits.
        const current = this.row(docId)
        if (!current || !sameHeads(JSON.parse(current.heads) as string[], A.getHeads(doc))) return
      }
      let chunks = row.chunks
      if (chunks > COMPACT_AFTER_CHUNKS) {
        this.chunks.replaceWithSnapshot(docId, A.getHeads(doc), A.save(doc))
        chunks = 1
      }
      this.index.update(docId, this.keyOf(row), doc, chunks, this.now(), objectsOf(doc))
    })()
  }

  /** Loads every document whose summary row is waiting for it, so lists filter on true values. */
  refreshDirty(): void {
    for (const docId of this.index.dirtyIds()) this.load(docId)
  }

  /**
   * The object index kept in the document's row (current after every write, without reading
   * entries): enough to classify outgoing changes by priority, and far cheaper than walking the
   * document (a third of the time to plan a 21-day backlog went there).
   */
  storedObjectIndex(docId: string): ObjectIndex | undefined {
    return rowIndex(this.row(docId))
  }

  /**
   * The policy's object index for a document: kept with the cached document, or read from its row,
   * so a change can be validated without loading the document.
   */
  objectIndex(docId: string): ObjectIndex | undefined {
    const cached = this.cache.get(docId)
    if (cached && this.unannounced && !this.stillCurrent(docId, cached)) this.cache.delete(docId)
    else if (cached) return (cached.index ??= ObjectIndex.fromDoc(cached.doc))
    const row = this.row(docId)
    if (!row) return undefined
    const stored = rowIndex(row)
    if (stored) return stored
    const entry = this.loaded(docId)!
    return (entry.index ??= ObjectIndex.fromDoc(entry.doc))
  }

  /**
   * Stores validated changes from elsewhere without loading the document: its heads come from the
   * changes' dependencies and, when the history stays a straight line, its summary row from the
   * values they write (otherwise the row is refreshed from the document when next needed). Any cached
   * copy is dropped and reloads on next use. Call inside the caller's transaction.
   */
  ingest(
    docId: string,
    key: ContainerKey,
    changes: A.DecodedChange[],
    parts: Uint8Array[],
    index: ObjectIndex,
  ): string[] {
    if (!this.shared) return this.ingestLocked(docId, key, changes, parts, index)
    return this.db.transaction(() => this.ingestLocked(docId, key, changes, parts, index))()
  }

  private ingestLocked(
    docId: string,
    key: ContainerKey,
    changes: A.DecodedChange[],
    parts: Uint8Array[],
    index: ObjectIndex,
  ): string[] {
    this.claim(docId)
    const row = this.row(docId)
    if (!row) throw new Error(`no document ${docId}`)
    const heads: string[] = JSON.parse(row.heads)
    // Dependencies outside the batch are in this replica's history: the sender planned from a
    // cursor that only ever holds heads we acknowledged. (Loading the document checks it; see refresh.)
    let next = advanceHeads(heads, changes)
    // A batch may repeat changes held here already (a document sent again whole from its genesis):
    // counted as new, they would come out as heads beside their own descendants. Such wrong heads
    // are always more than one, so only then is the document consulted.
    if (next.length > 1) {
      const doc = this.loaded(docId)?.doc
      if (doc)
        next = advanceHeads(
          heads,
          changes.filter((c) => !A.hasHeads(doc, [c.hash])),
        )
    }
    // One head before and after: a straight line, so the last write in the batch is the value.
    const linear = heads.length === 1 && next.length === 1 && !row.conflict
    const columns: Record<string, unknown> = {}
    if (linear)
      for (const change of changes)
        for (const op of touchedOps(change, index)) {
          if (op.kind !== 'field' || !op.field) continue
          const column = SUMMARY_COLUMNS[op.field]
          if (!column) continue
          const value = op.action === 'del' ? null : op.value
          columns[column] =
            column === 'seal_broken'
              ? value === false
                ? 1
                : 0
              : column === 'dg' || column === 'alarm'
                ? value === null || value === undefined
                  ? 0
                  : 1
                : (value ?? null)
        }
    for (const part of parts) this.chunks.saveIncremental(docId, part)
    this.index.advance(docId, {
      heads: next,
      chunks: row.chunks + parts.length,
      objects: JSON.stringify(index.toJSON()),
      columns,
      dirty: !linear,
      now: this.now(),
    })
    this.cache.delete(docId)
    this.emit('changed', { docId, key, origin: 'remote' })
    return []
  }

  /**
   * Creates a container's document from its deterministic genesis; returns false if it exists.
   * `remote`: the genesis arrived over the link (the peer has it; nothing to send back).
   */
  create(key: ContainerKey, isoType: string, origin: 'local' | 'remote' = 'local'): boolean {
    const docId = documentIdFor(key)
    if (this.row(docId)) return false
    const doc = genesisDoc(key, isoType)
    const created = this.db.transaction(() => {
      this.claim(docId)
      if (this.shared && this.row(docId)) return false // another relay created it meanwhile
      this.chunks.saveIncremental(docId, A.save(doc))
      this.index.update(docId, key, doc, 1, this.now(), objectsOf(doc))
      return true
    })()
    if (!created) return false
    this.remember(docId, { doc })
    this.emit(
      'changed',
      origin === 'local' ? { docId, key, origin, priority: 'normal' } : { docId, key, origin },
    )
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
      const critical = addsCritical(doc, [], new ObjectIndex())
      this.db.transaction(() => {
        this.claim(docId)
        this.chunks.replaceWithSnapshot(docId, A.getHeads(doc), A.save(doc))
        this.index.update(docId, key, doc, 1, this.now(), objectsOf(doc), critical)
      })()
      this.remember(docId, { doc })
      this.emit('changed', { docId, key, origin: 'local', priority: critical ? 'critical' : 'normal' })
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
    if (!this.shared) return this.editLocked(docId, actor, edit)
    return this.db.transaction(() => {
      this.claim(docId)
      return this.editLocked(docId, actor, edit)
    })()
  }

  private editLocked(
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
    this.persist(docId, row, next, [delta], 'local', before)
    return next
  }

  /**
   * Applies changes from elsewhere (already validated by policy). `data` is a bundle or
   * concatenated raw changes. Call inside the caller's transaction for atomic ingest.
   * Returns the document's missing dependencies (non-empty when history has a gap).
   */
  applyRemote(docId: string, key: ContainerKey, data: Uint8Array[]): string[] {
    if (!this.shared) return this.applyRemoteLocked(docId, key, data)
    return this.db.transaction(() => {
      this.claim(docId)
      return this.applyRemoteLocked(docId, key, data)
    })()
  }

  private applyRemoteLocked(docId: string, key: ContainerKey, data: Uint8Array[]): string[] {
    const entry = this.loaded(docId)
    const row = this.row(docId)
    if (!entry || !row) throw new Error(`no document ${docId}`)
    let doc = entry.doc
    const before = A.getHeads(doc)
    for (const part of data) doc = A.loadIncremental(doc, part)
    this.persist(docId, row, doc, data, 'remote', before, entry.index)
    return A.getMissingDeps(doc, [])
  }

  private persist(
    docId: string,
    row: ContainerRow,
    doc: A.Doc<ContainerDoc>,
    parts: Uint8Array[],
    origin: 'local' | 'remote',
    before: string[],
    index?: ObjectIndex,
  ): void {
    const key = this.keyOf(row)
    let chunks = row.chunks + parts.length
    // Classified against the index as it was before the write (it learns the new objects itself).
    // A row without a stored index is simply taken to hold something critical.
    const known = rowIndex(row)
    const priority = known ? topPriority(doc, before, known) : 'critical'
    const critical = priority === 'critical'
    try {
      this.db.transaction(() => {
        if (chunks > COMPACT_AFTER_CHUNKS) {
          this.chunks.replaceWithSnapshot(docId, A.getHeads(doc), A.save(doc))
          chunks = 1
        } else for (const part of parts) this.chunks.saveIncremental(docId, part)
        this.index.update(docId, key, doc, chunks, this.now(), objectsOf(doc), critical)
      })()
    } catch (err) {
      // Nothing was stored (a full disk, say): drop the cached copy so memory matches the database.
      this.cache.delete(docId)
      throw err
    }
    // A local edit may have created objects the cached policy index does not know yet.
    this.remember(docId, { doc, index: origin === 'remote' ? index : undefined })
    this.emit('changed', { docId, key, origin, priority })
  }

  /** Folds a document's chunks into one snapshot (a closed voyage's documents, kept for history). */
  compact(docId: string): void {
    const row = this.row(docId)
    const doc = this.load(docId)
    if (!row || !doc || row.chunks <= 1) return
    this.db.transaction(() => {
      this.chunks.replaceWithSnapshot(docId, A.getHeads(doc), A.save(doc))
      this.index.update(docId, this.keyOf(row), doc, 1, this.now(), objectsOf(doc))
    })()
  }

  /**
   * Removes documents from this replica: chunks and summary rows, in the caller's transaction. Only
   * for documents kept elsewhere (a vessel's archive of a closed voyage).
   */
  remove(docIds: readonly string[]): void {
    for (const docId of docIds) {
      this.chunks.remove(docId)
      this.index.remove(docId)
      this.cache.delete(docId)
    }
  }

  view(docId: string): ContainerView | undefined {
    const doc = this.load(docId)
    return doc ? toView(doc, this.options.principalOf, this.options.photoState) : undefined
  }

  list(query: ListQuery): { items: ContainerView[]; total: number } {
    this.refreshDirty()
    const { ids, total } = this.index.list(query)
    return { items: ids.map((id) => this.view(id)!).filter(Boolean), total }
  }
}
