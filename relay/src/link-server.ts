/**
 * The relay's end of the satellite link: WebSocket `/link`. Each connection must open with a hello
 * carrying the protocol version and a vessel token; then a {@link RelayLinkSession} runs against that
 * vessel's replica. Bad input closes the socket with a named code and a reason; it never takes the
 * relay down, and other vessels' sessions carry on.
 */
import { EventEmitter } from 'node:events'
import type { IncomingMessage } from 'node:http'
import type { Socket } from 'node:net'
import type { Duplex } from 'node:stream'
import { WebSocketServer } from 'ws'
import type { WebSocket } from 'ws'
import type { Logger } from 'pino'
import {
  CloseCode,
  closeCodeForError,
  decodeFrame,
  DEFAULT_LINK_SETTINGS,
  FrameError,
  FrameStream,
  leanFormsOf,
  MAX_FRAME_BYTES,
  NO_LEAN_FORMS,
  PRIORITY_NAMES,
  ROUNDS_VERSION,
  sameHeads,
  SessionError,
  SUPPORTED_VERSIONS,
} from '@tally/link'
import type { HelloFrame, LinkSettings, PhotoSink, Priority, SessionBudget, SessionStats } from '@tally/link'
import type { ChangeValidator, ContainerStore, ContainerStoreEvents } from '@tally/replica'
import type { DiskGuard } from './disk-full.ts'
import { VesselConnection } from './link-connection.ts'
import type {
  ActorRegistryStore,
  CursorStore,
  DeadLetterStore,
  PhotoStore,
  SessionLog,
  SyncSessionRecord,
  TokenStore,
  VoyageStore,
} from '@tally/storage-sqlite'

/** A vessel that connects but never says hello is dropped after this long. */
export const HELLO_TIMEOUT_MS = 15_000
export { IDLE_TIMEOUT_MS } from './link-connection.ts'

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
  /** Bytes the vessel may still move today (both ways), or null for no budget (docs/operations.md, "Budgets"). */
  budgetFor?: (vessel: string) => number | null
  /** How long a round may go without a frame from the vessel (IDLE_TIMEOUT_MS; tests shorten it). */
  roundIdleMs?: number
  /** The vessel's batching windows and keepalive (operator settings); the defaults without one. */
  settingsFor?: (vessel: string) => LinkSettings
  /** Where vessels' evidence keys are recorded, learned from their hellos. */
  photos?: PhotoStore
  /** Wraps the replica's writes: on a full disk old session logs are pruned first, then 4507 (disk-full.ts). */
  guard?: DiskGuard
  /**
   * Told of each vessel connecting and leaving, and of each session starting and ending, so every
   * relay on the database knows where each vessel is and in which link state.
   */
  presence?: {
    connected(vessel: string, persistent: boolean): void
    session(vessel: string, inSession: boolean): void
    disconnected(vessel: string): void
  }
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

/**
 * What the relay knows of a vessel's link right now (docs/operations.md, "Link states"). Contact is
 * kept in this process's memory: after a relay restart it is null until the vessel is heard again,
 * and readers fall back to the last completed session in the session log.
 */
export interface LinkContact {
  /** A connection of the vessel is open: since when (ISO), else null. */
  connectedSince: string | null
  /** A session is running on it now (with version 3, a round; between rounds the link idles). */
  inSession: boolean
  /** The last frame or keepalive (ping or pong) heard from the vessel, on the open or its last connection. */
  lastContactAt: string | null
  /**
   * That contact was on a long-lived (version 3) connection: while it lived, every change crossed
   * within its batching window, so the vessel was in sync with the relay up to then.
   */
  persistent: boolean
}

/** A session that committed no change either way (an idle round). */
const movedNothing = (s: SyncSessionRecord | undefined): boolean =>
  s !== undefined && s.state === 'complete' && s.changesUp === 0 && s.changesDown === 0 && s.rejected === 0

