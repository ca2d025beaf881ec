/**
 * The relay's end of the satellite link: WebSocket `/link`. Each connection must open with a hello
 * carrying the protocol version and a vessel token; then a {@link RelayLinkSession} runs against that
 * vessel's replica. Bad input closes the socket with a named code and a reason; it never takes the
 * relay down, and other vessels' sessions carry on.
 */
import { EventEmitter } from 'node:events'
import { randomBytes } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import { WebSocketServer } from 'ws'
import type { WebSocket } from 'ws'
import type { Logger } from 'pino'
import {
  CloseCode,
  decodeFrame,
  FrameError,
  MAX_FRAME_BYTES,
  SUPPORTED_VERSIONS,
  RelayLinkSession,
  SessionError,
} from '@tally/link'
import type { HelloFrame, SessionBudget, SessionStats } from '@tally/link'
import { SqliteLinkReplica } from '@tally/replica'
import type { ChangeValidator, ContainerStore } from '@tally/replica'
import type {
  ActorRegistryStore,
  CursorStore,
  DeadLetterStore,
  SessionLog,
  TokenStore,
  VoyageStore,
} from '@tally/storage-sqlite'

/** A vessel that connects but never says hello is dropped after this long. */
export const HELLO_TIMEOUT_MS = 15_000
/** A session with no inbound frame for this long is dropped (a chunk at 128 kbit/s takes seconds). */
export const IDLE_TIMEOUT_MS = 120_000

export interface LinkServerDeps {
  store: ContainerStore
  tokens: TokenStore
  registry: ActorRegistryStore
  cursors: CursorStore
  deadLetters: DeadLetterStore
  sessions: SessionLog
  validate: ChangeValidator
  logger: Logger
  /** The voyage register: records the vessel lacks go in the welcome; closed voyages are not synced. */
  voyages?: VoyageStore
  /** Bytes the vessel may still move today (both ways), or null for no budget (issue 6, budgets). */
  budgetFor?: (vessel: string) => number | null
}

export interface LinkSessionEvent {
  vessel: string
  session: string
  state: 'started' | 'complete' | 'failed'
  stats: SessionStats
  error?: string
  pending?: number
  /** `started` only: what the vessel's hello reported about itself (optional fields; older vessels omit them). */
  report?: { failedAttempts?: number; syncIntervalS?: number }
  /**
   * The relay's side of the budget once the session ended: whether its sender held shore changes
   * back. (Whether the vessel held its own changes back is not on the wire.)
   */
  budget?: SessionBudget
}

