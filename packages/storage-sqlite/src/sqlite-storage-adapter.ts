import Database from 'better-sqlite3'
import type { Chunk, StorageAdapterInterface, StorageKey } from '@automerge/automerge-repo'
import type { Logger } from 'pino'
import { mapDiskFull, withDiskFullRecovery, type DiskFullRecoveryOptions } from './disk-full.ts'
import { silentLogger } from './silent-logger.ts'
import { isSharedDatabase, type SqlDatabase, type SqlStatement } from './sql-database.ts'
import { decodeStorageKey, encodeStorageKey, storageKeyRange } from './storage-key.ts'

/** Table holding automerge-repo's chunks unless {@link SqliteStorageAdapterOptions.tableName} says otherwise. */
export const DEFAULT_CHUNK_TABLE = 'automerge_chunks'

/**
 * `FULL` fsyncs the WAL on every commit, so a resolved `save()` survives power loss as well as a
 * killed process. `NORMAL` (with WAL) survives `kill -9` but may lose the last commits on power loss
 * or an OS crash. `inherit` leaves a shared connection's setting alone.
 */
export type SynchronousMode = 'FULL' | 'NORMAL' | 'inherit'

/** Options for {@link SqliteStorageAdapter}. */
export interface SqliteStorageAdapterOptions {
  logger?: Logger
  /** Table name (letters, digits, underscore). Default {@link DEFAULT_CHUNK_TABLE}. */
  tableName?: string
  /** Applied to the connection on construction. Default `FULL`: acknowledged means durable. */
  synchronous?: SynchronousMode
  /**
   * When set, a write that hits a full disk prunes sync logs older than `keepDays` and retries once.
   * Needs the `sync_sessions` table from `openTallyDatabase`. Without it, the write fails with
   * `DiskFullError` straight away.
   */
  diskFullRecovery?: Omit<DiskFullRecoveryOptions, 'logger'>
}

interface ChunkRow {
  key: string
  data: Buffer
}

const TABLE_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/

/**
 * Creates the chunk table if it does not exist. `key` holds the encoded storage key (see
 * `storage-key.ts`); its UNIQUE index serves both point lookups and prefix range scans. The rowid
 * keeps insertion order, which `loadRange` returns (automerge-repo's acceptance suite expects it).
 */
export function ensureChunkTable(db: SqlDatabase, tableName: string = DEFAULT_CHUNK_TABLE): void {
  if (!TABLE_NAME_PATTERN.test(tableName)) throw new Error(`invalid chunk table name: ${tableName}`)
  db.exec(`CREATE TABLE IF NOT EXISTS ${tableName} (
    id INTEGER PRIMARY KEY,
    key TEXT NOT NULL UNIQUE,
    data BLOB NOT NULL
  )`)
}

/**
 * automerge-repo storage on SQLite (better-sqlite3).
 *
 * Every method does its work synchronously before it returns its promise, so when `save()` resolves
 * the row is committed (and, with the default `synchronous = FULL`, fsynced). Give it a filename to
 * own the connection (WAL mode is switched on), or an open `Database` to share one file with the
 * relay's or vessel node's own tables.
 */
export class SqliteStorageAdapter implements StorageAdapterInterface {
  /** The connection in use; shared with the caller if one was passed in. */
  readonly db: SqlDatabase
  private readonly ownsDatabase: boolean
  private readonly logger: Logger
  private readonly diskFullRecovery: Omit<DiskFullRecoveryOptions, 'logger'> | undefined
  private readonly statements: {
    get: SqlStatement<[string], { data: Buffer }>
    upsert: SqlStatement<[string, Uint8Array]>
    delete: SqlStatement<[string]>
    range: SqlStatement<[string, string, string], ChunkRow>
    deleteRange: SqlStatement<[string, string, string]>
  }

