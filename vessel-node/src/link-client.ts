/**
 * The vessel's end of the satellite link. {@link RelayConnection} is one WebSocket to the relay:
 * its first session says hello (and authenticates); with a version 3 relay the socket then stays
 * open and later sessions are rounds over it, with a sparse keepalive in between and the relay's
 * pokes when shore changes wait (docs/protocol.md, "Rounds"). A version 1 or 2 relay closes after
 * one session, as before. {@link runLinkSession} runs one session on a connection of its own.
 */
import { EventEmitter } from 'node:events'
import net from 'node:net'
import tls from 'node:tls'
import { WebSocket } from 'ws'
import type { Logger } from 'pino'
import {
  CloseCode,
  decodeFrame,
  DEFAULT_KEEPALIVE_S,
  FrameError,
  FrameStream,
  FrameWriter,
  keepaliveAsksAnswer,
  MAX_FRAME_BYTES,
  ROUNDS_VERSION,
  VesselLinkSession,
  SessionError,
  vesselIdleLimitMs,
} from '@tally/link'
import type {
  LeanConnection,
  LinkSettings,
  LinkReplica,
  PhotoSource,
  Priority,
  SessionBudget,
  SessionPhase,
  SessionStats,
} from '@tally/link'

/** Nothing heard from the relay for this long during a session: the link is gone even if TCP has not noticed. */
export const LINK_IDLE_TIMEOUT_MS = 60_000
/** How often a session that is busy planning pings the relay (a few bytes each). */
const PLANNING_PING_MS = 20_000
/** The WebSocket upgrade (and TLS handshake) must finish within this long. */
const HANDSHAKE_TIMEOUT_MS = 30_000

export interface LinkAttempt {
  url: string
  vessel: string
  token: string
  replica: LinkReplica
  syncToken: string | null
  /** The last session whose welcome this vessel stored (see {@link LinkAttempt.onWelcome}). */
  syncSession?: string | null
  /** Told to the relay in the hello: failed attempts since the last completed session, the sync interval (s). */
  report?: { failed: number; interval: number }
  /** The vessel's evidence key (hex), for the hello. */
  publicKey?: string
  /** The originals the relay may ask for. */
  photos?: PhotoSource
  logger: Logger
  /**
   * The relay opened session `id`: store it durably at once (before anything of the session is
   * committed), to send in the next hello. With it the relay can tell a lost `fin` from a restore.
   */
  onWelcome?: (id: string) => void
  onPhase?: (phase: SessionPhase) => void
  onProgress?: (stats: SessionStats) => void
  /** The relay's welcome told the day's budget, or the budget held changes back. */
  onBudget?: (budget: SessionBudget) => void
  /** PEM certificates to trust for wss:// besides the system's (a private or test CA). */
  tlsCa?: string | Buffer
  /** Offer compression on the connection (see ConnectionOptions.compress); on unless false. */
  compress?: boolean
}

/** What a completed session hands back. */
export interface LinkResult {
  sync: string
  stats: SessionStats
  budget: SessionBudget
}

/** Why a session ended early; `retryable` is false for a bad token or a version mismatch. */
export class LinkError extends Error {
  constructor(
    message: string,
    readonly closeCode: number,
    readonly stats: SessionStats | undefined,
  ) {
    super(message)
  }
  get retryable(): boolean {
    return ![CloseCode.Unauthorized, CloseCode.Forbidden, CloseCode.VersionMismatch].includes(
      this.closeCode as never,
    )
  }
}

export interface ConnectionOptions {
  url: string
  logger: Logger
  tlsCa?: string | Buffer
  /** A TLS session from an earlier connection to the same relay: resumes without a full handshake. */
  tlsSession?: Buffer
  /** Keepalive interval in seconds until the relay's welcome (or the vessel's own setting) says. */
  keepaliveS?: number
  /**
   * Offer to compress every frame with one context for the connection (docs/protocol.md,
   * "Compression on the connection"). On unless turned off, which only benchmarks do, to compare.
   */
  compress?: boolean
  /** With compression, offer lean rounds too (docs/protocol.md, "Lean rounds"); off only to compare. */
  lean?: boolean
  /**
   * Offer the one-way keepalive (docs/protocol.md, "Rounds"): unsolicited pongs while the relay was
   * heard lately, a ping only after a quiet stretch (ONE_WAY_PING_AFTER). On unless false.
   */
  oneWayKeepalive?: boolean
}

