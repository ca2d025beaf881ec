/**
 * The server side of automerge-repo's WebSocket protocol as a NetworkAdapter for the relay's Repo.
 * It does what the stock `WebSocketServerAdapter` does (join → peer handshake, one socket per peer,
 * keepalive), plus what a server facing the internet must: each socket belongs to an authenticated
 * user, a peer ID cannot be taken over by another user, every message is checked before the Repo
 * sees it, and anything malformed closes that one socket with a named code while the rest go on.
 */
import { NetworkAdapter } from '@automerge/automerge-repo'
import type { Message, PeerId, PeerMetadata } from '@automerge/automerge-repo'
import type { Logger } from 'pino'
import type { WebSocket } from 'ws'
import { DiskFullError, isSqliteFullError } from '@tally/storage-sqlite'
import type { RelayUser } from '../auth.ts'
import { MAX_SYNC_MESSAGE_BYTES, SyncCloseCode, SyncProtocolError } from './close-codes.ts'
import { decodeClientMessage, encodeMessage, PROTOCOL_V1 } from './wire.ts'
import type { DocMessage, JoinMessage } from './wire.ts'

/** A client must say who it is this soon after connecting. */
export const JOIN_TIMEOUT_MS = 10_000
/** Pings go out this often; a socket that did not answer the previous one is dropped. */
export const KEEPALIVE_MS = 30_000

/** One browser (or other client) connection. */
export interface SyncSession {
  readonly user: RelayUser
  readonly socket: WebSocket
  readonly connectedAt: number
  /** Set by the join message. */
  peerId: PeerId | null
  alive: boolean
}

/** Decides what the Repo gets for a joined peer's message: the message, a rewritten one, or nothing. */
export type InboundFilter = (session: SyncSession, message: DocMessage) => DocMessage | null

export interface SyncAdapterEvents {
  session: (session: SyncSession) => void
  closed: (session: SyncSession, code: number, reason: string) => void
}

export class SyncServerAdapter extends NetworkAdapter {
  readonly sessions = new Set<SyncSession>()
  private readonly byPeer = new Map<PeerId, SyncSession>()
  private readonly keepalive: NodeJS.Timeout
  private connectedResolve!: () => void
  /** Resolves once the Repo has given this adapter its peer ID (before that, nobody can join). */
  readonly connected = new Promise<void>((resolve) => (this.connectedResolve = resolve))

  constructor(
    private readonly o: {
      inbound: InboundFilter
      logger: Logger
      /** Told when a socket closes, with the code it closed with. */
      onClosed?: (session: SyncSession, code: number, reason: string) => void
    },
  ) {
    super()
    this.keepalive = setInterval(() => this.ping(), KEEPALIVE_MS)
    this.keepalive.unref()
  }

  isReady(): boolean {
    return true
  }

  whenReady(): Promise<void> {
    return Promise.resolve()
  }

  connect(peerId: PeerId, peerMetadata?: PeerMetadata): void {
    this.peerId = peerId
    this.peerMetadata = peerMetadata ?? {}
    this.connectedResolve()
  }

  disconnect(): void {
    clearInterval(this.keepalive)
    for (const session of [...this.sessions])
      this.close(session, SyncCloseCode.GoingAway, 'relay shutting down')
  }

  /** The session a peer joined on. */
  sessionOf(peerId: PeerId): SyncSession | undefined {
    return this.byPeer.get(peerId)
  }

  send(message: Message): void {
    const session = this.byPeer.get(message.targetId)
    if (!session || session.socket.readyState !== session.socket.OPEN) return
    // The stock adapters refuse zero-length data; a Repo never means to send it.
    if (message.data && message.data.byteLength === 0) return
    session.socket.send(encodeMessage(message))
  }

  /** Tells a peer something went wrong, as an automerge-repo `error` message (stock clients log it). */
  sendError(peerId: PeerId, text: string): void {
    if (!this.peerId) return
    this.send({ type: 'error', senderId: this.peerId, targetId: peerId, message: text } as Message)
  }

  /** Takes over an upgraded socket of an authenticated user. */
  accept(socket: WebSocket, user: RelayUser): SyncSession {
    const session: SyncSession = { user, socket, connectedAt: Date.now(), peerId: null, alive: true }
    this.sessions.add(session)
    const joinTimer = setTimeout(
      () => this.close(session, SyncCloseCode.Timeout, 'no join message'),
      JOIN_TIMEOUT_MS,
    )
    socket.on('pong', () => (session.alive = true))
    socket.on('message', (data, isBinary) => this.receive(session, data as Buffer, isBinary, joinTimer))
    socket.on('error', (err) => this.o.logger.debug({ err, user: user.principal }, 'sync socket error'))
    socket.on('close', (code, reason) => {
      clearTimeout(joinTimer)
      this.forget(session)
      this.o.onClosed?.(session, code, reason.toString())
    })
    return session
  }

