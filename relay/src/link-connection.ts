/**
 * One authenticated vessel connection on the relay's `/link`. Version 1 and 2 vessels run one
 * session on it and close. A version 3 connection lives as long as the link is up: each session is
 * a round, started by the vessel's `round` frame; the relay pokes the vessel when shore changes
 * for it have waited out their batching window (docs/protocol.md, "Rounds"). Between rounds nothing
 * crosses but the vessel's keepalive: pings, or with the one-way keepalive mostly unsolicited
 * pongs, which are contact as much as a ping is and cost no answer.
 *
 * Every byte the socket moved is recorded: each round in its own `sync_sessions` row, and what no
 * round carried (the upgrade, keepalive, pokes, close) in the connection's row.
 */
import { EventEmitter } from 'node:events'
import { randomBytes } from 'node:crypto'
import type { Socket } from 'node:net'
import type { WebSocket } from 'ws'
import type { Logger } from 'pino'
import {
  BatchClock,
  CloseCode,
  encodeFrame,
  FrameWriter,
  idleLimitMs,
  RelayLinkSession,
  ROUNDS_VERSION,
  SessionError,
} from '@tally/link'
import type {
  FrameStream,
  LeanForms,
  LinkFrame,
  LinkSettings,
  PhotoSink,
  Priority,
  SessionBudget,
  SessionStats,
} from '@tally/link'
import { GuardedLinkReplica } from './disk-full.ts'
import type { LinkServerDeps, LinkSessionEvent } from './link-server.ts'

/**
 * The TCP socket under a socket: itself, or for TLS the one it wraps, since a TLS socket's counters
 * hold what it was given and not its records. (Node keeps the wrapped socket as `_parent`.)
 */
export function wireSocket(socket: Socket | undefined): Socket | undefined {
  return (socket as (Socket & { _parent?: Socket | null }) | undefined)?._parent ?? socket
}

/** A session with no inbound frame for this long is dropped (a chunk at 128 kbit/s takes seconds). */
export const IDLE_TIMEOUT_MS = 120_000

export interface ConnectionStart {
  ws: WebSocket
  /** The TCP (or TLS) socket under the WebSocket: its byte counters are the truth of the bill. */
  socket: Socket | undefined
  /** The connection's compression context (frame-stream.ts): every frame sent goes through it. */
  frames: FrameStream
  /** The hello offered to compress every frame after the welcome. */
  offersCompression: boolean
  /** The hello offered lean rounds too (docs/protocol.md, "Lean rounds"). */
  offersLean: boolean
  /** What else the hello offered with lean rounds: OWN_LINE dependencies, map runs, derived evidence IDs. */
  offersForms: LeanForms
  /** The hello offered the one-way keepalive (`h`, docs/protocol.md, "Rounds"). */
  offersOneWayKeepalive?: boolean
  vessel: string
  version: number
  /** The hello's pending count and size, counted in the first round. */
  pending: number
  helloBytes: number
  /** What the vessel's hello reported about itself, passed on with the first `started` event. */
  report: { failedAttempts?: number; syncIntervalS?: number }
  /** Where full photos the vessel sends are stored (docs/protocol.md, "Photos"). */
  photos?: PhotoSink
  /** The vessel's hello offered full photos: every round may ask for them. */
  offersPhotos: boolean
  /** The version of the voyage records the vessel said it holds in its hello. */
  voyages?: number
  /** The vessel's sync token matched ours (or the previous one): cursors can be trusted. */
  cursorsTrusted: boolean
  /** The vessel showed the current token (not the previous one, nor a stale one). */
  confirmed: boolean
  settings: LinkSettings
  log: Logger
}

interface Events {
  session: [LinkSessionEvent]
  closed: []
}