export class LinkServer extends EventEmitter<{
  session: [LinkSessionEvent]
  /** A vessel's connection was accepted (after its hello) or closed. */
  connection: [{ vessel: string; state: 'open' | 'closed' }]
}> {
  private readonly wss = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_FRAME_BYTES,
    perMessageDeflate: false,
  })
  /** The open socket per vessel: a new connection from the same vessel replaces the old one. */
  readonly active = new Map<string, WebSocket>()
  private readonly connections = new Map<string, VesselConnection>()
  /** The last contact on each vessel's last closed connection. */
  private readonly lastSeen = new Map<string, { at: number; persistent: boolean }>()
  private readonly onStoreChanged = (e: ContainerStoreEvents['changed'][0]) => this.storeChanged(e)

  constructor(private readonly deps: LinkServerDeps) {
    super()
    this.wss.on('connection', (ws, req: IncomingMessage) => this.onConnection(ws, req.socket))
    deps.store.on('changed', this.onStoreChanged)
  }

  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    this.wss.handleUpgrade(req, socket, head, (ws) => this.wss.emit('connection', ws, req))
  }

  /** The vessel holds a long-lived (version 3) connection open: in contact even with no session. */
  inContact(vessel: string): boolean {
    return this.connections.get(vessel)?.persistent === true
  }

  /** The vessel's link as {@link LinkContact} describes it. */
  contact(vessel: string): LinkContact {
    const open = this.connections.get(vessel)
    const seen = open ? { at: open.lastContactAt, persistent: open.persistent } : this.lastSeen.get(vessel)
    return {
      connectedSince: open ? new Date(open.openedAt).toISOString() : null,
      inSession: open?.inSession ?? false,
      lastContactAt: seen ? new Date(seen.at).toISOString() : null,
      persistent: seen?.persistent ?? false,
    }
  }

  /** Cuts a vessel off at once (token revoked). */
  disconnect(vessel: string, reason = 'token revoked'): void {
    this.active.get(vessel)?.close(CloseCode.Unauthorized, reason)
  }

  /** The operator changed a vessel's pacing: a connected vessel's relay side follows at once. */
  settingsChanged(vessel: string): void {
    const settings = this.deps.settingsFor?.(vessel)
    if (settings) this.connections.get(vessel)?.updateSettings(settings)
  }

  close(): void {
    this.deps.store.off('changed', this.onStoreChanged)
    for (const c of [...this.connections.values()]) c.shutdown()
    for (const ws of this.wss.clients) ws.terminate()
    this.wss.close()
  }

  /**
   * The one place shore changes reach the link: every admitted write (REST, /sync, a dead letter
   * retried, and whatever else raises the store's `changed` event) for a connected vessel's
   * document that the vessel lacks starts its class's batching window. Link ingest carries no
   * priority and is skipped: the vessel sent it.
   */
  private storeChanged({ docId, key, priority }: ContainerStoreEvents['changed'][0]): void {
    if (!priority) return
    const connection = this.connections.get(key.vessel)
    if (!connection?.persistent) return
    const row = this.deps.store.row(docId)
    const cursor = this.deps.cursors.getHeads(key.vessel, docId) ?? []
    if (row && sameHeads(JSON.parse(row.heads), cursor)) return
    connection.notePending(PRIORITY_NAMES.indexOf(priority) as Priority)
  }

  private onConnection(ws: WebSocket, socket: Socket | undefined): void {
    const log = this.deps.logger.child({ component: 'link' })
    const helloTimer = setTimeout(() => ws.close(CloseCode.Timeout, 'no hello'), HELLO_TIMEOUT_MS)
    let connection: VesselConnection | undefined
    // The connection's compression context, both ways: started after the first welcome when the
    // hello offered it (docs/protocol.md, "Compression on the connection").
    const frames = new FrameStream()
    ws.on('close', () => frames.close())
    ws.on('message', (data, isBinary) => {
      clearTimeout(helloTimer)
      try {
        if (!isBinary) throw new FrameError(CloseCode.BadFrame, 'frames are binary')
        // Several frames may share a message (lean connections): its bytes count with the first.
        let bytes = (data as Buffer).length
        for (const raw of frames.decodeAll(data as Buffer)) {
          const frame = decodeFrame(raw)
          if (connection) connection.receive(frame, bytes)
          else if (frame.t !== 'hello')
            throw new FrameError(CloseCode.BadFrame, `expected hello, got ${frame.t}`)
          else {
            connection = this.accept(ws, socket, frames, frame, bytes, log)
            connection.open()
          }
          bytes = 0
        }
      } catch (err) {
        const code =
          err instanceof FrameError || err instanceof SessionError ? err.closeCode : closeCodeForError(err)
        const message = (err as Error).message
        if (!connection) {
          log.warn({ err: message }, 'link connection refused')
          ws.close(code, message.slice(0, 120))
          return
        }
        log.warn({ err: message }, 'bad frame from vessel')
        connection.fail(code, message)
      }
    })
  }

  /** Checks the hello (version, token) and opens the vessel's connection. Throws FrameError. */
  private accept(
    ws: WebSocket,
    socket: Socket | undefined,
    frames: FrameStream,
    hello: HelloFrame,
    helloBytes: number,
    baseLog: Logger,
  ): VesselConnection {
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
    // Authenticated by its token: the key it announces is the one its evidence is signed with.
    if (hello.key) d.photos?.learnVesselKey(vessel, hello.key)
    const log = baseLog.child({ vessel })
    const replaced = this.active.get(vessel)
    if (replaced) {
      log.info('a new connection from this vessel replaces the open one')
      replaced.close(CloseCode.Replaced, 'replaced by a newer connection from this vessel')
    }
    this.active.set(vessel, ws)
    d.presence?.connected(vessel, hello.v >= ROUNDS_VERSION)
    // A fin lost on its way leaves the vessel with the previous token; its cursors are still good.
    const ours = d.cursors.getSyncToken(vessel) ?? null
    const previous = d.cursors.getPreviousSyncToken(vessel) ?? null
    const confirmed = ours === hello.sync
    // ...but only with the session that issued the current token: a vessel restored from a backup
    // taken before that session holds the previous token too, and its cursors are behind ours.
    // (If that session moved nothing, the previous token's cursors are the current ones anyway: the
    // vessel may have lost the welcome too.)
    const issuedBy = d.cursors.getSyncSession(vessel)
    const missedFin =
      previous !== null &&
      previous === hello.sync &&
      issuedBy !== undefined &&
      (hello.s === issuedBy || movedNothing(d.sessions.get(issuedBy)))
    const cursorsTrusted = confirmed || missedFin
    if (confirmed) d.cursors.confirmSyncToken(vessel)
    else if (cursorsTrusted) log.info('the vessel missed the last fin: resuming from the previous token')
    // A stale token means reconciling; the previous one must not outlive that.
    else d.cursors.confirmSyncToken(vessel)
    const connection = new VesselConnection(
      {
        ws,
        socket,
        frames,
        offersCompression: hello.z === 1,
        offersLean: hello.k === 2,
        offersForms: hello.k === 2 ? leanFormsOf(hello) : NO_LEAN_FORMS,
        offersOneWayKeepalive: hello.h === 1,
        vessel,
        version: hello.v,
        pending: hello.pending,
        helloBytes,
        report: {
          ...(hello.failed !== undefined ? { failedAttempts: hello.failed } : {}),
          ...(hello.interval !== undefined ? { syncIntervalS: hello.interval } : {}),
        },
        ...(d.photos ? { photos: relayPhotoSink(d.photos, vessel) } : {}),
        offersPhotos: hello.photos === true,
        ...(hello.voyages !== undefined ? { voyages: hello.voyages } : {}),
        cursorsTrusted,
        confirmed,
        settings: d.settingsFor?.(vessel) ?? DEFAULT_LINK_SETTINGS,
        log,
      },
      d,
    )
    this.connections.get(vessel)?.shutdown('replaced by a newer connection from this vessel')
    this.connections.set(vessel, connection)
    connection.on('session', (e) => {
      if (this.active.get(vessel) === ws) d.presence?.session(vessel, e.state === 'started')
      this.emit('session', e)
    })
    connection.on('closed', () => {
      const previous = this.lastSeen.get(vessel)?.at ?? 0
      if (connection.lastContactAt >= previous)
        this.lastSeen.set(vessel, { at: connection.lastContactAt, persistent: connection.persistent })
      if (this.connections.get(vessel) === connection) this.connections.delete(vessel)
      if (this.active.get(vessel) === ws) {
        this.active.delete(vessel)
        d.presence?.disconnected(vessel)
      }
      this.emit('connection', { vessel, state: 'closed' })
    })
    this.emit('connection', { vessel, state: 'open' })
    return connection
  }
}

/** Full photos shore asked for from `vessel`, and where their parts are stored (PhotoStore). */
function relayPhotoSink(photos: PhotoStore, vessel: string): PhotoSink {
  return {
    wanted: () =>
      photos.openRequests(vessel).map((r) => ({ sha: r.sha256, off: r.receivedBytes, bytes: r.bytes })),
    store: (sha, off, data) => photos.addPart(sha, off, data),
  }
}
