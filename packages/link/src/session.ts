/**
 * One link window between a vessel and the relay, as a transport-independent state machine. The
 * application feeds it inbound frames ({@link LinkSession.receive}) and gives it a way to send;
 * the session plans change sets, sends chunks with a small window, ingests and acknowledges the
 * peer's chunks, reconciles cursors when they disagree, and reports progress.
 *
 * Both sides send at once (the link is full duplex), so a session costs the larger of the two
 * transfers, not their sum. An idle session is one round trip: hello(pending 0) → welcome + fin.
 */
import { EventEmitter } from 'node:events'
import { brotliCompressSync, brotliDecompressSync } from 'node:zlib'
import { ChunkPacker, planOutbox, openChunk, ChunkError } from './changeset.ts'
import type { PlanSink, PlannedChunk } from './changeset.ts'
import { BudgetGate } from './budget.ts'
import type { SessionBudget } from './budget.ts'
import { decodeValue, encodeFrame, encodeValue } from './codec.ts'
import {
  ALL_LEAN_FORMS,
  closeCodeForError,
  CloseCode,
  leanFlags,
  leanFormsOf,
  MAX_CHUNK_PAYLOAD_BYTES,
  NO_LEAN_FORMS,
  PROTOCOL_VERSION,
  ROUNDS_VERSION,
  SUPPORTED_VERSIONS,
} from './messages.ts'
import type {
  AckFrame,
  ChunkFrame,
  LinkFrame,
  HelloFrame,
  LeanForms,
  LinkSettings,
  Priority,
} from './messages.ts'
import { PhotoReceiver, PhotoSender, PhotoTransferFailure, MAX_WANTED_PHOTOS } from './photo-transfer.ts'
import type { PhotoSink, PhotoSource } from './photo-transfer.ts'
import { emptyStats } from './replica.ts'
import type { DocHeads, LinkReplica, SessionStats } from './replica.ts'

/** Chunks in flight before the sender waits for an ack: covers the 600 ms round trip at 128 kbit/s. */
export const SEND_WINDOW_CHUNKS = 3
/** A chunk nacked this many times ends the session: the link is corrupting everything. */
export const MAX_CHUNK_ATTEMPTS = 5

export type SessionPhase =
  'CHECKING' | 'RECONCILING' | 'PREPARING' | 'PUSHING' | 'PROCESSING' | 'COMPLETE' | 'FAILED'

export interface FrameSink {
  /** Sends one frame; returns the bytes it took on the wire when the transport compresses it. */
  send(bytes: Uint8Array): number | void
  close(code: number, reason: string): void
  /**
   * From the next frame on, every frame each way goes through the connection's compression
   * context (frame-stream.ts). Only transports that offered it are asked.
   */
  compress?(): void
  /**
   * From now on frames sent in one tick may leave as one message (FrameWriter): lean connections
   * only, whose peer reads such messages. The bytes of a batch are counted with addSentBytes.
   */
  batch?(): void
}

export class SessionError extends Error {
  constructor(
    readonly closeCode: number,
    message: string,
  ) {
    super(message)
  }
}

interface SessionEvents {
  phase: [SessionPhase]
  progress: [SessionStats]
  /** The budget became known (vessel: the welcome) or held changes back (either side). */
  budget: [SessionBudget]
  complete: [{ sync: string; stats: SessionStats; budget: SessionBudget }]
  /** Relay: a photo part was refused (checksum or order) and will be sent again. */
  photoRefused: [{ sha: string; at: number; reason: string }]
  failed: [SessionError]
  /** Vessel, version 3: the relay's pacing settings for this vessel (first welcome of a connection). */
  settings: [LinkSettings]
  /** Vessel: the relay opened session `id` (store it durably before anything else of it). */
  welcome: [string]
}