  constructor(database: string | SqlDatabase, options: SqliteStorageAdapterOptions = {}) {
    this.logger = (options.logger ?? silentLogger()).child({ component: 'SqliteStorageAdapter' })
    this.diskFullRecovery = options.diskFullRecovery
    if (typeof database === 'string') {
      const file = new Database(database)
      this.db = file
      this.ownsDatabase = true
      const mode = file.pragma('journal_mode = WAL', { simple: true })
      // In-memory databases cannot use WAL; anything else means the file is not what we think.
      if (mode !== 'wal' && database !== ':memory:' && database !== '') {
        this.logger.warn({ mode, database }, 'could not switch the database to WAL mode')
      }
    } else {
      this.db = database
      this.ownsDatabase = false
    }
    // A shared PostgreSQL connection is durable on commit, and its tables come from its migrations.
    const shared = isSharedDatabase(this.db)
    const synchronous = shared ? 'inherit' : (options.synchronous ?? 'FULL')
    if (synchronous !== 'inherit') (this.db as Database.Database).pragma(`synchronous = ${synchronous}`)

    const table = options.tableName ?? DEFAULT_CHUNK_TABLE
    if (!shared) ensureChunkTable(this.db, table)
    // `key = ? OR key in [lower, upper)` is planned as two index searches (OR optimization).
    const inRange = `key = ? OR (key >= ? AND key < ?)`
    this.statements = {
      get: this.db.prepare(`SELECT data FROM ${table} WHERE key = ?`),
      // ON CONFLICT DO UPDATE keeps the original rowid, so an overwrite keeps its place in the order.
      upsert: this.db.prepare(
        `INSERT INTO ${table} (key, data) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET data = excluded.data`,
      ),
      delete: this.db.prepare(`DELETE FROM ${table} WHERE key = ?`),
      range: this.db.prepare(`SELECT key, data FROM ${table} WHERE ${inRange} ORDER BY id`),
      deleteRange: this.db.prepare(`DELETE FROM ${table} WHERE ${inRange}`),
    }
    this.logger.debug({ table, synchronous, owned: this.ownsDatabase }, 'storage adapter ready')
  }

  /** {@inheritDoc StorageAdapterInterface.load} */
  async load(key: StorageKey): Promise<Uint8Array | undefined> {
    const row = this.statements.get.get(encodeStorageKey(key))
    return row ? toUint8Array(row.data) : undefined
  }

  /** {@inheritDoc StorageAdapterInterface.save} Rejects with `DiskFullError` if the disk is full. */
  async save(key: StorageKey, data: Uint8Array): Promise<void> {
    const encoded = encodeStorageKey(key)
    this.write('save a chunk', () => this.statements.upsert.run(encoded, data))
  }

  /**
   * Saves several chunks in one transaction: all or none, one fsync. For a receiver that commits a
   * whole batch of changes before acknowledging it.
   */
  async saveMany(chunks: ReadonlyArray<{ key: StorageKey; data: Uint8Array }>): Promise<void> {
    const rows = chunks.map((c) => [encodeStorageKey(c.key), c.data] as const)
    const insertAll = this.db.transaction(() => {
      for (const [key, data] of rows) this.statements.upsert.run(key, data)
    })
    this.write('save chunks', () => insertAll())
  }

  /** {@inheritDoc StorageAdapterInterface.remove} */
  async remove(key: StorageKey): Promise<void> {
    const encoded = encodeStorageKey(key)
    this.write('remove a chunk', () => this.statements.delete.run(encoded))
  }

  /** {@inheritDoc StorageAdapterInterface.loadRange} Chunks come back in the order they were first saved. */
  async loadRange(keyPrefix: StorageKey): Promise<Chunk[]> {
    const { exact, lower, upper } = storageKeyRange(keyPrefix)
    return this.statements.range
      .all(exact, lower, upper)
      .map((row) => ({ key: decodeStorageKey(row.key), data: toUint8Array(row.data) }))
  }

  /** {@inheritDoc StorageAdapterInterface.removeRange} */
  async removeRange(keyPrefix: StorageKey): Promise<void> {
    const { exact, lower, upper } = storageKeyRange(keyPrefix)
    this.write('remove chunks', () => this.statements.deleteRange.run(exact, lower, upper))
  }

  /** Closes the connection if this adapter opened it; a shared connection stays open. */
  close(): void {
    if (this.ownsDatabase && this.db.open) this.db.close()
  }

  private write<T>(operation: string, fn: () => T): T {
    if (this.diskFullRecovery) {
      return withDiskFullRecovery(this.db, operation, fn, { ...this.diskFullRecovery, logger: this.logger })
    }
    return mapDiskFull(operation, fn)
  }
}

/**
 * better-sqlite3 returns Buffers; automerge-repo (and its acceptance suite, which compares with
 * `toStrictEqual`) expects plain Uint8Arrays. Copying also detaches the result from Node's pool.
 */
function toUint8Array(buffer: Buffer): Uint8Array {
  return new Uint8Array(buffer)
}
