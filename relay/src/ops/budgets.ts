/**
 * Daily byte budgets (docs/operations.md, "Budgets"). A vessel's budget counts the bytes of both directions since
 * 00:00 UTC, as the session log records them; what is left is what the link server puts in the
 * welcome frame, and once it is spent the link sends only critical changes (see docs/operations.md,
 * "Budgets", for the session-side rule).
 */
import type { SessionLog } from '@tally/storage-sqlite'
import type { OpsSettingsStore } from './settings.ts'

/** A vessel's budget today. */
export interface BudgetState {
  /** Bytes per UTC day, or null when the vessel has no budget. */
  dailyBytes: number | null
  /** Bytes moved today, both directions (sessions that ended or were cut short). */
  spentBytes: number
  /** What is left today, or null without a budget. */
  remainingBytes: number | null
  /**
   * Only critical changes cross the link until 00:00 UTC: the budget is spent, or a session today
   * already held shore changes back (what is left is smaller than the next chunk) and the budget
   * has not been changed since.
   */
  criticalOnly: boolean
  /** Sessions today in which the relay held changes for the vessel back. */
  limitedSessions: number
}

/** The start of `now`'s UTC day, as the session log stores times. */
export const startOfUtcDay = (now: Date): string => now.toISOString().slice(0, 10) + 'T00:00:00.000Z'

export class VesselBudgets {
  constructor(
    private readonly settings: OpsSettingsStore,
    private readonly sessions: SessionLog,
  ) {}

  state(imo: string, now = new Date()): BudgetState {
    const settings = this.settings.get(imo)
    const dailyBytes = settings.dailyBudgetBytes
    const since = startOfUtcDay(now)
    const today = this.sessions.totals({ peer: imo, since })
    const spentBytes = today.bytesUp + today.bytesDown
    const limitedSessions = today.budgetLimited
    if (dailyBytes === null)
      return { dailyBytes, spentBytes, remainingBytes: null, criticalOnly: false, limitedSessions }
    const remainingBytes = Math.max(0, dailyBytes - spentBytes)
    // A session cut short by the budget leaves less than a chunk, rarely exactly 0; it still means
    // "critical only" until midnight, unless an operator changed the settings after that session.
    const changedAt = settings.updatedAt ?? since
    const heldBackSinceChange =
      limitedSessions > 0 &&
      (changedAt <= since || this.sessions.totals({ peer: imo, since: changedAt }).budgetLimited > 0)
    return {
      dailyBytes,
      spentBytes,
      remainingBytes,
      criticalOnly: remainingBytes === 0 || heldBackSinceChange,
      limitedSessions,
    }
  }

  /** What the link server sends in `welcome.budget`: bytes left today, or null for no budget. */
  remaining(imo: string, now = new Date()): number | null {
    return this.state(imo, now).remainingBytes
  }
}