/** Shared machinery of both ends: the outbox with its window, the inbox with its acks. */
abstract class LinkSession extends EventEmitter<SessionEvents> {
  phase: SessionPhase = 'CHECKING'
  readonly stats: SessionStats = emptyStats()
  private packer: ChunkPacker | undefined
  /** Bumped to abandon a planning pass whose result is no longer wanted. */
  private planningRun = 0
  /** The protocol version of this session: ours until the peer's is known. */
  protected version = PROTOCOL_VERSION
  private chunksSent = 0
  /**
   * The connection compresses every frame (frame-stream.ts): small chunks go as plain CBOR with
   * short dependencies (changeset.ts), and a corrupt chunk ends the connection.
   */
  protected compressed = false
  /**
   * Lean rounds were agreed (docs/protocol.md, "Lean rounds"): short values in compact entries,
   * 8-byte chunk checksums, rounds named by number and tokens that are the session's ID.
   */
  protected lean = false
  /** What lean rounds agreed beyond themselves: OWN_LINE dependencies, map runs, derived evidence IDs. */
  protected forms: LeanForms = NO_LEAN_FORMS
  private readonly unacked = new Map<number, { chunk: PlannedChunk; attempts: number }>()
  protected sentDone = false
  protected peerDone: number | null = null
  /** Distinct chunk seqs received: a duplicate must not count towards the peer's `done`. */
  protected readonly received = new Set<number>()
  protected theirHeads: DocHeads[] | null = null
  /** Today's byte budget (docs/operations.md): no limit until the relay's welcome says otherwise. */
  protected gate = new BudgetGate(null)
  protected remainingBytes: number | null = null
  /** Changes planned and changes sent, by priority: what the budget held back is the difference. */
  private readonly plannedChanges: Record<Priority, number> = { 0: 0, 1: 0, 2: 0 }
  private readonly sentChanges: Record<Priority, number> = { 0: 0, 1: 0, 2: 0 }

  constructor(
    protected readonly replica: LinkReplica,
    protected readonly sink: FrameSink,
  ) {
    super()
  }

  /** Bytes this side sent (for the vessel: up) and received. */
  protected abstract countSent(bytes: number): void
  protected abstract countReceived(bytes: number): void
  /** Called whenever something finished; the relay decides here whether to send fin. */
  protected abstract maybeFinish(): void

  protected setPhase(phase: SessionPhase): void {
    if (this.phase === phase) return
    this.phase = phase
    this.emit('phase', phase)
  }

  /** What the budget did in this session so far. */
  get budget(): SessionBudget {
    const held = (p: Priority) => (this.gate.limited ? this.plannedChanges[p] - this.sentChanges[p] : 0)
    return {
      remainingBytes: this.remainingBytes,
      budgetLimited: this.gate.limited,
      heldBack: { 0: 0, 1: held(1), 2: held(2) },
    }
  }

  protected setBudget(budget: number | null): void {
    this.remainingBytes = budget
    this.gate = new BudgetGate(budget)
  }

  /** `admitted`: a chunk the budget gate already charged; everything else sent counts here. */
  protected send(frame: LinkFrame, admitted = false): void {
    const bytes = encodeFrame(frame)
    // The budget is charged what the frame weighs before the connection compresses it: an upper
    // bound, decided before sending. The counters take what crossed the wire.
    if (!admitted) this.gate.spend(bytes.length)
    const wire = this.sink.send(bytes)
    this.countSent(typeof wire === 'number' ? wire : bytes.length)
  }

  /** Wire bytes of frames that left batched (FrameSink.batch): they were counted as 0 when sent. */
  addSentBytes(bytes: number): void {
    this.countSent(bytes)
  }

  /** Feeds one decoded inbound frame. Errors close the session with the right code. */
  receive(frame: LinkFrame, wireBytes: number): void {
    this.countReceived(wireBytes)
    this.gate.spend(wireBytes)
    try {
      this.handle(frame)
    } catch (err) {
      const e =
        err instanceof SessionError ? err : new SessionError(closeCodeForError(err), (err as Error).message)
      this.fail(e)
    }
  }

  protected handle(frame: LinkFrame): void {
    switch (frame.t) {
      case 'chunk':
        return this.onChunk(frame)
      case 'ack':
        return this.onAck(frame)
      case 'nack':
        return this.onNack(frame.seq, frame.reason)
      case 'done':
        this.peerDone = frame.chunks
        return this.maybeFinish()
      case 'heads':
        return this.onHeads(frame.data)
      case 'error':
        throw new SessionError(frame.code, `peer: ${frame.message}`)
      default:
        throw new SessionError(CloseCode.BadFrame, `unexpected ${frame.t} frame`)
    }
  }

  fail(error: SessionError): void {
    if (this.phase === 'FAILED' || this.phase === 'COMPLETE') return
    this.setPhase('FAILED')
    try {
      this.send({ t: 'error', code: error.closeCode, message: error.message.slice(0, 900) })
    } catch {
      // The socket may already be gone; the close below is what matters.
    }
    this.sink.close(error.closeCode, error.message.slice(0, 120))
    this.emit('failed', error)
  }

