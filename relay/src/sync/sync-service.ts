/**
 * `/sync` (docs/architecture.md): automerge-repo's WebSocket protocol for browsers and any stock
 * automerge-repo client, at `ws://HOST:PORT/sync?token=TOKEN`. The relay runs a Repo whose storage
 * is the ContainerStore and whose one network adapter is {@link SyncServerAdapter}; every message a
 * client sends passes through here first:
 *
 * 1. the socket's user token (4401 if missing, unknown or revoked, also while connected);
 * 2. the document: a container document of a vessel the user may see, or `doc-unavailable`;
 * 3. the changes: bound to the user, judged by policy, committed to the store, refused ones cut out
 *    and reported ({@link ChangeGate}, {@link SyncNotices});
 * 4. then the Repo syncs, and the {@link HandleKeeper} keeps its handles current and few.
 */
import { randomBytes } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import { Repo } from '@automerge/automerge-repo'
import type { DocumentId, PeerId } from '@automerge/automerge-repo'
import { WebSocketServer } from 'ws'
import type { Logger } from 'pino'
import type { RelayUser } from '../auth.ts'
import type { RelayContext } from '../context.ts'
import { ChangeGate } from './change-gate.ts'
import { MAX_WS_PAYLOAD_BYTES, SyncCloseCode } from './close-codes.ts'
import { HandleKeeper } from './handle-keeper.ts'
import type { HandleKeeperOptions } from './handle-keeper.ts'
import { SyncNotices } from './notices.ts'
import { ContainerStoreStorage } from './store-storage.ts'
import { SyncServerAdapter } from './sync-adapter.ts'
import type { SyncSession } from './sync-adapter.ts'
import type { DocMessage } from './wire.ts'

/** Which vessels a user may see; the default lets every shore role see the whole fleet. */
export type VesselAccess = (user: RelayUser, vessel: string) => boolean

export interface SyncServiceOptions extends HandleKeeperOptions {
  /** Default: every vessel. */
  mayAccessVessel?: VesselAccess
  /** How often open sockets are checked against revoked tokens. Default 5 s. */
  revocationCheckMs?: number
}

/** Counters the metrics endpoint reads. */
export interface SyncCounters {
  changesAccepted: number
  changesRefused: number
  documentsDenied: number
  closes: Map<number, number>
}

export class SyncService {
  readonly repo: Repo
  readonly adapter: SyncServerAdapter
  readonly keeper: HandleKeeper
  readonly counters: SyncCounters = {
    changesAccepted: 0,
    changesRefused: 0,
    documentsDenied: 0,
    closes: new Map(),
  }
  private readonly gate: ChangeGate
  private readonly notices: SyncNotices
  private readonly wss: WebSocketServer
  private readonly revocations: NodeJS.Timeout
  private readonly mayAccessVessel: VesselAccess
  private readonly logger: Logger

  constructor(
    private readonly ctx: RelayContext,
    authenticate: (token: string | null | undefined) => RelayUser | null,
    options: SyncServiceOptions = {},
  ) {
    this.logger = ctx.logger.child({ component: 'sync' })
    this.mayAccessVessel = options.mayAccessVessel ?? (() => true)
    this.authenticate = authenticate
    this.gate = new ChangeGate({ ...ctx, logger: this.logger })
    this.adapter = new SyncServerAdapter({
      inbound: (session, message) => this.inbound(session, message),
      logger: this.logger,
      onClosed: (_session, code) => this.counters.closes.set(code, (this.counters.closes.get(code) ?? 0) + 1),
    })
    this.repo = new Repo({
      peerId: `relay-${randomBytes(6).toString('hex')}` as PeerId,
      network: [this.adapter],
      storage: new ContainerStoreStorage(ctx.db),
      // The relay never offers documents; it answers for the ones a client asks for, if allowed.
      shareConfig: {
        announce: async () => false,
        access: async (peerId, docId) => this.mayAccess(this.adapter.sessionOf(peerId)?.user, docId),
      },
    })
    this.notices = new SyncNotices(this.repo, this.adapter, ctx.registry)
    this.keeper = new HandleKeeper(this.repo, ctx.store, this.logger, options)
    this.adapter.on('peer-disconnected', ({ peerId }) => this.keeper.dropPeer(peerId))
    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload: MAX_WS_PAYLOAD_BYTES,
      perMessageDeflate: false,
    })
    this.revocations = setInterval(() => this.closeRevoked(), options.revocationCheckMs ?? 5_000)
    this.revocations.unref()
  }

  private readonly authenticate: (token: string | null | undefined) => RelayUser | null

  /** Resolves once the Repo is wired to the adapter and clients can join. */
  ready(): Promise<void> {
    return this.adapter.connected
  }

  /** The `/sync` upgrade handler. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, token: string | undefined): void {
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      const user = this.authenticate(token)
      if (!user) {
        this.counters.closes.set(
          SyncCloseCode.Unauthorized,
          (this.counters.closes.get(SyncCloseCode.Unauthorized) ?? 0) + 1,
        )
        ws.close(SyncCloseCode.Unauthorized, 'a valid user token is required: /sync?token=TOKEN')
        return
      }
      this.adapter.accept(ws, user)
      this.logger.info({ user: user.principal, role: user.role }, 'sync client connected')
    })
  }

  async close(): Promise<void> {
    clearInterval(this.revocations)
    this.keeper.close()
    this.adapter.disconnect()
    this.wss.close()
    await this.repo.shutdown().catch(() => undefined)
  }

  private mayAccess(user: RelayUser | undefined, docId: string): boolean {
    if (!user) return false
    const row = this.ctx.store.row(docId)
    return !!row && this.mayAccessVessel(user, row.vessel)
  }

  private inbound(session: SyncSession, message: DocMessage): DocMessage | null {
    const docId = message.documentId
    if (!this.mayAccess(session.user, docId)) {
      // Unknown documents and other vessels' documents look the same: unavailable.
      this.counters.documentsDenied++
      if (message.type === 'request' || message.type === 'sync')
        this.adapter.send({
          type: 'doc-unavailable',
          senderId: this.repo.peerId,
          targetId: message.senderId,
          documentId: docId,
        } as never)
      return null
    }
    this.keeper.touch(docId as DocumentId, message.senderId)
    this.keeper.open(docId as DocumentId)
    switch (message.type) {
      case 'sync':
      case 'request': {
        const result = this.gate.admit(docId, session.user, message.data!)
        this.counters.changesAccepted += result.accepted
        this.counters.changesRefused += result.refused.length
        if (result.refused.length > 0)
          this.notices.refused(message.senderId, docId as DocumentId, result.refused)
        return result.data === message.data ? message : { ...message, data: result.data }
      }
      case 'ephemeral':
        return this.notices.ephemeral(session.user, message)
      case 'doc-unavailable':
        return message
    }
  }

  /** Closes the sockets of users whose token was revoked (the CLI revokes from another process). */
  private closeRevoked(): void {
    try {
      for (const session of this.adapter.sessions) {
        const record = this.ctx.tokens.get(session.user.tokenId)
        if (!record || record.revokedAt)
          this.adapter.close(session, SyncCloseCode.Unauthorized, 'token revoked')
      }
    } catch (err) {
      this.logger.warn({ err }, 'sync revocation check failed')
    }
  }
}
