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

export interface DcsaIndexerEvents {
  /** New events were stored; the argument is how many. */
  indexed: [number]
}

export class DcsaIndexer extends EventEmitter<DcsaIndexerEvents> {
  private readonly pending = new Set<string>()
  private timer: NodeJS.Timeout | null = null
  private closed = false
  private readonly onChanged = ({ docId }: { docId: string }) => this.enqueue(docId)
  private readonly onVoyage = ({ vessel, voyage }: { vessel: string; voyage: string }) =>
    this.enqueue(voyageFeedId(vessel, voyage))

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
    for (const v of this.voyages?.all() ?? []) this.pending.add(voyageFeedId(v.vessel, v.voyage))
    for (const docId of this.events.staleDocIds()) this.pending.add(docId)
    this.schedule()
  }

  close(): void {
    this.closed = true
    this.store.off('changed', this.onChanged)
    this.voyages?.off('changed', this.onVoyage)
    if (this.timer) clearTimeout(this.timer)
    this.timer = null
  }

  /** Documents waiting to be indexed. */
  get backlog(): number {
    return this.pending.size
  }

  private enqueue(docId: string): void {
    if (this.closed) return
    this.pending.add(docId)
    this.schedule()
  }

  private schedule(delay = INDEX_DELAY_MS): void {
    if (this.timer || this.closed || this.pending.size === 0) return
    this.timer = setTimeout(() => {
      this.timer = null
      this.runBatch(INDEX_BATCH)
      this.schedule(0)
    }, delay)
    this.timer.unref()
  }

  /** Indexes everything pending now (a reader wants the feed current). */
  flush(): void {
    this.runBatch(Infinity)
  }

  private runBatch(max: number): void {
    let added = 0
    let done = 0
    for (const docId of this.pending) {
      if (done++ >= max) break
      this.pending.delete(docId)
      try {
        added += this.indexDocument(docId)
      } catch (err) {
        // A document that cannot be read now is retried with its next change or the next start.
        this.logger.warn({ err, docId }, 'could not derive DCSA events')
      }
    }
    if (added > 0) this.emit('indexed', added)
  }

  private indexDocument(docId: string): number {
    const voyage = /^voyage:([^/]+)\/(.+)$/.exec(docId)
    if (voyage) {
      const stored = this.voyages?.get(voyage[1]!, voyage[2]!)
      return stored ? this.events.append(docId, null, deriveTransportEvents(stored)) : 0
    }
    const doc = this.store.load(docId)
    if (!doc) return 0
    const since = this.events.indexedHeads(docId)
    const heads = A.getHeads(doc)
    if (since && since.join() === heads.join()) return 0
    return this.events.append(docId, heads, deriveEvents(docId, doc, since))
  }
}