export class VesselConnection extends EventEmitter<Events> {
  readonly vessel: string
  readonly version: number
  private settings: LinkSettings
  /** The settings the vessel was last told (in a welcome): told again once they change. */
  private told: LinkSettings | null = null
  private round: {
    session: RelayLinkSession
    finish: (state: 'complete' | 'failed', e?: string) => void
  } | null = null
  private rounds = 0
  /** The first session's ID on a connection whose rounds are lean. */
  private leanFirst: string | undefined
  /** The voyage version the last welcome brought the vessel up to. */
  private voyagesSent: number | undefined
  private readonly clock: BatchClock
  private pokeTimer: NodeJS.Timeout | undefined
  private idle: NodeJS.Timeout | undefined
  private readonly connectionId: string
  /** Bytes each way recorded so far, in round rows and in the connection row. */
  private readonly recorded = { up: 0, down: 0 }
  /** Sends frames; on a lean connection those of one tick as one message. */
  private readonly writer: FrameWriter
  private confirmed: boolean
  private ended = false
  /** When the hello arrived (ms since the epoch). */
  readonly openedAt = Date.now()
  /** The last frame or keepalive (ping or pong) from the vessel (ms since the epoch): contact, in a round or not. */
  lastContactAt = this.openedAt

  constructor(
    private readonly start: ConnectionStart,
    private readonly deps: LinkServerDeps,
  ) {
    super()
    this.vessel = start.vessel
    this.version = start.version
    this.settings = start.settings
    this.confirmed = start.confirmed
    this.clock = new BatchClock(start.settings.w)
    this.connectionId = deps.sessions.start(this.vessel, { kind: 'connection' })
    this.writer = new FrameWriter(
      start.frames,
      () => start.socket,
      (message) => start.ws.send(message),
      (bytes) => this.round?.session.addSentBytes(bytes),
    )
    const { ws } = start
    ws.on('ping', () => this.touch())
    // The relay never pings on the link, so every pong is the vessel's one-way keepalive: contact.
    ws.on('pong', () => this.touch())
    ws.on('close', (code, reason) => this.onClose(`closed ${code} ${reason.toString()}`))
    ws.on('error', (err) => start.log.warn({ err: err.message }, 'link socket error'))
  }

  /** The vessel is on a long-lived connection that takes pokes. */
  get persistent(): boolean {
    return this.version >= ROUNDS_VERSION
  }

  /** A session (a round, on a version 3 connection) is running now. */
  get inSession(): boolean {
    return this.round !== null
  }

  /** Runs the first session, answering the hello. */
  open(): void {
    this.touch()
    this.runRound(this.start.pending, this.start.cursorsTrusted, this.start.helloBytes)
  }

  /** A frame from the vessel (decoded and checked by the server). */
  receive(frame: LinkFrame, bytes: number): void {
    this.touch()
    if (frame.t === 'round' && this.persistent && !this.round) {
      // The vessel sends `round` only after it took the last round's `fin`: it holds that token.
      this.confirmed = true
      this.deps.cursors.confirmSyncToken(this.vessel)
      this.runRound(frame.pending, true, bytes)
      return
    }
    // An idle round ends with welcome, done and fin in one flight; the vessel's own `done` (no
    // chunks) answers the welcome and arrives after the fin. Harmless, and counted with the connection.
    if (!this.round && frame.t === 'done' && frame.chunks === 0) return
    if (!this.round)
      throw new SessionError(CloseCode.BadFrame, `unexpected ${frame.t} frame between sessions`)
    const t0 = performance.now()
    this.round.session.receive(frame, bytes)
    if (frame.t === 'chunk')
      this.start.log.debug(
        { seq: frame.seq, bytes: frame.data.length, ms: Math.round(performance.now() - t0) },
        'chunk ingested',
      )
  }

  /** Fails the running round (bad frame) or closes the connection with `code`. */
  fail(code: number, message: string): void {
    if (this.round) this.round.session.fail(new SessionError(code, message))
    else {
      this.writer.flush()
      this.start.ws.close(code, message.slice(0, 120))
    }
  }

  /** A shore change of class `p` the vessel lacks: poke it when the class's window runs out. */
  notePending(p: Priority): void {
    if (!this.persistent || this.ended) return
    if (this.clock.note(p, Date.now()) && !this.round) this.armPoke()
  }

  /** The operator changed this vessel's windows: they apply from the next change on. */
  updateSettings(settings: LinkSettings): void {
    this.settings = settings
    this.clock.setWindows(settings.w)
  }

