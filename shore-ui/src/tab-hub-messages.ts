/**
 * What a tab and the tab hub (tab-hub.worker.ts) say to each other on the SharedWorker's port,
 * beside the automerge-repo messages on the MessageChannel the tab hands over in its hello.
 */
import type { ConnectionSnapshot } from './relay-socket.ts'

export type TabToHub =
  /** A tab joins: the hub for this token takes `network` as one more automerge-repo peer. */
  | { type: 'hello'; token: string; user: string; base: string; network: MessagePort }
  /** The tab is going away (pagehide, sign-out). */
  | { type: 'bye' }
  /** Drop the hub's copy of a document (it holds a refused change): it is fetched again. */
  | { type: 'forget'; url: string; id: number }

export type HubToTab =
  /** The relay connection as the hub sees it, with the relay's storage ID once connected. */
  | { type: 'status'; snapshot: ConnectionSnapshot; relay: string | null }
  /** Reconnecting is pointless (the token was revoked, say): the words to show. */
  | { type: 'fatal'; message: string }
  /** The heads the relay is known to hold of a document (its sync info, as the hub learned it). */
  | { type: 'relay-heads'; documentId: string; heads: string[] }
  /** The `forget` numbered `id` is done. */
  | { type: 'forgotten'; id: number }
