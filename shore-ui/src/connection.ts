/**
 * The browser's automerge-repo and its connection to the relay's `/sync`, with the user's token.
 * Where the browser has SharedWorker, every tab of a user shares one socket through the tab hub
 * (tab-hub.worker.ts): twenty tabs are one client. Elsewhere each tab has its own socket and its
 * own repo on IndexedDB ({@link DirectConnection}). Either way the app sees a {@link RelayConnection}:
 * documents in IndexedDB (one database per user, so the app works offline and two people sharing
 * a browser never mix), whether the relay is reachable (connecting until the socket opens or
 * fails, then online or offline), and a stop on an authentication close (4401: the token was
 * revoked). The stock client adapter reconnects by itself.
 */
import { Repo } from '@automerge/automerge-repo'
import type { AutomergeUrl, PeerId, StorageId } from '@automerge/automerge-repo'
import { IndexedDBStorageAdapter } from '@automerge/automerge-repo-storage-indexeddb'
import { ConnectionStatus, FATAL_CLOSES, RelaySocketAdapter, storageName, syncUrl } from './relay-socket.ts'
import type { ConnectionSnapshot } from './relay-socket.ts'
import { TabHubConnection } from './tab-hub-client.ts'

export type { ConnectionSnapshot, LinkState } from './relay-socket.ts'
export { RECONNECT_MS } from './relay-socket.ts'

/** What the app needs of its connection, whichever way it is made. */
export interface RelayConnection {
  readonly repo: Repo
  subscribe(listener: () => void): () => void
  getSnapshot(): ConnectionSnapshot
  /** The relay's storage ID, once connected: whose sync info says what the relay holds. */
  relayStorageId(): StorageId | undefined
  /** Drops every copy this browser keeps of a document (one holding a refused change); resolves when done. */
  forget(url: AutomergeUrl): Promise<void>
  close(): Promise<void>
}

/** How long a tab waits for the tab hub to answer before it connects on its own. */
export const HUB_START_MS = 5_000

/**
 * The connection for this tab: through the tab hub where SharedWorker exists (falling back to a
 * socket of its own if the hub does not answer in {@link HUB_START_MS}), else its own socket.
 * `onFatal` is told why reconnecting is pointless (the token was revoked, say).
 */
export async function connectToRelay(
  token: string,
  user: string,
  onFatal: (message: string) => void,
): Promise<RelayConnection> {
  if (typeof SharedWorker === 'function') {
    let hub: TabHubConnection | undefined
    try {
      hub = new TabHubConnection(token, user, onFatal)
    } catch {
      // A browser that refuses the worker (a strict policy, say) still gets a connection of its own.
    }
    if (hub) {
      let timer: ReturnType<typeof setTimeout> | undefined
      const answered = await Promise.race([
        hub.ready.then(() => true),
        new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), HUB_START_MS))),
      ])
      clearTimeout(timer)
      if (answered) return hub
      await hub.close()
    }
  }
  return new DirectConnection(token, user, onFatal)
}

/** A tab's own socket and repo (no SharedWorker). */
export class DirectConnection implements RelayConnection {
  readonly repo: Repo
  private readonly status = new ConnectionStatus()
  private relayPeer: PeerId | null = null

  constructor(token: string, user: string, onFatal: (message: string) => void) {
    const adapter = new RelaySocketAdapter(syncUrl(window.location.href, token), (code, reason) => {
      this.status.set('offline', { code, reason })
      const fatal = FATAL_CLOSES[code]
      if (fatal) onFatal(fatal)
      return !fatal
    })
    adapter.on('peer-candidate', ({ peerId }) => {
      this.relayPeer = peerId
      this.status.set('online')
    })
    adapter.on('peer-disconnected', () => this.status.set('offline'))
    this.repo = new Repo({ network: [adapter], storage: new IndexedDBStorageAdapter(storageName(user)) })
    // No timer turns a slow first connection into "offline": twenty tabs opening at once made
    // some wait longer than 3 s while the relay answered. Only a socket that closes or fails (the
    // adapter's close handler above) is a real failure.
  }

  subscribe = (listener: () => void): (() => void) => this.status.subscribe(listener)

  getSnapshot = (): ConnectionSnapshot => this.status.getSnapshot()

  relayStorageId(): StorageId | undefined {
    return this.relayPeer ? this.repo.getStorageIdOfPeer(this.relayPeer) : undefined
  }

  forget(url: AutomergeUrl): Promise<void> {
    this.repo.delete(url)
    return Promise.resolve()
  }

  async close(): Promise<void> {
    this.status.clear()
    await this.repo.shutdown().catch(() => undefined)
  }
}
