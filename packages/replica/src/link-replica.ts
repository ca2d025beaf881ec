/**
 * The link's view of a replica: which documents the peer lacks, how to ingest a chunk (policy first,
 * then one durable transaction), and the cursors that make the next session start where this one
 * stopped. The relay runs one per connected vessel; the vessel node runs one for the relay.
 */
import * as A from '@automerge/automerge'
import type { Logger } from 'pino'
import { appendixChange, documentIdFor, isValidContainerId, ObjectIndex } from '@tally/manifest'
import type { ContainerDoc, ContainerKey } from '@tally/manifest'
import {
  advanceHeads,
  ChunkError,
  CompactError,
  changeInfoIn,
  DEP_PREFIX_BYTES,
  decodeVoyages,
  encodeValue,
  encodeVoyages,
  ownLineChange,
  ownLineCheck,
  readEntry,
  sameHeads,
  usesDerived,
} from '@tally/link'
import type {
  ActorBinding,
  ChunkPayload,
  DocHeads,
  IngestResult,
  LinkReplica,
  OutgoingDoc,
  PayloadEntry,
  PlannedEntry,
  Rejection,
} from '@tally/link'
import type { ActorRegistryStore, CursorStore, DeadLetterStore, VoyageStore } from '@tally/storage-sqlite'
import type { ContainerStore } from './container-store.ts'
import { ADMISSION_PATHS, admitChanges } from './admission.ts'
import type { AdmissionPath } from './admission.ts'

/** An entry's changes and the bytes to store for them (readEntry). */
type ReadChanges = { changes: A.DecodedChange[]; bytes: Uint8Array[] }

export interface ChangeDecision {
  hash: string
  accepted: boolean
  reason?: string
  field?: string
  principal?: string
}

export interface ValidationContext {
  docId: string
  key: ContainerKey
  isoType: string
  /** The document, or a function that loads it on demand (validation rarely needs it). */
  doc: A.Doc<ContainerDoc> | (() => A.Doc<ContainerDoc>)
  index: ObjectIndex
  /** Changes refused before for this document (its dead letters): anything built on them is refused too. */
  refused?: Iterable<string>
}

/** Policy, as the link replica calls it: one decision per change, in order. */
export type ChangeValidator = (ctx: ValidationContext, changes: A.DecodedChange[]) => ChangeDecision[]

export interface SqliteLinkReplicaOptions {
  store: ContainerStore
  cursors: CursorStore
  registry: ActorRegistryStore
  deadLetters: DeadLetterStore
  /** The cursor namespace: the relay uses the vessel's IMO, the vessel node uses "relay". */
  peer: string
  /** Whose containers this link carries. */
  vessel: string
  /** The principal the peer authenticated as, recorded with dead letters. */
  peerPrincipal: string
  /** Which actor bindings announced by the peer to accept into the registry. */
  trustBinding: (binding: ActorBinding) => boolean
  validate: ChangeValidator
  /** Which ingest path this replica is (the relay's `/link` by default, or the vessel's). */
  path?: AdmissionPath
  logger: Logger
  /**
   * The voyage register: the relay sends the vessel what it lacks of it in the welcome, the vessel
   * stores what arrives. Optional so that replicas without voyages (tests, tools) still sync.
   */
  voyages?: VoyageStore
  /**
   * Relay: leave closed voyages out of what is sent and compared. Closing required both sides to be
   * in sync, and a vessel that archived them no longer holds them, which must not look like a loss.
   */
  skipClosedVoyages?: boolean
}

export class SqliteLinkReplica implements LinkReplica {
  /** Cursor heads replaced by acks in this session: what the peer's in-flight changes build on. */
  private readonly formerCursors = new Map<string, string[]>()
  /**
   * Hashes of changes received lately, by document: a later entry of the same document (the next
   * priority class, the second half of a long delta) builds on them, often not on a head.
   */
  private readonly received = new Map<string, Set<string>>()
  private receivedCount = 0

  constructor(private readonly o: SqliteLinkReplicaOptions) {}

