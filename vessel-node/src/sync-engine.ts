/**
 * The vessel's sync engine (docs/architecture.md): it runs link sessions to the relay, one at a time, and walks
 * IDLE → CHECKING → PREPARING → PUSHING → PROCESSING → COMPLETE. A failed session goes to RETRYING
 * (capped exponential backoff with full jitter, behind a circuit breaker) and, after
 * {@link RETRY_LIMIT} failures in a row, to FAILED. FAILED still probes slowly, so the engine
 * reconnects by itself when the link returns; "Sync now" restarts the ladder at once. A bad token or
 * a protocol version mismatch cannot be fixed by retrying: it goes straight to FAILED and waits for
 * the crew.
 *
 * With a version 3 relay it keeps one connection open while the link is up and runs each session
 * as a round over it: a crew edit starts its priority class's batching window, and when the earliest
 * window closes (or the relay pokes) a round carries everything pending both ways. Nothing else
 * crosses but a sparse keepalive (docs/protocol.md, "Rounds"). With a version 1 or 2 relay it syncs
 * on an interval and after local edits, one connection per session, as before. Several relay URLs
 * are tried in order; the next one takes over when one cannot be reached. Clock, randomness,
 * timers and the session runner are injected so tests can drive it with short real times.
 */
import { EventEmitter } from 'node:events'
import type { Logger } from 'pino'
import { BatchClock, CloseCode, DEFAULT_WINDOWS_S, PRIORITY_NAMES } from '@tally/link'
import type {
  LinkReplica,
  LinkSettings,
  PhotoSource,
  Priority,
  SessionBudget,
  SessionPhase,
  SessionStats,
} from '@tally/link'
import type { CursorStore, SessionLog, SyncSessionCounters } from '@tally/storage-sqlite'
import { LinkError, RelayConnection } from './link-client.ts'
import type { LinkAttempt, LinkResult } from './link-client.ts'
import { IdleDropLearner } from './idle-drops.ts'
import { describeLinkFailure } from './link-failure.ts'
import {
  BREAKER_COOLDOWN_MS,
  BREAKER_FAILURE_THRESHOLD,
  CircuitBreaker,
  fullJitterDelayMs,
  RETRY_BASE_MS,
  RETRY_CAP_MS,
  RETRY_LIMIT,
} from './retry-policy.ts'
import type { BreakerState } from './retry-policy.ts'

export type SyncState =
  'IDLE' | 'CHECKING' | 'PREPARING' | 'PUSHING' | 'PROCESSING' | 'COMPLETE' | 'RETRYING' | 'FAILED'

/**
 * Automatic sync window when nothing else triggers one (the CLI's --sync-interval-s), for a relay
 * that closes the connection after each session (protocol version 1 or 2). A version 3 connection
 * needs no polling: the relay pokes.
 */
export const DEFAULT_SYNC_INTERVAL_MS = 60_000
/** Version 1 and 2 relays: quiet time after a crew edit before a sync starts. */
export const EDIT_DEBOUNCE_MS = 2_000
/** Kept for callers of the old options; the batching windows replace it. */
export const EDIT_MAX_WAIT_MS = 15_000
/** The first session starts this long after start-up, so the first API answers come first. */
export const START_DELAY_MS = 500
/** COMPLETE stays on screen this long before the engine shows IDLE. */
export const COMPLETE_DISPLAY_MS = 5_000

/** The sync-token and cursor namespace of the relay on the vessel. */
export const RELAY_PEER = 'relay'

export interface SyncTimers {
  setTimeout(fn: () => void, ms: number): unknown
  clearTimeout(handle: unknown): void
}

export type SessionRunner = (
  attempt: LinkAttempt,
) => Promise<{ sync: string; stats: SessionStats; budget?: SessionBudget }>

