/**
 * A synchronous {@link SharedSqlDatabase} on PostgreSQL. The `pg` driver lives in a worker thread
 * (pg-worker.mjs); each statement is posted to it and the calling thread sleeps on a shared flag
 * (Atomics.wait) until the answer is back, so the stores keep their synchronous commits: a chunk is
 * durable in PostgreSQL before the link acknowledges it.
 *
 * The price is that the relay's event loop waits for every round trip (about 0.1–0.3 ms on one
 * host); docs/architecture.md weighs it. One query connection per process is enough, since the
 * process issues one statement at a time; a second connection LISTENs for other relays' notices.
 */
import { EventEmitter } from 'node:events'
import { createRequire } from 'node:module'
import { randomUUID } from 'node:crypto'
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads'
import type { Logger } from 'pino'
import {
  DatabaseUnavailableError,
  type SharedSqlDatabase,
  type SqlRunResult,
  type SqlStatement,
  type SqlTransaction,
} from '@tally/storage-sqlite'
import { bindValues, translatePlaceholders, type TranslatedSql } from './placeholders.ts'

/** The channel every relay LISTENs on for document changes. */
export const CHANGES_CHANNEL = 'tally_changes'
/** How long a statement may run before PostgreSQL cancels it. */
export const STATEMENT_TIMEOUT_MS = 30_000
/** How long to wait for a TCP connection to PostgreSQL. */
export const CONNECT_TIMEOUT_MS = 5_000
/** The calling thread gives up on the worker this long after the statement timeout. */
const WAIT_MARGIN_MS = 5_000

export interface PostgresDatabaseOptions {
  logger?: Logger
  /** Shown in pg_stat_activity. Default `tally`. */
  applicationName?: string
  statementTimeoutMs?: number
}

interface Reply {
  id: number
  rows?: Record<string, unknown>[]
  rowCount?: number
  generation?: number
  error?: { message: string; code?: string }
}

/** SQLSTATE classes and driver errors that mean "the server cannot be reached", not "bad SQL". */
function isUnavailable(code: string | undefined, message: string): boolean {
  if (!code) return /Connection terminated|connection timeout|lost during a transaction/i.test(message)
  return code.startsWith('08') || code.startsWith('57P') || code === '53300' || /^E[A-Z]+$/.test(code)
}

/** The URL without its password, for messages and logs. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url)
    if (u.password) u.password = '***'
    return u.toString()
  } catch {
    return '(unparseable database URL)'
  }
}

/** An error from PostgreSQL, with its SQLSTATE as `code` (like better-sqlite3's `SQLITE_*`). */
export class PostgresError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
  ) {
    super(message)
    this.name = 'PostgresError'
  }
}

export class PostgresDatabase implements SharedSqlDatabase {
  readonly backend = 'postgres' as const
  /** This process's name in change notices, so it skips its own. */
  readonly instanceId = randomUUID()
  private readonly worker: Worker
  private readonly port: MessagePort
  private readonly signal: Int32Array
  private readonly events = new EventEmitter()
  private readonly statements = new Map<string, TranslatedSql>()
  private readonly waitMs: number
  private nextId = 1
  private depth = 0
  private txGeneration: number | undefined
  private closed = false