  /** The transport closed under us (link drop): the session is over, cursors keep what was acked. */
  transportClosed(reason: string): void {
    if (this.phase === 'FAILED' || this.phase === 'COMPLETE') return
    this.setPhase('FAILED')
    this.emit('failed', new SessionError(CloseCode.Normal, reason))
  }

  // ---- reconciliation ----

  protected sendHeads(): void {
    const data = brotliCompressSync(encodeValue(this.replica.heads()))
    this.send({ t: 'heads', data })
  }

  private onHeads(data: Uint8Array): void {
    let theirs: unknown
    try {
      theirs = decodeValue(brotliDecompressSync(data, { maxOutputLength: MAX_CHUNK_PAYLOAD_BYTES }))
    } catch (err) {
      throw new SessionError(CloseCode.BadFrame, `malformed heads: ${(err as Error).message}`)
    }
    const ok =
      Array.isArray(theirs) &&
      theirs.every(
        (d) =>
          Array.isArray(d) &&
          typeof d[0] === 'string' &&
          typeof d[1] === 'string' &&
          Array.isArray(d[2]) &&
          d[2].every((h: unknown) => typeof h === 'string'),
      )
    if (!ok) throw new SessionError(CloseCode.BadFrame, 'malformed heads')
    this.theirHeads = theirs as DocHeads[]
    this.replica.reconcile(this.theirHeads)
    this.afterReconcile()
  }

  protected abstract afterReconcile(): void

  // ---- outbox ----

  /**
   * Starts sending what the peer lacks: `packer` if planning began already, else a new planning
   * pass. Chunks leave while later documents are still being planned (see ChunkPacker).
   * `hinted`: the replica's hints on which documents may hold critical changes can be trusted.
   */
  protected startSending(packer?: ChunkPacker, hinted = true): void {
    this.setPhase('PREPARING')
    this.packer = packer ?? this.beginPlanning(hinted)
    this.packer.useCompact(this.version >= 2)
    this.packer.useRawChunks(this.compressed)
    this.packer.useLean(this.lean)
    this.packer.useLeanForms(this.lean ? this.forms : NO_LEAN_FORMS)
    this.packer.useSharedChunks(this.lean && this.gate.budget === null)
    this.pump()
    // An idle relay may finish right here: welcome, done and fin leave in one flight.
    this.maybeFinish()
  }

  /**
   * Plans the outbox in slices into a packer of its own. Frames that arrive meanwhile are handled;
   * once this packer is the session's, every slice of planning may let another chunk go.
   */
  protected beginPlanning(hinted: boolean): ChunkPacker {
    const run = ++this.planningRun
    const packer = new ChunkPacker([], (a) => this.replica.bindingOf(a), 0, { complete: false })
    const active = () => this.packer === packer
    const sink: PlanSink = {
      add: (plans) => {
        packer.add(plans)
        for (const p of plans) this.plannedChanges[p.priority] += p.changes.length
        if (active()) this.pump()
      },
      complete: (priority) => {
        packer.complete(priority)
        if (!active()) return
        this.pump()
        this.maybeFinish()
      },
    }
    const cancelled = () => run !== this.planningRun || this.phase === 'FAILED' || this.phase === 'COMPLETE'
    planOutbox(this.replica.outgoing(), sink, { hinted, cancelled }).catch((err: Error) =>
      this.fail(new SessionError(closeCodeForError(err), `planning failed: ${err.message}`)),
    )
    return packer
  }

  /** Abandons a planning pass (the relay asked to reconcile first). */
  protected cancelPlanning(): void {
    this.planningRun++
  }

  private pump(): void {
    if (!this.packer) return
    while (!this.packer.done && !this.gate.limited && this.unacked.size < SEND_WINDOW_CHUNKS) {
      const chunk = this.packer.next()
      if (!chunk) break
      if (!this.gate.admit(chunk)) {
        // Today's budget is spent. The packer yields critical chunks first and the gate always
        // admits those, so what stays behind is normal and routine only. It is simply not sent:
        // its entries are never acked, cursors keep them pending and a later session plans them
        // again. The refused chunk's seq is never used, so `done` below still counts every chunk
        // the peer will receive, and the rest is not even packed.
        this.emit('budget', this.budget)
        break
      }
      if (this.phase === 'PREPARING') this.setPhase('PUSHING')
      for (const e of chunk.entries) this.sentChanges[e.priority] += e.changes.length
      this.chunksSent++
      this.unacked.set(chunk.seq, { chunk, attempts: 1 })
      this.send(chunk.frame, true)
    }
    if ((this.packer.done || this.gate.limited) && !this.sentDone) {
      if (this.phase === 'PREPARING') this.setPhase('PUSHING')
      this.sentDone = true
      this.send({ t: 'done', chunks: this.chunksSent })
    }
  }

