/**
 * What waits at the relay for a vessel, by priority class (critical, normal, routine): the changes
 * of every document whose heads the vessel has not acknowledged, classified the way the link will
 * order them. Classifying decodes changes, so the answer is cached briefly and bounded in documents;
 * a fleet that is in sync has nothing to classify.
 */
import * as A from '@automerge/automerge'
import { classifyChanges, ObjectIndex } from '@tally/manifest'
import { sameHeads } from '@tally/link'
import type { RelayContext } from '../context.ts'

/** Pending changes by class. `docs` counts documents; `partial` when only the first docs were classified. */
export interface PendingByPriority {
  critical: number
  normal: number
  routine: number
  docs: number
  partial: boolean
}

/**
 * Documents classified per vessel and refresh; beyond this the figure is a lower bound. A fresh
 * manifest leaves thousands of documents pending per vessel: classifying them all on every scrape
 * would load the whole fleet into memory, for a figure that only needs to say "a lot".
 */
export const MAX_CLASSIFIED_DOCS = 100
/** How long a vessel's figure is reused (a session ending invalidates it sooner). */
export const QUEUE_CACHE_MS = 60_000

export class RelayQueue {
  private readonly cache = new Map<string, { at: number; value: PendingByPriority }>()

  constructor(
    private readonly ctx: RelayContext,
    private readonly now: () => number = Date.now,
  ) {}

  /** The relay's backlog for `vessel`. */
  toVessel(vessel: string): PendingByPriority {
    const hit = this.cache.get(vessel)
    if (hit && this.now() - hit.at < QUEUE_CACHE_MS) return hit.value
    const value = this.compute(vessel)
    this.cache.set(vessel, { at: this.now(), value })
    return value
  }

  /** Forgets cached figures (after a session moved the backlog). */
  invalidate(vessel?: string): void {
    if (vessel) this.cache.delete(vessel)
    else this.cache.clear()
  }

  private compute(vessel: string): PendingByPriority {
    const { store, cursors } = this.ctx
    const acknowledged = cursors.allHeads(vessel)
    const out: PendingByPriority = { critical: 0, normal: 0, routine: 0, docs: 0, partial: false }
    for (const row of store.index.allHeads(vessel)) {
      const since = acknowledged.get(row.doc_id) ?? []
      if (sameHeads(JSON.parse(row.heads) as string[], since)) continue
      out.docs++
      if (out.docs > MAX_CLASSIFIED_DOCS) {
        out.partial = true
        continue
      }
      const doc = store.load(row.doc_id)
      if (!doc) continue
      const known = since.filter((h) => A.hasHeads(doc, [h]))
      const changes = A.getChangesSince(doc, known).map((c) => A.decodeChange(c))
      for (const { priority } of classifyChanges(changes, ObjectIndex.fromDoc(doc))) out[priority]++
    }
    return out
  }
}
