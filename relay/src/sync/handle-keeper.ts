/**
 * Keeps the relay Repo's document handles in step with the ContainerStore and bounded in number.
 *
 * - **In step.** The store is the truth: vessel changes arrive there over the link and REST edits
 *   are made there. Whenever it changes a document that has an open handle, the new changes are
 *   loaded into the handle, and the Repo passes them on to every browser syncing that document.
 * - **Bounded.** A handle nobody has sent anything for in `idleMs` is evicted, and beyond `maxOpen`
 *   the least recently used go first. automerge-repo has no "unsubscribe", so the relay remembers
 *   which connected peers asked for which documents (a few bytes each): when the store changes an
 *   evicted document one of them asked for, the handle is reopened and the Repo resumes syncing it
 *   with them. Presence heartbeats (every 15 s) keep a document that someone is looking at open.
 */
import * as A from '@automerge/automerge'
import type { DocHandle, DocumentId, PeerId, Repo } from '@automerge/automerge-repo'
import type { Logger } from 'pino'
import type { ContainerStore } from '@tally/replica'

export interface HandleKeeperOptions {
  /** Evict a handle after this long without a message for it. Default 60 s. */
  idleMs?: number
  /** Never keep more handles than this. Default 2,000. */
  maxOpen?: number
  /** How often to look for handles to evict. Default 10 s. */
  sweepMs?: number
}

export const DEFAULT_IDLE_MS = 60_000
export const DEFAULT_MAX_OPEN = 2_000
const DEFAULT_SWEEP_MS = 10_000

export class HandleKeeper {
  /** Open handles, least recently used first (Map order is insertion order). */
  private readonly used = new Map<DocumentId, number>()
  private readonly interest = new Map<DocumentId, Set<PeerId>>()
  private readonly docsOfPeer = new Map<PeerId, Set<DocumentId>>()
  private readonly timer: NodeJS.Timeout
  private readonly idleMs: number
  private readonly maxOpen: number
  private readonly onStoreChanged = ({ docId }: { docId: string }) => this.storeChanged(docId as DocumentId)
  /** Handles evicted since start, for metrics. */
  evictions = 0

  constructor(
    private readonly repo: Repo,
    private readonly store: ContainerStore,
    private readonly logger: Logger,
    options: HandleKeeperOptions = {},
  ) {
    this.idleMs = options.idleMs ?? DEFAULT_IDLE_MS
    this.maxOpen = options.maxOpen ?? DEFAULT_MAX_OPEN
    this.timer = setInterval(() => this.sweep(), options.sweepMs ?? DEFAULT_SWEEP_MS)
    this.timer.unref()
    store.on('changed', this.onStoreChanged)
  }

  /** A peer sent a message for a document: it is in use, and the peer wants its updates. */
  touch(docId: DocumentId, peerId: PeerId): void {
    this.used.delete(docId)
    this.used.set(docId, Date.now())
    let peers = this.interest.get(docId)
    if (!peers) this.interest.set(docId, (peers = new Set()))
    peers.add(peerId)
    let docs = this.docsOfPeer.get(peerId)
    if (!docs) this.docsOfPeer.set(peerId, (docs = new Set()))
    docs.add(docId)
    if (this.used.size > this.maxOpen) this.sweep()
  }

  /** A peer left: it wants nothing any more. */
  dropPeer(peerId: PeerId): void {
    for (const docId of this.docsOfPeer.get(peerId) ?? []) {
      const peers = this.interest.get(docId)
      peers?.delete(peerId)
      if (peers?.size === 0) this.interest.delete(docId)
    }
    this.docsOfPeer.delete(peerId)
  }

  /** Open handles and documents some connected peer asked for. */
  stats(): { open: number; wanted: number; evictions: number } {
    return {
      open: Object.keys(this.repo.handles).length,
      wanted: this.interest.size,
      evictions: this.evictions,
    }
  }

  /** Evicts idle handles, then the least recently used beyond `maxOpen`. */
  sweep(now = Date.now()): void {
    for (const docId of Object.keys(this.repo.handles) as DocumentId[])
      if (!this.used.has(docId)) this.used.set(docId, now) // opened by the Repo itself: start its clock
    const excess = this.used.size - this.maxOpen
    let evicted = 0
    for (const [docId, at] of this.used) {
      if (now - at < this.idleMs && evicted >= excess) break
      this.evict(docId)
      evicted++
    }
  }

  close(): void {
    clearInterval(this.timer)
    this.store.off('changed', this.onStoreChanged)
  }

  private evict(docId: DocumentId): void {
    this.used.delete(docId)
    if (!this.repo.handles[docId]) return
    this.evictions++
    this.repo
      .removeFromCache(docId)
      .catch((err: unknown) => this.logger.warn({ err, docId }, 'could not evict handle'))
  }

  private storeChanged(docId: DocumentId): void {
    const handle = this.repo.handles[docId] as DocHandle<unknown> | undefined
    if (handle) {
      if (handle.isReady()) this.merge(handle)
      else
        handle
          .whenReady()
          .then(() => this.merge(handle))
          .catch(() => undefined) // unloaded meanwhile: the next open loads from the store
      return
    }
    if (!this.interest.get(docId)?.size) return
    // Evicted while a connected peer still has it open: reopen, and the Repo syncs it with them.
    this.used.set(docId, Date.now())
    this.repo.find(docId).catch((err: unknown) => this.logger.warn({ err, docId }, 'could not reopen handle'))
  }

  /** Loads what the store has and the handle lacks. */
  private merge(handle: DocHandle<unknown>): void {
    handle.update((doc) => {
      const source = this.store.load(handle.documentId)
      if (!source) return doc
      const heads = A.getHeads(doc)
      if (!A.hasHeads(source, heads)) return A.merge(doc, source)
      if (A.getHeads(source).join() === heads.join()) return doc
      return A.loadIncremental(doc, A.saveSince(source, heads))
    })
  }
}
