import { randomUUID } from 'node:crypto'
import type { SqlDatabase } from './sql-database.ts'
import { isoNow, systemClock, type Clock } from './clock.ts'
import type { StoreOptions } from './store-options.ts'

/** Link price used when none is configured (docs/protocol.md: about $10 per MB). */
export const DEFAULT_USD_PER_MB = 10
/** Satellite traffic is billed in decimal megabytes. */
export const BYTES_PER_MB = 1_000_000

/** Outcome of a sync session; `running` until it is finished. */
export type SyncSessionState = 'running' | 'complete' | 'failed' | 'aborted'

/**
 * A row is a `session` (one exchange of change sets, ended by `fin`; with protocol version 3 a
 * round on a long-lived connection) or a `connection`: the bytes of the link connection that no
 * session carried (TCP/TLS and WebSocket set-up, keepalive, pokes, close), so the sum over all rows
 * is every byte the link moved.
 */
export type SyncSessionKind = 'session' | 'connection'

/** Traffic counters of one session. */
export interface SyncSessionCounters {
  bytesUp: number
  bytesDown: number
  chunksUp: number
  chunksDown: number
  changesUp: number
  changesDown: number
  /** Changes or chunks refused by policy. */
  rejected: number
}

/** One row of `sync_sessions`. */
export interface SyncSessionRecord extends SyncSessionCounters {
  id: string
  peer: string
  startedAt: string
  endedAt: string | null
  /** endedAt - startedAt, or null while running. */
  durationMs: number | null
  state: SyncSessionState
  /** (bytesUp + bytesDown) at the log's $/MB, kept current as counters grow. */
  costUsd: number
  error: string | null
  /** The daily byte budget held normal or routine changes back (only critical ones went). */
  budgetLimited: boolean
  kind: SyncSessionKind
  /** The connection row this session ran on, if it was recorded (protocol version 3). */
  connectionId: string | null
}

/** Sums over many sessions. Bytes and cost count every row, connections included. */
export interface SyncTotals extends SyncSessionCounters {
  /** Session rows (not connections). */
  sessions: number
  /** Connection rows: link connections opened. */
  connections: number
  failed: number
  costUsd: number
  /** Sessions in which the daily byte budget held changes back. */
  budgetLimited: number
}

/** {@link SyncTotals} for one UTC day (`YYYY-MM-DD`). */
export interface DailySyncTotals extends SyncTotals {
  day: string
}

/** Bytes and sessions of one UTC hour (`YYYY-MM-DDTHH`, by `started_at`). */
export interface HourlySyncTotals {
  hour: string
  bytesUp: number
  bytesDown: number
  sessions: number
}

/** Options for {@link SessionLog}. */
export interface SessionLogOptions extends StoreOptions {
  /** Price of one MB (10^6 bytes) over the link. Default {@link DEFAULT_USD_PER_MB}. */
  usdPerMb?: number
}

interface SessionRow {
  id: string
  peer: string
  started_at: string
  ended_at: string | null
  state: SyncSessionState
  bytes_up: number
  bytes_down: number
  chunks_up: number
  chunks_down: number
  changes_up: number
  changes_down: number
  rejected: number
  cost_usd: number
  error: string | null
  budget_limited: number
  kind: SyncSessionKind
  connection_id: string | null
}

type TotalsRow = Omit<
  SessionRow,
  'id' | 'peer' | 'started_at' | 'ended_at' | 'state' | 'error' | 'kind' | 'connection_id'
> & {
  sessions: number
  connections: number
  failed: number
}

const TOTALS_COLUMNS = `COALESCE(SUM(CASE WHEN kind = 'session' THEN 1 ELSE 0 END), 0) AS sessions,
  COALESCE(SUM(CASE WHEN kind = 'connection' THEN 1 ELSE 0 END), 0) AS connections,
  COALESCE(SUM(CASE WHEN state = 'failed' AND kind = 'session' THEN 1 ELSE 0 END), 0) AS failed,
  COALESCE(SUM(bytes_up), 0) AS bytes_up, COALESCE(SUM(bytes_down), 0) AS bytes_down,
  COALESCE(SUM(chunks_up), 0) AS chunks_up, COALESCE(SUM(chunks_down), 0) AS chunks_down,
  COALESCE(SUM(changes_up), 0) AS changes_up, COALESCE(SUM(changes_down), 0) AS changes_down,
  COALESCE(SUM(rejected), 0) AS rejected, COALESCE(SUM(cost_usd), 0) AS cost_usd,
  COALESCE(SUM(budget_limited), 0) AS budget_limited`

/**
 * Accounting of link sessions (docs/protocol.md "Accounting"): bytes, chunks, changes and rejections each
 * way, duration, cost and outcome. Counters are added as the session runs, so a session cut short
 * by a crash still shows what it moved.
 */
export class SessionLog {
  private readonly clock: Clock
  private readonly usdPerByte: number
  private readonly stmts: ReturnType<typeof prepareStatements>

