/**
 * SQLite files of one simulated vessel, as both ends of its link see them: the vessel's own replica
 * and its part of the relay. Built from the seeded standard workload (one voyage day: the shore's
 * booking list in common, then each side's own events), with cursors and sync tokens as a previous
 * link window would have left them, so the next session moves exactly the day's backlog both ways.
 */
import * as A from '@automerge/automerge'
import pino from 'pino'
import { documentIdFor } from '@tally/manifest'
import type { ContainerKey } from '@tally/manifest'
import { ContainerStore, policyValidator, SqliteLinkReplica } from '@tally/replica'
import {
  ActorRegistryStore,
  CursorStore,
  DeadLetterStore,
  openTallyDatabase,
  SessionLog,
  TokenStore,
} from '@tally/storage-sqlite'
import { buildVoyage } from '@tally/voyage-sim'
import type { Replica } from '@tally/voyage-sim'

/** The sync token both sides hold after the (simulated) previous window. */
export const BASE_SYNC_TOKEN = 'reliability-previous-window'
/** The vessel node's cursor namespace for the relay. */
export const RELAY_PEER = 'relay'

export const silent = pino({ level: process.env.LOG_LEVEL ?? 'silent' })

/** A Tally database with the stores a link end needs. */
export function openEnd(file: string, options: { synchronous?: 'FULL' | 'NORMAL' } = {}) {
  const db = openTallyDatabase(file, { synchronous: options.synchronous, busyTimeoutMs: 120_000 })
  const registry = new ActorRegistryStore(db)
  return {
    db,
    registry,
    store: new ContainerStore(db, { principalOf: (a) => registry.principalOf(a), cacheSize: 500 }),
    cursors: new CursorStore(db),
    deadLetters: new DeadLetterStore(db),
    sessions: new SessionLog(db),
    tokens: new TokenStore(db),
  }
}
export type End = ReturnType<typeof openEnd>

/** The vessel's link replica over its database (what vessel-node/src wires, minus the HTTP parts). */
export function vesselReplica(end: End, imo: string): SqliteLinkReplica {
  return new SqliteLinkReplica({
    store: end.store,
    cursors: end.cursors,
    registry: end.registry,
    deadLetters: end.deadLetters,
    peer: RELAY_PEER,
    vessel: imo,
    peerPrincipal: 'relay',
    trustBinding: () => true,
    validate: policyValidator(end.registry, 'relay'),
    logger: silent,
  })
}

/** What one vessel's files hold. */
export interface PartMeta {
  imo: string
  containers: number
  /** Changes each side holds that the other lacks. */
  vesselChanges: number
  shoreChanges: number
  /** Documents the vessel changed. */
  vesselDocs: number
}

/**
 * Builds one vessel's two files. `synchronous = NORMAL` while building: these are fixtures, and a
 * crash while building simply means building again.
 */
export function buildVesselParts(o: {
  imo: string
  containers: number
  seed: number
  relayFile: string
  vesselFile: string
}): PartMeta {
  const v = buildVoyage({ vessel: o.imo, containers: o.containers, days: 1, seed: o.seed })
  const load = (file: string, docs: Replica, peer: string) => {
    const end = openEnd(file, { synchronous: 'NORMAL' })
    try {
      end.db.transaction(() => {
        end.registry.bind({
          actor: v.vesselActor,
          principal: o.imo,
          kind: 'vessel',
          role: 'vessel',
          name: 'crew',
        })
        end.registry.bind({
          actor: v.shoreActor,
          principal: 'user:clerk',
          kind: 'user',
          role: 'shore',
          name: 'clerk',
        })
        for (const [containerId, doc] of docs) {
          const key: ContainerKey = { vessel: o.imo, voyage: v.voyage, containerId }
          end.store.put(key, doc)
          end.cursors.setHeads(peer, documentIdFor(key), v.baseHeads.get(containerId)!)
        }
        end.cursors.setSyncToken(peer, BASE_SYNC_TOKEN)
      })()
    } finally {
      end.db.close()
    }
  }
  load(o.relayFile, v.shoreDocs, o.imo)
  load(o.vesselFile, v.vesselDocs, RELAY_PEER)
  let vesselChanges = 0
  let vesselDocs = 0
  let shoreChanges = 0
  for (const [id, doc] of v.vesselDocs) {
    const n = A.getChangesSince(doc, v.baseHeads.get(id)!).length
    vesselChanges += n
    if (n > 0) vesselDocs++
  }
  for (const [id, doc] of v.shoreDocs) shoreChanges += A.getChangesSince(doc, v.baseHeads.get(id)!).length
  return { imo: o.imo, containers: o.containers, vesselChanges, shoreChanges, vesselDocs }
}

/** Heads of every container in a database, by document ID. */
export function headsByDoc(file: string, vessel?: string): Map<string, string> {
  const db = openTallyDatabase(file, { busyTimeoutMs: 120_000 })
  try {
    const rows = (
      vessel
        ? db.prepare('SELECT doc_id, heads FROM containers WHERE vessel = ?').all(vessel)
        : db.prepare('SELECT doc_id, heads FROM containers').all()
    ) as { doc_id: string; heads: string }[]
    return new Map(rows.map((r) => [r.doc_id, (JSON.parse(r.heads) as string[]).sort().join(',')]))
  } finally {
    db.close()
  }
}