  private onAck(ack: AckFrame): void {
    const pending = this.unacked.get(ack.seq)
    if (!pending) return // a duplicate ack after a resend is harmless
    this.unacked.delete(ack.seq)
    this.replica.acknowledged(pending.chunk.entries, ack.miss)
    if (ack.rej.length > 0) this.replica.refused?.(ack.rej)
    this.onChunkAcked(pending.chunk, ack)
    this.stats.rejected += ack.rej.length
    this.emit('progress', this.stats)
    this.pump()
    this.maybeFinish()
  }

  protected abstract onChunkAcked(chunk: PlannedChunk, ack: AckFrame): void

  private onNack(seq: number, reason: string): void {
    const pending = this.unacked.get(seq)
    if (!pending) return
    if (++pending.attempts > MAX_CHUNK_ATTEMPTS)
      throw new SessionError(
        CloseCode.BadFrame,
        `chunk ${seq} refused ${MAX_CHUNK_ATTEMPTS} times: ${reason}`,
      )
    this.send(pending.chunk.frame)
  }

  protected get allAcked(): boolean {
    return this.sentDone && this.unacked.size === 0
  }

  // ---- inbox ----

  private onChunk(frame: ChunkFrame): void {
    let payload
    try {
      payload = openChunk(frame, { shortSha: this.lean })
    } catch (err) {
      if (err instanceof ChunkError) {
        // On a compressing connection the bytes went through the shared context: a corrupt chunk
        // means that context cannot be trusted either, so the connection ends and the next one
        // starts clean, resuming from the cursors (nothing acknowledged is sent again).
        if (this.compressed)
          throw new SessionError(
            CloseCode.BadFrame,
            `corrupt chunk on a compressed connection: ${err.message}`,
          )
        this.send({ t: 'nack', seq: frame.seq, reason: err.message })
        return
      }
      throw err
    }
    const result = this.replica.ingest(payload)
    this.received.add(frame.seq)
    this.onChunkIngested(result.accepted + result.rejected.length)
    this.send({ t: 'ack', seq: frame.seq, ok: result.accepted, rej: result.rejected, miss: result.missing })
    this.emit('progress', this.stats)
    this.maybeFinish()
  }

  protected abstract onChunkIngested(changes: number): void

  protected get peerFinished(): boolean {
    return this.peerDone !== null && this.received.size >= this.peerDone
  }
}

/** How a vessel session starts and ends on its connection. */
export interface VesselSessionOptions {
  /**
   * A later round on an open version 3 connection: it starts with `round` instead of `hello` (the
   * connection is authenticated already) at the version the first welcome agreed.
   */
  round?: { version: number; compressed?: boolean; lean?: LeanConnection }
  /** Leave the connection open after `fin` (version 3): the next round reuses it. */
  keepOpen?: boolean
  /** The transport can compress every frame (FrameSink.compress): offer it in the hello. */
  compress?: boolean
  /** With `compress`, also offer lean rounds (on unless false). */
  lean?: boolean
  /** Offer the one-way keepalive (the hello's `h`, docs/protocol.md, "Rounds"). */
  oneWayKeepalive?: boolean
}

/** What a vessel keeps of a connection whose rounds are lean: the ID its first session had. */
export interface LeanConnection {
  first: string
  /** What else the relay agreed to. */
  forms: LeanForms
}

/** The vessel's end: it dials, says hello, pushes its changes and takes the relay's. */
export class VesselLinkSession extends LinkSession {
  private reconciling = false
  /** Full photos the relay asked for (docs/protocol.md, "Photos"), sent after every change chunk. */
  private photoSender: PhotoSender | undefined
  private sentPhotosDone = false
  constructor(
    replica: LinkReplica,
    sink: FrameSink,
    private readonly hello: Omit<HelloFrame, 't' | 'v' | 'pending'>,
    private readonly photos?: PhotoSource,
    private readonly options: VesselSessionOptions = {},
  ) {
    super(replica, sink)
    if (options.round) this.version = options.round.version
    if (options.round?.compressed) this.compressed = true
    if (options.round?.lean) {
      this.lean = true
      this.forms = options.round.lean.forms
      this.leanConnection = options.round.lean
    }
  }