  /**
   * Connects (throwing {@link DatabaseUnavailableError} with the reason when PostgreSQL cannot be
   * reached). Run `migratePostgres` before using the stores.
   */
  constructor(
    readonly url: string,
    private readonly options: PostgresDatabaseOptions = {},
  ) {
    const flag = new SharedArrayBuffer(4)
    this.signal = new Int32Array(flag)
    const { port1, port2 } = new MessageChannel()
    this.port = port1
    const statementTimeoutMs = options.statementTimeoutMs ?? STATEMENT_TIMEOUT_MS
    this.waitMs = statementTimeoutMs + CONNECT_TIMEOUT_MS + WAIT_MARGIN_MS
    const workerFile = createRequire(import.meta.url).resolve('@tally/storage-postgres/worker')
    this.worker = new Worker(workerFile, {
      workerData: {
        connectionString: url,
        applicationName: options.applicationName ?? 'tally',
        statementTimeoutMs,
        connectTimeoutMs: CONNECT_TIMEOUT_MS,
        channel: CHANGES_CHANNEL,
        port: port2,
        flag,
      },
      transferList: [port2],
    })
    // The worker must not keep a finished CLI command alive.
    this.worker.unref()
    this.worker.on('message', (m: { type: string; payload?: string }) => this.onWorkerMessage(m))
    this.worker.on('error', (err) => options.logger?.error({ err }, 'PostgreSQL worker failed'))
    try {
      this.call({ op: 'connect' })
    } catch (err) {
      this.terminate()
      throw err
    }
  }

  get open(): boolean {
    return !this.closed
  }

  get inTransaction(): boolean {
    return this.depth > 0
  }

  prepare<P extends unknown[] | object = unknown[], R = unknown>(
    sql: string,
  ): P extends unknown[] ? SqlStatement<P, R> : SqlStatement<[P], R> {
    const translated = this.translate(sql)
    const statement: SqlStatement<unknown[], R> = {
      run: (...params) => ({ changes: this.query(translated, params).rowCount }) satisfies SqlRunResult,
      get: (...params) => this.query(translated, params).rows[0] as R | undefined,
      all: (...params) => this.query(translated, params).rows as R[],
    }
    return statement as P extends unknown[] ? SqlStatement<P, R> : SqlStatement<[P], R>
  }

  exec(sql: string): this {
    this.call({ op: 'query', sql, params: [] })
    return this
  }

  transaction<F extends (...params: any[]) => unknown>(fn: F): SqlTransaction<F> {
    const run = (...params: unknown[]): ReturnType<F> => {
      const outer = this.depth === 0
      const savepoint = `tally_sp_${this.depth}`
      if (outer) {
        const begun = this.call({ op: 'query', sql: 'BEGIN', params: [] })
        this.txGeneration = begun.generation
      } else this.exec(`SAVEPOINT ${savepoint}`)
      this.depth += 1
      let result: ReturnType<F>
      try {
        result = fn(...params) as ReturnType<F>
      } catch (err) {
        this.depth -= 1
        this.rollback(outer, savepoint)
        throw err
      }
      this.depth -= 1
      if (outer) {
        try {
          this.exec('COMMIT')
        } finally {
          this.txGeneration = undefined
        }
      } else this.exec(`RELEASE SAVEPOINT ${savepoint}`)
      return result
    }
    return run as SqlTransaction<F>
  }

  lockDocument(docId: string): void {
    if (this.depth === 0) throw new Error('lockDocument needs a transaction')
    // hashtextextended: a 64-bit lock key from the document ID; a collision only serialises two documents.
    this.prepare('SELECT pg_advisory_xact_lock(hashtextextended(?, 0))').get(docId)
  }

  announceDocumentChanged(docId: string): void {
    this.prepare('SELECT pg_notify(?, ?)').get(CHANGES_CHANNEL, `${this.instanceId} ${docId}`)
  }

  onRemoteDocumentChanged(listener: (docId: string) => void): () => void {
    this.startListening()
    this.events.on('remote', listener)
    return () => this.events.off('remote', listener)
  }

  onNoticesResumed(listener: () => void): () => void {
    this.startListening()
    this.events.on('resumed', listener)
    return () => this.events.off('resumed', listener)
  }

  onNoticesLost(listener: () => void): () => void {
    this.startListening()
    this.events.on('lost', listener)
    return () => this.events.off('lost', listener)
  }

  /** Whether the notice connection is up (false while PostgreSQL is away). */
  listening = false

