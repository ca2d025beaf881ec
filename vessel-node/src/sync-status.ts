/**
 * The body of `GET /api/sync` (docs/api.md): the contract fields (state, linkUp, pendingChanges,
 * lastSyncAt, lastError, totals) plus what the crew's sync panel shows: pending changes by priority,
 * bytes and cost today and this voyage, a forecast of the next session, retry and breaker state.
 */
import { BYTES_PER_MB, dailyBillOf } from '@tally/storage-sqlite'
import type { DailyBillReport, DeadLetterStore, SessionLog, SyncSessionRecord } from '@tally/storage-sqlite'
import type { PriorityClass } from '@tally/manifest'
import type { PendingEstimate, PendingEstimator } from './pending-estimate.ts'
import type { BudgetSnapshot, SyncEngine, SyncSnapshot } from './sync-engine.ts'
import { RELAY_PEER } from './sync-engine.ts'

/**
 * Wire bytes per raw Automerge change byte before any session has taught us better. The link
 * bundles each document's changes (columnar) and brotli-compresses whole chunks; on the standard
 * voyage day 1.0 MB of raw changes travels as roughly 100 KB.
 */
export const PRIOR_WIRE_RATIO = 0.1
/** Hello, welcome, done, fin and acks: what a session costs before any change travels. */
export const SESSION_OVERHEAD_BYTES = 600
/** How much each completed upload moves the learned ratio (exponential moving average). */
const RATIO_LEARNING_RATE = 0.3
/** Recent completed sessions whose median download predicts the next download. */
const DOWNLOAD_SAMPLE = 5

/**
 * Forecast of the next session. Upload: session overhead + pending raw change bytes × the wire ratio,
 * which starts at {@link PRIOR_WIRE_RATIO} and is re-learned from every completed upload (bytes sent
 * ÷ raw bytes that were pending when it started). Download: what shore sends cannot be known ahead,
 * so it is the median download of the last few completed sessions.
 */
export class ForecastModel {
  private ratio = PRIOR_WIRE_RATIO

  get wireRatio(): number {
    return this.ratio
  }

  /** Learns from a completed session that uploaded `bytesUp` while `rawBytes` were pending. */
  observe(rawBytes: number, bytesUp: number): void {
    if (rawBytes < 1_000 || bytesUp <= SESSION_OVERHEAD_BYTES) return
    const sample = Math.min(1.5, Math.max(0.01, (bytesUp - SESSION_OVERHEAD_BYTES) / rawBytes))
    this.ratio += RATIO_LEARNING_RATE * (sample - this.ratio)
  }

  forecast(pending: PendingEstimate, recent: SyncSessionRecord[], costPerMb: number) {
    const bytesUp = Math.round(SESSION_OVERHEAD_BYTES + pending.rawBytes * this.ratio)
    const downs = recent
      .filter((s) => s.state === 'complete')
      .slice(0, DOWNLOAD_SAMPLE)
      .map((s) => s.bytesDown)
      .sort((a, b) => a - b)
    const bytesDown = downs.length ? downs[Math.floor(downs.length / 2)]! : 0
    const bytes = bytesUp + bytesDown
    return {
      bytes,
      costUsd: usd(bytes, costPerMb),
      bytesUp,
      bytesDown,
      basis: `upload: ${SESSION_OVERHEAD_BYTES} B session overhead + ${pending.rawBytes} B of pending changes × ${this.ratio.toFixed(3)} (wire bytes per change byte, learned from past uploads); download: median of the last ${DOWNLOAD_SAMPLE} sessions`,
    }
  }
}

const usd = (bytes: number, costPerMb: number) =>
  Math.round((bytes / BYTES_PER_MB) * costPerMb * 10_000) / 10_000

export interface SyncStatusDeps {
  engine: SyncEngine
  estimator: PendingEstimator
  forecast: ForecastModel
  sessions: SessionLog
  deadLetters: DeadLetterStore
  costPerMb: number
  now?: () => Date
  /** Photos aboard and full photos shore asked for (docs/photos.md). */
  photos?: () => PhotoTotals
}

/** What the sync panel says about photos: those shore asked for and still waiting, and all aboard. */
export interface PhotoTotals {
  /** Full photos shore requested that have not fully reached it, and their bytes still to send. */
  waiting: { count: number; bytes: number }
  /** Photos taken aboard whose original has not reached shore (most are never requested). */
  aboard: { count: number; bytes: number }
}