/** The daily byte budget as the last session saw it (docs/operations.md: both sides show it). */
export interface BudgetSnapshot {
  /** When the relay's welcome told it (the budget resets at 00:00 UTC). */
  at: string
  /** Bytes left today: the welcome's figure less what that session has moved since. */
  remainingBytes: number
  /** That session held normal or routine changes back: only critical ones go until midnight. */
  limited: boolean
  /** Changes it held back, by class; they wait in the pending count for a later session. */
  heldBack: { normal: number; routine: number }
}

export interface SyncEngineOptions {
  relayUrl: string
  /** Relays to try in order (failover); `relayUrl` alone when absent. */
  relayUrls?: string[]
  /** PEM CA certificates to trust for wss:// (besides the system's). */
  tlsCa?: string | Buffer
  /**
   * Batching windows per class in ms [critical, normal, routine]; when absent the relay's settings
   * apply (defaults {@link DEFAULT_WINDOWS_S}). `debounceMs` alone sets all three (older callers).
   */
  windowsMs?: [number, number, number]
  /** Keepalive interval in seconds; when absent the relay's setting applies. */
  keepaliveS?: number
  /** The shortest keepalive learned from a path's idle drops (idle-drops.ts); tests pass less. */
  minLearnedKeepaliveS?: number
  vessel: string
  token: string
  replica: LinkReplica
  cursors: CursorStore
  sessions: SessionLog
  logger: Logger
  intervalMs?: number
  /** Sets every batching window (see `windowsMs`). */
  debounceMs?: number
  /** Ignored: the batching windows bound the wait. */
  maxWaitMs?: number
  startDelayMs?: number
  completeDisplayMs?: number
  retry?: { baseMs?: number; capMs?: number; limit?: number }
  breaker?: { failureThreshold?: number; cooldownMs?: number }
  now?: () => number
  random?: () => number
  timers?: SyncTimers
  runSession?: SessionRunner
  /** Wraps bookkeeping writes (the app passes disk-full recovery). */
  guardWrite?: <T>(operation: string, fn: () => T) => T
  /** The vessel's evidence key (hex), announced in the hello so the relay learns it. */
  publicKey?: string
  /** The originals the relay may ask for (docs/protocol.md, "Photos"). */
  photos?: PhotoSource
}

/** Everything the engine knows about itself; the HTTP layer adds bytes, costs and pending counts. */
export interface SyncSnapshot {
  state: SyncState
  /** The link session's own phase while one runs (RECONCILING shows as state CHECKING). */
  phase: SessionPhase | null
  running: boolean
  /** The last attempt reached the relay and the link did not drop under it. */
  linkUp: boolean
  /** Failed attempts in a row (0 after a success). */
  attempt: number
  nextRetryAt: string | null
  breaker: BreakerState
  lastError: string | null
  /** The technical detail behind lastError (for a tooltip). */
  lastErrorDetail: string | null
  lastErrorAt: string | null
  lastErrorCode: number | null
  lastAttemptAt: string | null
  lastSuccessAt: string | null
  /** Counters of the running session, or of the last one. */
  progress: SessionStats | null
  /** The daily byte budget from the last session, or null without one (or before any session). */
  budget: BudgetSnapshot | null
  /**
   * The keepalive in seconds learned from connections the path dropped when quiet (a middlebox's
   * idle timeout, idle-drops.ts), or null: it then beats the configured one.
   */
  learnedKeepaliveS: number | null
}

export type SyncChangeKind = 'state' | 'progress'

/** A connection's row in the session log, and the socket bytes recorded (there or in sessions). */
interface ConnectionRow {
  id: string
  up: number
  down: number
  finished: boolean
}

interface Events {
  status: [SyncSnapshot, SyncChangeKind]
  /** A session ended (recorded in the session log). */
  session: [{ id: string; ok: boolean; stats: SessionStats; error?: string }]
  /** A connection to the relay opened (`url`) or closed. */
  connection: [{ url: string; open: boolean }]
}

