/**
 * Keeps the DCSA event feed in step with the container store. Every path by which a change is
 * admitted (the vessel link, `/sync`, REST) ends in the store's `changed` event; the indexer derives
 * the new events of each changed document in the background, a batch at a time, and records the
 * heads it got to in the same transaction. At start-up it catches up with every document whose
 * heads moved while it was not running, so a crash between a commit and its indexing loses nothing.
 */
import { EventEmitter } from 'node:events'
import * as A from '@automerge/automerge'
import type { Logger } from 'pino'
import type { ContainerStore } from '@tally/replica'
import type { DcsaEventStore, VoyageStore } from '@tally/storage-sqlite'
import { deriveEvents } from './derive.ts'
import { deriveTransportEvents, voyageFeedId } from './transport.ts'

/** Changes arriving together (a link chunk, a bulk create) are indexed together after this pause. */
export const INDEX_DELAY_MS = 100
/** Documents indexed per turn of the event loop. */
const INDEX_BATCH = 50
/**
 * Longest turn, whatever the count: a document with weeks of history takes tens of milliseconds, and
 * fifty of them held the event loop for a second at a time, starving a link session's ingest (its
 * acks) and the planning of what the relay sends back (a 21-day backlog's first shore chunk left
 * after 115 s).
 */
const INDEX_SLICE_MS = 20

export interface DcsaIndexerEvents {
  /** New events were stored; the argument is how many. */
  indexed: [number]
}

/** A document to index: up to the heads it had when a write was admitted (null: up to now). */
interface Pending {
  docId: string
  heads: string[] | null
}

export class DcsaIndexer extends EventEmitter<DcsaIndexerEvents> {
  /**
   * Writes in admission order. Each write is indexed up to the heads it left, so the feed (and every
   * subscription's delivery) follows the order in which the relay admitted the facts across
   * documents, not the order of an indexing pass.
   */
  private readonly queue: Pending[] = []
  private timer: NodeJS.Timeout | null = null
  private unfollow: (() => void) | undefined
  private closed = false
  private readonly onChanged = ({ docId }: { docId: string }) => this.enqueue(docId, this.headsOf(docId))
  private readonly onVoyage = ({ vessel, voyage }: { vessel: string; voyage: string }) =>
    this.enqueue(voyageFeedId(vessel, voyage), null)

  constructor(
    private readonly store: ContainerStore,
    private readonly events: DcsaEventStore,
    private readonly logger: Logger,
    /** The voyage register, whose port calls give transport events; none, no transport events. */
    private readonly voyages?: VoyageStore,
  ) {
    super()
  }

  /**
   * Listens to the stores and queues every document whose events lag behind, and every voyage
   * (deriving a voyage's events again is a no-op for those already stored).
   */
  start(): void {
    this.store.on('changed', this.onChanged)
    this.voyages?.on('changed', this.onVoyage)
    // Port calls edited at another relay on a shared database: their events are derived here too
    // (a no-op when that relay derived them first), so none waits for this relay's next start.
    this.unfollow = this.voyages?.followOtherProcesses()
    for (const v of this.voyages?.all() ?? [])
      this.queue.push({ docId: voyageFeedId(v.vessel, v.voyage), heads: null })
    for (const docId of this.events.staleDocIds()) this.queue.push({ docId, heads: null })
    this.schedule()
  }

  close(): void {
    this.closed = true
    this.store.off('changed', this.onChanged)
    this.voyages?.off('changed', this.onVoyage)
    this.unfollow?.()
    if (this.timer) clearTimeout(this.timer)
    this.timer = null
  }

  /** Writes waiting to be indexed. */
  get backlog(): number {
    return this.queue.length
  }

  /** The document's heads as stored now (the summary row the write just updated). */
  private headsOf(docId: string): string[] | null {
    try {
      const row = this.store.index.get(docId)
      return row ? (JSON.parse(row.heads) as string[]) : null
    } catch {
      return null // the database is away: index up to whatever it holds when the turn comes
    }
  }

  private enqueue(docId: string, heads: string[] | null): void {
    if (this.closed) return
    this.queue.push({ docId, heads })
    this.schedule()
  }

  private schedule(delay = INDEX_DELAY_MS): void {
    if (this.timer || this.closed || this.queue.length === 0) return
    this.timer = setTimeout(() => {
      this.timer = null
      this.runBatch(INDEX_BATCH, INDEX_SLICE_MS)
      this.schedule(0)
    }, delay)
    this.timer.unref()
  }

  /** Indexes everything pending now (a reader wants the feed current). */
  flush(): void {
    this.runBatch(Infinity)
  }

  private runBatch(max: number, sliceMs = Infinity): void {
    const started = performance.now()
    let added = 0
    for (let done = 0; done < max && this.queue.length > 0; done++) {
      if (done > 0 && performance.now() - started >= sliceMs) break
      const { docId, heads } = this.queue.shift()!
      try {
        added += this.indexDocument(docId, heads)
      } catch (err) {
        // A document that cannot be read now is retried with its next change or the next start.
        this.logger.warn({ err, docId }, 'could not derive DCSA events')
      }
    }
    if (added > 0) this.emit('indexed', added)
  }

  private indexDocument(docId: string, until: string[] | null): number {
    const voyage = /^voyage:([^/]+)\/(.+)$/.exec(docId)
    if (voyage) {
      const stored = this.voyages?.get(voyage[1]!, voyage[2]!)
      return stored ? this.events.append(docId, null, deriveTransportEvents(stored)) : 0
    }
    const doc = this.store.load(docId)
    if (!doc) return 0
    const since = this.events.indexedHeads(docId)
    const heads = until ?? A.getHeads(doc)
    if (since && sameHeads(since, heads)) return 0
    // A pass that went further already (a catch-up up to the newest heads): keep its position.
    if (since && until && covers(doc, since, until)) return 0
    return this.events.append(docId, heads, deriveEvents(docId, doc, since, undefined, until ?? undefined))
  }
}

const sameHeads = (a: string[], b: string[]): boolean =>
  a.length === b.length && [...a].sort().join() === [...b].sort().join()

/** True when every change up to `until` is already among the ancestors of `since`. */
function covers(doc: A.Doc<unknown>, since: string[], until: string[]): boolean {
  try {
    const newer = new Set(A.getChangesMetaSince(doc, since).map((c) => c.hash))
    return until.every((h) => !newer.has(h))
  } catch {
    return false
  }
}
