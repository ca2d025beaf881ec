/** What the relay's routes share: the stores, the document store, the editor and the link server. */
import type { Logger } from 'pino'
import type { ContainerStore } from '@tally/replica'
import type { LinkServer } from './link-server.ts'
import type { RelayPresence } from './link-presence.ts'
import type { RelayActors } from './actors.ts'
import type { DiskGuard } from './disk-full.ts'
import type { ContainerEditor } from './editor.ts'
import type { RelayStores } from './stores.ts'

export interface RelayContext extends RelayStores {
  store: ContainerStore
  actors: RelayActors
  editor: ContainerEditor
  linkServer: LinkServer
  logger: Logger
  /** The link price, for cost figures. */
  costPerMb: number
  /** Runs a write, pruning old session logs and retrying once on a full disk (disk-full.ts). */
  guard: DiskGuard
  /** Which relay each vessel's link is open at (relays sharing a database). */
  presence?: RelayPresence
}