const PHASE_TO_STATE: Partial<Record<SessionPhase, SyncState>> = {
  CHECKING: 'CHECKING',
  RECONCILING: 'CHECKING',
  PREPARING: 'PREPARING',
  PUSHING: 'PUSHING',
  PROCESSING: 'PROCESSING',
}

const COUNTERS: (keyof SyncSessionCounters)[] = [
  'bytesUp',
  'bytesDown',
  'chunksUp',
  'chunksDown',
  'changesUp',
  'changesDown',
  'rejected',
]

const realTimers: SyncTimers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
}

export class SyncEngine extends EventEmitter<Events> {
  private state: SyncState = 'IDLE'
  private phase: SessionPhase | null = null
  private running: Promise<void> | null = null
  private linkUp = false
  private failures = 0
  /** Failed attempts since the last completed session ("Sync now" does not reset it): told to the relay in the hello. */
  private failedSinceSuccess = 0
  /** Non-retryable failure: no automatic attempts until the crew asks. */
  private halted = false
  private nextRetryAt: number | null = null
  private lastError: { message: string; at: number; code: number; detail: string } | null = null
  private lastAttemptAt: number | null = null
  private lastSuccessAt: number | null = null
  private progress: SessionStats | null = null
  /** The last session's budget and the bytes that session moved after its welcome told it. */
  private budget: { at: number; told: SessionBudget; moved: number } | null = null
  private stopped = true
  /** The open connection to the relay, if any (version 3 keeps it between sessions). */
  private connection: RelayConnection | null = null
  /** Its connection row in the session log and the socket bytes recorded there or in sessions. */
  private connectionRow: ConnectionRow | null = null
  /** Which of the relay URLs to try first: the last one that answered. */
  private relayIndex = 0
  private readonly tlsSessions = new Map<string, Buffer>()
  /** Crew edits waiting for a round, by the deadline of their class's window. */
  private readonly clock: BatchClock
  /** Learns a middlebox's idle timeout from the connections it drops between rounds. */
  private readonly idleDrops: IdleDropLearner
  /** Another node of this vessel took the link from us: no polling until a session of ours succeeds. */
  private replaced = false
  /** The relay poked during a session: another round follows at once. */
  private pokedDuringSession = false
  private readonly timers: SyncTimers
  private readonly handles: Record<'retry' | 'interval' | 'debounce' | 'display', unknown> = {
    retry: null,
    interval: null,
    debounce: null,
    display: null,
  }
  private readonly breaker: CircuitBreaker
  private readonly now: () => number
  private readonly random: () => number
  private readonly retry: { baseMs: number; capMs: number; limit: number }

  constructor(private readonly o: SyncEngineOptions) {
    super()
    this.timers = o.timers ?? realTimers
    this.now = o.now ?? Date.now
    this.random = o.random ?? Math.random
    this.retry = {
      baseMs: o.retry?.baseMs ?? RETRY_BASE_MS,
      capMs: o.retry?.capMs ?? RETRY_CAP_MS,
      limit: o.retry?.limit ?? RETRY_LIMIT,
    }
    this.breaker = new CircuitBreaker({
      failureThreshold: o.breaker?.failureThreshold ?? BREAKER_FAILURE_THRESHOLD,
      cooldownMs: o.breaker?.cooldownMs ?? BREAKER_COOLDOWN_MS,
    })
    this.clock = new BatchClock(this.localWindowsS() ?? DEFAULT_WINDOWS_S)
    this.idleDrops = new IdleDropLearner(o.minLearnedKeepaliveS)
  }

  /** Windows the vessel's own options set, in seconds, or null to follow the relay's. */
  private localWindowsS(): [number, number, number] | null {
    const { windowsMs, debounceMs } = this.o
    if (windowsMs) return windowsMs.map((ms) => ms / 1000) as [number, number, number]
    if (debounceMs !== undefined) return [debounceMs / 1000, debounceMs / 1000, debounceMs / 1000]
    return null
  }

