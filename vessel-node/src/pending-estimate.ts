/**
 * What the relay still lacks, for the sync panel: pending changes by priority class and a forecast
 * of the next session's bytes and cost.
 *
 * Planning the real change set (as a session does) costs seconds for a voyage day, so this estimate
 * is cheaper and incremental: per pending document it reads the changes since the relay's cursor,
 * classifies them with the field catalog, and caches the result under (heads, cursor). A document is
 * looked at again only when it changed or its cursor moved. Each refresh works for a bounded time
 * slice and finishes in the background, so an API answer is never held up by a big backlog.
 */
import { EventEmitter } from 'node:events'
import * as A from '@automerge/automerge'
import {
  classifyChanges,
  genesisActor,
  genesisDoc,
  isReeferType,
  ObjectIndex,
  withCheckDigit,
} from '@tally/manifest'
import type { ContainerKey, PriorityClass } from '@tally/manifest'
import { sameHeads } from '@tally/link'
import type { ContainerStore } from '@tally/replica'
import type { CursorStore } from '@tally/storage-sqlite'

/** Longest a refresh works in one go before yielding to the event loop. */
export const ESTIMATE_SLICE_MS = 25
/** Pause between background slices, so requests are served between them. */
export const ESTIMATE_GAP_MS = 25
/** While a session runs, background work waits this long between checks. */
const BUSY_RECHECK_MS = 1_000
/** A refresh this soon after the last one reuses the list of pending documents. */
const PENDING_LIST_TTL_MS = 250

/** The genesis change of a dry box and of a reefer, decoded once (for any key; see genesisIndex). */
const genesisTemplates = new Map<boolean, A.DecodedChange>()

/**
 * An object index of a container's genesis: its section objects, lists and notes. Every genesis has
 * the same ops apart from its actor (derived from the key) and whether it has a reefer section, so
 * one decoded template per kind, re-labelled with the key's actor, gives the object IDs without
 * building a genesis document per container.
 */
export function genesisIndex(key: ContainerKey, isoType: string): ObjectIndex {
  const reefer = isReeferType(isoType)
  let template = genesisTemplates.get(reefer)
  if (!template) {
    const doc = genesisDoc(
      { vessel: 'IMO0000000', voyage: 'X', containerId: withCheckDigit('TLLU000000') },
      reefer ? '45R1' : '42G1',
    )
    template = A.decodeChange(A.getAllChanges(doc)[0]!)
    genesisTemplates.set(reefer, template)
  }
  const actor = genesisActor(key)
  const suffix = `@${template.actor}`
  // Ops name the objects they write by `counter@actor`: re-label those too.
  const ops = template.ops.map((op) =>
    op.obj.endsWith(suffix) ? { ...op, obj: `${op.obj.slice(0, -suffix.length)}@${actor}` } : op,
  )
  const index = new ObjectIndex()
  index.learn({ ...template, actor, ops })
  index.settle()
  return index
}

export interface PendingEstimate {
  /** Documents whose heads differ from what the relay is known to have. */
  documents: number
  changes: number
  byPriority: Record<PriorityClass, number>
  /** Raw Automerge change bytes pending (before the link's bundling and compression). */
  rawBytes: number
  /** False while some documents are still being looked at (each counts as one normal change). */
  complete: boolean
}

interface DocEstimate {
  stamp: string
  byPriority: Record<PriorityClass, number>
  rawBytes: number
}

interface PendingDoc {
  docId: string
  stamp: string
  since: string[]
  key: { vessel: string; voyage: string; containerId: string }
  isoType: string
}

const zero = (): Record<PriorityClass, number> => ({ critical: 0, normal: 0, routine: 0 })

export class PendingEstimator extends EventEmitter<{ updated: [PendingEstimate] }> {
  private readonly cache = new Map<string, DocEstimate>()
  private pending: { at: number; docs: PendingDoc[] } | null = null
  private background: NodeJS.Timeout | null = null
  private closed = false