  /** Set once the relay agreed to lean rounds; the connection keeps it for its later rounds. */
  leanConnection: LeanConnection | undefined
  /** Set when the first welcome answered the hello's `h`: the connection's keepalive may be one-way. */
  oneWayKeepalive = false
  /** This session's ID, from the welcome. */
  private sessionId: string | undefined

  private get offersLean(): boolean {
    return this.options.compress === true && this.options.lean !== false
  }

  /** The protocol version agreed with the relay (ours until its welcome says). */
  get agreedVersion(): number {
    return this.version
  }

  /** Photo bytes sent in this session, resends included. */
  get photoBytesSent(): number {
    return this.photoSender?.bytesSent ?? 0
  }

  /** Sends photo parts once every change chunk is acknowledged; `pdone` when nothing more goes. */
  private pumpPhotos(): void {
    const sender = this.photoSender
    if (!sender || this.sentPhotosDone || this.reconciling || !this.allAcked) return
    sender.pump()
    if (sender.finished) {
      this.sentPhotosDone = true
      this.send({ t: 'pdone' })
    }
  }

  protected countSent(bytes: number) {
    this.stats.bytesUp += bytes
  }
  protected countReceived(bytes: number) {
    this.stats.bytesDown += bytes
  }
  protected onChunkAcked(chunk: PlannedChunk) {
    this.stats.chunksUp++
    this.stats.changesUp += chunk.changeCount
  }
  protected onChunkIngested(changes: number) {
    this.stats.chunksDown++
    this.stats.changesDown += changes
  }

  /** Planning begun while the hello was in flight, used unless the relay asks to reconcile. */
  private early: ChunkPacker | undefined

  /** Call once the socket is open. */
  open(): void {
    this.setPhase('CHECKING')
    const pending = this.replica.pendingCount()
    const voyages = this.replica.voyageVersion?.()
    if (this.options.round) this.send({ t: 'round', pending })
    else
      this.send({
        t: 'hello',
        v: PROTOCOL_VERSION,
        pending,
        ...this.hello,
        ...(this.photos ? { photos: true } : {}),
        ...(voyages !== undefined ? { voyages } : {}),
        ...(this.options.compress ? { z: 1 as const } : {}),
        ...(this.offersLean ? { k: 2 as const, ...leanFlags(ALL_LEAN_FORMS) } : {}),
        ...(this.options.oneWayKeepalive ? { h: 1 as const } : {}),
      })
    // Planning is CPU work; doing it while the hello crosses the link hides a round trip. With
    // nothing pending it completes here, so `done` can answer the welcome at once (the relay counts
    // this side as done already).
    this.early =
      pending > 0 ? this.beginPlanning(true) : new ChunkPacker([], (a) => this.replica.bindingOf(a))
  }

