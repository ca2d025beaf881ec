/**
 * The relay Repo's storage: a read-only window on the ContainerStore's chunk table. The store owns
 * every write (it also keeps the summary index and the link's view current), so the Repo loads
 * documents from the same rows and its own writes are dropped: everything a Repo handle holds came
 * from the store in the first place, or was committed to it by the change gate before the Repo saw it.
 *
 * Only the Repo's storage ID is persisted, so clients keep recognising the relay across restarts.
 */
import type { SqlDatabase } from '@tally/storage-sqlite'
import type { StorageAdapterInterface } from '@automerge/automerge-repo'
import { SqliteStorageAdapter } from '@tally/storage-sqlite'

type StorageKey = string[]
type Chunk = { key: StorageKey; data: Uint8Array | undefined }

const STORAGE_ID_KEY = 'storage-adapter-id'
/** Document chunk kinds the store writes; sync states and anything else are never stored. */
const DOCUMENT_CHUNKS = new Set(['snapshot', 'incremental'])

const isStorageId = (key: StorageKey) => key.length === 1 && key[0] === STORAGE_ID_KEY

export class ContainerStoreStorage implements StorageAdapterInterface {
  private readonly chunks: SqliteStorageAdapter

  constructor(db: SqlDatabase) {
    // 'inherit': the relay's connection already runs with synchronous = FULL.
    this.chunks = new SqliteStorageAdapter(db, { synchronous: 'inherit' })
  }

  async load(key: StorageKey): Promise<Uint8Array | undefined> {
    return isStorageId(key) ? this.chunks.load(key) : undefined
  }

  async save(key: StorageKey, data: Uint8Array): Promise<void> {
    if (isStorageId(key)) await this.chunks.save(key, data)
  }

  async remove(): Promise<void> {}

  async loadRange(prefix: StorageKey): Promise<Chunk[]> {
    if (prefix.length !== 2 || !DOCUMENT_CHUNKS.has(prefix[1]!)) return []
    return this.chunks.loadRange(prefix)
  }

  async removeRange(): Promise<void> {}
}
