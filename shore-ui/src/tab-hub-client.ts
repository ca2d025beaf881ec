/**
 * A tab's side of the tab hub (tab-hub.worker.ts): a Repo with no storage whose one peer is the
 * hub, over a MessageChannel, the relay connection's status as the hub reports it, and the heads
 * the relay holds of each document, set on the tab's handles as the relay's sync info.
 */
import { Repo } from '@automerge/automerge-repo'
import type { AutomergeUrl, DocumentId, StorageId, UrlHeads } from '@automerge/automerge-repo'
import { MessageChannelNetworkAdapter } from '@automerge/automerge-repo-network-messagechannel'
import { ConnectionStatus } from './relay-socket.ts'
import type { ConnectionSnapshot } from './relay-socket.ts'
import type { HubToTab, TabToHub } from './tab-hub-messages.ts'

export class TabHubConnection {
  readonly repo: Repo
  /** Resolves once the hub is this tab's peer (its documents can be asked for). */
  readonly ready: Promise<void>
  private readonly status = new ConnectionStatus()
  private readonly control: MessagePort
  private relay: StorageId | undefined
  /** The relay's heads by document, kept for handles this tab opens later. */
  private readonly relayHeads = new Map<string, string[]>()
  private readonly forgetting = new Map<number, () => void>()
  private nextForget = 0
  private readonly bye = () => this.send({ type: 'bye' })

  constructor(token: string, user: string, onFatal: (message: string) => void) {
    // Named per user: two people sharing a browser never share a hub (nor its IndexedDB).
    const worker = new SharedWorker(new URL('./tab-hub.worker.ts', import.meta.url), {
      type: 'module',
      name: `tally-shore-hub-${user}`,
    })
    const channel = new MessageChannel()
    const network = new MessageChannelNetworkAdapter(channel.port1)
    this.ready = new Promise((resolve) => network.once('peer-candidate', () => resolve()))
    this.repo = new Repo({ network: [network] })
    this.control = worker.port
    this.control.onmessage = (e: MessageEvent<HubToTab>) => {
      const message = e.data
      if (message.type === 'fatal') onFatal(message.message)
      if (message.type === 'forgotten') {
        this.forgetting.get(message.id)?.()
        this.forgetting.delete(message.id)
      }
      if (message.type === 'relay-heads') {
        this.relayHeads.set(message.documentId, message.heads)
        this.applyRelayHeads(message.documentId)
      }
      if (message.type !== 'status') return
      this.relay = (message.relay ?? undefined) as StorageId | undefined
      for (const documentId of Object.keys(this.repo.handles)) this.applyRelayHeads(documentId)
      this.status.replace(message.snapshot)
    }
    this.send({ type: 'hello', token, user, base: window.location.href, network: channel.port2 }, [
      channel.port2,
    ])
    window.addEventListener('pagehide', this.bye)
  }

  subscribe = (listener: () => void): (() => void) => this.status.subscribe(listener)

  getSnapshot = (): ConnectionSnapshot => this.status.getSnapshot()

  relayStorageId(): StorageId | undefined {
    if (this.status.getSnapshot().state !== 'online' || !this.relay) return undefined
    // A handle opened since the last word from the hub learns what the relay holds now.
    for (const documentId of Object.keys(this.repo.handles)) this.applyRelayHeads(documentId, true)
    return this.relay
  }

  /** Sets what the relay holds of a document on this tab's handle (its `remote-heads` re-renders). */
  private applyRelayHeads(documentId: string, onlyIfUnset = false): void {
    const handle = this.repo.handles[documentId as DocumentId]
    const heads = this.relayHeads.get(documentId)
    if (!handle || !heads || !this.relay) return
    if (onlyIfUnset && handle.getSyncInfo(this.relay)) return
    handle.setSyncInfo(this.relay, { lastHeads: heads as UrlHeads, lastSyncTimestamp: Date.now() })
  }

  /** Drops this tab's and the hub's copy of a document, so the next find fetches it from the relay. */
  forget(url: AutomergeUrl): Promise<void> {
    this.repo.delete(url)
    const id = this.nextForget++
    return new Promise((resolve) => {
      this.forgetting.set(id, resolve)
      this.send({ type: 'forget', url, id })
    })
  }

  async close(): Promise<void> {
    window.removeEventListener('pagehide', this.bye)
    this.bye()
    this.status.clear()
    await this.repo.shutdown().catch(() => undefined)
  }

  private send(message: TabToHub, transfer: Transferable[] = []): void {
    this.control.postMessage(message, transfer)
  }
}