  private get relayUrls(): string[] {
    return this.o.relayUrls?.length ? this.o.relayUrls : [this.o.relayUrl]
  }

  /** Starts the automatic schedule: a first session shortly, then the interval. */
  start(): void {
    if (!this.stopped) return
    this.stopped = false
    this.arm('retry', this.o.startDelayMs ?? START_DELAY_MS, () => void this.attempt(false))
    this.armInterval()
  }

  /** Stops every timer and closes the connection; a running session is no longer recorded. */
  stop(): void {
    this.stopped = true
    for (const name of Object.keys(this.handles) as (keyof typeof this.handles)[]) this.disarm(name)
    const connection = this.connection
    this.connection = null
    // Recorded now: the database may close before the socket does.
    if (connection && this.connectionRow) this.finishConnectionRow(connection, this.connectionRow)
    connection?.close(1000, 'vessel node stopping')
  }

  /** Resolves when the running session (if any) has ended. */
  async settled(): Promise<void> {
    await this.running
  }

  snapshot(): SyncSnapshot {
    const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString())
    return {
      state: this.state,
      phase: this.phase,
      running: this.running !== null,
      linkUp: this.linkUp,
      attempt: this.failures,
      nextRetryAt: iso(this.nextRetryAt),
      breaker: this.breaker.state(this.now()),
      lastError: this.lastError?.message ?? null,
      lastErrorDetail: this.lastError?.detail ?? null,
      lastErrorAt: iso(this.lastError?.at ?? null),
      lastErrorCode: this.lastError?.code ?? null,
      lastAttemptAt: iso(this.lastAttemptAt),
      lastSuccessAt: iso(this.lastSuccessAt),
      progress: this.progress ? { ...this.progress } : null,
      budget: this.budgetSnapshot(),
      learnedKeepaliveS: this.idleDrops.keepaliveS,
    }
  }

  private budgetSnapshot(): BudgetSnapshot | null {
    const b = this.budget
    if (!b || b.told.remainingBytes === null) return null
    return {
      at: new Date(b.at).toISOString(),
      remainingBytes: Math.max(0, b.told.remainingBytes - b.moved),
      limited: b.told.budgetLimited,
      heldBack: { normal: b.told.heldBack[1], routine: b.told.heldBack[2] },
    }
  }

  /** "Sync now": starts a session at once unless one is running; returns the resulting state. */
  syncNow(): SyncState {
    if (this.running || this.stopped) return this.state
    if (this.state === 'FAILED') this.failures = 0
    this.halted = false
    void this.attempt(true)
    return this.state
  }

  /**
   * A crew edit was committed: a round starts when the window of its class closes (a critical
   * change within seconds, readings within the hour), or after the running session.
   */
  notifyLocalChange(priority: (typeof PRIORITY_NAMES)[number] = 'normal'): void {
    this.clock.note(PRIORITY_NAMES.indexOf(priority) as Priority, this.now())
    this.armWindow()
  }

  private armWindow(): void {
    const due = this.clock.due
    if (due === null || this.running || this.stopped || !this.waitingForWork()) return
    this.arm('debounce', due - this.now(), () => {
      if (!this.running && this.waitingForWork()) void this.attempt(false)
    })
  }

  /** The relay holds changes for us whose window closed: a round now, or right after this one. */
  private onPoke(p: Priority): void {
    this.o.logger.debug({ p }, 'poked by the relay')
    if (this.running) {
      this.pokedDuringSession = true
      return
    }
    if (!this.stopped && this.waitingForWork()) void this.attempt(false)
  }

  /** IDLE or COMPLETE: automatic triggers may start a session (retries own the timing otherwise). */
  private waitingForWork(): boolean {
    return this.state === 'IDLE' || this.state === 'COMPLETE'
  }

  private armInterval(): void {
    this.arm('interval', this.o.intervalMs ?? DEFAULT_SYNC_INTERVAL_MS, () => {
      // A version 3 connection needs no polling: the relay pokes, and edits start their windows.
      const polling = !this.connection?.persistent && !this.replaced
      if (polling && !this.running && this.waitingForWork()) void this.attempt(false)
      this.armInterval()
    })
  }

  private arm(name: keyof typeof this.handles, ms: number, fn: () => void): void {
    this.disarm(name)
    this.handles[name] = this.timers.setTimeout(
      () => {
        this.handles[name] = null
        if (!this.stopped) fn()
      },
      Math.max(0, ms),
    )
  }

  private disarm(name: keyof typeof this.handles): void {
    if (this.handles[name] !== null) this.timers.clearTimeout(this.handles[name])
    this.handles[name] = null
  }

  private setState(state: SyncState, phase: SessionPhase | null = this.phase): void {
    const changed = state !== this.state || phase !== this.phase
    this.state = state
    this.phase = phase
    if (changed) this.emit('status', this.snapshot(), 'state')
  }

  private attempt(manual: boolean): Promise<void> {
    if (this.running || this.stopped) return this.running ?? Promise.resolve()
    const now = this.now()
    if (manual) this.breaker.forceProbe()
    if (!this.breaker.allows(now)) {
      // Only scheduled attempts get here; wait for the breaker's probe time.
      this.scheduleRetry(
        this.breaker.reopensAt(now) ?? now + this.retry.baseMs,
        this.state === 'FAILED' ? 'FAILED' : 'RETRYING',
      )
      return Promise.resolve()
    }
    this.disarm('retry')
    this.disarm('debounce')
    this.disarm('display')
    this.nextRetryAt = null
    // This session carries everything pending; edits made while it runs start new windows.
    this.clock.clear()
    this.pokedDuringSession = false
    this.lastAttemptAt = now
    this.progress = null
    this.setState('CHECKING', 'CHECKING')
    this.running = this.runOnce().finally(() => {
      this.running = null
      this.checkpointConnection()
      // The relay poked meanwhile: its changes wait. Crew edits made meanwhile wait for their window.
      if (this.pokedDuringSession && !this.stopped && this.waitingForWork()) void this.attempt(false)
      else this.armWindow()
    })
    return this.running
  }

  private async runOnce(): Promise<void> {
    const { o } = this
    const guard = o.guardWrite ?? (<T>(_op: string, fn: () => T) => fn())
    const recorded: SessionStats = {
      bytesUp: 0,
      bytesDown: 0,
      chunksUp: 0,
      chunksDown: 0,
      changesUp: 0,
      changesDown: 0,
      rejected: 0,
    }
    let id: string | null = null
    /** This session's budget, once the welcome told it. */
    let budget: SessionBudget | undefined
    let budgetAt: number | undefined
    // The welcome's figure was counted before this session: what the session moves comes off it.
    const noteBudget = (told: SessionBudget, stats: SessionStats | null) => {
      budgetAt ??= this.now()
      budget = told
      this.budget = { at: budgetAt, told, moved: stats ? stats.bytesUp + stats.bytesDown : 0 }
    }
    const record = (stats: SessionStats | undefined) => {
      if (!stats || !id || this.stopped) return
      const delta: Partial<SyncSessionCounters> = {}
      let any = false
      for (const k of COUNTERS) {
        const d = stats[k] - recorded[k]
        if (d > 0) {
          delta[k] = d
          recorded[k] = stats[k]
          any = true
        }
      }
      if (any) guard('record sync progress', () => o.sessions.add(id!, delta))
    }
    try {
      id = guard('start a sync session', () => o.sessions.start(RELAY_PEER))
      const result = await (o.runSession ?? ((a) => this.runOnConnection(a)))({
        url: this.relayUrls[this.relayIndex]!,
        vessel: o.vessel,
        token: o.token,
        replica: o.replica,
        syncToken: o.cursors.getSyncToken(RELAY_PEER) ?? null,
        syncSession: o.cursors.getSyncSession(RELAY_PEER) ?? null,
        onWelcome: (session) =>
          guard('store the session', () => o.cursors.setSyncSession(RELAY_PEER, session)),
        report: {
          failed: this.failedSinceSuccess,
          interval: Math.round((o.intervalMs ?? DEFAULT_SYNC_INTERVAL_MS) / 1000),
        },
        ...(o.publicKey ? { publicKey: o.publicKey } : {}),
        ...(o.photos ? { photos: o.photos } : {}),
        logger: o.logger,
        ...(o.tlsCa ? { tlsCa: o.tlsCa } : {}),
        onPhase: (phase) => {
          if (this.stopped) return
          this.linkUp = true
          const state = PHASE_TO_STATE[phase]
          if (state) this.setState(state, phase)
        },
        onProgress: (stats) => {
          if (this.stopped) return
          this.linkUp = true
          this.progress = { ...stats }
          if (budget) noteBudget(budget, stats)
          record(stats)
          this.emit('status', this.snapshot(), 'progress')
        },
        onBudget: (told) => {
          if (this.stopped) return
          noteBudget(told, this.progress)
          this.emit('status', this.snapshot(), 'progress')
        },
      })
      if (this.stopped) return
      const { sync, stats } = result
      record(stats)
      if (result.budget) noteBudget(result.budget, stats)
      guard('store the sync token', () => {
        o.cursors.setSyncToken(RELAY_PEER, sync)
        o.sessions.finish(id!, { state: 'complete', budgetLimited: budget?.budgetLimited ?? false })
      })
      this.onSuccess(stats)
      this.emit('session', { id, ok: true, stats })
    } catch (err) {
      if (this.stopped) return
      const failure = describeLinkFailure(err)
      try {
        record(failure.stats)
        if (id)
          guard('record a failed sync session', () =>
            o.sessions.finish(id!, {
              state: 'failed',
              error: failure.message,
              budgetLimited: budget?.budgetLimited ?? false,
            }),
          )
      } catch (logErr) {
        o.logger.error({ err: (logErr as Error).message }, 'could not record the failed sync session')
      }
      this.onFailure(failure)
      if (id)
        this.emit('session', { id, ok: false, stats: failure.stats ?? recorded, error: failure.message })
    }
  }

  /** Runs the session on the open connection, or on a new one (the relays in order). */
  private async runOnConnection(attempt: LinkAttempt): Promise<LinkResult> {
    const connection = this.connection?.isOpen ? this.connection : await this.connect()
    return connection.runSession(attempt)
  }

  private async connect(): Promise<RelayConnection> {
    const urls = this.relayUrls
    let failure: unknown
    for (let i = 0; i < urls.length; i++) {
      const index = (this.relayIndex + i) % urls.length
      const url = urls[index]!
      const connection = new RelayConnection({
        url,
        logger: this.o.logger,
        ...(this.o.tlsCa ? { tlsCa: this.o.tlsCa } : {}),
        ...(this.tlsSessions.has(url) ? { tlsSession: this.tlsSessions.get(url)! } : {}),
        ...(this.keepaliveS() ? { keepaliveS: this.keepaliveS()! } : {}),
      })
      connection.on('tlsSession', (s) => this.tlsSessions.set(url, s))
      try {
        await connection.ready()
      } catch (err) {
        failure = err
        if (urls.length > 1)
          this.o.logger.warn({ url, err: (err as Error).message }, 'relay unreachable, trying the next')
        continue
      }
      if (this.stopped) {
        connection.close()
        throw new LinkError('vessel node stopping', 1000, undefined)
      }
      this.relayIndex = index
      this.adopt(connection, url)
      return connection
    }
    throw failure
  }

  /** Listens to a fresh connection and opens its row in the session log. */
  private adopt(connection: RelayConnection, url: string): void {
    this.connection = connection
    const guard = this.o.guardWrite ?? (<T>(_op: string, fn: () => T) => fn())
    const id = guard('record a link connection', () =>
      this.o.sessions.start(RELAY_PEER, { kind: 'connection' }),
    )
    const row: ConnectionRow = { id, up: 0, down: 0, finished: false }
    this.connectionRow = row
    this.o.logger.info({ url, tlsResumed: connection.tlsResumed }, 'link connected')
    this.emit('connection', { url, open: true })
    connection.on('poke', (p) => this.onPoke(p))
    connection.on('settings', (s) => this.applySettings(connection, s))
    connection.on('keepalive', () => this.checkpointConnection())
    connection.on('closed', (info) => {
      this.finishConnectionRow(connection, row)
      this.emit('connection', { url, open: false })
      if (this.connection !== connection) return
      this.connection = null
      this.connectionRow = null
      if (this.running || this.stopped || !connection.persistent) return
      // Closed by the path (no close frame) while quiet: perhaps a middlebox's idle timeout.
      if (info.droppedWhileQuiet && info.code === 1006) this.noteIdleDrop(info.quietMs, connection.keepaliveS)
      const failure = describeLinkFailure(new LinkError(info.reason, info.code, undefined))
      // Another node of this vessel took the link: wait for our own work (a drop during a session
      // fails that session, which retries as any other).
      if (info.code === CloseCode.Replaced) this.onReplaced(failure)
      // Dropped between sessions: reconnect with backoff.
      else this.onFailure(failure)
    })
  }

  private finishConnectionRow(connection: RelayConnection, row: ConnectionRow): void {
    if (row.finished) return
    this.checkpointConnection(connection, row)
    row.finished = true
    try {
      const guard = this.o.guardWrite ?? (<T>(_op: string, fn: () => T) => fn())
      guard('record a link connection', () => this.o.sessions.finish(row.id, { state: 'complete' }))
    } catch (err) {
      this.o.logger.warn({ err: (err as Error).message }, 'could not record the link connection')
    }
  }

  /** The relay's pacing, unless the vessel's own options set it, or a shorter learned keepalive. */
  private applySettings(connection: RelayConnection, s: LinkSettings): void {
    if (!this.localWindowsS()) this.clock.setWindows(s.w)
    const keepaliveS = this.keepaliveS(s.ka)!
    if (keepaliveS !== connection.keepaliveS) connection.setKeepalive(keepaliveS)
  }

  /** The keepalive in seconds: the vessel's own or else the relay's, unless a shorter one was learned. */
  private keepaliveS(relayS?: number): number | undefined {
    const configured = this.o.keepaliveS ?? relayS
    const learned = this.idleDrops.keepaliveS
    if (learned === null) return configured
    return configured === undefined ? learned : Math.min(configured, learned)
  }

  private noteIdleDrop(quietMs: number, keepaliveS: number): void {
    const learned = this.idleDrops.observe({ quietMs, keepaliveS })
    if (learned === null) return
    // Operators see this line, and /api/sync shows the learned keepalive.
    this.o.logger.warn(
      { quietS: Math.round(quietMs / 1000), keepaliveS, learnedKeepaliveS: learned },
      'the path drops quiet connections (a middlebox idle timeout): keepalive shortened',
    )
  }

  /** Records in the connection's row the socket bytes that no session row holds. */
  private checkpointConnection(
    connection = this.connection,
    row: ConnectionRow | undefined = this.connectionRow ?? undefined,
  ): void {
    if (!connection || !row || row.finished || connection.busy) return
    const socket = connection.socketBytes()
    const up = socket.up - connection.sessionBytes.up - row.up
    const down = socket.down - connection.sessionBytes.down - row.down
    if (up <= 0 && down <= 0) return
    const delta = { bytesUp: Math.max(0, up), bytesDown: Math.max(0, down) }
    try {
      const guard = this.o.guardWrite ?? (<T>(_op: string, fn: () => T) => fn())
      guard('record link connection bytes', () => this.o.sessions.add(row.id, delta))
      row.up += delta.bytesUp
      row.down += delta.bytesDown
    } catch (err) {
      this.o.logger.warn({ err: (err as Error).message }, 'could not record link connection bytes')
    }
  }

  private onSuccess(stats: SessionStats): void {
    const now = this.now()
    this.replaced = false
    this.breaker.onSuccess()
    this.failures = 0
    this.failedSinceSuccess = 0
    this.halted = false
    this.linkUp = true
    this.lastError = null
    this.lastSuccessAt = now
    this.progress = { ...stats }
    this.o.logger.info({ ...stats }, 'sync complete')
    this.setState('COMPLETE', 'COMPLETE')
    this.arm('display', this.o.completeDisplayMs ?? COMPLETE_DISPLAY_MS, () => {
      if (!this.running && this.state === 'COMPLETE') this.setState('IDLE', null)
    })
  }

  private onFailure(f: ReturnType<typeof describeLinkFailure>): void {
    const now = this.now()
    // A drop mid-session also means the link is down now, even though the relay was reached.
    this.linkUp = f.reachedRelay
    this.lastError = { message: f.message, at: now, code: f.code, detail: f.detail }
    this.failedSinceSuccess++
    this.o.logger.warn({ code: f.code, err: f.message, attempt: this.failures + 1 }, 'sync failed')
    if (!f.retryable) {
      this.halted = true
      this.failures++
      this.nextRetryAt = null
      this.setState('FAILED', 'FAILED')
      return
    }
    this.failures++
    this.breaker.onFailure(now)
    if (this.failures >= this.retry.limit) {
      // Gave up retrying quickly; keep probing at the cap so the link's return is noticed.
      const probeIn = this.retry.capMs * (0.5 + this.random() / 2)
      this.scheduleRetry(Math.max(now + probeIn, this.breaker.reopensAt(now) ?? 0), 'FAILED')
      return
    }
    const delay = fullJitterDelayMs(this.failures, this.random, this.retry)
    this.scheduleRetry(Math.max(now + delay, this.breaker.reopensAt(now) ?? 0), 'RETRYING')
  }

  /**
   * Another node with this vessel's token opened a connection and the relay, which keeps one per
   * vessel, closed ours. Reconnecting at once would take the link back, and the two nodes would take
   * it from each other all day, a TLS handshake and a reconciliation each time. So this node stays
   * IDLE and says why: its crew's edits still start their windows, "Sync now" still works, and it
   * looks in once per routine window in case the other node has gone.
   */
  private onReplaced(f: ReturnType<typeof describeLinkFailure>): void {
    const now = this.now()
    this.lastError = { message: f.message, at: now, code: f.code, detail: f.detail }
    this.replaced = true
    this.o.logger.warn({ code: f.code, err: f.detail }, 'another vessel node took over the link')
    const lookInMs = this.clock.windows[2] * 1000
    this.nextRetryAt = now + lookInMs
    this.arm('retry', lookInMs, () => {
      if (!this.running && this.waitingForWork()) void this.attempt(false)
    })
    this.state = 'IDLE'
    this.phase = null
    // Always announced: the state may stay IDLE, but the reason and the next look-in are new.
    this.emit('status', this.snapshot(), 'state')
  }

  private scheduleRetry(at: number, state: 'RETRYING' | 'FAILED'): void {
    if (this.halted) return
    this.nextRetryAt = at
    this.arm('retry', at - this.now(), () => void this.attempt(false))
    this.state = state
    this.phase = state === 'FAILED' ? 'FAILED' : null
    // Always announced: even when the state stays FAILED, the next probe time moved.
    this.emit('status', this.snapshot(), 'state')
  }
}