  constructor(
    private readonly o: {
      store: ContainerStore
      cursors: CursorStore
      vessel: string
      peer: string
      sliceMs?: number
      /**
       * True while a sync session runs. Its planning reads and classifies the same changes, so the
       * background refresh waits rather than halving the session's speed (a 21-day backlog took
       * a minute longer with both at work).
       */
      busy?: () => boolean
    },
  ) {
    super()
  }

  /** Forget the cached list of pending documents (a document or a cursor changed). */
  invalidate(): void {
    this.pending = null
  }

  close(): void {
    this.closed = true
    if (this.background) clearTimeout(this.background)
    this.background = null
  }

  /** The estimate after at most one time slice of work; the rest continues in the background. */
  current(): PendingEstimate {
    const docs = this.pendingDocs()
    const deadline = performance.now() + (this.o.sliceMs ?? ESTIMATE_SLICE_MS)
    for (const d of docs) {
      if (this.cache.get(d.docId)?.stamp === d.stamp) continue
      if (performance.now() > deadline) break
      this.cache.set(d.docId, this.estimateDoc(d))
    }
    const out = this.sum(docs)
    if (!out.complete) this.continueLater()
    return out
  }

  private continueLater(delayMs = ESTIMATE_GAP_MS): void {
    if (this.background || this.closed) return
    this.background = setTimeout(() => {
      this.background = null
      if (this.closed) return
      if (this.o.busy?.()) return this.continueLater(BUSY_RECHECK_MS)
      const estimate = this.current()
      if (estimate.complete) this.emit('updated', estimate)
    }, delayMs)
    this.background.unref()
  }

  private pendingDocs(): PendingDoc[] {
    const now = performance.now()
    if (this.pending && now - this.pending.at < PENDING_LIST_TTL_MS) return this.pending.docs
    const cursors = this.o.cursors.allHeads(this.o.peer)
    const docs: PendingDoc[] = []
    for (const row of this.o.store.index.allHeads(this.o.vessel)) {
      const heads: string[] = JSON.parse(row.heads)
      const since = cursors.get(row.doc_id) ?? []
      if (sameHeads(heads, since)) continue
      docs.push({
        docId: row.doc_id,
        stamp: `${row.heads}|${since.join(',')}`,
        since,
        key: this.o.store.keyOf(row),
        isoType: row.iso_type,
      })
    }
    // Documents that are no longer pending leave the cache, so it stays as small as the backlog.
    const live = new Set(docs.map((d) => d.docId))
    for (const id of this.cache.keys()) if (!live.has(id)) this.cache.delete(id)
    this.pending = { at: now, docs }
    return docs
  }

  private estimateDoc(d: PendingDoc): DocEstimate {
    const byPriority = zero()
    const doc = this.o.store.load(d.docId)
    if (!doc) return { stamp: d.stamp, byPriority, rawBytes: 0 }
    const known = d.since.filter((h) => A.hasHeads(doc, [h]))
    const raw = A.getChangesSince(doc, known)
    // The section objects come from the deterministic genesis, so an index of the genesis alone
    // resolves nearly every field at a fraction of the cost of indexing the whole document.
    const index = genesisIndex(d.key, d.isoType)
    for (const c of classifyChanges(
      raw.map((r) => A.decodeChange(r)),
      index,
    ))
      byPriority[c.priority]++
    return { stamp: d.stamp, byPriority, rawBytes: raw.reduce((n, r) => n + r.length, 0) }
  }

  private sum(docs: PendingDoc[]): PendingEstimate {
    const byPriority = zero()
    let rawBytes = 0
    let complete = true
    for (const d of docs) {
      const e = this.cache.get(d.docId)
      if (!e || e.stamp !== d.stamp) {
        complete = false
        byPriority.normal++
        continue
      }
      for (const p of Object.keys(byPriority) as PriorityClass[]) byPriority[p] += e.byPriority[p]
      rawBytes += e.rawBytes
    }
    return {
      documents: docs.length,
      changes: byPriority.critical + byPriority.normal + byPriority.routine,
      byPriority,
      rawBytes,
      complete,
    }
  }
}
