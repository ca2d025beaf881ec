/**
 * The vessel's view of its replica for the link to the relay. The relay is the registry authority,
 * so every actor binding it announces is stored; changes from shore still pass policy (docs/architecture.md,
 * check no. 2) before they enter a document.
 *
 * It also keeps the relay's refusals of this vessel's changes as dead letters, so the crew can read
 * why a change never reached shore. (The link session reports those refusals through
 * {@link VesselLinkReplica.refused}, when it acknowledges a chunk.)
 */
import * as A from '@automerge/automerge'
import type { Logger } from 'pino'
import { CloseCode, SessionError } from '@tally/link'
import type { ChunkPayload, IngestResult, Rejection } from '@tally/link'
import { ADMISSION_PATHS, policyValidator, SqliteLinkReplica } from '@tally/replica'
import type { ContainerStore } from '@tally/replica'
import { DiskFullError, withDiskFullRecovery } from '@tally/storage-sqlite'
import type { ActorRegistryStore, CursorStore, DeadLetterStore, VoyageStore } from '@tally/storage-sqlite'
import { PRUNE_SYNC_LOGS_OLDER_THAN_DAYS } from './http-support.ts'
import { RELAY_PEER } from './sync-engine.ts'

export interface VesselLinkReplicaOptions {
  store: ContainerStore
  cursors: CursorStore
  registry: ActorRegistryStore
  deadLetters: DeadLetterStore
  vessel: string
  logger: Logger
  /** The voyage records the relay sends; a closed voyage's documents take no shore changes. */
  voyages?: VoyageStore
}

export class VesselLinkReplica extends SqliteLinkReplica {
  constructor(private readonly v: VesselLinkReplicaOptions) {
    super({
      store: v.store,
      cursors: v.cursors,
      registry: v.registry,
      deadLetters: v.deadLetters,
      peer: RELAY_PEER,
      vessel: v.vessel,
      peerPrincipal: 'relay',
      trustBinding: () => true,
      validate: policyValidator(v.registry, 'relay', v.voyages),
      path: ADMISSION_PATHS.vesselLink,
      logger: v.logger,
      voyages: v.voyages,
    })
  }

  /**
   * A chunk from the relay, committed as the crew's own edits are: when the disk is full, old sync
   * logs make room and the chunk is tried once more; if it still does not fit, the session ends
   * with DiskFull (the relay keeps the chunk for the next session) and the crew are told in words.
   */
  override ingest(payload: ChunkPayload): IngestResult {
    try {
      return withDiskFullRecovery(this.v.store.db, 'sync', () => super.ingest(payload), {
        keepDays: PRUNE_SYNC_LOGS_OLDER_THAN_DAYS,
        logger: this.v.logger,
      })
    } catch (err) {
      if (err instanceof DiskFullError)
        throw new SessionError(CloseCode.DiskFull, `this vessel node’s disk is full (${err.message})`)
      throw err
    }
  }

  /** The relay refused some of this vessel's changes: keep each as a dead letter, with its reason. */
  refused(rejections: readonly Rejection[]): void {
    if (rejections.length === 0) return
    const { store, deadLetters, vessel } = this.v
    store.db.transaction(() => {
      for (const r of rejections) {
        const docId = store.index.findDocId(vessel, r.c, { newest: 'updated' }) ?? null
        const doc = docId && r.h ? store.load(docId) : undefined
        const bytes = doc ? (A.getBackend(doc).getChangeByHash(r.h) ?? null) : null
        deadLetters.add({
          principal: vessel,
          docId,
          changeHash: r.h || null,
          reason: docId ? r.reason : `${r.c}: ${r.reason}`,
          field: r.field ?? null,
          bytes,
        })
      }
    })()
    this.v.logger.warn({ refused: rejections.length }, 'the relay refused changes from this vessel')
  }
}
