/**
 * What a failed link session means for the crew and for the sync engine: a sentence in plain words,
 * whether trying again can help, and whether the relay was reached at all (the "link up" light).
 */
import { CloseCode } from '@tally/link'
import type { SessionStats } from '@tally/link'

export interface LinkFailure {
  /** One sentence for the crew; never a stack trace. */
  message: string
  /** The technical detail behind it ("read ECONNRESET"), for a tooltip and the logs. */
  detail: string
  /** The WebSocket close code, or 1006 when no connection was made. */
  code: number
  /** False for a bad token or a version mismatch: retrying cannot fix those. */
  retryable: boolean
  /** The relay itself answered (it closed with an application code): the satellite link is up. */
  reachedRelay: boolean
  stats: SessionStats | undefined
}

const NOT_RETRYABLE: readonly number[] = [
  CloseCode.Unauthorized,
  CloseCode.Forbidden,
  CloseCode.VersionMismatch,
]

const UNREACHABLE =
  /ECONNREFUSED|ECONNRESET|EHOSTUNREACH|ENETUNREACH|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|timed out|socket hang up|link dropped/i

function words(code: number, detail: string): string {
  switch (code) {
    case CloseCode.Unauthorized:
      return 'The relay refused this vessel’s token (bad or revoked). Ask shore operations for a new vessel token.'
    case CloseCode.Forbidden:
      return `The relay refused this vessel: ${detail}`
    case CloseCode.VersionMismatch:
      return `The vessel node and the relay speak different protocol versions (${detail}). One of them needs an update.`
    case CloseCode.Timeout:
      return 'The relay closed the session because nothing arrived for too long; the link is probably very slow or blinking.'
    case CloseCode.Replaced:
      return 'Another vessel node with this vessel’s token took over the link to shore. This node syncs when its crew edit, on “Sync now”, and looks in within the hour. Keep one node per vessel on the link.'
    case CloseCode.TooLarge:
      return `A message was too large for the relay: ${detail}`
    case CloseCode.DiskFull:
      return /vessel node/i.test(detail)
        ? 'This vessel node’s disk is full: the sync stopped and will resume once there is room (old sync logs are pruned first; free space on the vessel server).'
        : 'The relay’s disk is full; shore operations must free space before the vessel can sync.'
    case CloseCode.Unavailable:
      return `The relay cannot reach its database for now (${detail}); the sync retries on its own.`
    case CloseCode.Internal:
      return /disk full/i.test(detail)
        ? `This vessel node’s disk is full: ${detail}`
        : `The sync stopped on an internal error: ${detail}`
    case CloseCode.BadFrame:
      return `The relay and the vessel disagreed about a message: ${detail}`
    default:
      if (!detail || UNREACHABLE.test(detail))
        // The detail ("read ECONNRESET") goes to a tooltip: the crew need to know what it means.
        return 'No connection to shore: the satellite link is down or the relay is not answering. The vessel keeps trying.'
      return `The sync stopped: ${detail}`
  }
}

/** Classifies whatever a session rejected with (a LinkError, or any other error). */
export function describeLinkFailure(err: unknown): LinkFailure {
  const e = err as { message?: unknown; closeCode?: unknown; stats?: SessionStats }
  const detail = typeof e?.message === 'string' ? e.message.split('\n')[0]!.slice(0, 300) : String(err)
  const code = typeof e?.closeCode === 'number' ? e.closeCode : 1006
  // Close codes 4000-4999 are sent by the relay's application code: it was reached.
  const reachedRelay = code >= 4000 && code < 5000
  return {
    message: words(code, detail),
    detail,
    code,
    retryable: !NOT_RETRYABLE.includes(code),
    reachedRelay,
    stats: e?.stats,
  }
}