  /** Relay shutdown or a newer connection: record the running round and this connection now. */
  shutdown(reason = 'relay shutting down'): void {
    this.round?.finish('failed', reason)
    this.onClose(reason)
  }

  private runRound(pending: number, cursorsTrusted: boolean, openingBytes: number): void {
    const d = this.deps
    const { vessel, ws } = this.start
    this.clock.clear()
    clearTimeout(this.pokeTimer)
    // A lean round is named by its number on the connection (docs/protocol.md, "Lean rounds").
    const leanRound = this.leanFirst !== undefined ? this.rounds : undefined
    const id = d.sessions.start(vessel, {
      connection: this.connectionId,
      ...(leanRound !== undefined ? { id: `${this.leanFirst}.${leanRound}` } : {}),
    })
    const log = this.start.log.child({ session: id })
    const replica = new GuardedLinkReplica({
      store: d.store,
      cursors: d.cursors,
      registry: d.registry,
      deadLetters: d.deadLetters,
      peer: vessel,
      vessel,
      peerPrincipal: vessel,
      // A vessel may only announce actors of its own; anything else would be a forged binding.
      trustBinding: (b) => b.p === vessel && b.r === 'vessel',
      validate: d.validate,
      logger: log,
      voyages: d.voyages,
      skipClosedVoyages: true,
    })
    if (d.guard) replica.withGuard(d.guard)
    const leanOffer =
      this.rounds === 0 &&
      this.version >= ROUNDS_VERSION &&
      this.start.offersCompression &&
      this.start.offersLean
    const session = new RelayLinkSession(
      replica,
      {
        send: (bytes) => this.writer.send(bytes),
        close: (code, reason) => {
          this.writer.flush()
          ws.close(code, reason)
        },
        compress: () => this.start.frames.start(),
        batch: () => this.writer.batch(),
      },
      {
        session: id,
        cursorsTrusted,
        budget: d.budgetFor?.(vessel) ?? null,
        ...(this.start.photos ? { photos: this.start.photos } : {}),
        newSyncToken: () => this.issueToken(id, this.leanFirst !== undefined || leanOffer),
        ...(this.told !== this.settings ? { settings: this.settings } : {}),
        ...(this.start.frames.started
          ? { compression: 'on' as const }
          : this.start.offersCompression && this.rounds === 0
            ? { compression: 'offer' as const }
            : {}),
        ...(leanRound !== undefined ? { lean: leanRound } : leanOffer ? { lean: 'offer' as const } : {}),
        forms: this.start.offersForms,
        ...(this.start.offersOneWayKeepalive && this.rounds === 0 ? { oneWayKeepalive: true } : {}),
      },
    )
    if (leanOffer) this.leanFirst = id
    this.rounds++
    this.told = this.settings
    let finished = false
    const finish = (state: 'complete' | 'failed', error?: string) => {
      if (finished) return
      finished = true
      // What the round queued (its last ack and fin) leaves now, and is counted with it.
      this.writer.flush()
      if (this.round?.session === session) this.round = null
      // The round's short idle limit gives way to the quiet connection's: the vessel may well send
      // nothing more until its next keepalive.
      if (!this.ended) this.touch()
      this.recordRound(id, session.stats, session.budget, state, error, log)
      if (state === 'complete' && this.persistent && !this.ended) this.afterRound(replica)
    }
    this.round = { session, finish }
    session.on('photoRefused', (r) => log.warn(r, 'photo part refused; the vessel sends it again'))
    session.on('complete', () => finish('complete'))
    session.on('failed', (err) => finish('failed', err.message))
    log.info({ reconcile: !cursorsTrusted, pending, round: this.rounds }, 'link session started')
    this.emit('session', {
      vessel,
      session: id,
      state: 'started',
      stats: session.stats,
      pending,
      ...(this.rounds === 1 ? { report: this.start.report } : {}),
    })
    session.stats.bytesUp += openingBytes
    // The first welcome brings the voyage records newer than the hello's version; later rounds only
    // what changed since the previous welcome.
    const voyages = this.voyagesSent ?? this.start.voyages ?? 0
    this.voyagesSent = d.voyages?.version(vessel) ?? voyages
    session.start({
      v: this.version,
      pending,
      voyages,
      ...(this.start.offersPhotos ? { photos: true } : {}),
    })
  }