  close(): void {
    if (this.closed) return
    try {
      this.call({ op: 'close' })
    } catch {
      // Closing anyway.
    }
    this.terminate()
  }

  private terminate(): void {
    this.closed = true
    this.port.close()
    void this.worker.terminate()
  }

  private listenRequested = false

  private startListening(): void {
    if (this.listenRequested) return
    this.listenRequested = true
    this.listening = true
    this.worker.postMessage({ type: 'listen' })
  }

  private onWorkerMessage(m: { type: string; payload?: string }): void {
    if (m.type === 'notice' && m.payload) {
      const space = m.payload.indexOf(' ')
      if (space < 0 || m.payload.slice(0, space) === this.instanceId) return
      this.events.emit('remote', m.payload.slice(space + 1))
    } else if (m.type === 'notices-lost') {
      this.listening = false
      this.options.logger?.warn('lost the PostgreSQL notice connection; reconnecting')
      this.events.emit('lost')
    } else if (m.type === 'notices-resumed') {
      this.listening = true
      this.options.logger?.info('PostgreSQL notice connection restored')
      this.events.emit('resumed')
    }
  }

  private rollback(outer: boolean, savepoint: string): void {
    try {
      if (outer) this.exec('ROLLBACK')
      else this.exec(`ROLLBACK TO SAVEPOINT ${savepoint}; RELEASE SAVEPOINT ${savepoint}`)
    } catch {
      // The connection is gone, and the transaction with it.
    } finally {
      if (outer) this.txGeneration = undefined
    }
  }

  private translate(sql: string): TranslatedSql {
    let translated = this.statements.get(sql)
    if (!translated) {
      translated = translatePlaceholders(sql)
      this.statements.set(sql, translated)
    }
    return translated
  }

  private query(
    sql: TranslatedSql,
    params: unknown[],
  ): { rows: Record<string, unknown>[]; rowCount: number } {
    const reply = this.call({ op: 'query', sql: sql.text, params: bindValues(sql, params) })
    const rows = reply.rows ?? []
    for (const row of rows)
      for (const [column, value] of Object.entries(row))
        // bytea crosses the thread as a Uint8Array; better-sqlite3 hands out Buffers.
        if (value instanceof Uint8Array && !Buffer.isBuffer(value))
          row[column] = Buffer.from(value.buffer, value.byteOffset, value.byteLength)
    return { rows, rowCount: reply.rowCount ?? 0 }
  }

  private call(message: { op: string; sql?: string; params?: unknown[] }): Reply {
    if (this.closed) throw new DatabaseUnavailableError('the PostgreSQL connection is closed')
    const id = this.nextId++
    Atomics.store(this.signal, 0, 0)
    this.port.postMessage({ ...message, id, generation: this.depth > 0 ? this.txGeneration : undefined })
    const deadline = Date.now() + this.waitMs
    for (;;) {
      const received = receiveMessageOnPort(this.port)
      if (received) {
        const reply = received.message as Reply
        if (reply.id !== id) continue // the late answer to a call that timed out
        if (reply.error) throw this.toError(reply.error)
        return reply
      }
      const left = deadline - Date.now()
      if (left <= 0 || Atomics.wait(this.signal, 0, 0, left) === 'timed-out')
        throw new DatabaseUnavailableError(`no answer from PostgreSQL within ${this.waitMs} ms`)
      Atomics.store(this.signal, 0, 0)
    }
  }

  private toError(error: { message: string; code?: string }): Error {
    if (error.code === '53300')
      return new DatabaseUnavailableError(
        `PostgreSQL has no free connection for this relay (${error.message}); ` +
          `each relay holds two connections: raise max_connections or the role's connection limit`,
      )
    if (isUnavailable(error.code, error.message))
      return new DatabaseUnavailableError(
        `PostgreSQL at ${redactUrl(this.url)} is unavailable: ${error.message || error.code}`,
      )
    return new PostgresError(error.message, error.code)
  }
}
