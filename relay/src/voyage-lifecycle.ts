/**
 * A vessel's voyages on the relay (docs/architecture.md, "Voyages"): the port calls the shore edits,
 * and closing a voyage once both sides hold the same history. A closed voyage's documents stay on
 * the relay for history and evidence, compacted to one snapshot each; policy refuses any new change
 * to them on every path.
 */
import { setImmediate as yieldToEventLoop } from 'node:timers/promises'
import { checkPortCalls, TallyError } from '@tally/manifest'
import type { VoyageRecord } from '@tally/manifest'
import { sameHeads } from '@tally/link'
import type { StoredVoyage } from '@tally/storage-sqlite'
import type { RelayContext } from './context.ts'

/** A voyage as the API answers it: the record plus how many containers it has. */
export interface VoyageView extends VoyageRecord {
  containers: number
  /** Containers without a booking: registered aboard, not yet booked ashore. */
  notBooked: number
}

/** Containers named in a refused close; the count says how many there are in all. */
const MAX_LISTED = 100
/** Documents compacted between yields to the event loop. */
const COMPACT_BATCH = 100

function viewOf(ctx: RelayContext, v: StoredVoyage): VoyageView {
  const counts = ctx.store.index.voyageCounts(v.vessel).find((c) => c.voyage === v.voyage)
  return {
    vessel: v.vessel,
    voyage: v.voyage,
    status: v.status,
    portCalls: v.portCalls,
    createdAt: v.createdAt,
    closedAt: v.closedAt,
    containers: counts?.containers ?? 0,
    notBooked: counts?.notBooked ?? 0,
  }
}

/** Every voyage of a vessel, oldest first; voyages with containers but no record get one. */
export function listVoyages(ctx: RelayContext, vessel: string): VoyageView[] {
  for (const { voyage } of ctx.store.index.voyageCounts(vessel)) ctx.voyages.ensure(vessel, voyage)
  return ctx.voyages.list(vessel).map((v) => viewOf(ctx, v))
}

export function getVoyage(ctx: RelayContext, vessel: string, voyage: string): VoyageView {
  const found = ctx.voyages.get(vessel, voyage)
  if (found) return viewOf(ctx, found)
  if (ctx.store.index.voyageRows(vessel, voyage).length === 0)
    throw new TallyError('NOT_FOUND', `no voyage ${voyage} of ${vessel}`, 'voyage')
  ctx.voyages.ensure(vessel, voyage)
  return viewOf(ctx, ctx.voyages.get(vessel, voyage)!)
}

/** Creates the voyage if needed and replaces its port calls. A closed voyage is read-only. */
export function setPortCalls(ctx: RelayContext, vessel: string, voyage: string, body: unknown): VoyageView {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw new TallyError('INVALID', 'body: must be a JSON object {portCalls: [...]}', 'body')
  const portCalls = checkPortCalls((body as { portCalls?: unknown }).portCalls)
  const closedAt = ctx.voyages.closedAt(vessel, voyage)
  if (closedAt)
    throw new TallyError(
      'CONFLICT',
      `voyage ${voyage} of ${vessel} was closed at ${closedAt}; it is read-only`,
    )
  return viewOf(ctx, ctx.voyages.setPortCalls(vessel, voyage, portCalls))
}

/** What stands between a voyage and its close; empty lists and 0 mean nothing does. */
export interface CloseBlockers {
  /** Containers whose heads the vessel has not acknowledged (per the relay's cursors). */
  notInSync: string[]
  notInSyncCount: number
  /** Open dead letters of the voyage's documents. */
  deadLetters: { id: number; containerId: string; reason: string }[]
  /** Changes the vessel reported waiting at its last hello (0 once a session completes). */
  vesselPending: number
}

export function closeBlockers(ctx: RelayContext, vessel: string, voyage: string): CloseBlockers {
  const rows = ctx.store.index.voyageRows(vessel, voyage)
  const acknowledged = ctx.cursors.allHeads(vessel)
  const notInSync = rows
    .filter((r) => !sameHeads(JSON.parse(r.heads) as string[], acknowledged.get(r.doc_id) ?? []))
    .map((r) => r.container_id)
    .sort()
  const byDoc = new Map(rows.map((r) => [r.doc_id, r.container_id]))
  const deadLetters = ctx.deadLetters
    .list({ status: 'open', limit: 100_000 })
    .filter((d) => d.docId !== null && byDoc.has(d.docId))
    .map((d) => ({ id: d.id, containerId: byDoc.get(d.docId!)!, reason: d.reason }))
  return {
    notInSync: notInSync.slice(0, MAX_LISTED),
    notInSyncCount: notInSync.length,
    deadLetters: deadLetters.slice(0, MAX_LISTED),
    vesselPending: ctx.vessels.linkStatus(vessel)?.vesselPending ?? 0,
  }
}

/**
 * Closes a voyage: refused with 409 CONFLICT and the blockers unless every document's heads equal
 * what the vessel acknowledged, no dead letter of the voyage is open and the vessel reported nothing
 * waiting. Closing a closed voyage answers it as it is. The documents are then compacted.
 */
export async function closeVoyage(ctx: RelayContext, vessel: string, voyage: string): Promise<VoyageView> {
  const existing = getVoyage(ctx, vessel, voyage)
  if (existing.status === 'CLOSED') return existing
  const blockers = closeBlockers(ctx, vessel, voyage)
  const reasons: string[] = []
  if (blockers.notInSyncCount > 0)
    reasons.push(`${blockers.notInSyncCount} container(s) hold changes the vessel has not acknowledged`)
  if (blockers.deadLetters.length > 0)
    reasons.push(`${blockers.deadLetters.length} dead letter(s) are unresolved`)
  if (blockers.vesselPending > 0)
    reasons.push(`the vessel reported ${blockers.vesselPending} change(s) waiting at its last session`)
  if (reasons.length > 0)
    throw new TallyError(
      'CONFLICT',
      `voyage ${voyage} of ${vessel} is not in sync: ${reasons.join('; ')}`,
      undefined,
      { missing: blockers },
    )
  const closed = ctx.voyages.close(vessel, voyage)
  ctx.logger.info({ vessel, voyage, closedAt: closed.closedAt }, 'voyage closed')
  const rows = ctx.store.index.voyageRows(vessel, voyage)
  for (let i = 0; i < rows.length; i += COMPACT_BATCH) {
    if (i > 0) await yieldToEventLoop()
    for (const row of rows.slice(i, i + COMPACT_BATCH)) ctx.store.compact(row.doc_id)
  }
  return viewOf(ctx, closed)
}
