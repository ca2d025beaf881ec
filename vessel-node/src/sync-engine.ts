/**
 * The vessel's sync engine (design §5): it runs link sessions to the relay, one at a time, and walks
 * IDLE → CHECKING → PREPARING → PUSHING → PROCESSING → COMPLETE. A failed session goes to RETRYING
 * (capped exponential backoff with full jitter, behind a circuit breaker) and, after
 * {@link RETRY_LIMIT} failures in a row, to FAILED. FAILED still probes slowly, so the engine
 * reconnects by itself when the link returns; "Sync now" restarts the ladder at once. A bad token or
 * a protocol version mismatch cannot be fixed by retrying: it goes straight to FAILED and waits for
 * the crew.
 *
 * It syncs by itself on an interval and shortly after local edits (debounced). Clock, randomness,
 * timers and the session runner are injected so tests can drive it with short real times.
 */
import { EventEmitter } from 'node:events'
import type { Logger } from 'pino'
import type { LinkReplica, SessionBudget, SessionPhase, SessionStats } from '@tally/link'
import type { CursorStore, SessionLog, SyncSessionCounters } from '@tally/storage-sqlite'
import { runLinkSession } from './link-client.ts'
import type { LinkAttempt } from './link-client.ts'
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

/** Automatic sync window when nothing else triggers one (the CLI's --sync-interval-s). */
export const DEFAULT_SYNC_INTERVAL_MS = 60_000
/** Quiet time after a crew edit before a sync starts, so a burst of edits travels together. */
export const EDIT_DEBOUNCE_MS = 2_000
/** A steady stream of edits still syncs at least this often. */
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

/** The daily byte budget as the last session saw it (issue 6: both sides show it). */
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
  vessel: string
  token: string
  replica: LinkReplica
  cursors: CursorStore
  sessions: SessionLog
  logger: Logger
  intervalMs?: number
  debounceMs?: number
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
  lastErrorAt: string | null
  lastErrorCode: number | null
  lastAttemptAt: string | null
  lastSuccessAt: string | null
  /** Counters of the running session, or of the last one. */
  progress: SessionStats | null
  /** The daily byte budget from the last session, or null without one (or before any session). */
  budget: BudgetSnapshot | null
}

export type SyncChangeKind = 'state' | 'progress'

interface Events {
  status: [SyncSnapshot, SyncChangeKind]
  /** A session ended (recorded in the session log). */
  session: [{ id: string; ok: boolean; stats: SessionStats; error?: string }]
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
  private lastError: { message: string; at: number; code: number } | null = null
  private lastAttemptAt: number | null = null
  private lastSuccessAt: number | null = null
  private progress: SessionStats | null = null
  /** The last session's budget and the bytes that session moved after its welcome told it. */
  private budget: { at: number; told: SessionBudget; moved: number } | null = null
  private dirtySince: number | null = null
  private stopped = true
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
  }

  /** Starts the automatic schedule: a first session shortly, then the interval. */
  start(): void {
    if (!this.stopped) return
    this.stopped = false
    this.arm('retry', this.o.startDelayMs ?? START_DELAY_MS, () => void this.attempt(false))
    this.armInterval()
  }

  /** Stops every timer; a running session finishes on its own but is no longer recorded. */
  stop(): void {
    this.stopped = true
    for (const name of Object.keys(this.handles) as (keyof typeof this.handles)[]) this.disarm(name)
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
      lastErrorAt: iso(this.lastError?.at ?? null),
      lastErrorCode: this.lastError?.code ?? null,
      lastAttemptAt: iso(this.lastAttemptAt),
      lastSuccessAt: iso(this.lastSuccessAt),
      progress: this.progress ? { ...this.progress } : null,
      budget: this.budgetSnapshot(),
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

  /** A crew edit was committed: sync soon (debounced), or right after the running session. */
  notifyLocalChange(): void {
    const now = this.now()
    this.dirtySince ??= now
    if (this.running || this.stopped || !this.waitingForWork()) return
    const waited = now - this.dirtySince
    const maxWait = this.o.maxWaitMs ?? EDIT_MAX_WAIT_MS
    const delay = Math.min(this.o.debounceMs ?? EDIT_DEBOUNCE_MS, Math.max(0, maxWait - waited))
    this.arm('debounce', delay, () => {
      if (!this.running && this.waitingForWork()) void this.attempt(false)
    })
  }

  /** IDLE or COMPLETE: automatic triggers may start a session (retries own the timing otherwise). */
  private waitingForWork(): boolean {
    return this.state === 'IDLE' || this.state === 'COMPLETE'
  }

  private armInterval(): void {
    this.arm('interval', this.o.intervalMs ?? DEFAULT_SYNC_INTERVAL_MS, () => {
      if (!this.running && this.waitingForWork()) void this.attempt(false)
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
    this.dirtySince = null
    this.lastAttemptAt = now
    this.progress = null
    this.setState('CHECKING', 'CHECKING')
    this.running = this.runOnce().finally(() => {
      this.running = null
      // Crew edits that arrived after the session packed its changes go in a follow-up session.
      if (this.dirtySince !== null) this.notifyLocalChange()
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
      const result = await (o.runSession ?? runLinkSession)({
        url: o.relayUrl,
        vessel: o.vessel,
        token: o.token,
        replica: o.replica,
        syncToken: o.cursors.getSyncToken(RELAY_PEER) ?? null,
        report: {
          failed: this.failedSinceSuccess,
          interval: Math.round((o.intervalMs ?? DEFAULT_SYNC_INTERVAL_MS) / 1000),
        },
        logger: o.logger,
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

  private onSuccess(stats: SessionStats): void {
    const now = this.now()
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
    this.lastError = { message: f.message, at: now, code: f.code }
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
