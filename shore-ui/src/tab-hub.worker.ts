/// <reference lib="webworker" />
/**
 * The tab hub: a SharedWorker that holds a user's one connection to the relay's `/sync` for every
 * tab of that user (docs/shore-sync.md, "One connection for every tab"). A clerk with twenty tabs
 * is one client to the relay, not twenty.
 *
 * The hub runs an automerge-repo Repo with the user's documents in IndexedDB and the relay socket;
 * each tab runs a Repo with no storage whose one peer is the hub, over a MessageChannel. Changes
 * flow tab → hub → relay and back as between any two repos; the heads the relay holds of each
 * document (what "saved at shore" is judged on) the hub posts to the tabs. Ephemeral messages (presence, the app's questions to the
 * relay) from a tab go to the relay under the hub's peer ID, since the relay takes them only from
 * the peer of the socket they arrive on; the relay's answers to the hub reach the tabs by the
 * Repo's own gossip.
 */
import { initializeWasm } from '@automerge/automerge/slim'
import wasmUrl from '@automerge/automerge/automerge.wasm?url'
import { Repo } from '@automerge/automerge-repo'
import type { AutomergeUrl, Message, PeerId } from '@automerge/automerge-repo'
import { IndexedDBStorageAdapter } from '@automerge/automerge-repo-storage-indexeddb'
import { MessageChannelNetworkAdapter } from '@automerge/automerge-repo-network-messagechannel'
import { ConnectionStatus, FATAL_CLOSES, RelaySocketAdapter, storageName, syncUrl } from './relay-socket.ts'
import type { HubToTab, TabToHub } from './tab-hub-messages.ts'

declare const self: SharedWorkerGlobalScope

const wasm = initializeWasm(wasmUrl)

/**
 * The relay socket, passing on a tab's ephemeral messages as the hub's own and dropping those the
 * Repo's gossip would echo back (other users' messages, which came from the relay).
 */
class HubSocketAdapter extends RelaySocketAdapter {
  constructor(
    url: string,
    onSocketClose: (code: number, reason: string) => boolean,
    private readonly isTab: (peerId: PeerId) => boolean,
  ) {
    super(url, onSocketClose)
  }

  override send(message: Message): void {
    if (message.type === 'ephemeral' && message.senderId !== this.peerId) {
      if (!this.isTab(message.senderId)) return
      super.send({ ...message, senderId: this.peerId! })
      return
    }
    super.send(message)
  }
}

/** One user's connection (per token) and the tabs sharing it. */
class Hub {
  readonly repo: Repo
  private readonly status = new ConnectionStatus()
  /** Set once the relay said reconnecting is pointless; a tab with another token gets a new hub. */
  fatal: string | null = null
  private relayPeer: PeerId | null = null
  private readonly tabs = new Map<
    MessagePort,
    { adapter: MessageChannelNetworkAdapter; peers: Set<PeerId> }
  >()

  constructor(token: string, user: string, base: string) {
    const socket = new HubSocketAdapter(
      syncUrl(base, token),
      (code, reason) => {
        this.status.set('offline', { code, reason })
        const fatal = FATAL_CLOSES[code]
        if (fatal) {
          this.fatal = fatal
          this.post({ type: 'fatal', message: fatal })
        }
        return !fatal
      },
      (peerId) => [...this.tabs.values()].some((t) => t.peers.has(peerId)),
    )
    socket.on('peer-candidate', ({ peerId }) => {
      this.relayPeer = peerId
      this.status.set('online')
    })
    socket.on('peer-disconnected', () => this.status.set('offline'))
    this.repo = new Repo({
      network: [socket],
      storage: new IndexedDBStorageAdapter(storageName(user)),
    })
    // What the relay holds of a document, after the Repo recorded it (its listener came first).
    this.repo.synchronizer.on('sync-state', ({ documentId, peerId }) => {
      const relay = peerId === this.relayPeer ? this.repo.getStorageIdOfPeer(peerId) : undefined
      const heads = relay && this.repo.handles[documentId]?.getSyncInfo(relay)?.lastHeads
      if (heads) this.post({ type: 'relay-heads', documentId, heads })
    })
    // After the Repo's own listeners: the relay's storage ID is known once they ran.
    this.status.subscribe(() => setTimeout(() => this.post(this.statusMessage()), 0))
  }

  attach(control: MessagePort, network: MessagePort): void {
    const adapter = new MessageChannelNetworkAdapter(network)
    const peers = new Set<PeerId>()
    adapter.on('peer-candidate', ({ peerId }) => peers.add(peerId))
    adapter.on('peer-disconnected', ({ peerId }) => peers.delete(peerId))
    this.tabs.set(control, { adapter, peers })
    this.repo.networkSubsystem.addNetworkAdapter(adapter)
    control.postMessage(this.fatal ? { type: 'fatal', message: this.fatal } : this.statusMessage())
    // What the relay holds of the documents already open: the tab may open them too.
    const relay = this.relayPeer ? this.repo.getStorageIdOfPeer(this.relayPeer) : undefined
    if (relay)
      for (const [documentId, handle] of Object.entries(this.repo.handles)) {
        const heads = handle.getSyncInfo(relay)?.lastHeads
        if (heads) control.postMessage({ type: 'relay-heads', documentId, heads } satisfies HubToTab)
      }
  }

  /** No tab uses this hub any more. */
  get idle(): boolean {
    return this.tabs.size === 0
  }

  serves(control: MessagePort): boolean {
    return this.tabs.has(control)
  }

  detach(control: MessagePort): void {
    const tab = this.tabs.get(control)
    if (!tab) return
    this.tabs.delete(control)
    this.repo.networkSubsystem.removeNetworkAdapter(tab.adapter)
  }

  private statusMessage(): HubToTab {
    const relay = this.relayPeer ? (this.repo.getStorageIdOfPeer(this.relayPeer) ?? null) : null
    return { type: 'status', snapshot: this.status.getSnapshot(), relay }
  }

  private post(message: HubToTab): void {
    for (const control of this.tabs.keys()) control.postMessage(message)
  }
}

/** Hubs by token: usually one (the worker is named per user); a new sign-in brings a new token. */
const hubs = new Map<string, Hub>()

self.onconnect = (event: MessageEvent) => {
  const control = event.ports[0]!
  control.onmessage = (e: MessageEvent<TabToHub>) => {
    const message = e.data
    if (message?.type === 'bye') {
      for (const [token, hub] of hubs) {
        hub.detach(control)
        // The user's last tab is gone (signed out, or a reload that says hello again): the socket
        // closes rather than keep syncing for nobody under a token that may have been signed out.
        if (hub.idle) {
          hubs.delete(token)
          void hub.repo.shutdown().catch(() => undefined)
        }
      }
      return
    }
    if (message?.type === 'forget') {
      for (const hub of hubs.values()) if (hub.serves(control)) hub.repo.delete(message.url as AutomergeUrl)
      control.postMessage({ type: 'forgotten', id: message.id } satisfies HubToTab)
      return
    }
    if (message?.type !== 'hello') return
    void wasm.then(() => {
      let hub = hubs.get(message.token)
      if (!hub || hub.fatal) {
        hub = new Hub(message.token, message.user, message.base)
        hubs.set(message.token, hub)
      }
      hub.attach(control, message.network)
    })
  }
}
