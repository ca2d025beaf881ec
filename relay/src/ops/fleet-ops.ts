/**
 * The operator's view of each vessel (docs/architecture.md): the fleet summary plus what ops needs to act on —
 * failure rate, conflict rate, dead letters, the relay's backlog by priority, the budget and the
 * expected sync window. The dashboard, the metrics and the alerts all read one cached snapshot, so a
 * scrape and a page refresh in the same few seconds cost one computation.
 */
import { dailyBillOf } from '@tally/storage-sqlite'
import type { DailyBillReport, LinkPresence } from '@tally/storage-sqlite'
import type { RelayContext } from '../context.ts'
import type { LinkContact } from '../link-server.ts'
import { fleetSummary, vesselContact } from '../fleet.ts'
import type { VesselSummary } from '../fleet.ts'
import type { BudgetState, VesselBudgets } from './budgets.ts'
import type { ConflictTracker } from './conflicts.ts'
import type { PendingByPriority, RelayQueue } from './queue.ts'
import type { OpsSettingsStore } from './settings.ts'
import type { VesselReports } from './vessel-reports.ts'

/** Sessions counted by the failure rate: those that started within this window. */
export const FAILURE_WINDOW_MS = 24 * 3_600_000
/** How long a snapshot is reused. */
export const SNAPSHOT_MAX_AGE_MS = 10_000

/**
 * The link as an operator needs it (docs/operations.md, "Link states"): a vessel between two
 * sessions is not "down", and with protocol version 3 an open connection is not a session.
 * - `in_session`: a session is running now (with version 3, a round on the open connection);
 * - `connected`: its long-lived connection is open and idle between rounds (keepalives only);
 * - `reachable`: no connection now; the vessel was last heard (a session, a keepalive) within its
 *   expected window;
 * - `no_contact`: nothing heard from it for longer than its expected window;
 * - `never`: it never completed a session and the relay has not heard from it.
 */
export type LinkState = 'in_session' | 'connected' | 'reachable' | 'no_contact' | 'never'

/** {@link VesselOps.link}: the state, and the times it was judged on. */
export interface VesselLink {
  state: LinkState
  /** The end of the last completed session (the fleet's `lastSyncAt`). */
  lastSessionAt: string | null
  /** The last sign of life: a frame or keepalive on the link, else the last completed session. */
  lastContactAt: string | null
  /** Since when its current connection is open, or null. */
  connectedSince: string | null
}

export interface VesselOps extends VesselSummary {
  /** The vessel's expected time between syncs: the operator's setting, else twice its reported sync interval, else the relay default. */
  expectedWindowS: number
  expectedWindowSource: 'operator' | 'vessel' | 'default'
  link: VesselLink
  /** Changes at the relay that the vessel has not acknowledged, by class. */
  pendingToVessel: PendingByPriority
  /** Documents with changes the vessel reported in its last hello (classes unknown to the relay). */
  pendingFromVessel: number
  /** Sessions that ended in the failure window, by outcome. */
  sessions24h: { complete: number; failed: number }
  /** Attempts the vessel reported failed that never reached the relay (reported in the window). */
  unreachedAttempts24h: number
  /** (failed + unreached) / (complete + failed + unreached) in the window, or null with no attempt. */
  failureRate: number | null
  conflicts: { lastHour: number; last24h: number }
  deadLetters: { open: number; retried: number; discarded: number; oldestOpenAt: string | null }
  budget: BudgetState
  /** Today's link bill (UTC day) from the relay's session log, and the projected day. */
  dailyBill: DailyBillReport
}

export interface FleetOpsDeps {
  ctx: RelayContext
  settings: OpsSettingsStore
  budgets: VesselBudgets
  conflicts: ConflictTracker
  queue: RelayQueue
  reports: VesselReports
  /** Expected sync window for vessels without their own setting. */
  defaultWindowS: number
  now?: () => Date
}

export class FleetOps {
  private cached: { at: number; vessels: VesselOps[] } | undefined

  constructor(private readonly d: FleetOpsDeps) {}

  private now(): Date {
    return this.d.now?.() ?? new Date()
  }