  private changedDocs(): {
    docId: string
    key: ContainerKey
    isoType: string
    since: string[]
    critical: boolean
  }[] {
    const cursors = this.o.cursors.allHeads(this.o.peer)
    const out = []
    for (const row of this.liveRows()) {
      const since = cursors.get(row.doc_id) ?? []
      if (!sameHeads(JSON.parse(row.heads), since))
        out.push({
          docId: row.doc_id,
          key: this.o.store.keyOf(row),
          isoType: row.iso_type,
          since,
          critical: row.critical !== 0,
        })
    }
    return out
  }

  /** The vessel's documents this link carries: all of them, less closed voyages where skipped. */
  private liveRows() {
    const rows = this.o.store.index.allHeads(this.o.vessel)
    if (!this.o.skipClosedVoyages || !this.o.voyages) return rows
    const closed = new Set(
      this.o.voyages
        .list(this.o.vessel)
        .filter((v) => v.status === 'CLOSED')
        .map((v) => v.voyage),
    )
    return closed.size === 0 ? rows : rows.filter((r) => !closed.has(r.voyage))
  }

  voyageVersion(): number {
    return this.o.voyages?.version(this.o.vessel) ?? 0
  }

  voyagesSince(version: number): Uint8Array | null {
    const newer = this.o.voyages?.since(this.o.vessel, version) ?? []
    return newer.length > 0 ? encodeVoyages(newer) : null
  }

  receiveVoyages(data: Uint8Array): void {
    const { voyages } = this.o
    if (!voyages) return
    const records = decodeVoyages(data, this.o.vessel)
    this.o.store.db.transaction(() => {
      for (const r of records) voyages.put(r)
    })()
    this.o.logger.info({ voyages: records.map((r) => `${r.voyage}:${r.status}`) }, 'voyage records received')
  }

  pendingCount(): number {
    return this.changedDocs().length
  }

  /**
   * Documents load as the planner reaches them, not all at once. Those whose rows say they may hold
   * a critical change go first (stable: otherwise in row order).
   */
  outgoing(): OutgoingDoc[] {
    const { store, cursors, peer } = this.o
    const docs = this.changedDocs()
    const ordered = [...docs.filter((d) => d.critical), ...docs.filter((d) => !d.critical)]
    return ordered.map((d) => ({
      key: d.key,
      isoType: d.isoType,
      mayBeCritical: d.critical,
      // Read when the planner reaches the document: planning yields, and a chunk ingested meanwhile
      // moves the cursor; a stale one would send the peer's own changes back to it.
      get since() {
        return cursors.getHeads(peer, d.docId) ?? d.since
      },
      get doc() {
        return store.load(d.docId)!
      },
      get index() {
        return store.storedObjectIndex(d.docId)
      },
    }))
  }

  ingest(payload: ChunkPayload): IngestResult {
    const result: IngestResult = { accepted: 0, rejected: [], missing: [] }
    const { store } = this.o
    // Each document of the chunk is read to rebuild its entry and again to store it: one load.
    store.holding(() =>
      store.db.transaction(() => {
        this.bindActors(payload.actors)
        const ax = payload.ax ?? []
        const proven = this.readDerivedEntries(payload, ax)
        for (const entry of payload.entries) {
          const read = proven.get(entry)
          if (read === 'unproven') result.missing.push(entry.c)
          else this.ingestEntry(entry, ax, result, read)
        }
      })(),
    )
    return result
  }