  protected handle(frame: LinkFrame): void {
    if (frame.t === 'welcome') {
      if (!SUPPORTED_VERSIONS.includes(frame.v))
        throw new SessionError(
          CloseCode.VersionMismatch,
          `relay speaks version ${frame.v}, vessel ${SUPPORTED_VERSIONS.join(' or ')}`,
        )
      this.version = frame.v
      if (frame.h === 1 && this.options.oneWayKeepalive && !this.options.round && frame.v >= ROUNDS_VERSION)
        this.oneWayKeepalive = true
      if (frame.z === 1 && this.options.compress && !this.compressed) {
        this.sink.compress?.()
        this.compressed = true
        if (frame.k === 2 && this.offersLean && frame.session) {
          this.lean = true
          this.forms = leanFormsOf(frame)
          this.leanConnection = { first: frame.session, forms: this.forms }
          this.sink.batch?.()
        }
      }
      const id =
        frame.session ??
        (this.leanConnection && frame.n !== undefined ? `${this.leanConnection.first}.${frame.n}` : undefined)
      if (id === undefined) throw new SessionError(CloseCode.BadFrame, 'welcome names no session')
      this.sessionId = id
      // Before any chunk: a closed voyage must be known before its documents are touched again.
      if (frame.voyages) this.replica.receiveVoyages?.(frame.voyages)
      this.emit('welcome', id)
      this.setBudget(frame.budget)
      this.emit('budget', this.budget)
      if (frame.cfg) this.emit('settings', frame.cfg)
      if (frame.reconcile) {
        this.cancelPlanning()
        this.reconciling = true
        this.setPhase('RECONCILING')
        this.sendHeads()
      } else this.startSending(this.early)
      this.early = undefined
      return
    }
    if (frame.t === 'want') {
      if (!this.photos)
        throw new SessionError(CloseCode.BadFrame, 'want frame to a vessel that did not offer photos')
      this.photoSender = new PhotoSender(
        frame,
        this.photos,
        (part) => this.send(part, true),
        (bytes) => this.gate.admitBytes(bytes),
      )
      this.pumpPhotos()
      return
    }
    if (frame.t === 'pack') {
      try {
        this.photoSender?.onPack(frame)
      } catch (err) {
        if (err instanceof PhotoTransferFailure) throw new SessionError(CloseCode.BadFrame, err.message)
        throw err
      }
      this.pumpPhotos()
      return
    }
    if (frame.t === 'fin') {
      if (!this.allAcked)
        throw new SessionError(CloseCode.BadFrame, 'fin before all chunks were acknowledged')
      // On a lean connection the new token is the session's ID, which the welcome told.
      const sync = frame.sync ?? (this.lean ? this.sessionId : undefined)
      if (sync === undefined) throw new SessionError(CloseCode.BadFrame, 'fin carries no sync token')
      this.setPhase('COMPLETE')
      this.emit('complete', { sync, stats: this.stats, budget: this.budget })
      if (!(this.options.keepOpen && this.version >= ROUNDS_VERSION))
        this.sink.close(CloseCode.Normal, 'session complete')
      return
    }
    super.handle(frame)
  }

  /**
   * After a reconciliation the vessel waits for the relay's changes before planning its own: heads
   * it could not place before (changes it had lost) are known once they arrive, so it sends only
   * what the relay really lacks instead of whole histories.
   */
  protected afterReconcile(): void {
    this.maybeFinish()
  }

  protected maybeFinish(): void {
    if (this.reconciling && this.peerFinished) {
      this.reconciling = false
      this.replica.reconcile(this.theirHeads ?? [])
      // Cursors were reset: which documents may hold critical changes is no longer known.
      this.startSending(undefined, false)
    }
    if (this.allAcked && this.phase === 'PUSHING') this.setPhase('PROCESSING')
    this.pumpPhotos()
  }
}

export interface RelaySessionOptions {
  session: string
  /** The vessel's sync token matched ours: cursors on both sides can be trusted. */
  cursorsTrusted: boolean
  budget: number | null
  newSyncToken: () => string
  /** Version 3, first session of a connection: pacing settings to put in the welcome. */
  settings?: LinkSettings
  /** Where full photos this vessel sends are stored (docs/protocol.md, "Photos"). */
  photos?: PhotoSink
  /**
   * Compression of every frame on the connection (frame-stream.ts): `offer` answers a hello that
   * asked for it (the welcome says yes, and compression starts after it); `on` for a later round.
   */
  compression?: 'offer' | 'on'
  /**
   * Lean rounds (docs/protocol.md): `offer` answers a hello that asked for them, with compression;
   * a number is a later lean round's number on its connection, whose welcome carries that number
   * instead of the session's ID (`session` must then be `<first session>.<n>`). The sync token
   * `newSyncToken` gives must then be the session's ID: fin does not carry it.
   */
  lean?: 'offer' | number
  /** The forms the vessel's hello offered (`o`, `m`, `e`): with lean rounds, both sides use them. */
  forms?: LeanForms
  /**
   * The vessel's hello offered the one-way keepalive (`h`): the first welcome of a version 3
   * connection answers it, and the relay takes the vessel's unsolicited pongs as contact.
   */
  oneWayKeepalive?: boolean
}

/** The relay's end: it answers a hello, pushes shore changes, ingests the vessel's, and ends with fin. */
export class RelayLinkSession extends LinkSession {
  private finished = false
  private photoReceiver: PhotoReceiver | undefined
  /** A `want` went out: fin waits for the vessel's `pdone`. */
  private awaitingPhotos = false

