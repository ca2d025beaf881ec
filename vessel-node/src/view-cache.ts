/**
 * Container views kept by heads, in memory and in the vessel's SQLite file.
 *
 * Building a view means loading the document (a few milliseconds) and asking Automerge about every
 * field for conflicts (about one more), so a cold list of 100 would cost hundreds of milliseconds,
 * and the first list after a restart is what the crew waits for. The container index row carries
 * the document's heads; a cached view is used only while its heads are the document's heads, so a
 * stale view can never be served. Views are rebuilt in the background after a sync, in short slices,
 * so a restart answers lists from the cache. The table is a cache: losing it loses nothing.
 */
import { ViewCacheStore } from '@tally/storage-sqlite'
import type { Logger } from 'pino'
import type { ContainerView, PhotoFullState } from '@tally/manifest'
import type { ContainerStore, ListQuery } from '@tally/replica'

/** Views kept in memory; a voyage is 2,000 containers. */
const MAX_VIEWS_IN_MEMORY = 2_500
/** Longest a background warm-up works before yielding to requests. */
const WARM_SLICE_MS = 20
/** Pause between warm-up slices, so requests are served between them. */
const WARM_GAP_MS = 20
/** While a sync session runs, the warm-up waits this long between checks. */
const BUSY_RECHECK_MS = 1_000
/** Documents looked up per warm-up query. */
const WARM_BATCH = 50

export class ViewCache {
  private readonly memory = new Map<string, { heads: string; view: ContainerView }>()
  private readonly toPersist = new Map<string, { heads: string; json: string }>()
  private flushScheduled = false
  private warming: NodeJS.Timeout | null = null
  /** Documents a warm-up already tried; one whose view cannot be built is not tried forever. */
  private readonly tried = new Set<string>()
  private closed = false
  private readonly cached: ViewCacheStore

  constructor(
    private readonly store: ContainerStore,
    private readonly vessel: string,
    private readonly logger: Logger,
    /**
     * True while a sync session runs: the warm-up loads documents as planning does, and on two
     * cores it would slow the session it competes with. Views a crew asks for are built anyway.
     */
    private readonly busy: () => boolean = () => false,
    /** Where each full photo is: it changes without the document changing, so it is laid over. */
    private readonly photoState?: (sha256: string) => PhotoFullState,
  ) {
    this.cached = new ViewCacheStore(store.db)
  }

  /** The current view of a document, or undefined if it does not exist. */
  view(docId: string): ContainerView | undefined {
    const view = this.cachedView(docId)
    if (!view) return undefined
    // Views cached before photos existed lack the list.
    if (!view.photos) view.photos = []
    if (view.photos.length === 0 || !this.photoState) return view
    const state = this.photoState
    return { ...view, photos: view.photos.map((p) => ({ ...p, full: state(p.sha256) })) }
  }

  private cachedView(docId: string): ContainerView | undefined {
    const row = this.store.row(docId)
    if (!row) return undefined
    const hit = this.memory.get(docId)
    if (hit && hit.heads === row.heads) return hit.view
    const stored = this.cached.get(docId)
    if (stored && stored.heads === row.heads) {
      const view = JSON.parse(stored.view) as ContainerView
      this.remember(docId, row.heads, view)
      return view
    }
    const view = this.store.view(docId)
    if (!view) return undefined
    this.remember(docId, row.heads, view)
    this.toPersist.set(docId, { heads: row.heads, json: JSON.stringify(view) })
    this.scheduleFlush()
    return view
  }

  /** A page of the container index, as views. */
  list(query: ListQuery): { items: ContainerView[]; total: number } {
    const { ids, total } = this.store.index.list(query)
    const items: ContainerView[] = []
    for (const id of ids) {
      const view = this.view(id)
      if (view) items.push(view)
    }
    return { items, total }
  }

  /** Rebuilds stale views in the background, a slice at a time, until none is stale. */
  warm(delayMs = 0): void {
    if (this.warming || this.closed) return
    this.warming = setTimeout(() => {
      this.warming = null
      if (this.closed) return
      if (this.busy()) return this.warm(BUSY_RECHECK_MS)
      const deadline = performance.now() + WARM_SLICE_MS
      let more = true
      while (more && performance.now() < deadline) {
        const stale = this.cached
          .stale(this.vessel, WARM_BATCH + this.tried.size)
          .filter((docId) => !this.tried.has(docId))
        more = stale.length > 0
        for (const docId of stale) {
          this.tried.add(docId)
          this.cachedView(docId)
          if (performance.now() >= deadline) {
            more = true
            break
          }
        }
        this.flush()
      }
      if (more) this.warm(WARM_GAP_MS)
      else this.tried.clear()
    }, delayMs)
    this.warming.unref()
  }

  /** Drops the views of documents that left the live database (archived). */
  forget(docIds: readonly string[]): void {
    for (const docId of docIds) {
      this.memory.delete(docId)
      this.toPersist.delete(docId)
      this.cached.remove(docId)
    }
  }

  close(): void {
    this.closed = true
    if (this.warming) clearTimeout(this.warming)
    this.warming = null
    this.flush()
  }

  private remember(docId: string, heads: string, view: ContainerView): void {
    this.memory.delete(docId)
    this.memory.set(docId, { heads, view })
    if (this.memory.size > MAX_VIEWS_IN_MEMORY) this.memory.delete(this.memory.keys().next().value!)
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return
    this.flushScheduled = true
    // After the answer is sent: one transaction (one fsync) for every view built by a request.
    setImmediate(() => this.flush())
  }

  private flush(): void {
    this.flushScheduled = false
    if (this.toPersist.size === 0 || !this.store.db.open) return
    const batch = [...this.toPersist]
    this.toPersist.clear()
    try {
      this.cached.putMany(batch.map(([docId, v]) => [docId, v.heads, v.json]))
    } catch (err) {
      // Only a cache: a full disk or a busy file must not fail a request.
      this.logger.warn({ err: (err as Error).message }, 'could not store cached views')
    }
  }
}
