/**
 * Server-Sent Events for the crew UI (`GET /api/events?token=`): `sync` carries the `/api/sync`
 * body whenever the engine's state or progress changes; `container` carries `{containerId}` whenever
 * a container changed, by a crew edit or by sync. A comment line every
 * {@link SSE_HEARTBEAT_MS} keeps proxies and the ship's Wi-Fi from dropping an idle stream.
 */
import type { Request, Response } from 'express'
import type { Logger } from 'pino'

export const SSE_HEARTBEAT_MS = 15_000
/** Progress bursts (one per chunk) are coalesced to at most one `sync` event per this interval. */
export const SYNC_PROGRESS_THROTTLE_MS = 250
/** How long a browser waits before reconnecting a dropped stream (the SSE `retry:` field). */
const CLIENT_RETRY_MS = 3_000
/** How often open streams are checked against revoked tokens (`vessel revoke-crew` runs in another process). */
export const REVOCATION_CHECK_MS = 5_000

export class LiveEvents {
  private readonly clients = new Set<Response>()
  private readonly heartbeat: NodeJS.Timeout
  private progressTimer: NodeJS.Timeout | null = null
  private readonly revocations: NodeJS.Timeout | null = null

  /**
   * `tokenIsLive`, when given, is asked every {@link REVOCATION_CHECK_MS} about each stream's token
   * (`res.locals.crew.tokenId`); a revoked crew member's stream ends, as their next request gets 401.
   */
  constructor(
    private readonly syncBody: () => unknown,
    private readonly logger: Logger,
    heartbeatMs = SSE_HEARTBEAT_MS,
    private readonly tokenIsLive?: (tokenId: string) => boolean,
  ) {
    this.heartbeat = setInterval(() => this.write(': heartbeat\n\n'), heartbeatMs)
    this.heartbeat.unref()
    if (tokenIsLive) {
      this.revocations = setInterval(() => this.endRevoked(), REVOCATION_CHECK_MS)
      this.revocations.unref()
    }
  }

  private endRevoked(): void {
    for (const res of this.clients) {
      const tokenId = (res.locals.crew as { tokenId?: string } | undefined)?.tokenId
      try {
        if (tokenId && !this.tokenIsLive!(tokenId)) {
          this.clients.delete(res)
          res.end()
        }
      } catch (err) {
        this.logger.warn({ err }, 'live events: token check failed')
      }
    }
  }

  get size(): number {
    return this.clients.size
  }

  /** The Express handler; authentication happens before it. */
  readonly handler = (req: Request, res: Response): void => {
    res.status(200)
    res.set({
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache, no-transform',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    })
    res.flushHeaders()
    res.write(`retry: ${CLIENT_RETRY_MS}\n\n`)
    this.clients.add(res)
    const drop = () => this.clients.delete(res)
    req.on('close', drop)
    res.on('close', drop)
    res.on('error', drop)
    // A fresh client sees the current state at once rather than waiting for the next change.
    this.sendTo(res, 'sync', this.safeBody())
  }

  /** Announces a container change. */
  container(containerId: string, origin: 'local' | 'remote'): void {
    if (this.clients.size) this.broadcast('container', { containerId, origin })
  }

  /** Announces the sync status: at once for a state change, coalesced for progress. */
  sync(kind: 'state' | 'progress'): void {
    if (this.clients.size === 0) return
    if (kind === 'state') {
      if (this.progressTimer) clearTimeout(this.progressTimer)
      this.progressTimer = null
      this.broadcast('sync', this.safeBody())
      return
    }
    if (this.progressTimer) return
    this.progressTimer = setTimeout(() => {
      this.progressTimer = null
      if (this.clients.size) this.broadcast('sync', this.safeBody())
    }, SYNC_PROGRESS_THROTTLE_MS)
    this.progressTimer.unref()
  }

  /** Ends every stream (shutdown). */
  close(): void {
    clearInterval(this.heartbeat)
    if (this.revocations) clearInterval(this.revocations)
    if (this.progressTimer) clearTimeout(this.progressTimer)
    for (const res of this.clients) res.end()
    this.clients.clear()
  }

  private safeBody(): unknown {
    try {
      return this.syncBody()
    } catch (err) {
      this.logger.error({ err }, 'could not build the sync status for live events')
      return null
    }
  }

  private broadcast(event: string, data: unknown): void {
    if (data === null) return
    const frame = `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`
    this.write(frame)
  }

  private sendTo(res: Response, event: string, data: unknown): void {
    if (data !== null) res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`)
  }

  private write(frame: string): void {
    for (const res of this.clients) {
      try {
        res.write(frame)
      } catch {
        this.clients.delete(res)
      }
    }
  }
}
