/**
 * The browser's automerge-repo: documents in IndexedDB (one database per user, so the app works
 * offline and two people sharing a browser never mix), and one WebSocket to the relay's `/sync`
 * with the user's token. The stock client adapter reconnects by itself; this module also reports
 * whether the relay is reachable (connecting until the socket opens or fails, then online or
 * offline) and stops on an authentication close (4401), which means the token was revoked.
 */
import { Repo } from '@automerge/automerge-repo'
import type { PeerId, StorageId } from '@automerge/automerge-repo'
import { IndexedDBStorageAdapter } from '@automerge/automerge-repo-storage-indexeddb'
import { WebSocketClientAdapter } from '@automerge/automerge-repo-network-websocket'

/** Delay between reconnection attempts while the relay is unreachable. */
export const RECONNECT_MS = 2_000

/** Close codes of the relay's `/sync` (docs/shore-sync.md) after which reconnecting is pointless. */
const FATAL_CLOSES: Record<number, string> = {
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

/** The stock adapter, with its socket's close codes surfaced. */
class RelaySocketAdapter extends WebSocketClientAdapter {
  constructor(url: string, onSocketClose: (code: number, reason: string) => boolean) {
    super(url, RECONNECT_MS)
    const reconnect = this.onClose
    // The stock handler schedules the reconnection; it is skipped after a fatal close.
    this.onClose = ((event: CloseEvent) => {
      if (onSocketClose(event.code, event.reason)) reconnect()
    }) as () => void
  }
}

export class RelayConnection {
  readonly repo: Repo
  private readonly adapter: RelaySocketAdapter
  private snapshot: ConnectionSnapshot = { state: 'connecting', since: Date.now(), lastClose: null }
  private readonly listeners = new Set<() => void>()
  private relayPeer: PeerId | null = null

  constructor(token: string, user: string, onFatal: (message: string) => void) {
    const url = new URL('sync', window.location.href)
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:'
    url.search = `?token=${encodeURIComponent(token)}`
    url.hash = ''
    this.adapter = new RelaySocketAdapter(url.toString(), (code, reason) => {
      this.set('offline', { code, reason })
      const fatal = FATAL_CLOSES[code]
      if (fatal) onFatal(fatal)
      return !fatal
    })
    this.adapter.on('peer-candidate', ({ peerId }) => {
      this.relayPeer = peerId
      this.set('online')
    })
    this.adapter.on('peer-disconnected', () => this.set('offline'))
    this.repo = new Repo({
      network: [this.adapter],
      storage: new IndexedDBStorageAdapter(`tally-shore-${user}`),
    })
    // No timer turns a slow first connection into "offline": twenty tabs opening at once made
    // some wait longer than 3 s while the relay answered. Only a socket that closes or fails (the
    // adapter's close handler above) is a real failure.
  }

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  getSnapshot = (): ConnectionSnapshot => this.snapshot

  /** The relay's storage ID, once connected: whose sync info says what the relay holds. */
  relayStorageId(): StorageId | undefined {
    return this.relayPeer ? this.repo.getStorageIdOfPeer(this.relayPeer) : undefined
  }

  async close(): Promise<void> {
    this.listeners.clear()
    await this.repo.shutdown().catch(() => undefined)
  }

  private set(state: LinkState, lastClose = this.snapshot.lastClose): void {
    if (state === this.snapshot.state && lastClose === this.snapshot.lastClose) return
    this.snapshot = {
      state,
      since: state === this.snapshot.state ? this.snapshot.since : Date.now(),
      lastClose,
    }
    for (const listener of this.listeners) listener()
  }
}