  /**
   * Every known vessel's figures, at most {@link SNAPSHOT_MAX_AGE_MS} old. With `at`, the figures
   * as of that time (not cached): alert tests and what-if checks.
   */
  snapshot(maxAgeMs = SNAPSHOT_MAX_AGE_MS, at?: Date): VesselOps[] {
    if (at) return this.compute(at)
    const now = this.now()
    if (this.cached && now.getTime() - this.cached.at < maxAgeMs) return this.cached.vessels
    const vessels = this.compute(now)
    this.cached = { at: now.getTime(), vessels }
    return vessels
  }

  /** One vessel's figures, fresh; undefined for a vessel the relay does not know. */
  vessel(imo: string): VesselOps | undefined {
    return this.snapshot(0).find((v) => v.imo === imo)
  }

  /** Drops the cached snapshot (a session ended, a setting changed). */
  invalidate(): void {
    this.cached = undefined
  }

  private compute(now: Date): VesselOps[] {
    const { ctx, settings, budgets, conflicts, queue, reports } = this.d
    const windowStart = new Date(now.getTime() - FAILURE_WINDOW_MS).toISOString()
    const outcomes = ctx.sessions.outcomesSince(windowStart)
    const unreached = reports.unreachedSince(windowStart)
    const lastHour = conflicts.countsSince(new Date(now.getTime() - 3_600_000).toISOString())
    const lastDay = conflicts.countsSince(new Date(now.getTime() - 86_400_000).toISOString())
    const letters = ctx.deadLetters.countsByVessel()
    const configured = settings.all()
    // Read once for the whole view: a vessel connected to another relay on the database is
    // connected (or in a session) here too, not merely reachable.
    const presence = ctx.presence?.current() ?? new Map<string, LinkPresence>()
    return fleetSummary(ctx, now, presence).map((summary) => {
      const o = outcomes.get(summary.imo) ?? { complete: 0, failed: 0 }
      const lost = unreached.get(summary.imo) ?? 0
      const attempts = o.complete + o.failed + lost
      const operatorWindow = configured.get(summary.imo)?.expectedWindowS ?? null
      const vesselWindow = operatorWindow === null ? reports.derivedWindowS(summary.imo) : null
      const expectedWindowS = operatorWindow ?? vesselWindow ?? this.d.defaultWindowS
      return {
        ...summary,
        expectedWindowS,
        expectedWindowSource:
          operatorWindow !== null ? 'operator' : vesselWindow !== null ? 'vessel' : 'default',
        link: vesselLink(summary.lastSyncAt, vesselContact(ctx, summary.imo, presence), expectedWindowS, now),
        pendingToVessel: queue.toVessel(summary.imo),
        pendingFromVessel: ctx.vessels.linkStatus(summary.imo)?.vesselPending ?? 0,
        sessions24h: o,
        unreachedAttempts24h: lost,
        failureRate: attempts === 0 ? null : (o.failed + lost) / attempts,
        conflicts: { lastHour: lastHour.get(summary.imo) ?? 0, last24h: lastDay.get(summary.imo) ?? 0 },
        deadLetters: letters.get(summary.imo) ?? { open: 0, retried: 0, discarded: 0, oldestOpenAt: null },
        budget: budgets.state(summary.imo, now),
        dailyBill: dailyBillOf(ctx.sessions, summary.imo, now, ctx.costPerMb),
      }
    })
  }
}

/** The vessel's {@link VesselLink} from its last completed session and what the link server heard. */
export function vesselLink(
  lastSessionAt: string | null,
  contact: LinkContact,
  expectedWindowS: number,
  now: Date,
): VesselLink {
  const heard = contact.lastContactAt
  const lastContactAt =
    heard !== null && (lastSessionAt === null || heard > lastSessionAt) ? heard : lastSessionAt
  return {
    state: linkState(contact, lastContactAt, expectedWindowS, now),
    lastSessionAt,
    lastContactAt,
    connectedSince: contact.connectedSince,
  }
}

function linkState(
  contact: LinkContact,
  lastContactAt: string | null,
  expectedWindowS: number,
  now: Date,
): LinkState {
  if (contact.inSession) return 'in_session'
  if (contact.connectedSince) return 'connected'
  if (lastContactAt === null) return 'never'
  return now.getTime() - Date.parse(lastContactAt) <= expectedWindowS * 1000 ? 'reachable' : 'no_contact'
}