interface ConnectionEvents {
  /** The relay holds changes for this vessel whose window closed. */
  poke: [Priority]
  /** The relay's pacing settings (first welcome). */
  settings: [LinkSettings]
  /** A TLS session ticket to resume the next connection with. */
  tlsSession: [Buffer]
  /** A keepalive went out: `ping` asks the relay for an answer, `pong` (one-way keepalive) does not. */
  keepalive: ['ping' | 'pong']
  /**
   * The connection closed. `droppedWhileQuiet`: between rounds, and not by this side giving up on a
   * silent relay, so perhaps by a middlebox's idle timeout; `quietMs`: how long nothing had crossed
   * either way then (keepalives count).
   */
  closed: [{ code: number; reason: string; quietMs: number; droppedWhileQuiet: boolean }]
}

/** One WebSocket to the relay, for one session (version 1, 2) or many rounds (version 3). */
export class RelayConnection extends EventEmitter<ConnectionEvents> {
  private readonly ws: WebSocket
  /** The connection's compression context, both ways (started by the first welcome). */
  private readonly frames = new FrameStream()
  /** Sends frames; on a lean connection those of one tick as one message. */
  private readonly writer = new FrameWriter(
    this.frames,
    () => this.socket,
    (message) => this.ws.send(message),
    (bytes) => this.session?.addSentBytes(bytes),
  )
  private socket: net.Socket | undefined
  /** The TCP socket under a TLS one: the TLS socket counts what it was given, not its records. */
  private tcp: net.Socket | undefined
  private session: VesselLinkSession | null = null
  private version: number | null = null
  /** Set by the first welcome when the relay agreed to lean rounds (docs/protocol.md). */
  private lean: LeanConnection | undefined
  private keepaliveMs: number
  /** Set by the first welcome when the relay answered the hello's `h`: mostly unanswered keepalives. */
  private oneWay = false
  /** Keepalives sent since the relay was last heard: whole keepalive intervals of quiet. */
  private quietIntervals = 0
  private idle: NodeJS.Timeout | undefined
  private keepalive: NodeJS.Timeout | undefined
  /** When anything last crossed either way (a session's traffic, a keepalive, an answer). */
  private lastWireAt = Date.now()
  /** This side closed the connection because the relay stayed silent too long. */
  private gaveUp = false
  private closeInfo: { code: number; reason: string } | null = null
  private readonly opened: Promise<void>
  /** Frame bytes the sessions counted, each way: the rest of the socket's bytes is connection overhead. */
  readonly sessionBytes = { up: 0, down: 0 }

  constructor(private readonly o: ConnectionOptions) {
    super()
    this.keepaliveMs = (o.keepaliveS ?? DEFAULT_KEEPALIVE_S) * 1000
    const options: WebSocket.ClientOptions = {
      perMessageDeflate: false,
      maxPayload: MAX_FRAME_BYTES,
      handshakeTimeout: HANDSHAKE_TIMEOUT_MS,
    }
    if (/^wss:/i.test(o.url))
      options.createConnection = ((opts: tls.ConnectionOptions) =>
        this.tlsConnect(opts)) as unknown as WebSocket.ClientOptions['createConnection']
    this.ws = new WebSocket(o.url, options)
    this.ws.binaryType = 'nodebuffer'
    this.ws.on('upgrade', (res) => (this.socket = res.socket))
    this.ws.on('message', (data, isBinary) => this.onMessage(data as Buffer, isBinary))
    this.ws.on('pong', () => this.alive())
    this.ws.on('close', (code, reason) => this.onClose(code, reason.toString()))
    this.ws.on('error', (err) => {
      o.logger.debug({ err: err.message }, 'link socket error')
      this.closeInfo ??= { code: 1006, reason: err.message }
    })
    this.opened = new Promise((resolve, reject) => {
      this.ws.once('open', () => resolve())
      this.ws.once('close', () =>
        reject(new LinkError(this.closeMessage(), this.closeInfo?.code ?? 1006, undefined)),
      )
    })
    this.opened.catch(() => undefined)
  }

  /** Resolves once the WebSocket is open; rejects with LinkError if it never opens. */
  ready(): Promise<void> {
    return this.opened
  }

  /** A session is running on this connection (its bytes are not in {@link sessionBytes} yet). */
  get busy(): boolean {
    return this.session !== null
  }

  get isOpen(): boolean {
    return this.ws.readyState === WebSocket.OPEN && this.closeInfo === null
  }

  /** The relay keeps this connection between sessions (version 3, after the first welcome). */
  get persistent(): boolean {
    return this.version !== null && this.version >= ROUNDS_VERSION
  }

  /** For wss://: whether TLS resumed an earlier session (no full handshake); null for ws://. */
  get tlsResumed(): boolean | null {
    const socket = this.socket as tls.TLSSocket | undefined
    return socket && 'isSessionReused' in socket ? socket.isSessionReused() : null
  }

