/**
 * Authority on `/sync` (docs/architecture.md, ingest path 4): every sync message a browser sends is opened
 * before the relay's Repo sees it. Its changes are bound to the session's user (bind on first use),
 * judged by policy, and the accepted ones are committed to the ContainerStore, from where the link
 * carries them to the vessel. Refused changes become dead letters and are cut out of the message, so
 * the Repo (and every other browser) never holds them either.
 */
import * as A from '@automerge/automerge'
import type { Logger } from 'pino'
import { genesisActor } from '@tally/manifest'
import type { ContainerKey } from '@tally/manifest'
import { ADMISSION_PATHS, admitChanges, policyValidator } from '@tally/replica'
import type { Admission, ContainerStore, VoyageClosures } from '@tally/replica'
import { ActorBindingConflictError } from '@tally/storage-sqlite'
import type { ActorRegistryStore, DeadLetterStore } from '@tally/storage-sqlite'
import type { RelayUser } from '../auth.ts'
import { SyncCloseCode, SyncProtocolError } from './close-codes.ts'

/** A change the relay refused, as the client is told. */
export interface RefusedChange {
  hash: string
  reason: string
  field?: string
}

export interface GateResult {
  /** The sync message to hand to the Repo: the original, or one without the refused changes. */
  data: Uint8Array
  /** Changes committed by this message (new to the relay). */
  accepted: number
  refused: RefusedChange[]
}

export interface ChangeGateDeps {
  store: ContainerStore
  registry: ActorRegistryStore
  deadLetters: DeadLetterStore
  logger: Logger
  /** Closed voyages take no changes (policy refuses them). */
  voyages?: VoyageClosures
}

/** How many of a document's refused changes are consulted for "depends on refused change". */
const REFUSED_LOOKUP_LIMIT = 10_000

interface Incoming {
  change: A.DecodedChange
  /** The bytes as they arrived (their hash is the change's identity). */
  raw: Uint8Array
}

export class ChangeGate {
  constructor(private readonly deps: ChangeGateDeps) {}

  /**
   * Judges the changes in one sync message for a container document the user may see. Accepted
   * changes are durable when this returns. Throws {@link SyncProtocolError} for a message that does
   * not decode.
   */
  admit(docId: string, user: RelayUser, data: Uint8Array): GateResult {
    let message: A.DecodedSyncMessage
    try {
      message = A.decodeSyncMessage(data)
    } catch (err) {
      throw new SyncProtocolError(
        SyncCloseCode.BadMessage,
        `malformed sync message: ${(err as Error).message}`.slice(0, 120),
      )
    }
    if (message.changes.length === 0) return { data, accepted: 0, refused: [] }

    const { store } = this.deps
    const row = store.row(docId)
    const stored = store.load(docId)
    if (!row || !stored) throw new Error(`no document ${docId}`)
    const key = store.keyOf(row)

    const incoming = expand(message.changes, stored).filter((c) => !A.hasHeads(stored, [c.change.hash]))
    if (incoming.length === 0) return { data, accepted: 0, refused: [] }
    const { ready, deferred } = causalOrder(incoming, (hash) => A.hasHeads(stored, [hash]))

    let admission: Admission<unknown> | undefined
    store.db.transaction(() => {
      this.bindActors(ready, user, key)
      admission = admitChanges({
        path: ADMISSION_PATHS.relaySync,
        validate: policyValidator(
          this.deps.registry,
          { id: user.principal, role: user.role },
          this.deps.voyages,
        ),
        deadLetters: this.deps.deadLetters,
        docId,
        key,
        isoType: row.iso_type,
        doc: stored,
        index: store.objectIndex(docId)!,
        refused: this.deps.deadLetters
          .list({ docId, limit: REFUSED_LOOKUP_LIMIT })
          .flatMap((d) => (d.changeHash ? [d.changeHash] : [])),
        changes: ready.map((c) => c.change),
        bytesOf: (i) => ready[i]!.raw,
        recordAs: () => user.principal,
        // Last in the transaction: nothing after it can fail and leave the store ahead of the rollback.
        commit: (_, indices) => store.applyRemote(docId, key, [concat(indices.map((i) => ready[i]!.raw))]),
      })
    })()
    const accepted = ready.filter((_, i) => admission!.decisions[i]!.accepted)
    const refused: RefusedChange[] = admission!.refused.map((d) => {
      const reason = d.reason ?? 'refused by policy'
      return { hash: d.hash, reason, ...(d.field ? { field: d.field } : {}) }
    })

    if (refused.length > 0)
      this.deps.logger.warn(
        { docId, user: user.principal, refused: refused.length, reason: refused[0]!.reason },
        'sync changes refused by policy',
      )
    if (refused.length === 0 && deferred.length === 0) return { data, accepted: accepted.length, refused }
    return {
      data: A.encodeSyncMessage({
        ...message,
        heads: headsWithout(message.heads, new Set(refused.map((r) => r.hash)), incoming),
        changes: accepted.map((c) => c.raw),
      }),
      accepted: accepted.length,
      refused,
    }
  }

