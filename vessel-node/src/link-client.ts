/**
 * The vessel's end of the satellite link: one WebSocket per link window. It says hello, runs a
 * {@link VesselLinkSession}, stores the sync token the relay hands out at the end, and reports every
 * phase so the sync engine and the crew can follow it.
 */
import { WebSocket } from 'ws'
import type { Logger } from 'pino'
import {
  CloseCode,
  decodeFrame,
  FrameError,
  MAX_FRAME_BYTES,
  VesselLinkSession,
  SessionError,
} from '@tally/link'
import type { LinkReplica, SessionBudget, SessionPhase, SessionStats } from '@tally/link'

/** Nothing heard from the relay for this long: the link is gone even if TCP has not noticed. */
export const LINK_IDLE_TIMEOUT_MS = 60_000
/** How often a session that is busy planning pings the relay (a few bytes each). */
const KEEPALIVE_MS = 20_000

export interface LinkAttempt {
  url: string
  vessel: string
  token: string
  replica: LinkReplica
  syncToken: string | null
  /** Told to the relay in the hello: failed attempts since the last completed session, the sync interval (s). */
  report?: { failed: number; interval: number }
  logger: Logger
  onPhase?: (phase: SessionPhase) => void
  onProgress?: (stats: SessionStats) => void
  /** The relay's welcome told the day's budget, or the budget held changes back. */
  onBudget?: (budget: SessionBudget) => void
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

/** Runs one session. Resolves with the new sync token, the counters and the budget; rejects with LinkError. */
export function runLinkSession(a: LinkAttempt): Promise<LinkResult> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(a.url, {
      perMessageDeflate: false,
      maxPayload: MAX_FRAME_BYTES,
      handshakeTimeout: 30_000,
    })
    ws.binaryType = 'nodebuffer'
    const session = new VesselLinkSession(
      a.replica,
      { send: (bytes) => ws.send(bytes), close: (code, reason) => ws.close(code, reason) },
      { vessel: a.vessel, token: a.token, sync: a.syncToken, ...a.report },
    )
    let settled = false
    let closeInfo: { code: number; reason: string } | undefined
    const settle = (fn: () => void) => {
      if (settled) return
      settled = true
      clearTimeout(idle)
      clearInterval(keepalive)
      fn()
    }
    let idle = setTimeout(() => ws.terminate(), LINK_IDLE_TIMEOUT_MS)
    // While this side plans a long backlog (tens of seconds for three weeks at sea) nothing crosses
    // the link: a ping now and then keeps the relay's idle timer, and ours, from calling it dead.
    const keepalive = setInterval(() => {
      if (session.phase !== 'PREPARING' || ws.readyState !== WebSocket.OPEN) return
      ws.ping()
      clearTimeout(idle)
      idle = setTimeout(() => ws.terminate(), LINK_IDLE_TIMEOUT_MS)
    }, KEEPALIVE_MS)
    const opened = performance.now()
    const elapsedMs = () => Math.round(performance.now() - opened)
    session.on('phase', (p) => {
      a.logger.debug({ phase: p, ms: elapsedMs() }, 'sync phase')
      a.onPhase?.(p)
    })
    session.on('progress', (s) => {
      a.logger.debug({ ...s, ms: elapsedMs() }, 'sync progress')
      a.onProgress?.(s)
    })
    session.on('budget', (b) => a.onBudget?.(b))
    session.on('complete', (result) => settle(() => resolve(result)))
    session.on('failed', (err: SessionError) =>
      settle(() => reject(new LinkError(err.message, err.closeCode, session.stats))),
    )
    ws.on('open', () => session.open())
    ws.on('message', (data, isBinary) => {
      clearTimeout(idle)
      idle = setTimeout(() => ws.terminate(), LINK_IDLE_TIMEOUT_MS)
      try {
        if (!isBinary) throw new FrameError(CloseCode.BadFrame, 'frames are binary')
        session.receive(decodeFrame(data as Buffer), (data as Buffer).length)
      } catch (err) {
        session.fail(
          new SessionError(
            err instanceof FrameError ? err.closeCode : CloseCode.Internal,
            (err as Error).message,
          ),
        )
      }
    })
    ws.on('close', (code, reason) => {
      closeInfo = { code, reason: reason.toString() }
      const message = closeInfo.reason || (code === 1006 ? 'link dropped' : `closed with code ${code}`)
      settle(() => reject(new LinkError(message, code, session.stats)))
      session.transportClosed(message)
    })
    ws.on('error', (err) => {
      a.logger.debug({ err: err.message }, 'link socket error')
      settle(() => reject(new LinkError(err.message, 1006, session.stats)))
    })
  })
}