  private recordRound(
    id: string,
    stats: SessionStats,
    budget: SessionBudget,
    state: 'complete' | 'failed',
    error: string | undefined,
    log: Logger,
  ): void {
    const d = this.deps
    d.sessions.add(id, stats)
    d.sessions.finish(id, { state, budgetLimited: budget.budgetLimited, ...(error ? { error } : {}) })
    this.recorded.up += stats.bytesUp
    this.recorded.down += stats.bytesDown
    log.info({ state, error, ...stats, budgetLimited: budget.budgetLimited }, 'link session ended')
    this.emit('session', {
      vessel: this.vessel,
      session: id,
      state,
      stats,
      budget,
      ...(error ? { error } : {}),
    })
    this.checkpoint()
  }

  /** Shore changes that arrived during the round and did not make it in wait for their window. */
  private afterRound(replica: GuardedLinkReplica): void {
    if (this.clock.due === null) return
    if (replica.pendingCount() === 0) this.clock.clear()
    else this.armPoke()
  }

  private armPoke(): void {
    clearTimeout(this.pokeTimer)
    const due = this.clock.due
    if (due === null) return
    this.pokeTimer = setTimeout(() => this.poke(), Math.max(0, due - Date.now()))
  }

  private poke(): void {
    const p = this.clock.priority
    if (this.round || this.ended || p === null) return
    this.clock.clear()
    this.start.log.debug({ p }, 'poking the vessel')
    this.writer.send(encodeFrame({ t: 'poke', p }))
    this.checkpoint()
  }

  /**
   * The sync token for a session's `fin`. While the vessel has shown the current one, that becomes
   * the previous token, still valid until the vessel shows the new one; otherwise (the vessel holds
   * the previous one, or reconciled) the previous one is kept as it is.
   */
  private issueToken(session: string, lean: boolean): string {
    // On a lean connection fin does not carry the token: it is the session's ID, known to both.
    const sync = lean ? session : randomBytes(12).toString('base64url')
    const { cursors } = this.deps
    this.deps.store.db.transaction(() => {
      if (this.confirmed) cursors.rotateSyncToken(this.vessel, sync)
      else cursors.setSyncToken(this.vessel, sync)
      cursors.setSyncSession(this.vessel, session)
    })()
    this.confirmed = false
    return sync
  }

  /** Any sign of life: rounds get a short idle limit, the quiet connection a few keepalives. */
  private touch(): void {
    this.lastContactAt = Date.now()
    clearTimeout(this.idle)
    const ms =
      this.round || !this.persistent ? (this.deps.roundIdleMs ?? IDLE_TIMEOUT_MS) : idleLimitMs(this.settings)
    this.idle = setTimeout(() => {
      if (this.round) this.round.session.fail(new SessionError(CloseCode.Timeout, 'idle link session'))
      else this.start.ws.close(CloseCode.Timeout, 'no keepalive from the vessel')
    }, ms)
  }

  /** Records in the connection row the socket's bytes that no round row holds. */
  private checkpoint(): void {
    const socket = wireSocket(this.start.socket)
    if (!socket || this.round) return
    const up = socket.bytesRead - this.recorded.up
    const down = socket.bytesWritten - this.recorded.down
    if (up <= 0 && down <= 0) return
    this.deps.sessions.add(this.connectionId, { bytesUp: Math.max(0, up), bytesDown: Math.max(0, down) })
    this.recorded.up += Math.max(0, up)
    this.recorded.down += Math.max(0, down)
  }

  private onClose(reason: string): void {
    if (this.ended) return
    this.round?.session.transportClosed(reason)
    this.ended = true
    clearTimeout(this.idle)
    clearTimeout(this.pokeTimer)
    try {
      this.checkpoint()
      this.deps.sessions.finish(this.connectionId, { state: 'complete' })
    } catch (err) {
      // The database is away (PostgreSQL restarting, say): the connection's row keeps its last
      // figures. A close handler that threw would end the relay process.
      this.start.log.warn({ err: (err as Error).message }, 'could not record the closed link connection')
    }
    this.emit('closed')
  }
}