  /**
   * Entries with parts this replica derives (a dependency by OWN_LINE, the APPENDIX) are rebuilt
   * before any is stored, and their changes must give the chunk's check (ChunkPayload.o). If they do
   * not, the rule found another change here than at the sender (a replica restored from a backup,
   * say): none of them is stored, and each document is asked for again from its genesis, as for any
   * dependency this replica lacks.
   */
  private readDerivedEntries(
    payload: ChunkPayload,
    ax: string[],
  ): Map<PayloadEntry, ReadChanges | 'unproven'> {
    const out = new Map<PayloadEntry, ReadChanges | 'unproven'>()
    const using = payload.entries.filter((e) => e.k !== undefined && usesDerived(e.k))
    if (using.length === 0) return out
    const hashes: string[] = []
    let proven = payload.o !== undefined
    for (const entry of using) {
      if (!proven) break
      try {
        const read = this.readChanges(entry, ax)
        out.set(entry, read)
        hashes.push(...read.changes.map((c) => c.hash))
      } catch {
        proven = false
      }
    }
    if (proven && Buffer.compare(Buffer.from(ownLineCheck(hashes)), Buffer.from(payload.o!)) === 0) return out
    this.o.logger.warn(
      { containers: using.map((e) => e.c) },
      'derived parts of entries did not rebuild as sent: asking for these documents again',
    )
    for (const entry of using) out.set(entry, 'unproven')
    return out
  }

  /** An entry's changes, rebuilt against this replica's history. Throws as readEntry does. */
  private readChanges(entry: PayloadEntry, actors: string[]): ReadChanges {
    const key: ContainerKey = { vessel: this.o.vessel, voyage: entry.y, containerId: entry.c }
    const docId = documentIdFor(key)
    const doc = () => this.o.store.load(docId)
    // One read of the history serves both short prefixes and OWN_LINE.
    let history: A.ChangeMetadata[] | undefined
    const historyOf = () => (history ??= A.getChangesMetaSince(doc()!, []))
    return readEntry(
      entry,
      key,
      actors,
      this.resolver(docId, historyOf),
      (h) => changeInfoIn(doc()!, h),
      (actor, time) => (this.o.store.row(docId) ? ownLineChange(historyOf(), actor, time) : undefined),
      () => {
        const isoType = this.o.store.row(docId)?.iso_type ?? entry.i
        if (!isoType) throw new CompactError('appendix of a document this replica lacks', true)
        return appendixChange(key, isoType)
      },
    )
  }

  private bindActors(actors: ActorBinding[]): void {
    for (const b of actors) {
      if (!this.o.trustBinding(b)) continue
      try {
        this.o.registry.bind({
          actor: b.a,
          principal: b.p,
          kind: b.r === 'vessel' ? 'vessel' : 'user',
          role: b.r,
          name: b.n,
        })
      } catch {
        // Bound to someone else already: the changes by this actor will be refused as forged.
      }
    }
  }

