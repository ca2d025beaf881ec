/**
 * Container views kept by heads. Building a view costs about a millisecond (conflict detection asks
 * Automerge about every field), so a list of 100 would cost 100 ms on every request; the index row
 * carries the document's heads, and a view is rebuilt only when they moved.
 */
import type { ContainerView } from '@tally/manifest'
import type { ContainerStore, ListQuery } from '@tally/replica'

/** Views kept; a voyage is 2,000 containers. */
const DEFAULT_MAX_VIEWS = 2_500

export class ViewCache {
  private readonly views = new Map<string, { heads: string; view: ContainerView }>()

  constructor(
    private readonly store: ContainerStore,
    private readonly max = DEFAULT_MAX_VIEWS,
  ) {}

  /** The current view of a document, or undefined if it does not exist. */
  view(docId: string): ContainerView | undefined {
    const row = this.store.row(docId)
    if (!row) return undefined
    const hit = this.views.get(docId)
    if (hit && hit.heads === row.heads) return hit.view
    const view = this.store.view(docId)
    if (!view) return undefined
    this.views.delete(docId)
    this.views.set(docId, { heads: row.heads, view })
    if (this.views.size > this.max) this.views.delete(this.views.keys().next().value!)
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
}
