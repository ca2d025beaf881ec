/**
 * The crew's sync endpoints: the sync panel's status, "Sync now", the session log and the dead
 * letters (changes refused on either side of the link), all in words a deck officer understands.
 */
import { Router } from 'express'
import { invalid } from '@tally/manifest'
import type { ContainerStore } from '@tally/replica'
import type { DeadLetterRecord, DeadLetterStore, SessionLog } from '@tally/storage-sqlite'
import type { SyncEngine } from './sync-engine.ts'
import { RELAY_PEER } from './sync-engine.ts'

const MAX_SESSIONS = 500
const DEFAULT_SESSIONS = 50
const MAX_DEAD_LETTERS = 500

export interface SyncRoutesDeps {
  engine: SyncEngine
  status: () => unknown
  sessions: SessionLog
  deadLetters: DeadLetterStore
  store: ContainerStore
  vessel: string
}

/** A dead letter as the crew sees it: which container and field, why, and who sent the change. */
export function deadLetterView(letter: DeadLetterRecord, store: ContainerStore, vessel: string) {
  const row = letter.docId ? store.row(letter.docId) : undefined
  // Refusals of a whole entry carry the container in the reason ("CSQU3054383: unknown container").
  const prefixed = /^([A-Z]{4}\d{7}): (.*)$/s.exec(letter.reason)
  const containerId = row?.container_id ?? prefixed?.[1] ?? null
  const reason = prefixed && !row ? prefixed[2]! : letter.reason
  const what = letter.field ? `${letter.field}` : 'a change'
  const where = containerId ? ` of ${containerId}` : ''
  const message =
    letter.principal === vessel
      ? `Shore refused this vessel’s change to ${what}${where}: ${reason}`
      : `This vessel refused a change to ${what}${where} from ${letter.principal}: ${reason}`
  return {
    id: letter.id,
    at: letter.at,
    containerId,
    field: letter.field,
    reason,
    principal: letter.principal,
    status: letter.status,
    message,
  }
}

export function syncRoutes(d: SyncRoutesDeps): Router {
  const router = Router()

  router.get('/sync', (_req, res) => {
    res.json(d.status())
  })

  router.post('/sync', (_req, res) => {
    res.status(202).json({ state: d.engine.syncNow() })
  })

  router.get('/sync/sessions', (req, res) => {
    const raw = req.query.limit
    let limit = DEFAULT_SESSIONS
    if (raw !== undefined) {
      if (typeof raw !== 'string' || !/^\d{1,6}$/.test(raw)) throw invalid('limit', 'must be a whole number')
      limit = Math.min(Number(raw), MAX_SESSIONS)
    }
    res.json(
      d.sessions.list({ peer: RELAY_PEER, limit }).map((s) => ({
        id: s.id,
        startedAt: s.startedAt,
        endedAt: s.endedAt,
        durationMs: s.durationMs,
        state: s.state,
        bytesUp: s.bytesUp,
        bytesDown: s.bytesDown,
        chunksUp: s.chunksUp,
        chunksDown: s.chunksDown,
        changesUp: s.changesUp,
        changesDown: s.changesDown,
        rejected: s.rejected,
        costUsd: s.costUsd,
        error: s.error,
        budgetLimited: s.budgetLimited,
      })),
    )
  })

  router.get('/dead-letters', (_req, res) => {
    res.json(d.deadLetters.list({ limit: MAX_DEAD_LETTERS }).map((l) => deadLetterView(l, d.store, d.vessel)))
  })

  return router
}
