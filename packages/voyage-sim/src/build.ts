/**
 * Whole voyages: the common genesis (deterministic per container) plus the shore's booking change,
 * then each side's replica edited by its own actor, day after day. Tests and benchmarks start here.
 */
import * as A from '@automerge/automerge'
import { createContainerDoc } from '@tally/manifest'
import type { ContainerDoc, ContainerKey } from '@tally/manifest'
import { sha256 } from '@noble/hashes/sha2'
import { applyBooking, applyEvent } from './apply.ts'
import type { VoyageEvent } from './events.ts'
import { DEFAULT_VESSEL, DEFAULT_VOYAGE, seedManifest, STANDARD_CONTAINERS } from './manifest.ts'
import type { BookingEntry } from './manifest.ts'
import { voyageDay } from './voyage-day.ts'

type Doc = A.Doc<ContainerDoc>
/** Container documents by container number. */
export type Replica = Map<string, Doc>

const toHex = (bytes: Uint8Array): string =>
  Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')

/** A deterministic 16-byte actor ID (hex) for one side of a vessel's voyage. */
export function simActor(side: 'vessel' | 'shore', vessel: string = DEFAULT_VESSEL): string {
  return toHex(sha256(new TextEncoder().encode(`tally/voyage-sim/${side}/${vessel}`)).slice(0, 16))
}

/** The genesis of every booked box, followed by the shore's booking change, authored by `shoreActor`. */
export function bookedDocs(
  manifest: readonly BookingEntry[],
  vessel: string,
  shoreActor: string = simActor('shore', vessel),
): Replica {
  const docs: Replica = new Map()
  for (const entry of manifest) {
    const key: ContainerKey = { vessel, voyage: entry.voyage, containerId: entry.containerId }
    docs.set(entry.containerId, applyBooking(createContainerDoc(key, entry.isoType, shoreActor), entry))
  }
  return docs
}

/** An independent copy of every document, writing as `actor`. */
export function cloneReplica(docs: Replica, actor: string): Replica {
  const out: Replica = new Map()
  for (const [id, doc] of docs) out.set(id, A.clone(doc, { actor: actor as A.ActorId }))
  return out
}

/** Applies events in order, one change each, to the replica's documents (replaced in the map). */
export function applyEvents(docs: Replica, events: readonly VoyageEvent[]): Replica {
  for (const event of events) {
    const doc = docs.get(event.containerId)
    if (!doc) throw new Error(`no document for ${event.containerId}`)
    docs.set(event.containerId, applyEvent(doc, event))
  }
  return docs
}

const sameHeads = (a: A.Heads, b: A.Heads): boolean =>
  a.length === b.length && [...a].sort().join() === [...b].sort().join()

/** Exchanges all changes between two replicas, as a complete sync would. */
export function mergeReplicas(a: Replica, b: Replica): void {
  for (const [id, docA] of a) {
    const docB = b.get(id)
    if (!docB || sameHeads(A.getHeads(docA), A.getHeads(docB))) continue
    const merged = A.merge(docA, docB)
    a.set(id, merged)
    b.set(id, A.merge(docB, merged))
  }
}

/** Every document's heads, to find later what changed since. */
export function headsOf(docs: Replica): Map<string, A.Heads> {
  return new Map([...docs].map(([id, doc]) => [id, A.getHeads(doc)]))
}

/**
 * The changes each document gained since `heads` (all of them for a document not in `heads`);
 * documents with none are left out.
 */
export function changesSince(docs: Replica, heads: ReadonlyMap<string, A.Heads>): Map<string, Uint8Array[]> {
  const out = new Map<string, Uint8Array[]>()
  for (const [id, doc] of docs) {
    const since = heads.get(id)
    const changes = since ? A.getChangesSince(doc, since) : A.getAllChanges(doc)
    if (changes.length > 0) out.set(id, changes)
  }
  return out
}

export interface BuildVoyageOptions {
  /** Default 1. */
  seed?: number
  vessel?: string
  voyage?: string
  containers?: number
  /** Number of voyage days to simulate, from day 0. */
  days: number
  /**
   * How many of the first days end with a full sync between the sides. Later days leave the replicas
   * apart, as during a long offline window. Default 0: the replicas diverge from the booking on.
   */
  syncedDays?: number
  vesselActor?: string
  shoreActor?: string
}

export interface Voyage {
  seed: number
  vessel: string
  voyage: string
  manifest: BookingEntry[]
  /** Heads of the common state where the replicas part: genesis, booking and the synced days. */
  baseHeads: Map<string, A.Heads>
  /** The vessel's replica: the base plus the vessel's own events of the unsynced days. */
  vesselDocs: Replica
  /** The shore's replica: the base plus the shore's own events of the unsynced days. */
  shoreDocs: Replica
  /** Every day's events, `events[day]`. */
  events: VoyageEvent[][]
  vesselActor: string
  shoreActor: string
}

/** Builds both replicas of a seeded voyage after `days` days. */
export function buildVoyage(options: BuildVoyageOptions): Voyage {
  const seed = options.seed ?? 1
  const vessel = options.vessel ?? DEFAULT_VESSEL
  const voyage = options.voyage ?? DEFAULT_VOYAGE
  const days = options.days
  const syncedDays = options.syncedDays ?? 0
  if (!Number.isInteger(days) || days < 0) throw new RangeError('days must be an integer ≥ 0')
  if (!Number.isInteger(syncedDays) || syncedDays < 0 || syncedDays > days)
    throw new RangeError('syncedDays must be an integer from 0 to days')
  const vesselActor = options.vesselActor ?? simActor('vessel', vessel)
  const shoreActor = options.shoreActor ?? simActor('shore', vessel)
  const manifest = seedManifest({
    seed,
    vessel,
    voyage,
    containers: options.containers ?? STANDARD_CONTAINERS,
  })

  const booked = bookedDocs(manifest, vessel, shoreActor)
  const vesselDocs = cloneReplica(booked, vesselActor)
  const shoreDocs = booked
  const events: VoyageEvent[][] = []
  let baseHeads = headsOf(booked)
  for (let day = 0; day < days; day++) {
    const dayEvents = voyageDay(manifest, day, seed)
    events.push(dayEvents)
    applyEvents(
      vesselDocs,
      dayEvents.filter((e) => e.side === 'vessel'),
    )
    applyEvents(
      shoreDocs,
      dayEvents.filter((e) => e.side === 'shore'),
    )
    if (day < syncedDays) mergeReplicas(vesselDocs, shoreDocs)
    if (day === syncedDays - 1) baseHeads = headsOf(shoreDocs)
  }
  return {
    seed,
    vessel,
    voyage,
    manifest,
    baseHeads,
    vesselDocs,
    shoreDocs,
    events,
    vesselActor,
    shoreActor,
  }
}