  constructor(db: SqlDatabase, options: SessionLogOptions = {}) {
    this.clock = options.clock ?? systemClock
    const usdPerMb = options.usdPerMb ?? DEFAULT_USD_PER_MB
    if (!(usdPerMb >= 0)) throw new RangeError(`usdPerMb must be >= 0, got ${usdPerMb}`)
    this.usdPerByte = usdPerMb / BYTES_PER_MB
    this.stmts = prepareStatements(db)
  }

  /**
   * Opens a `running` session (or, with `kind: 'connection'`, a connection row) for `peer` and
   * returns its ID. `connection` links a session to the connection row it ran on.
   */
  start(
    peer: string,
    options: { id?: string; startedAt?: string; kind?: SyncSessionKind; connection?: string } = {},
  ): string {
    const id = options.id ?? randomUUID()
    this.stmts.insert.run(
      id,
      peer,
      options.startedAt ?? isoNow(this.clock),
      options.kind ?? 'session',
      options.connection ?? null,
    )
    return id
  }

  /** Adds to the session's counters (missing fields add 0) and updates its cost. */
  add(id: string, delta: Partial<SyncSessionCounters>): void {
    const result = this.stmts.add.run({
      id,
      rate: this.usdPerByte,
      bytes_up: delta.bytesUp ?? 0,
      bytes_down: delta.bytesDown ?? 0,
      chunks_up: delta.chunksUp ?? 0,
      chunks_down: delta.chunksDown ?? 0,
      changes_up: delta.changesUp ?? 0,
      changes_down: delta.changesDown ?? 0,
      rejected: delta.rejected ?? 0,
    })
    if (result.changes === 0) throw new Error(`unknown sync session ${id}`)
  }

  /**
   * Ends the session with an outcome (the error, for a failure; whether the budget held changes
   * back) and returns the final row.
   */
  finish(
    id: string,
    outcome: { state: Exclude<SyncSessionState, 'running'>; error?: string; budgetLimited?: boolean },
  ): SyncSessionRecord {
    const result = this.stmts.finish.run(
      outcome.state,
      isoNow(this.clock),
      outcome.error ?? null,
      outcome.budgetLimited ? 1 : 0,
      id,
    )
    if (result.changes === 0) throw new Error(`unknown sync session ${id}`)
    return this.get(id)!
  }

  /** One session, or undefined. */
  get(id: string): SyncSessionRecord | undefined {
    const row = this.stmts.get.get(id)
    return row ? toRecord(row) : undefined
  }

  /**
   * Sessions, newest first, optionally for one peer and/or started before `before`. Connection
   * rows only when asked for (`kind: 'connection'`, or `'all'`).
   */
  list(
    filter: { peer?: string; before?: string; limit?: number; kind?: SyncSessionKind | 'all' } = {},
  ): SyncSessionRecord[] {
    return this.stmts.list
      .all({
        peer: filter.peer ?? null,
        before: filter.before ?? null,
        limit: filter.limit ?? 100,
        kind: filter.kind === 'all' ? null : (filter.kind ?? 'session'),
      })
      .map(toRecord)
  }

  /** The newest session of `peer` that completed, or undefined. */
  lastComplete(peer: string): SyncSessionRecord | undefined {
    const row = this.stmts.lastComplete.get(peer)
    return row ? toRecord(row) : undefined
  }

  /** Sums over sessions started at or after `since`, optionally for one peer. */
  totals(filter: { peer?: string; since?: string } = {}): SyncTotals {
    return toTotals(this.stmts.totals.get({ peer: filter.peer ?? null, since: filter.since ?? null })!)
  }

  /** {@link totals} per UTC day of `started_at`, oldest day first (bytes and cost per day, §6). */
  perDay(filter: { peer?: string; since?: string } = {}): DailySyncTotals[] {
    return this.stmts.perDay
      .all({ peer: filter.peer ?? null, since: filter.since ?? null })
      .map((row) => ({ day: row.day, ...toTotals(row) }))
  }

  /**
   * Link sessions (not connections) started at or after `since` that ended, by peer: how many
   * completed and how many failed or were aborted (the failure rate's counts).
   */
  outcomesSince(since: string): Map<string, { complete: number; failed: number }> {
    const out = new Map<string, { complete: number; failed: number }>()
    for (const r of this.stmts.outcomes.all(since)) {
      const entry = out.get(r.peer) ?? { complete: 0, failed: 0 }
      if (r.state === 'complete') entry.complete += Number(r.n)
      else entry.failed += Number(r.n)
      out.set(r.peer, entry)
    }
    return out
  }

  /** Bytes and sessions per UTC hour of `started_at`, oldest first (the daily bill's chart). */
  perHour(filter: { peer?: string; since?: string } = {}): HourlySyncTotals[] {
    return this.stmts.perHour.all({ peer: filter.peer ?? null, since: filter.since ?? null }).map((row) => ({
      hour: row.hour,
      bytesUp: row.bytes_up,
      bytesDown: row.bytes_down,
      sessions: row.sessions,
    }))
  }
}

