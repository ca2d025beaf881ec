/**
 * The fleet view (`GET /api/vessels`): per vessel, its last completed sync, the lag since, what is
 * waiting to cross the link, today's traffic and cost, and how many containers it carries.
 */
import { sameHeads } from '@tally/link'
import type { RelayContext } from './context.ts'
import type { LinkPresence } from '@tally/storage-sqlite'
import { linkContactOf } from './link-presence.ts'
import type { LinkContact } from './link-server.ts'

export interface VesselSummary {
  imo: string
  name: string | null
  lastSyncAt: string | null
  /**
   * Seconds since the last completed sync; null if the vessel never synced; 0 while the vessel keeps
   * a long-lived link connection open (protocol version 3): it is in contact, and a quiet link runs
   * no session until something changes (docs/protocol.md, "Rounds"). Once that connection is gone,
   * the lag counts from its last contact (a keepalive, say) when that is later than the last sync.
   */
  lagSeconds: number | null
  /**
   * When the vessel was last known in sync, which the lag counts from: the last completed sync, or
   * the last contact on its long-lived connection when later; null with no lag (never synced, or
   * connected now).
   */
  lagSince: string | null
  /**
   * Changes the vessel reported waiting in its last hello (0 once a session completes), plus the
   * documents the relay holds that the vessel has not acknowledged yet.
   */
  pendingChanges: number
  /** Whether the vessel's link is open right now, at this relay or another on the same database. */
  linkUp: boolean
  /**
   * The relay the vessel's link is open at (`host:port`), or null while it is not connected. With
   * several relays on one database (docs/operations.md) it may be another one than this.
   */
  relay: string | null
  /**
   * Today's link bytes and cost; `photoBytes` and `photoCostUsd` are the part of them that carried
   * full photos shore asked for (docs/photos.md), counted separately.
   */
  today: { bytesUp: number; bytesDown: number; costUsd: number; photoBytes: number; photoCostUsd: number }
  containers: number
  /** Containers of open voyages registered aboard and not booked ashore yet (no booking). */
  notBooked: number
}

/** Documents of `vessel` whose heads the vessel has not acknowledged (what the next session sends). */
export function relayPendingDocs(ctx: RelayContext, vessel: string): number {
  const acknowledged = ctx.cursors.allHeads(vessel)
  let pending = 0
  for (const row of ctx.store.index.allHeads(vessel))
    if (!sameHeads(JSON.parse(row.heads) as string[], acknowledged.get(row.doc_id) ?? [])) pending++
  return pending
}

/** Registered vessels, plus any vessel with a live token or with containers (created before it was registered). */
function knownVessels(ctx: RelayContext): Map<string, string | null> {
  const out = new Map<string, string | null>()
  for (const v of ctx.vessels.list()) out.set(v.imo, v.name)
  for (const t of ctx.tokens.list({ kind: 'vessel' })) if (!out.has(t.subject)) out.set(t.subject, null)
  for (const vessel of ctx.store.index.vessels()) if (!out.has(vessel)) out.set(vessel, null)
  return new Map([...out].sort(([a], [b]) => a.localeCompare(b)))
}

/**
 * The link of `imo` as this relay sees it, including a connection at another relay on the same
 * database (`presence`: `RelayPresence.current()`).
 */
export function vesselContact(
  ctx: RelayContext,
  imo: string,
  presence: ReadonlyMap<string, LinkPresence>,
): LinkContact {
  return linkContactOf(ctx.linkServer.contact(imo), presence.get(imo), ctx.presence?.name())
}

/** `presence`: where vessels are connected (read once per view); read here when not given. */
export function fleetSummary(
  ctx: RelayContext,
  now = new Date(),
  presence: ReadonlyMap<string, LinkPresence> = ctx.presence?.current() ?? new Map(),
): VesselSummary[] {
  const startOfDay = now.toISOString().slice(0, 10) + 'T00:00:00.000Z'
  return [...knownVessels(ctx)].map(([imo, name]) => {
    const here = ctx.linkServer.active.has(imo)
    const elsewhere = presence.get(imo)
    const atOther = !here && elsewhere !== undefined && elsewhere.relay !== ctx.presence?.name()
    const last = ctx.sessions.lastComplete(imo)
    const lastSyncAt = last?.endedAt ?? null
    const today = ctx.sessions.totals({ peer: imo, since: startOfDay })
    const photoBytes = ctx.photos.photoBytesSince(imo, startOfDay)
    return {
      imo,
      name,
      lastSyncAt,
      ...lagOf(lastSyncAt, vesselContact(ctx, imo, presence), now),
      pendingChanges: (ctx.vessels.linkStatus(imo)?.vesselPending ?? 0) + relayPendingDocs(ctx, imo),
      linkUp: here || atOther,
      relay: here ? (ctx.presence?.name() ?? null) : atOther ? elsewhere.relay : null,
      today: {
        bytesUp: today.bytesUp,
        bytesDown: today.bytesDown,
        costUsd: round(today.costUsd),
        photoBytes,
        photoCostUsd: round((photoBytes / 1_000_000) * ctx.costPerMb),
      },
      containers: ctx.store.index.list({ vessel: imo, limit: 0 }).total,
      notBooked: ctx.store.index
        .voyageCounts(imo)
        .filter((v) => !ctx.voyages.closedAt(imo, v.voyage))
        .reduce((n, v) => n + v.notBooked, 0),
    }
  })
}

/** {@link VesselSummary.lagSeconds} and {@link VesselSummary.lagSince}. */
function lagOf(
  lastSyncAt: string | null,
  contact: LinkContact,
  now: Date,
): Pick<VesselSummary, 'lagSeconds' | 'lagSince'> {
  if (lastSyncAt === null) return { lagSeconds: null, lagSince: null }
  if (contact.persistent && contact.connectedSince) return { lagSeconds: 0, lagSince: null }
  const heard = contact.persistent ? contact.lastContactAt : null
  const since = heard !== null && heard > lastSyncAt ? heard : lastSyncAt
  return { lagSeconds: secondsSince(since, now), lagSince: since }
}

const secondsSince = (iso: string, now: Date): number =>
  Math.max(0, Math.floor((now.getTime() - Date.parse(iso)) / 1000))

const round = (usd: number): number => Math.round(usd * 10_000) / 10_000