  private ingestEntry(
    entry: PayloadEntry,
    actors: string[],
    result: IngestResult,
    proven?: ReadChanges,
  ): void {
    const key: ContainerKey = { vessel: this.o.vessel, voyage: entry.y, containerId: entry.c }
    const refuseAll = (reason: string, hashes: string[] = ['']) => {
      for (const h of hashes) result.rejected.push({ c: entry.c, h, reason })
      this.o.deadLetters.add({
        principal: this.o.peerPrincipal,
        reason: `${entry.c}: ${reason}`,
        bytes: entry.b ?? encodeValue(entry.k),
      })
    }
    if (!isValidContainerId(entry.c)) return refuseAll('invalid container number')
    const docId = documentIdFor(key)
    let changes: A.DecodedChange[]
    let bytes: Uint8Array[]
    try {
      ;({ changes, bytes } = proven ?? this.readChanges(entry, actors))
    } catch (err) {
      if (!(err instanceof CompactError)) return refuseAll((err as Error).message)
      if (!this.o.store.row(docId)) return refuseAll('unknown container: its genesis was not sent')
      // The sender thought we hold a change we do not (a restored backup, say): say so, and the
      // sender starts this document over from its genesis in the next session.
      this.o.logger.warn(
        { containerId: entry.c, err: err.message },
        'entry depends on a change this replica lacks',
      )
      result.missing.push(entry.c)
      return
    }
    // A compact entry brings each change's bytes; a bundle's changes are encoded one by one if needed.
    const changeBytes = (i: number) => (entry.k ? bytes[i]! : A.encodeChange(changes[i]!))
    if (!this.o.store.row(docId)) {
      if (!entry.i)
        return refuseAll(
          'unknown container: its genesis was not sent',
          changes.map((c) => c.hash),
        )
      try {
        this.o.store.create(key, entry.i, 'remote')
      } catch (err) {
        return refuseAll(
          (err as Error).message,
          changes.map((c) => c.hash),
        )
      }
    }
    // The document itself is loaded only if policy needs it (a replay by an unbound actor, say).
    const doc = () => this.o.store.load(docId)!
    const row = this.o.store.row(docId)!
    const index = this.o.store.objectIndex(docId)!
    const refused = this.o.deadLetters
      .list({ docId, limit: 10_000 })
      .flatMap((d) => (d.changeHash ? [d.changeHash] : []))
    const admission = admitChanges({
      path: this.o.path ?? ADMISSION_PATHS.relayLink,
      validate: this.o.validate,
      deadLetters: this.o.deadLetters,
      docId,
      key,
      isoType: row.iso_type,
      doc,
      index,
      refused,
      changes,
      bytesOf: changeBytes,
      recordAs: (d) => d.principal ?? this.o.peerPrincipal,
      commit: (accepted, indices) => {
        const parts =
          accepted.length === changes.length
            ? [Buffer.concat(bytes)]
            : [Buffer.concat(indices.map((i) => changeBytes(i)))]
        this.remember(docId, accepted)
        return this.o.store.ingest(docId, key, accepted, parts, index)
      },
    })
    for (const d of admission.refused)
      result.rejected.push({
        c: entry.c,
        h: d.hash,
        reason: d.reason ?? 'refused',
        ...(d.field ? { field: d.field } : {}),
      })
    const accepted = admission.accepted
    result.accepted += accepted.length
    if (accepted.length === 0) return
    if (admission.committed!.length > 0) result.missing.push(entry.c)
    const cursor = this.o.cursors.getHeads(this.o.peer, docId) ?? []
    this.o.cursors.setHeads(this.o.peer, docId, this.exactHeads(docId, advanceHeads(cursor, accepted)))
  }

  /**
   * `advanceHeads` counts every change it is given as new. A document sent again whole brings
   * changes the cursor covers already (and a sender's echo of the peer's own changes does the same),
   * which would stay as heads beside their descendants: the cursor would never equal the document's
   * heads, and the document would look pending forever. Such wrong heads are always more than one,
   * so only then is the document consulted, to drop every head another one descends from.
   */
  private exactHeads(docId: string, heads: string[]): string[] {
    if (heads.length < 2) return heads
    // Heads of the document itself descend from none of the others (a vessel's own line and the
    // shore's concurrent edit, say): exact as they are, without loading the document.
    const row = this.o.store.row(docId)
    if (row) {
      const current = new Set<string>(JSON.parse(row.heads))
      if (heads.every((h) => current.has(h))) return heads
    }
    const doc = this.o.store.load(docId)
    if (!doc || !A.hasHeads(doc, heads)) return heads
    return heads.filter((h) => {
      const others = heads.filter((o) => o !== h)
      return A.getChangesMetaSince(doc, others).some((m) => m.hash === h)
    })
  }

  /**
   * Finds the full hash of a change this replica holds from the prefix a compact entry names. The
   * dependency is nearly always a current head or a head the peer was known to have (now, or before
   * this session's acks); otherwise the document is loaded once.
   *
   * A short prefix (docs/protocol.md, "Short dependencies") names a change the peer acknowledged
   * we hold, by a prefix unique in the peer's history; only a change of ours the peer has not seen
   * can start the same way. So it resolves only when exactly one change of the document matches:
   * otherwise the entry is treated as missing a dependency (the sender then sends the document
   * whole), never resolved to the wrong change.
   */
  private resolver(
    docId: string,
    metas: () => readonly A.ChangeMetadata[],
  ): (prefixHex: string) => string | undefined {
    let history: string[] | undefined
    const historyOf = () => (history ??= metas().map((m) => m.hash))
    const match = (hashes: Iterable<string>, prefix: string) => {
      for (const h of hashes) if (h.startsWith(prefix)) return h
      return undefined
    }
    return (prefix) => {
      const row = this.o.store.row(docId)
      if (!row) return undefined
      if (prefix.length < DEP_PREFIX_BYTES * 2) {
        const matches = historyOf().filter((h) => h.startsWith(prefix))
        return matches.length === 1 ? matches[0] : undefined
      }
      const near: string[] = [
        ...JSON.parse(row.heads),
        ...(this.o.cursors.getHeads(this.o.peer, docId) ?? []),
        ...(this.formerCursors.get(docId) ?? []),
      ]
      const hit = match(near, prefix) ?? match(this.received.get(docId) ?? [], prefix)
      return hit ?? match(historyOf(), prefix)
    }
  }

