/**
 * Cuts off a user's open WebSockets (the browsers' `/sync`, or any other user-authenticated upgrade)
 * the moment their token is revoked. REST calls check the token on every request, so they stop at
 * once by themselves; a socket authenticated once at upgrade would otherwise live on.
 *
 * It watches upgrades on the HTTP server, next to whichever handler serves them, so it works for
 * endpoints other components register, without their cooperation. Tokens revoked from the CLI (out
 * of process) are caught by a periodic check.
 */
import type http from 'node:http'
import type { IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import type { Logger } from 'pino'
import type { TokenStore } from '@tally/storage-sqlite'
import { tokenOf } from '../auth.ts'

export class UserSockets {
  private readonly byToken = new Map<string, Set<Duplex>>()
  private readonly onUpgrade: (req: IncomingMessage, socket: Duplex) => void
  private readonly timer: NodeJS.Timeout

  constructor(
    private readonly server: http.Server,
    private readonly tokens: TokenStore,
    private readonly logger: Logger,
    checkEveryMs: number,
  ) {
    this.onUpgrade = (req, socket) => this.track(req, socket)
    server.prependListener('upgrade', this.onUpgrade)
    this.timer = setInterval(() => this.sweep(), checkEveryMs)
    this.timer.unref()
  }

  /** Open sockets per token ID (for the dashboard and tests). */
  count(tokenId?: string): number {
    if (tokenId) return this.byToken.get(tokenId)?.size ?? 0
    let n = 0
    for (const set of this.byToken.values()) n += set.size
    return n
  }

  /** Destroys every socket opened with this token; returns how many. */
  cutOff(tokenId: string): number {
    const sockets = this.byToken.get(tokenId)
    if (!sockets) return 0
    this.byToken.delete(tokenId)
    for (const socket of sockets) socket.destroy()
    if (sockets.size > 0)
      this.logger.info({ tokenId, sockets: sockets.size }, 'revoked token: sockets closed')
    return sockets.size
  }

  close(): void {
    clearInterval(this.timer)
    this.server.off('upgrade', this.onUpgrade)
  }

  private track(req: IncomingMessage, socket: Duplex): void {
    try {
      if (req.url?.startsWith('/link')) return // vessels: the link server cuts those off by IMO
      const token = tokenOf(req, { allowQuery: true })
      const record = token ? this.tokens.verify(token, 'user') : null
      if (!record) return
      let set = this.byToken.get(record.id)
      if (!set) this.byToken.set(record.id, (set = new Set()))
      set.add(socket)
      socket.once('close', () => {
        set.delete(socket)
        if (set.size === 0 && this.byToken.get(record.id) === set) this.byToken.delete(record.id)
      })
    } catch (err) {
      this.logger.warn({ err }, 'could not track an upgraded socket')
    }
  }

  /** Closes sockets whose token was revoked elsewhere (the CLI). */
  private sweep(): void {
    try {
      for (const tokenId of [...this.byToken.keys()])
        if (this.tokens.get(tokenId)?.revokedAt) this.cutOff(tokenId)
    } catch (err) {
      this.logger.warn({ err }, 'socket revocation check failed')
    }
  }
}
