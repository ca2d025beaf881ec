/**
 * The synchronous SQL connection every Tally store is written against. better-sqlite3's `Database`
 * satisfies it as it is (the embedded default); `@tally/storage-postgres` implements it on
 * PostgreSQL. The stores write SQL both engines accept: `?` or `@name` parameters, `ON CONFLICT`
 * upserts, `RETURNING`, no scalar `MAX(a, b)`; each backend has its own migrations for the DDL.
 *
 * Why synchronous: a chunk from the link must commit before its acknowledgement leaves, and the
 * document store, the link's replica and the REST editor were all built on synchronous commits.
 * docs/architecture.md explains the trade-off on PostgreSQL.
 */

/** The result of a write: how many rows it touched. */
export interface SqlRunResult {
  changes: number
}

/** A prepared statement: `?` parameters in order, or one object of `@name` parameters. */
export interface SqlStatement<P extends unknown[] = unknown[], R = unknown> {
  run(...params: P): SqlRunResult
  get(...params: P): R | undefined
  all(...params: P): R[]
}

type VariableArgFunction = (...params: any[]) => unknown
type ArgumentTypes<F extends VariableArgFunction> = F extends (...args: infer A) => unknown ? A : never

/** A function that runs its body in a transaction (typed as better-sqlite3 types it). */
export type SqlTransaction<F extends VariableArgFunction> = (...params: ArgumentTypes<F>) => ReturnType<F>

/** A database connection the stores share (one per process and backend). */
export interface SqlDatabase {
  // The same signature as better-sqlite3's, so its Database is a SqlDatabase as it is.
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  prepare<P extends unknown[] | {} = unknown[], R = unknown>(
    sql: string,
  ): P extends unknown[] ? SqlStatement<P, R> : SqlStatement<[P], R>
  /** Runs statements without parameters (separated by `;`). */
  exec(sql: string): unknown
  /** Wraps `fn` in a transaction (a savepoint when nested); commits when it returns, rolls back on throw. */
  transaction<F extends VariableArgFunction>(fn: F): SqlTransaction<F>
  readonly open: boolean
  /** True inside `transaction`. */
  readonly inTransaction: boolean
  close(): unknown
}

/** What a shared, multi-process backend adds: per-document locks and change notices between processes. */
export interface SharedSqlDatabase extends SqlDatabase {
  readonly backend: 'postgres'
  /**
   * Holds the document's lock until the current transaction ends, so two processes writing one
   * document take turns (call inside `transaction`).
   */
  lockDocument(docId: string): void
  /** Tells every other process, when the current transaction commits, that a document changed. */
  announceDocumentChanged(docId: string): void
  /** Called for documents another process changed (after its commit). Returns an unsubscribe. */
  onRemoteDocumentChanged(listener: (docId: string) => void): () => void
  /**
   * Called when change notices may have been missed (the notice connection was lost and is back):
   * anything cached from the database must be read again. Returns an unsubscribe.
   */
  onNoticesResumed(listener: () => void): () => void
  /**
   * Called when the notice connection is lost: until it resumes, another process's change may go
   * unannounced, so nothing cached may be served without checking it. Returns an unsubscribe.
   */
  onNoticesLost(listener: () => void): () => void
}

/** Whether the connection is shared with other processes (PostgreSQL), rather than an embedded file. */
export function isSharedDatabase(db: SqlDatabase): db is SharedSqlDatabase {
  return (db as Partial<SharedSqlDatabase>).backend === 'postgres'
}

/**
 * The database cannot be reached (a shared server is down, restarting, or has no free connection).
 * The relay answers 503 and closes links with a retryable code; the work can be tried again.
 */
export class DatabaseUnavailableError extends Error {
  /** Read by the link to close with its retryable `Unavailable` code. */
  readonly unavailable = true
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'DatabaseUnavailableError'
  }
}
