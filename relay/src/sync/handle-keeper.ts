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
  /** Never keep more handles than this. Default 1,000 (about 90 kB each). */
  maxOpen?: number
  /** How often to look for handles to evict. Default 10 s. */
  sweepMs?: number
  /** A handle stays this long after its last message, even above the cap. Default 5 s. */
  minResidencyMs?: number
}

export const DEFAULT_IDLE_MS = 60_000
export const DEFAULT_MAX_OPEN = 1_000
const DEFAULT_SWEEP_MS = 10_000
const DEFAULT_MIN_RESIDENCY_MS = 5_000
/** How long an evicted handle's document lives on before its memory is freed. */
const FREE_DELAY_MS = 10_000

function freeQuietly(doc: A.Doc<unknown>): void {
  try {
    A.free(doc)
  } catch {
    // Already freed: nothing to give back.
  }
}

export class HandleKeeper {
  /** Open handles, least recently used first (Map order is insertion order). */
  private readonly used = new Map<DocumentId, number>()
  private readonly interest = new Map<DocumentId, Set<PeerId>>()
  private readonly docsOfPeer = new Map<PeerId, Set<DocumentId>>()
  /** Handles being removed from the Repo (it takes a moment); not counted, not evicted twice. */
  private readonly evicting = new Set<DocumentId>()
  private readonly timer: NodeJS.Timeout
  private readonly idleMs: number
  private readonly maxOpen: number
  private readonly minResidencyMs: number
  private readonly onStoreChanged = ({ docId }: { docId: string }) => this.storeChanged(docId as DocumentId)
  /** Other relays' notices were lost for a while: every open document may lag behind the store. */
  private readonly onResynced = () => {
    for (const docId of Object.keys(this.repo.handles) as DocumentId[])
      try {
        this.storeChanged(docId)
      } catch (err) {
        // The database went away again: the next notice or message brings this handle up to date.
        this.logger.warn({ err: (err as Error).message, docId }, 'could not refresh a handle after resync')
      }
  }
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
    this.minResidencyMs = options.minResidencyMs ?? DEFAULT_MIN_RESIDENCY_MS
    this.timer = setInterval(() => this.sweep(), options.sweepMs ?? DEFAULT_SWEEP_MS)
    this.timer.unref()
    store.on('changed', this.onStoreChanged)
    store.on('resynced', this.onResynced)
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

  /**
   * Opens a document's handle from the store, unless it is open. The relay opens handles itself
   * rather than through `Repo.find`.
   *
   * Regression: `Repo.find` races the loading of a document against one module-level promise that
   * never settles, and every such race, with the loaded document in it, stays reachable for the life
   * of the process (automerge-repo 2.5): about 13 kB per document ever opened. A handle created with
   * `import` and marked loaded is found in the Repo's cache, so `find` never starts that race.
   */
  open(docId: DocumentId): void {
    if (this.repo.handles[docId]) return
    const parts = this.store.chunks.load(docId)
    if (parts.length === 0) return
    const handle = this.repo.import(concat(parts), { docId })
    handle.doneLoading()
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
      if (!this.used.has(docId) && !this.evicting.has(docId)) this.used.set(docId, now) // opened by the Repo itself
    const excess = this.used.size - this.maxOpen
    let evicted = 0
    for (const [docId, at] of this.used) {
      // Oldest first. A handle touched moments ago may still be loading or answering a message it
      // was opened for; evicting it then would strand that message, so the cap waits for it.
      if (now - at < this.idleMs && (evicted >= excess || now - at < this.minResidencyMs)) break
      this.evict(docId)
      evicted++
    }
  }

  close(): void {
    clearInterval(this.timer)
    this.store.off('changed', this.onStoreChanged)
    this.store.off('resynced', this.onResynced)
  }

  private evict(docId: DocumentId): void {
    this.used.delete(docId)
    const handle = this.repo.handles[docId]
    if (!handle) return
    this.evictions++
    this.evicting.add(docId)
    const doc = handle.isReady() ? handle.doc() : undefined
    this.repo
      .removeFromCache(docId)
      .finally(() => this.evicting.delete(docId))
      .then(() => {
        // The document's WebAssembly memory would otherwise wait for V8 to collect its wrapper,
        // which a small JS heap may not do for a long time; WebAssembly memory never shrinks, so
        // what is not given back is grown past. The delay outlasts the Repo's throttled saves and
        // syncs (100 ms), which may still read the document.
        if (doc) setTimeout(() => freeQuietly(doc), FREE_DELAY_MS).unref()
      })
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
    try {
      this.open(docId)
    } catch (err) {
      this.logger.warn({ err, docId }, 'could not reopen handle')
    }
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

function concat(parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0]!
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let offset = 0
  for (const p of parts) {
    out.set(p, offset)
    offset += p.length
  }
  return out
}
