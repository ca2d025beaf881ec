/**
 * The containers as the tablet last saw them from the vessel node, kept in IndexedDB, so a container
 * page opened (or reloaded) out of Wi-Fi range still shows it, with the edits waiting on the tablet
 * applied (docs/architecture.md, "The crew tablet out of Wi-Fi range"). Only what the node answered
 * is kept; the edits are applied again from the outbox each time, so none counts twice.
 */
import type { ContainerView, ReeferReading } from '@tally/manifest'
import { openTabletDb, runIn, VIEWS_STORE } from './outbox.ts'
import type { OutboxEntry } from './outbox.ts'

export class TabletViews {
  private db: Promise<IDBDatabase> | null = null

  private open(): Promise<IDBDatabase> {
    return (this.db ??= openTabletDb())
  }

  /** Keeps the node's answer (the latest replaces the one before). */
  async keep(view: ContainerView): Promise<void> {
    await runIn(await this.open(), VIEWS_STORE, 'readwrite', (s) => s.put(view))
  }

  /** The container as last seen, or undefined. */
  async get(containerId: string): Promise<ContainerView | undefined> {
    return runIn(
      await this.open(),
      VIEWS_STORE,
      'readonly',
      (s) => s.get(containerId) as IDBRequest<ContainerView | undefined>,
    )
  }
}

/** A partial view merged section by section, as the node merges a PATCH. */
export function withPatch(view: ContainerView, patch: object): ContainerView {
  const next: Record<string, unknown> = { ...view }
  for (const [section, value] of Object.entries(patch))
    next[section] =
      value !== null && typeof value === 'object' && !Array.isArray(value)
        ? { ...(view as unknown as Record<string, object>)[section], ...value }
        : value
  return next as unknown as ContainerView
}

/** A reefer reading appended, as the node appends it. */
export function withReading(view: ContainerView, reading: ReeferReading): ContainerView {
  return view.reefer
    ? { ...view, reefer: { ...view.reefer, readings: [...view.reefer.readings, reading] } }
    : view
}

/** An edit waiting on the tablet, applied to the view it was made on. */
export function withKeptEdit(view: ContainerView, entry: OutboxEntry): ContainerView {
  return entry.method === 'PATCH'
    ? withPatch(view, entry.body as object)
    : withReading(view, entry.body as ReeferReading)
}