  /** Bytes the TCP connection moved so far (TLS records and WebSocket framing included), up and down. */
  socketBytes(): { up: number; down: number } {
    const wire = this.tcp ?? this.socket
    return { up: wire?.bytesWritten ?? 0, down: wire?.bytesRead ?? 0 }
  }

  setKeepalive(seconds: number): void {
    this.keepaliveMs = Math.max(1, seconds) * 1000
    this.alive()
  }

  /** The keepalive interval in seconds. */
  get keepaliveS(): number {
    return this.keepaliveMs / 1000
  }

  close(code: number = CloseCode.Normal, reason = 'vessel closing'): void {
    if (this.ws.readyState === WebSocket.CONNECTING) this.ws.terminate()
    else {
      this.writer.flush()
      this.ws.close(code, reason)
    }
  }

  /**
   * Runs one session: the hello on a fresh connection, a `round` on an open version 3 one. Resolves
   * with the new sync token, the counters and the budget; rejects with LinkError (and then the
   * connection is closed: a session cut short leaves it in no state to reuse).
   */
  async runSession(a: LinkAttempt, keepOpen = true): Promise<LinkResult> {
    await this.opened
    if (this.session) throw new Error('a session is already running on this connection')
    if (!this.isOpen) throw new LinkError(this.closeMessage(), this.closeInfo?.code ?? 1006, undefined)
    const session = new VesselLinkSession(
      a.replica,
      {
        send: (bytes) => this.writer.send(bytes),
        close: (code, reason) => {
          this.writer.flush()
          this.ws.close(code, reason)
        },
        compress: () => this.frames.start(),
        batch: () => this.writer.batch(),
      },
      {
        vessel: a.vessel,
        token: a.token,
        sync: a.syncToken,
        ...a.report,
        ...(a.publicKey ? { key: a.publicKey } : {}),
        ...(a.syncSession ? { s: a.syncSession } : {}),
      },
      a.photos,
      {
        keepOpen,
        compress: this.o.compress !== false,
        lean: this.o.lean !== false,
        oneWayKeepalive: this.o.oneWayKeepalive !== false,
        ...(this.version !== null
          ? { round: { version: this.version, compressed: this.frames.started, lean: this.lean } }
          : {}),
      },
    )
    this.session = session
    return new Promise<LinkResult>((resolve, reject) => {
      const started = performance.now()
      const elapsedMs = () => Math.round(performance.now() - started)
      const settle = () => {
        // What the session queued leaves now, and is counted with it.
        this.writer.flush()
        clearInterval(planningPing)
        this.sessionBytes.up += session.stats.bytesUp
        this.sessionBytes.down += session.stats.bytesDown
        if (this.session === session) this.session = null
        this.alive()
      }
      // While this side plans a long backlog (tens of seconds for three weeks at sea) nothing crosses
      // the link: a ping now and then keeps the relay's idle timer, and ours, from calling it dead.
      const planningPing = setInterval(() => {
        if (session.phase === 'PREPARING' && this.isOpen) this.ws.ping()
      }, PLANNING_PING_MS)
      session.on('phase', (p) => {
        a.logger.debug({ phase: p, ms: elapsedMs() }, 'sync phase')
        a.onPhase?.(p)
      })
      session.on('progress', (s) => {
        a.logger.debug({ ...s, ms: elapsedMs() }, 'sync progress')
        a.onProgress?.(s)
      })
      session.on('welcome', (id) => a.onWelcome?.(id))
      session.on('budget', (b) => a.onBudget?.(b))
      session.on('settings', (s) => this.emit('settings', s))
      session.on('complete', (result) => {
        this.version = session.agreedVersion
        this.lean = session.leanConnection
        this.oneWay ||= session.oneWayKeepalive
        settle()
        resolve(result)
      })
      session.on('failed', (err: SessionError) => {
        settle()
        // A transport close carries the relay's code (4401 must stay 4401: it is not retried).
        const code =
          err.closeCode === CloseCode.Normal && this.closeInfo ? this.closeInfo.code : err.closeCode
        if (this.isOpen) this.close(code === CloseCode.Normal ? CloseCode.Normal : code)
        reject(new LinkError(err.message, code, session.stats))
      })
      this.alive()
      session.open()
    })
  }

  private tlsConnect(opts: tls.ConnectionOptions): tls.TLSSocket {
    // As ws's own TLS connect does, plus the CA to trust and the session to resume.
    const options: tls.ConnectionOptions = { ...opts, path: undefined } as tls.ConnectionOptions
    if (!options.servername && options.servername !== '')
      options.servername = net.isIP(options.host ?? '') ? '' : options.host
    if (this.o.tlsCa) options.ca = [...tls.rootCertificates, this.o.tlsCa.toString()]
    if (this.o.tlsSession) options.session = this.o.tlsSession
    // TLS over a TCP socket of our own, whose counters are the bytes on the wire (the bill).
    this.tcp = net.connect({ host: options.host ?? 'localhost', port: Number(options.port) })
    const socket = tls.connect({ ...options, socket: this.tcp })
    socket.on('session', (s: Buffer) => this.emit('tlsSession', s))
    return socket
  }