  /** Closes one session's socket with a code and a reason (at most 123 bytes on the wire). */
  close(session: SyncSession, code: number, reason: string): void {
    const socket = session.socket
    if (socket.readyState === socket.CLOSED || socket.readyState === socket.CLOSING) return
    socket.close(code, Buffer.from(reason).subarray(0, 123).toString())
    // A client that never answers the close handshake must not hold the slot.
    setTimeout(() => socket.terminate(), 5_000).unref()
  }

  private receive(session: SyncSession, data: Buffer, isBinary: boolean, joinTimer: NodeJS.Timeout): void {
    try {
      if (!isBinary)
        throw new SyncProtocolError(SyncCloseCode.BadMessage, 'text messages are not part of the protocol')
      if (data.byteLength > MAX_SYNC_MESSAGE_BYTES)
        throw new SyncProtocolError(
          SyncCloseCode.TooLarge,
          `message of ${data.byteLength} bytes exceeds ${MAX_SYNC_MESSAGE_BYTES}`,
        )
      const message = decodeClientMessage(data)
      if (message.type === 'join') {
        clearTimeout(joinTimer)
        return this.join(session, message)
      }
      if (!session.peerId)
        throw new SyncProtocolError(SyncCloseCode.BadMessage, `expected join, got ${message.type}`)
      // Regression: a stock client passes every ephemeral message it receives on to its other peers,
      // and in a star that includes the relay, with the original sender's ID. Like the stock server,
      // drop what a socket relays for someone else; it never reaches the Repo under a borrowed name.
      if (message.senderId !== session.peerId) return
      // The relay does not gossip remote heads; a client that asks simply gets none.
      if (message.type === 'remote-heads-changed' || message.type === 'remote-subscription-change') return
      if (message.targetId !== this.peerId)
        throw new SyncProtocolError(SyncCloseCode.BadMessage, 'targetId is not the relay')
      const forward = this.o.inbound(session, message as DocMessage)
      if (forward) this.emit('message', forward as Message)
    } catch (err) {
      const code =
        err instanceof SyncProtocolError
          ? err.code
          : err instanceof DiskFullError || isSqliteFullError(err)
            ? SyncCloseCode.DiskFull
            : SyncCloseCode.Internal
      const level = code === SyncCloseCode.Internal ? 'error' : 'warn'
      this.o.logger[level]({ err, user: session.user.principal, code }, 'closing sync socket')
      this.close(session, code, code === SyncCloseCode.Internal ? 'internal error' : (err as Error).message)
    }
  }

  private join(session: SyncSession, message: JoinMessage): void {
    if (!this.peerId) throw new SyncProtocolError(SyncCloseCode.Internal, 'relay not ready')
    const peerId = message.senderId
    if (session.peerId && session.peerId !== peerId)
      throw new SyncProtocolError(SyncCloseCode.BadMessage, 'a socket joins once, as one peer')
    const versions = message.supportedProtocolVersions
    if (versions && !versions.includes(PROTOCOL_V1))
      throw new SyncProtocolError(
        SyncCloseCode.VersionMismatch,
        `unsupported protocol version ${versions.join(',').slice(0, 40)}; the relay speaks ${PROTOCOL_V1}`,
      )
    const existing = this.byPeer.get(peerId)
    if (existing && existing !== session) {
      // A reconnecting client keeps its peer ID and its old socket may linger half-open. Another
      // user's socket must not be able to take that ID over (and with it the first user's traffic).
      if (existing.user.principal !== session.user.principal)
        throw new SyncProtocolError(SyncCloseCode.Forbidden, 'peer ID in use by another user')
      this.forget(existing)
      this.close(existing, 1000, 'replaced by a new connection')
    }
    session.peerId = peerId
    this.byPeer.set(peerId, session)
    this.emit('peer-candidate', { peerId, peerMetadata: message.peerMetadata })
    this.send({
      type: 'peer',
      senderId: this.peerId,
      targetId: peerId,
      peerMetadata: this.peerMetadata,
      selectedProtocolVersion: PROTOCOL_V1,
    } as unknown as Message)
  }

  /** Removes a session; the Repo stops syncing with its peer. */
  private forget(session: SyncSession): void {
    if (!this.sessions.delete(session)) return
    const peerId = session.peerId
    if (peerId && this.byPeer.get(peerId) === session) {
      this.byPeer.delete(peerId)
      this.emit('peer-disconnected', { peerId })
    }
  }

  private ping(): void {
    for (const session of this.sessions) {
      if (!session.alive) {
        this.forget(session)
        session.socket.terminate()
        continue
      }
      session.alive = false
      session.socket.ping()
    }
  }
}
