/**
 * What a link session needs from the replica it syncs: the application (relay or vessel node)
 * implements this over its SQLite store. Ingest and acknowledgement are synchronous so that a chunk
 * is committed durably before its ack frame is sent.
 */
import type { ChunkPayload, OutgoingDoc, PlannedEntry } from './changeset.ts'
import type { ActorBinding, Rejection } from './messages.ts'

/** One document's heads, as exchanged during reconciliation. */
export type DocHeads = [voyage: string, containerId: string, heads: string[]]

export interface IngestResult {
  accepted: number
  rejected: Rejection[]
  /** Documents whose history has a gap: the sender's cursor for them was wrong. */
  missing: string[]
}

export interface LinkReplica {
  /**
   * Documents with changes the peer lacks, each with the heads the peer is known to have. Those
   * that may hold a critical change come first; any marked `mayBeCritical: false` must hold none.
   */
  outgoing(): OutgoingDoc[]
  /** How many documents have changes the peer lacks, without loading them. */
  pendingCount(): number
  /** Validates and durably commits one chunk from the peer. */
  ingest(payload: ChunkPayload): IngestResult
  /** The peer acknowledged these entries: advance the cursors (over rejected changes too). */
  acknowledged(entries: PlannedEntry[], missing: string[]): void
  /** Every document's heads, for reconciliation. */
  heads(): DocHeads[]
  /** Resets cursors to what the peer actually has, after a backup restore or a fresh database. */
  reconcile(theirs: DocHeads[]): void
  /** The peer refused some of our changes (policy): keep them where people can see why. */
  refused?(rejections: Rejection[]): void
  /** The binding of a local actor, sent with the changes it authored. */
  bindingOf(actor: string): ActorBinding | undefined
  /** Vessel: the version of the voyage records it holds, sent in the hello. */
  voyageVersion?(): number
  /** Relay: the vessel's voyage records newer than `version` (voyages.ts), or null when none. */
  voyagesSince?(version: number): Uint8Array | null
  /** Vessel: stores the voyage records a welcome brought. */
  receiveVoyages?(data: Uint8Array): void
}

/** Counters a session accumulates for accounting (docs/protocol.md). */
export interface SessionStats {
  bytesUp: number
  bytesDown: number
  chunksUp: number
  chunksDown: number
  changesUp: number
  changesDown: number
  rejected: number
}

export const emptyStats = (): SessionStats => ({
  bytesUp: 0,
  bytesDown: 0,
  chunksUp: 0,
  chunksDown: 0,
  changesUp: 0,
  changesDown: 0,
  rejected: 0,
})