  private onMessage(data: Buffer, isBinary: boolean): void {
    this.alive()
    try {
      if (!isBinary) throw new FrameError(CloseCode.BadFrame, 'frames are binary')
      // Several frames may share a message (lean connections): its bytes count with the first.
      let bytes = data.length
      for (const raw of this.frames.decodeAll(data)) {
        const frame = decodeFrame(raw)
        if (frame.t === 'poke') {
          // The relay pokes only between its rounds, so a poke that arrives during ours crossed our
          // `round` on the link, and this round carries what it announced: no round after it.
          if (this.persistent && !this.session) this.emit('poke', frame.p)
          continue
        }
        if (!this.session)
          throw new FrameError(CloseCode.BadFrame, `unexpected ${frame.t} frame between sessions`)
        this.session.receive(frame, bytes)
        bytes = 0
      }
    } catch (err) {
      const code = err instanceof FrameError ? err.closeCode : CloseCode.Internal
      if (this.session) this.session.fail(new SessionError(code, (err as Error).message))
      else this.close(code, (err as Error).message.slice(0, 120))
    }
  }

  /**
   * Something arrived (or a session is running): restart the timers. During a session silence for
   * {@link LINK_IDLE_TIMEOUT_MS} means the link is gone; between rounds the vessel sends a keepalive
   * after each keepalive interval of quiet and gives up after a few with nothing inbound.
   */
  private alive(): void {
    this.lastWireAt = Date.now()
    clearTimeout(this.idle)
    clearInterval(this.keepalive)
    this.quietIntervals = 0
    if (this.closeInfo || this.ws.readyState !== WebSocket.OPEN) return
    const between = !this.session && this.persistent
    const limit = between ? vesselIdleLimitMs(this.keepaliveMs, this.oneWay) : LINK_IDLE_TIMEOUT_MS
    this.idle = setTimeout(() => {
      this.gaveUp = true
      this.ws.terminate()
    }, limit)
    if (between)
      this.keepalive = setTimeout(() => {
        this.sendKeepalive()
        this.keepalive = setInterval(() => this.sendKeepalive(), this.keepaliveMs)
      }, this.keepaliveMs)
  }

  /**
   * A ping, which the relay's WebSocket answers; or with the one-way keepalive, while the relay was
   * heard within the last intervals, an unsolicited pong (RFC 6455 allows it as a unidirectional
   * heartbeat): the relay counts it as contact and sends nothing back.
   */
  private sendKeepalive(): void {
    if (!this.isOpen) return
    this.quietIntervals++
    this.lastWireAt = Date.now()
    if (keepaliveAsksAnswer(this.quietIntervals, this.oneWay)) {
      this.ws.ping()
      this.emit('keepalive', 'ping')
    } else {
      this.ws.pong()
      this.emit('keepalive', 'pong')
    }
  }

  private closeMessage(): string {
    const info = this.closeInfo
    if (!info) return 'link dropped'
    return info.reason || (info.code === 1006 ? 'link dropped' : `closed with code ${info.code}`)
  }

  private onClose(code: number, reason: string): void {
    if (!this.closeInfo || (this.closeInfo.code === 1006 && code !== 1006)) this.closeInfo = { code, reason }
    else if (!this.closeInfo.reason && reason) this.closeInfo = { code, reason }
    clearTimeout(this.idle)
    clearInterval(this.keepalive)
    this.frames.close()
    const message = this.closeMessage()
    const droppedWhileQuiet = !this.session && this.persistent && !this.gaveUp
    this.session?.transportClosed(message)
    this.emit('closed', {
      code: this.closeInfo.code,
      reason: message,
      quietMs: Date.now() - this.lastWireAt,
      droppedWhileQuiet,
    })
  }
}

/** Runs one session on a connection of its own, closed at the end. Rejects with LinkError. */
export async function runLinkSession(a: LinkAttempt): Promise<LinkResult> {
  const connection = new RelayConnection({
    url: a.url,
    logger: a.logger,
    tlsCa: a.tlsCa,
    ...(a.compress === false ? { compress: false } : {}),
  })
  try {
    await connection.ready()
  } catch (err) {
    throw err instanceof LinkError ? err : new LinkError((err as Error).message, 1006, undefined)
  }
  try {
    return await connection.runSession(a, false)
  } finally {
    connection.close()
  }
}
