/**
 * The day's link bill projected from the bytes moved so far today (UTC), as the crew's sync panel,
 * the vessel's `GET /api/sync` and the relay's `/ops` show it: "today 41 KB so far, about 80 KB by
 * 24:00, $0.80". One function, so the ship and the shore never quote different figures.
 *
 * The projection assumes the rest of the day moves bytes at the rate of the day so far. Until an
 * hour has passed, the day so far counts as one hour: a session at 00:02 would otherwise project
 * a burst of a few KB to megabytes.
 */
import { BYTES_PER_MB } from './session-log.ts'
import type { SessionLog } from './session-log.ts'

const DAY_MS = 86_400_000
/** The shortest stretch of the day a rate is taken over (see the module comment). */
export const MIN_PROJECTION_BASIS_MS = 3_600_000

export interface DailyBillInput {
  bytesUp: number
  bytesDown: number
  now: Date
  usdPerMb: number
}

export interface DailyBill {
  /** The UTC day, `YYYY-MM-DD`. */
  day: string
  bytesUp: number
  bytesDown: number
  /** Up and down so far today. */
  bytes: number
  costUsd: number
  /** Bytes expected by 24:00 UTC at today's rate so far. */
  projectedBytes: number
  projectedCostUsd: number
  /** The share of the UTC day that has passed, 0–1. */
  dayFraction: number
  /** The bill in one sentence, e.g. "today 41 KB so far, about 80 KB by 24:00, $0.80". */
  summary: string
}

const usd = (bytes: number, usdPerMb: number) => Math.round((bytes / BYTES_PER_MB) * usdPerMb * 100) / 100

/** Bytes in KB (10³ B, as the link's price is quoted): one decimal under 10 KB, whole KB above. */
export function formatKb(bytes: number): string {
  const kb = bytes / 1000
  return `${kb < 10 ? kb.toFixed(1) : Math.round(kb).toLocaleString('en-US')} KB`
}

/** Projects today's bill; throws on negative or non-finite input. */
export function projectDailyBill(input: DailyBillInput): DailyBill {
  const { bytesUp, bytesDown, now, usdPerMb } = input
  for (const [name, value] of [
    ['bytesUp', bytesUp],
    ['bytesDown', bytesDown],
    ['usdPerMb', usdPerMb],
  ] as const)
    if (!Number.isFinite(value) || value < 0)
      throw new RangeError(`${name} must be a number >= 0, got ${value}`)
  if (Number.isNaN(now.getTime())) throw new RangeError('now must be a valid date')
  const day = now.toISOString().slice(0, 10)
  const elapsedMs = now.getTime() - Date.parse(`${day}T00:00:00.000Z`)
  const bytes = bytesUp + bytesDown
  const rate = bytes / Math.max(elapsedMs, MIN_PROJECTION_BASIS_MS)
  const projectedBytes = Math.round(bytes + rate * (DAY_MS - elapsedMs))
  const projectedCostUsd = usd(projectedBytes, usdPerMb)
  return {
    day,
    bytesUp,
    bytesDown,
    bytes,
    costUsd: usd(bytes, usdPerMb),
    projectedBytes,
    projectedCostUsd,
    dayFraction: elapsedMs / DAY_MS,
    summary: `today ${formatKb(bytes)} so far, about ${formatKb(projectedBytes)} by 24:00, $${projectedCostUsd.toFixed(2)}`,
  }
}

/** {@link DailyBill} with what the session log knows of the day besides bytes. */
export interface DailyBillReport extends DailyBill {
  /** Link sessions started today (running, complete, failed or aborted). */
  sessions: number
  /**
   * TCP connections opened today. Each session opens its own connection (docs/protocol.md), so
   * this is the session count as long as the log records no connections of its own.
   */
  connections: number
  /** Bytes (up + down) per UTC hour of today, 24 entries; hours still to come are 0. */
  hourly: { hour: number; bytesUp: number; bytesDown: number }[]
}

/** Today's bill of one peer (the relay on the vessel, a vessel on the relay) from its session log. */
export function dailyBillOf(
  log: Pick<SessionLog, 'totals' | 'perHour'>,
  peer: string,
  now: Date,
  usdPerMb: number,
): DailyBillReport {
  const since = `${now.toISOString().slice(0, 10)}T00:00:00.000Z`
  const totals = log.totals({ peer, since })
  const hourly = Array.from({ length: 24 }, (_, hour) => ({ hour, bytesUp: 0, bytesDown: 0 }))
  for (const h of log.perHour({ peer, since })) {
    const entry = hourly[Number(h.hour.slice(11, 13))]
    if (!entry) continue
    entry.bytesUp = h.bytesUp
    entry.bytesDown = h.bytesDown
  }
  return {
    ...projectDailyBill({ bytesUp: totals.bytesUp, bytesDown: totals.bytesDown, now, usdPerMb }),
    sessions: totals.sessions,
    connections: totals.sessions,
    hourly,
  }
}

/** Sums bills of the same day (the fleet's): bytes, costs and counts add up, and so do projections. */
export function sumDailyBills(
  bills: readonly DailyBillReport[],
  now: Date,
  usdPerMb: number,
): DailyBillReport {
  const add = (pick: (b: DailyBillReport) => number) => bills.reduce((n, b) => n + pick(b), 0)
  const hourly = Array.from({ length: 24 }, (_, hour) => ({
    hour,
    bytesUp: add((b) => b.hourly[hour]?.bytesUp ?? 0),
    bytesDown: add((b) => b.hourly[hour]?.bytesDown ?? 0),
  }))
  return {
    ...projectDailyBill({
      bytesUp: add((b) => b.bytesUp),
      bytesDown: add((b) => b.bytesDown),
      now,
      usdPerMb,
    }),
    sessions: add((b) => b.sessions),
    connections: add((b) => b.connections),
    hourly,
  }
}