export class LinkServer extends EventEmitter<{ session: [LinkSessionEvent] }> {
  private readonly wss = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_FRAME_BYTES,
    perMessageDeflate: false,
  })
  /** The open socket per vessel: a new session from the same vessel replaces the old one. */
  readonly active = new Map<string, WebSocket>()
  /** Finishers of open sessions, run on shutdown so each is recorded before the database closes. */
  private readonly finishers = new Set<() => void>()

  constructor(private readonly deps: LinkServerDeps) {
    super()
    this.wss.on('connection', (ws) => this.onConnection(ws))
  }

  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    this.wss.handleUpgrade(req, socket, head, (ws) => this.wss.emit('connection', ws, req))
  }

  /** Cuts a vessel off at once (token revoked). */
  disconnect(vessel: string, reason = 'token revoked'): void {
    this.active.get(vessel)?.close(CloseCode.Unauthorized, reason)
  }

  close(): void {
    for (const finish of [...this.finishers]) finish()
    for (const ws of this.wss.clients) ws.terminate()
    this.wss.close()
  }

  private onConnection(ws: WebSocket): void {
    const log = this.deps.logger.child({ component: 'link' })
    const helloTimer = setTimeout(() => ws.close(CloseCode.Timeout, 'no hello'), HELLO_TIMEOUT_MS)
    ws.once('message', (data, isBinary) => {
      clearTimeout(helloTimer)
      try {
        if (!isBinary) throw new FrameError(CloseCode.BadFrame, 'frames are binary')
        const frame = decodeFrame(data as Buffer)
        if (frame.t !== 'hello') throw new FrameError(CloseCode.BadFrame, `expected hello, got ${frame.t}`)
        this.startSession(ws, frame, (data as Buffer).length, log)
      } catch (err) {
        const code = err instanceof FrameError ? err.closeCode : CloseCode.Internal
        log.warn({ err: (err as Error).message }, 'link connection refused')
        ws.close(code, (err as Error).message.slice(0, 120))
      }
    })
  }

  private startSession(ws: WebSocket, hello: HelloFrame, helloBytes: number, baseLog: Logger): void {
    const d = this.deps
    if (!SUPPORTED_VERSIONS.includes(hello.v))
      throw new FrameError(
        CloseCode.VersionMismatch,
        `protocol version ${hello.v} not supported; the relay speaks ${SUPPORTED_VERSIONS.join(' and ')}`,
      )
    const token = d.tokens.verify(hello.token, 'vessel')
    if (!token || token.subject !== hello.vessel)
      throw new FrameError(CloseCode.Unauthorized, 'bad or revoked vessel token')
    const vessel = hello.vessel
    this.active.get(vessel)?.close(CloseCode.Normal, 'replaced by a new session')
    this.active.set(vessel, ws)
    const id = d.sessions.start(vessel)
    const log = baseLog.child({ vessel, session: id })
    const ours = d.cursors.getSyncToken(vessel) ?? null
    const cursorsTrusted = ours === hello.sync
    const replica = new SqliteLinkReplica({
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
    const session = new RelayLinkSession(
      replica,
      { send: (bytes) => ws.send(bytes), close: (code, reason) => ws.close(code, reason) },
      {
        session: id,
        cursorsTrusted,
        budget: d.budgetFor?.(vessel) ?? null,
        newSyncToken: () => {
          const sync = randomBytes(12).toString('base64url')
          d.cursors.setSyncToken(vessel, sync)
          return sync
        },
      },
    )
    const timeout = () => session.fail(new SessionError(CloseCode.Timeout, 'idle link session'))
    let idle = setTimeout(timeout, IDLE_TIMEOUT_MS)
    let finished = false
    const finish = (state: 'complete' | 'failed', error?: string) => {
      if (finished) return
      finished = true
      this.finishers.delete(onShutdown)
      clearTimeout(idle)
      if (this.active.get(vessel) === ws) this.active.delete(vessel)
      const budget = session.budget
      d.sessions.add(id, session.stats)
      d.sessions.finish(id, { state, budgetLimited: budget.budgetLimited, ...(error ? { error } : {}) })
      log.info({ state, error, ...session.stats, budgetLimited: budget.budgetLimited }, 'link session ended')
      this.emit('session', {
        vessel,
        session: id,
        state,
        stats: session.stats,
        budget,
        ...(error ? { error } : {}),
      })
    }
    const onShutdown = () => finish('failed', 'relay shutting down')
    this.finishers.add(onShutdown)
    session.on('complete', () => finish('complete'))
    session.on('failed', (err) => finish('failed', err.message))
    // A vessel planning a long backlog pings (see link-client.ts): alive, just busy.
    ws.on('ping', () => {
      clearTimeout(idle)
      idle = setTimeout(timeout, IDLE_TIMEOUT_MS)
    })
    ws.on('message', (data, isBinary) => {
      clearTimeout(idle)
      idle = setTimeout(timeout, IDLE_TIMEOUT_MS)
      try {
        if (!isBinary) throw new FrameError(CloseCode.BadFrame, 'frames are binary')
        const frame = decodeFrame(data as Buffer)
        const t0 = performance.now()
        session.receive(frame, (data as Buffer).length)
        if (frame.t === 'chunk')
          log.debug(
            { seq: frame.seq, bytes: frame.data.length, ms: Math.round(performance.now() - t0) },
            'chunk ingested',
          )
      } catch (err) {
        const code = err instanceof FrameError ? err.closeCode : CloseCode.Internal
        log.warn({ err: (err as Error).message }, 'bad frame from vessel')
        session.fail(new SessionError(code, (err as Error).message))
      }
    })
    ws.on('close', (code, reason) => session.transportClosed(`closed ${code} ${reason.toString()}`))
    ws.on('error', (err) => log.warn({ err: err.message }, 'link socket error'))
    log.info({ reconcile: !cursorsTrusted, pending: hello.pending }, 'link session started')
    this.emit('session', {
      vessel,
      session: id,
      state: 'started',
      stats: session.stats,
      pending: hello.pending,
      report: {
        ...(hello.failed !== undefined ? { failedAttempts: hello.failed } : {}),
        ...(hello.interval !== undefined ? { syncIntervalS: hello.interval } : {}),
      },
    })
    session.stats.bytesUp += helloBytes
    session.start(hello)
  }
}
