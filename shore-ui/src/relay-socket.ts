/**
 * What both ends of a browser's connection to the relay's `/sync` share: the page's own connection
 * (connection.ts) and the tab hub every tab of a user shares (tab-hub.worker.ts). The socket is
 * automerge-repo's stock client adapter with the relay's close codes surfaced; the status says
 * whether the relay is reachable (connecting until the socket opens or fails, then online or
 * offline), docs/shore-sync.md.
 */
import { WebSocketClientAdapter } from '@automerge/automerge-repo-network-websocket'

/** Delay between reconnection attempts while the relay is unreachable. */
export const RECONNECT_MS = 2_000

/** Close codes of the relay's `/sync` (docs/shore-sync.md) after which reconnecting is pointless. */
export const FATAL_CLOSES: Record<number, string> = {
  4401: 'Your token was revoked or is no longer valid, so you were signed out. Sign in with a new token.',
  4403: 'This browser session was refused by the relay. Reload the page.',
  4406: 'This version of the app cannot talk to the relay. Reload the page.',
}

export type LinkState = 'connecting' | 'online' | 'offline'

export interface ConnectionSnapshot {
  state: LinkState
  /** When the state last changed (ms since epoch). */
  since: number
  /** The relay's close code and reason of the last disconnection. */
  lastClose: { code: number; reason: string } | null
}

/** The relay's `/sync` URL with the token, from a page's or a worker's location. */
export function syncUrl(base: string, token: string): string {
  const url = new URL('sync', base)
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:'
  url.search = `?token=${encodeURIComponent(token)}`
  url.hash = ''
  return url.toString()
}

/** The IndexedDB database of a user's documents. */
export const storageName = (user: string): string => `tally-shore-${user}`

/** The stock adapter, with its socket's close codes surfaced. */
export class RelaySocketAdapter extends WebSocketClientAdapter {
  constructor(url: string, onSocketClose: (code: number, reason: string) => boolean) {
    super(url, RECONNECT_MS)
    const reconnect = this.onClose
    // The stock handler schedules the reconnection; it is skipped after a fatal close.
    this.onClose = ((event: CloseEvent) => {
      if (onSocketClose(event.code, event.reason)) reconnect()
    }) as () => void
  }
}

/** The observable {@link ConnectionSnapshot}, for React's useSyncExternalStore. */
export class ConnectionStatus {
  private snapshot: ConnectionSnapshot = { state: 'connecting', since: Date.now(), lastClose: null }
  private readonly listeners = new Set<() => void>()

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  getSnapshot = (): ConnectionSnapshot => this.snapshot

  set(state: LinkState, lastClose = this.snapshot.lastClose): void {
    if (state === this.snapshot.state && lastClose === this.snapshot.lastClose) return
    this.replace({
      state,
      since: state === this.snapshot.state ? this.snapshot.since : Date.now(),
      lastClose,
    })
  }

  /** Takes a snapshot as it is (the tab hub's, posted to a tab). */
  replace(snapshot: ConnectionSnapshot): void {
    this.snapshot = snapshot
    for (const listener of this.listeners) listener()
  }

  clear(): void {
    this.listeners.clear()
  }
}