  /** Photo bytes stored in this session. */
  get photoBytesReceived(): number {
    return this.photoReceiver?.bytesReceived ?? 0
  }
  constructor(
    replica: LinkReplica,
    sink: FrameSink,
    private readonly options: RelaySessionOptions,
  ) {
    super(replica, sink)
    this.setBudget(options.budget)
  }

  protected countSent(bytes: number) {
    this.stats.bytesDown += bytes
  }
  protected countReceived(bytes: number) {
    this.stats.bytesUp += bytes
  }
  protected onChunkAcked(chunk: PlannedChunk) {
    this.stats.chunksDown++
    this.stats.changesDown += chunk.changeCount
  }
  protected onChunkIngested(changes: number) {
    this.stats.chunksUp++
    this.stats.changesUp += changes
  }

  /**
   * Starts the session after the hello was authenticated by the application; a later round of a
   * version 3 connection passes the connection's version and the round's pending count.
   */
  start(hello: Pick<HelloFrame, 'v' | 'pending' | 'photos' | 'voyages'>): void {
    const reconcile = !this.options.cursorsTrusted
    // The vessel's version, checked by the caller: an older vessel gets bundles it can read.
    this.version = hello.v
    const voyages = this.replica.voyagesSince?.(hello.voyages ?? 0) ?? null
    const lean = this.options.lean
    const leanOffer =
      lean === 'offer' && this.options.compression === 'offer' && this.version >= ROUNDS_VERSION
    const offered = this.options.forms ?? NO_LEAN_FORMS
    this.send({
      t: 'welcome',
      v: this.version,
      ...(typeof lean === 'number' ? { n: lean } : { session: this.options.session }),
      reconcile,
      budget: this.options.budget,
      ...(this.options.settings && this.version >= ROUNDS_VERSION ? { cfg: this.options.settings } : {}),
      ...(voyages ? { voyages } : {}),
      ...(this.options.compression === 'offer' && this.version >= ROUNDS_VERSION ? { z: 1 as const } : {}),
      ...(leanOffer ? { k: 2 as const, ...leanFlags(offered) } : {}),
      ...(this.options.oneWayKeepalive && this.version >= ROUNDS_VERSION ? { h: 1 as const } : {}),
    })
    if (this.options.compression === 'offer' && this.version >= ROUNDS_VERSION) this.sink.compress?.()
    this.compressed = this.options.compression !== undefined && this.version >= ROUNDS_VERSION
    this.lean = this.compressed && (leanOffer || typeof lean === 'number')
    this.forms = this.lean ? offered : NO_LEAN_FORMS
    if (leanOffer) this.sink.batch?.()
    // Photos shore asked for, to a vessel that offers them: before anything that may end the session.
    const wanted = hello.photos === true && this.options.photos ? this.options.photos.wanted() : []
    if (wanted.length > 0) {
      this.photoReceiver = new PhotoReceiver(this.options.photos!)
      this.awaitingPhotos = true
      this.send({ t: 'want', photos: wanted.slice(0, MAX_WANTED_PHOTOS) })
    }
    if (reconcile) {
      this.setPhase('RECONCILING')
      this.sendHeads()
      return
    }
    // An idle vessel and nothing to send: welcome and fin travel together, one round trip in all.
    if (hello.pending === 0 && this.replica.pendingCount() === 0) this.peerDone = 0
    this.startSending()
  }

  protected afterReconcile(): void {
    this.startSending(undefined, false)
  }

  protected handle(frame: LinkFrame): void {
    if (frame.t === 'part') {
      if (!this.photoReceiver) throw new SessionError(CloseCode.BadFrame, 'photo part that was not asked for')
      const pack = this.photoReceiver.onPart(frame)
      if (!pack.ok) this.emit('photoRefused', { sha: pack.sha, at: pack.at, reason: pack.reason ?? '' })
      this.send(pack)
      return
    }
    if (frame.t === 'pdone') {
      this.awaitingPhotos = false
      this.maybeFinish()
      return
    }
    super.handle(frame)
  }

  protected maybeFinish(): void {
    if (this.finished || !this.allAcked || !this.peerFinished || this.awaitingPhotos) return
    this.finished = true
    const sync = this.options.newSyncToken()
    this.setPhase('COMPLETE')
    this.send(this.lean ? { t: 'fin' } : { t: 'fin', sync })
    this.emit('complete', { sync, stats: this.stats, budget: this.budget })
  }
}
