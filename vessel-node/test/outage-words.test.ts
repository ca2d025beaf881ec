/**
 * The crew's words for an outage: the breaker says what happened and when the next try is, a
 * connection failure is a sentence (its detail kept for a tooltip), and the failed attempts of one
 * outage fold into one line of "Recent sync sessions".
 */
import { describe, expect, it } from 'vitest'
import { describeLinkFailure } from '../src/link-failure.ts'
import { groupSessions, outageRowWords, outageWords } from '../web/src/outageWords.ts'
import type { SyncSession } from '../web/src/api.ts'

const session = (id: number, startedAt: string, state: string, bytesDown = 0): SyncSession => ({
  id,
  startedAt,
  endedAt: startedAt.replace(/:(\d\d)\.000Z$/, (_, s) => `:${String(Number(s) + 5).padStart(2, '0')}.000Z`),
  state,
  bytesUp: 0,
  bytesDown,
  error: state === 'failed' ? 'No connection to shore: the satellite link is down' : null,
})

describe('outage words', () => {
  it('says the satellite link is down and when it tries again, not that the relay kept failing', () => {
    expect(outageWords({ breaker: 'open', linkUp: false, nextRetryAt: '2026-12-04T20:28:10.000Z' })).toBe(
      'The satellite link is down; trying again at 20:28 UTC.',
    )
    expect(outageWords({ breaker: 'open', linkUp: true, nextRetryAt: null })).toMatch(
      /^The relay answers but the sync keeps failing; trying again shortly\.$/,
    )
    expect(outageWords({ breaker: 'half-open', linkUp: false, nextRetryAt: null })).toMatch(/again now/)
    expect(outageWords({ breaker: 'closed', linkUp: true, nextRetryAt: null })).toBeNull()
  })

  it('turns "read ECONNRESET" into words and keeps the detail', () => {
    const f = describeLinkFailure(Object.assign(new Error('read ECONNRESET'), { closeCode: 1006 }))
    expect(f.message).toBe(
      'No connection to shore: the satellite link is down or the relay is not answering. The vessel keeps trying.',
    )
    expect(f.message).not.toMatch(/ECONNRESET/)
    expect(f.detail).toBe('read ECONNRESET')
  })

  it('folds the failed attempts of one outage into one row and leaves real sessions alone', () => {
    const list = [
      session(9, '2026-12-04T20:25:00.000Z', 'complete', 900),
      session(8, '2026-12-04T20:21:30.000Z', 'failed'),
      session(7, '2026-12-04T20:21:00.000Z', 'failed'),
      session(6, '2026-12-04T20:20:40.000Z', 'failed'),
      session(5, '2026-12-04T20:20:20.000Z', 'failed'),
      session(4, '2026-12-04T20:20:00.000Z', 'failed'),
      session(3, '2026-12-04T20:10:00.000Z', 'failed', 300), // reached the relay: a real session
      session(2, '2026-12-04T20:05:00.000Z', 'failed'), // alone: not an outage
      session(1, '2026-12-04T20:00:00.000Z', 'complete', 500),
    ]
    const rows = groupSessions(list)
    expect(rows.map((r) => (r.kind === 'outage' ? `outage×${r.attempts}` : r.session.id))).toEqual([
      9,
      'outage×5',
      3,
      2,
      1,
    ])
    const outage = rows[1]!
    if (outage.kind !== 'outage') throw new Error('expected an outage row')
    expect(outageRowWords(outage)).toBe('5 attempts failed during the outage 20:20–20:21 UTC')
  })
})