  /**
   * Bind on first use: an actor the relay has never seen is the session's user's from now on. An
   * actor bound to someone else stays theirs, and policy refuses its changes as forged. The genesis
   * actor is never bound: it writes only the genesis, which every replica derives itself.
   */
  private bindActors(changes: Incoming[], user: RelayUser, key: ContainerKey): void {
    const genesis = genesisActor(key)
    for (const actor of new Set(changes.map((c) => c.change.actor))) {
      if (actor === genesis || this.deps.registry.get(actor)) continue
      try {
        this.deps.registry.bind({
          actor,
          principal: user.principal,
          kind: 'user',
          role: user.role,
          name: user.name,
        })
      } catch (err) {
        if (!(err instanceof ActorBindingConflictError)) throw err
      }
    }
  }
}

/**
 * The changes of a sync message. An entry is usually one change. Automerge may also pack several
 * changes into one chunk (a document chunk that continues the receiver's history, or a whole
 * document for a peer believed to have nothing); those are unpacked against a scratch copy of the
 * stored document, which yields exactly the changes the relay does not have, in causal order.
 * Changes whose dependencies are missing stay queued in the scratch copy: they are not judged now.
 */
function expand(entries: Uint8Array[], stored: A.Doc<unknown>): Incoming[] {
  const out = new Map<string, Incoming>()
  const packed: Uint8Array[] = []
  for (const raw of entries) {
    try {
      const change = A.decodeChange(raw)
      out.set(change.hash, { change, raw })
    } catch {
      packed.push(raw)
    }
  }
  if (packed.length === 0) return [...out.values()]
  try {
    // Every entry goes through the scratch copy: a packed chunk may build on a change sent beside it.
    let scratch = A.clone(stored)
    for (const raw of entries) scratch = A.loadIncremental(scratch, raw)
    for (const raw of A.getChanges(stored, scratch)) {
      const change = A.decodeChange(raw)
      if (!out.has(change.hash)) out.set(change.hash, { change, raw })
    }
  } catch (err) {
    throw new SyncProtocolError(
      SyncCloseCode.BadMessage,
      `malformed change in sync message: ${(err as Error).message}`.slice(0, 120),
    )
  }
  return [...out.values()]
}

/**
 * Orders changes so each comes after its dependencies (policy judges in causal order). A change
 * whose dependencies are neither stored nor in the message is deferred, not refused: the Repo asks
 * the peer for what is missing and the change comes again with it.
 */
function causalOrder(
  changes: Incoming[],
  isStored: (hash: string) => boolean,
): { ready: Incoming[]; deferred: Incoming[] } {
  const pending = new Map(changes.map((c) => [c.change.hash, c]))
  const done = new Set<string>()
  const ready: Incoming[] = []
  let progressed = true
  while (progressed && pending.size > 0) {
    progressed = false
    for (const [hash, c] of pending) {
      if (!c.change.deps.every((d) => done.has(d) || isStored(d))) continue
      ready.push(c)
      done.add(hash)
      pending.delete(hash)
      progressed = true
    }
  }
  return { ready, deferred: [...pending.values()] }
}

/**
 * The sender's heads as if the refused changes did not exist: each refused head is replaced by its
 * dependencies. Left in, the relay would keep asking for changes it will never accept.
 */
function headsWithout(heads: string[], refused: Set<string>, incoming: Incoming[]): string[] {
  if (refused.size === 0) return heads
  const byHash = new Map(incoming.map((c) => [c.change.hash, c.change]))
  const out = new Set<string>()
  const stack = [...heads]
  for (let guard = 0; stack.length > 0 && guard < 100_000; guard++) {
    const hash = stack.pop()!
    if (!refused.has(hash)) out.add(hash)
    else stack.push(...(byHash.get(hash)?.deps ?? []))
  }
  return [...out]
}

function concat(parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0]!
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let offset = 0
  for (const p of parts) {
    out.set(p, offset)
    offset += p.length
  }
  return out
}