function prepareStatements(db: SqlDatabase) {
  const peerAndSince = `(CAST(@peer AS TEXT) IS NULL OR peer = @peer) AND (CAST(@since AS TEXT) IS NULL OR started_at >= @since)`
  return {
    outcomes: db.prepare<[string], { peer: string; state: string; n: number }>(
      `SELECT peer, state, COUNT(*) AS n FROM sync_sessions
       WHERE started_at >= ? AND kind = 'session' AND state IN ('complete', 'failed', 'aborted')
       GROUP BY peer, state`,
    ),
    insert: db.prepare<[string, string, string, SyncSessionKind, string | null]>(
      `INSERT INTO sync_sessions (id, peer, started_at, state, kind, connection_id)
       VALUES (?, ?, ?, 'running', ?, ?)`,
    ),
    add: db.prepare<[Record<string, string | number>]>(
      `UPDATE sync_sessions SET
         bytes_up = bytes_up + @bytes_up, bytes_down = bytes_down + @bytes_down,
         chunks_up = chunks_up + @chunks_up, chunks_down = chunks_down + @chunks_down,
         changes_up = changes_up + @changes_up, changes_down = changes_down + @changes_down,
         rejected = rejected + @rejected,
         cost_usd = (bytes_up + @bytes_up + bytes_down + @bytes_down) * CAST(@rate AS DOUBLE PRECISION)
       WHERE id = @id`,
    ),
    finish: db.prepare<[string, string, string | null, number, string]>(
      `UPDATE sync_sessions SET state = ?, ended_at = ?, error = ?, budget_limited = ? WHERE id = ?`,
    ),
    get: db.prepare<[string], SessionRow>('SELECT * FROM sync_sessions WHERE id = ?'),
    list: db.prepare<
      [{ peer: string | null; before: string | null; limit: number; kind: string | null }],
      SessionRow
    >(
      `SELECT * FROM sync_sessions
       WHERE (CAST(@peer AS TEXT) IS NULL OR peer = @peer) AND (CAST(@before AS TEXT) IS NULL OR started_at < @before)
         AND (CAST(@kind AS TEXT) IS NULL OR kind = @kind)
       ORDER BY started_at DESC, rowid DESC LIMIT @limit`,
    ),
    lastComplete: db.prepare<[string], SessionRow>(
      `SELECT * FROM sync_sessions WHERE peer = ? AND state = 'complete' AND kind = 'session'
       ORDER BY started_at DESC LIMIT 1`,
    ),
    totals: db.prepare<[{ peer: string | null; since: string | null }], TotalsRow>(
      `SELECT ${TOTALS_COLUMNS} FROM sync_sessions WHERE ${peerAndSince}`,
    ),
    perDay: db.prepare<[{ peer: string | null; since: string | null }], TotalsRow & { day: string }>(
      `SELECT substr(started_at, 1, 10) AS day, ${TOTALS_COLUMNS} FROM sync_sessions
       WHERE ${peerAndSince} GROUP BY day ORDER BY day`,
    ),
    perHour: db.prepare<
      [{ peer: string | null; since: string | null }],
      { hour: string; bytes_up: number; bytes_down: number; sessions: number }
    >(
      `SELECT substr(started_at, 1, 13) AS hour, COUNT(*) AS sessions,
         COALESCE(SUM(bytes_up), 0) AS bytes_up, COALESCE(SUM(bytes_down), 0) AS bytes_down
       FROM sync_sessions WHERE ${peerAndSince} GROUP BY hour ORDER BY hour`,
    ),
  }
}

function toRecord(row: SessionRow): SyncSessionRecord {
  return {
    id: row.id,
    peer: row.peer,
    startedAt: row.started_at,
    endedAt: row.ended_at,
    durationMs: row.ended_at === null ? null : Date.parse(row.ended_at) - Date.parse(row.started_at),
    state: row.state,
    ...toCounters(row),
    costUsd: row.cost_usd,
    error: row.error,
    budgetLimited: row.budget_limited === 1,
    kind: row.kind,
    connectionId: row.connection_id,
  }
}

function toCounters(
  row: Omit<TotalsRow, 'sessions' | 'connections' | 'failed' | 'cost_usd' | 'budget_limited'>,
): SyncSessionCounters {
  return {
    bytesUp: row.bytes_up,
    bytesDown: row.bytes_down,
    chunksUp: row.chunks_up,
    chunksDown: row.chunks_down,
    changesUp: row.changes_up,
    changesDown: row.changes_down,
    rejected: row.rejected,
  }
}

function toTotals(row: TotalsRow): SyncTotals {
  return {
    sessions: row.sessions,
    connections: row.connections,
    failed: row.failed,
    ...toCounters(row),
    costUsd: row.cost_usd,
    budgetLimited: row.budget_limited,
  }
}