  private remember(docId: string, changes: A.DecodedChange[]): void {
    // Bounded: a three-week backlog is about 120,000 changes; past that, start over.
    if (this.receivedCount > 250_000) {
      this.received.clear()
      this.receivedCount = 0
    }
    let hashes = this.received.get(docId)
    if (!hashes) this.received.set(docId, (hashes = new Set()))
    for (const c of changes) hashes.add(c.hash)
    this.receivedCount += changes.length
  }

  acknowledged(entries: PlannedEntry[], missing: string[]): void {
    this.o.store.db.transaction(() => {
      // Advance from the cursor as it is now, not to the entry's planned heads: changes received
      // from the peer during this session advanced it too, and overwriting would forget them.
      for (const e of entries) {
        const docId = documentIdFor(e.key)
        const before = this.o.cursors.getHeads(this.o.peer, docId) ?? []
        // The peer may still send changes built on these (it planned before this ack reached it).
        this.formerCursors.set(docId, before)
        const after = this.exactHeads(docId, advanceHeads(before, e.changes))
        this.o.cursors.setHeads(this.o.peer, docId, after)
        const row = this.o.store.row(docId)
        if (row?.critical && sameHeads(JSON.parse(row.heads), after)) this.o.store.index.clearCritical(docId)
      }
      // A miss names a container, not a voyage: the same container on two voyages of this chunk
      // both start over (one needlessly, at worst), so the one that missed is never taken as held.
      const missed = new Set(missing)
      const restart = new Set(
        entries.filter((e) => missed.has(e.key.containerId)).map((e) => documentIdFor(e.key)),
      )
      for (const docId of restart) {
        // The document goes again from its genesis, critical changes and all.
        this.o.cursors.deleteHeads(this.o.peer, docId)
        this.o.store.index.markCritical(docId)
      }
    })()
  }

  heads(): DocHeads[] {
    return this.liveRows().map((r) => [r.voyage, r.container_id, JSON.parse(r.heads)])
  }

  reconcile(theirs: DocHeads[]): void {
    const { store, cursors, peer } = this.o
    const theirMap = new Map<string, string[]>(
      theirs.map(([y, c, h]) => [documentIdFor({ vessel: this.o.vessel, voyage: y, containerId: c }), h]),
    )
    store.db.transaction(() => {
      for (const row of this.liveRows()) {
        const their = theirMap.get(row.doc_id)
        if (!their) {
          cursors.deleteHeads(peer, row.doc_id)
          continue
        }
        const ours: string[] = JSON.parse(row.heads)
        // Only heads we hold can serve as a cursor; the rest are changes we are about to receive.
        const known = sameHeads(ours, their)
          ? ours
          : their.filter((h) => A.hasHeads(store.load(row.doc_id)!, [h]))
        cursors.setHeads(peer, row.doc_id, known)
      }
    })()
    this.o.logger.info({ peer, docs: theirs.length }, 'cursors reconciled by heads')
  }

  bindingOf(actor: string): ActorBinding | undefined {
    const b = this.o.registry.get(actor)
    return b ? { a: b.actor, p: b.principal, r: b.role ?? '', n: b.name ?? '' } : undefined
  }
}

export { ChunkError }
export type { Rejection }
