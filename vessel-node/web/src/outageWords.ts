/**
 * A satellite outage in the crew's words: what the retry breaker means ("The satellite link is down;
 * trying again at 20:28 UTC"), and the failed attempts of one outage folded into one line of "Recent
 * sync sessions" so they do not bury the real sessions. Pure functions, no UI imports (unit-tested).
 */
import type { SyncSession, SyncStatus } from './api.ts'

/** `HH:MM UTC` of an ISO time. */
export const clockUtc = (iso: string): string => `${iso.slice(11, 16)} UTC`

/**
 * The breaker's state as a sentence, or null when it is closed. The vessel cannot tell a dead
 * satellite from a dead relay when nothing answers; it can when the relay answered and failed.
 */
export function outageWords(sync: Pick<SyncStatus, 'breaker' | 'linkUp' | 'nextRetryAt'>): string | null {
  if (!sync.breaker || sync.breaker === 'closed') return null
  if (sync.breaker === 'half-open') return 'Trying the link to shore again now.'
  const when = sync.nextRetryAt ? `trying again at ${clockUtc(sync.nextRetryAt)}` : 'trying again shortly'
  return sync.linkUp
    ? `The relay answers but the sync keeps failing; ${when}.`
    : `The satellite link is down; ${when}.`
}

export type SessionRow =
  | { kind: 'session'; session: SyncSession }
  | { kind: 'outage'; attempts: number; from: string; to: string; sessions: SyncSession[] }

/** A failed attempt that never heard from the relay: part of an outage, not a real session. */
const unreached = (s: SyncSession): boolean => s.state === 'failed' && (s.bytesDown ?? 0) === 0

/**
 * Folds each run of two or more consecutive unreached attempts (newest first, as the API lists
 * them) into one outage row; everything else stays a row of its own.
 */
export function groupSessions(sessions: SyncSession[]): SessionRow[] {
  const rows: SessionRow[] = []
  let run: SyncSession[] = []
  const flush = () => {
    if (run.length >= 2) {
      // Newest first: the run's last item started first.
      const from = run.at(-1)!.startedAt
      const to = run[0]!.endedAt ?? run[0]!.startedAt
      rows.push({ kind: 'outage', attempts: run.length, from, to, sessions: run })
    } else for (const session of run) rows.push({ kind: 'session', session })
    run = []
  }
  for (const s of sessions) {
    if (unreached(s)) run.push(s)
    else {
      flush()
      rows.push({ kind: 'session', session: s })
    }
  }
  flush()
  return rows
}

/** "5 attempts failed during the outage 20:20–20:21 UTC". */
export const outageRowWords = (row: Extract<SessionRow, { kind: 'outage' }>): string =>
  `${row.attempts} attempts failed during the outage ${row.from.slice(11, 16)}–${clockUtc(row.to)}`
