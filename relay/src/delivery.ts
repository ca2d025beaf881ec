/**
 * Has the ship got it? A container's delivery to its vessel, read from the relay's cursor for that
 * vessel (what the vessel acknowledged, durably, in a link window) against the document's heads:
 *
 * - `on_board`: the vessel holds every change the relay has, since the acknowledgement's time;
 * - `waiting`: saved at shore, to leave in the vessel's next window, forecast from its last windows.
 *
 * The forecast is the last completed window plus the median gap between the vessel's recent
 * windows (null until it has had two).
 */
import { sameHeads } from '@tally/link'
import type { RelayContext } from './context.ts'

export interface Delivery {
  state: 'on_board' | 'waiting'
  /** The relay holds the document: every edit here is durable at shore. */
  savedAtShore: true
  /** When the vessel acknowledged the current heads (on_board). */
  onBoardSince: string | null
  /** The vessel's last completed link window. */
  lastWindowAt: string | null
  /** When its next window is expected (waiting), or null when there is no basis yet. */
  forecastAt: string | null
}

/** Completed windows whose gaps predict the next one. */
const WINDOW_SAMPLE = 6

export function deliveryOf(ctx: RelayContext, vessel: string, docId: string, heads: string[]): Delivery {
  const cursor = ctx.cursors.getEntry(vessel, docId)
  const onBoard = cursor !== undefined && sameHeads(cursor.heads, heads)
  const windows = ctx.sessions
    .list({ peer: vessel, limit: 50 })
    .filter((s) => s.state === 'complete' && s.endedAt)
    .slice(0, WINDOW_SAMPLE)
  const lastWindowAt = windows[0]?.endedAt ?? null
  return {
    state: onBoard ? 'on_board' : 'waiting',
    savedAtShore: true,
    onBoardSince: onBoard ? cursor.updatedAt : null,
    lastWindowAt,
    forecastAt: onBoard ? null : forecast(windows.map((w) => Date.parse(w.startedAt))),
  }
}

function forecast(startsNewestFirst: number[]): string | null {
  if (startsNewestFirst.length < 2) return null
  const gaps = startsNewestFirst
    .slice(1)
    .map((t, i) => startsNewestFirst[i]! - t)
    .filter((g) => g > 0)
    .sort((a, b) => a - b)
  if (gaps.length === 0) return null
  const median = gaps[Math.floor(gaps.length / 2)]!
  let next = startsNewestFirst[0]! + median
  // A window already overdue is expected at the next multiple of the gap from now.
  const now = Date.now()
  if (next < now) next += Math.ceil((now - next) / median) * median
  return new Date(next).toISOString()
}
