/**
 * Edits kept on the tablet while the vessel node is out of reach (patchy Wi-Fi among the stacks):
 * each edit the crew makes then is stored in IndexedDB, in order, and sent when the node answers
 * again, one after the other, oldest first; each leaves the outbox only once the node acknowledged
 * it. Replays are harmless: a PATCH that sets values already set records nothing, and the node
 * takes a reading it already holds (same time and temperatures) as a duplicate.
 */
export interface OutboxEntry {
  key?: number
  method: 'PATCH' | 'POST'
  path: string
  body: unknown
  containerId: string
  at: string
}

const DB_NAME = 'tally-crew-outbox'
const STORE = 'edits'
/** The containers as last seen from the vessel node (tablet-views.ts), in the same database. */
export const VIEWS_STORE = 'views'

/** The tablet's database: the edits waiting (version 1) and the containers last seen (version 2). */
export function openTabletDb(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(DB_NAME, 2)
    req.onupgradeneeded = () => {
      const db = req.result
      if (!db.objectStoreNames.contains(STORE))
        db.createObjectStore(STORE, { keyPath: 'key', autoIncrement: true })
      if (!db.objectStoreNames.contains(VIEWS_STORE))
        db.createObjectStore(VIEWS_STORE, { keyPath: 'containerId' })
    }
    req.onsuccess = () => resolve(req.result)
    req.onerror = () => reject(req.error ?? new Error('IndexedDB unavailable'))
  })
}

/** Runs one request in a transaction on `store`; resolves with its result once the transaction completed. */
export function runIn<T>(
  db: IDBDatabase,
  store: string,
  mode: IDBTransactionMode,
  fn: (s: IDBObjectStore) => IDBRequest<T>,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const tx = db.transaction(store, mode)
    const req = fn(tx.objectStore(store))
    tx.oncomplete = () => resolve(req.result)
    tx.onerror = () => reject(tx.error ?? new Error('IndexedDB write failed'))
  })
}

const run = <T>(db: IDBDatabase, mode: IDBTransactionMode, fn: (s: IDBObjectStore) => IDBRequest<T>) =>
  runIn(db, STORE, mode, fn)

export class TabletOutbox {
  private db: Promise<IDBDatabase> | null = null
  private count = 0
  private readonly listeners = new Set<() => void>()

  private open(): Promise<IDBDatabase> {
    return (this.db ??= openTabletDb())
  }

  /** Keeps an edit; resolves once it is durable on the tablet. */
  async add(entry: Omit<OutboxEntry, 'key'>): Promise<void> {
    await run(await this.open(), 'readwrite', (s) => s.add(entry))
    await this.refresh()
  }

  /** Every kept edit, oldest first. */
  async all(): Promise<OutboxEntry[]> {
    return run(await this.open(), 'readonly', (s) => s.getAll() as IDBRequest<OutboxEntry[]>)
  }

  async remove(key: number): Promise<void> {
    await run(await this.open(), 'readwrite', (s) => s.delete(key))
    await this.refresh()
  }

  async refresh(): Promise<void> {
    const n = await run(await this.open(), 'readonly', (s) => s.count())
    if (n !== this.count) {
      this.count = n
      for (const l of this.listeners) l()
    }
  }

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  getSnapshot = (): number => this.count
}