export interface SyncStatusBody {
  state: SyncSnapshot['state']
  linkUp: boolean
  pendingChanges: number
  lastSyncAt: string | null
  lastError: string | null
  totals: { bytesUp: number; bytesDown: number }
  pendingByPriority: Record<PriorityClass, number>
  pendingDocuments: number
  pendingComplete: boolean
  today: { bytesUp: number; bytesDown: number; costUsd: number }
  voyage: { bytesUp: number; bytesDown: number; costUsd: number; sessions: number; failed: number }
  forecast: ReturnType<ForecastModel['forecast']>
  nextRetryAt: string | null
  attempt: number
  breaker: SyncSnapshot['breaker']
  deadLetters: number
  costPerMb: number
  phase: SyncSnapshot['phase']
  lastErrorAt: string | null
  /** The technical detail behind lastError ("read ECONNRESET"): the crew panel shows it as a tooltip. */
  lastErrorDetail: string | null
  lastAttemptAt: string | null
  progress: SyncSnapshot['progress']
  /** The daily byte budget, or null without one (or when today's is not known yet). */
  budget: BudgetView | null
  /**
   * Today's link bill (UTC day) and where it is heading by 24:00: bytes up and down so far, the
   * projected bytes and cost, sessions and connections today, bytes per hour, and the sentence
   * the sync panel shows ("today 41 KB so far, about 80 KB by 24:00, $0.80").
   */
  dailyBill: DailyBillReport
  /** Photos waiting for the link, and photos aboard only. */
  photos: PhotoTotals
  /**
   * The keepalive in seconds learned because the path dropped quiet connections (a middlebox's
   * idle timeout shorter than the configured keepalive), or null.
   */
  learnedKeepaliveS: number | null
}

/** The budget as the crew's sync panel shows it. */
export interface BudgetView {
  /** Bytes left today, as the relay counted them when the last session opened, less that session. */
  remainingBytes: number
  /** Only critical changes are sent until {@link resetsAt}: a session held changes back, or none is left. */
  limited: boolean
  /** Changes the last session held back, by class. */
  heldBack: BudgetSnapshot['heldBack']
  /** 00:00 UTC tomorrow, when the relay starts a new day's budget. */
  resetsAt: string
}

const utcDay = (d: Date) => d.toISOString().slice(0, 10)

/** The engine's budget snapshot as of `now`; what a session told yesterday no longer holds. */
export function budgetView(b: BudgetSnapshot | null, now: Date): BudgetView | null {
  if (!b || utcDay(new Date(b.at)) !== utcDay(now)) return null
  const tomorrow = new Date(`${utcDay(now)}T00:00:00.000Z`)
  tomorrow.setUTCDate(tomorrow.getUTCDate() + 1)
  return {
    remainingBytes: b.remainingBytes,
    limited: b.limited || b.remainingBytes === 0,
    heldBack: b.heldBack,
    resetsAt: tomorrow.toISOString(),
  }
}

/** Builds the `/api/sync` body. "Voyage" is every session this vessel database has recorded. */
export function buildSyncStatus(d: SyncStatusDeps): SyncStatusBody {
  const snap = d.engine.snapshot()
  const pending = d.estimator.current()
  const now = (d.now ?? (() => new Date()))()
  const today = d.sessions.totals({
    peer: RELAY_PEER,
    since: `${now.toISOString().slice(0, 10)}T00:00:00.000Z`,
  })
  const voyage = d.sessions.totals({ peer: RELAY_PEER })
  const recent = d.sessions.list({ peer: RELAY_PEER, limit: 20 })
  return {
    state: snap.state,
    linkUp: snap.linkUp,
    pendingChanges: pending.changes,
    lastSyncAt: d.sessions.lastComplete(RELAY_PEER)?.endedAt ?? snap.lastSuccessAt,
    lastError: snap.lastError,
    totals: { bytesUp: voyage.bytesUp, bytesDown: voyage.bytesDown },
    pendingByPriority: pending.byPriority,
    pendingDocuments: pending.documents,
    pendingComplete: pending.complete,
    today: { bytesUp: today.bytesUp, bytesDown: today.bytesDown, costUsd: today.costUsd },
    voyage: {
      bytesUp: voyage.bytesUp,
      bytesDown: voyage.bytesDown,
      costUsd: voyage.costUsd,
      sessions: voyage.sessions,
      failed: voyage.failed,
    },
    forecast: d.forecast.forecast(pending, recent, d.costPerMb),
    nextRetryAt: snap.nextRetryAt,
    attempt: snap.attempt,
    breaker: snap.breaker,
    deadLetters: d.deadLetters.counts().open,
    costPerMb: d.costPerMb,
    phase: snap.phase,
    lastErrorAt: snap.lastErrorAt,
    lastErrorDetail: snap.lastErrorDetail,
    lastAttemptAt: snap.lastAttemptAt,
    progress: snap.progress,
    budget: budgetView(snap.budget, now),
    dailyBill: dailyBillOf(d.sessions, RELAY_PEER, now, d.costPerMb),
    photos: d.photos?.() ?? { waiting: { count: 0, bytes: 0 }, aboard: { count: 0, bytes: 0 } },
    learnedKeepaliveS: snap.learnedKeepaliveS,
  }
}
