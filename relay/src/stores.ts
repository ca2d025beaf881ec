/**
 * Opens the relay's data directory: one SQLite file (`relay.sqlite`) holding the documents, the
 * sync bookkeeping, tokens, the actor registry and the vessel register. The CLI and the server open
 * the same file; WAL mode and a busy timeout let `add-user` run while the relay serves.
 */
import fs from 'node:fs'
import path from 'node:path'
import type Database from 'better-sqlite3'
import type { Logger } from 'pino'
import {
  ActorRegistryStore,
  AuditLog,
  CursorStore,
  DcsaEventStore,
  DeadLetterStore,
  openTallyDatabase,
  PhotoStore,
  SessionLog,
  SubscriptionStore,
  TokenStore,
  VoyageStore,
} from '@tally/storage-sqlite'
import { VesselRegistry } from './vessels.ts'

/** The database file inside the data directory. */
export const RELAY_DB_FILE = 'relay.sqlite'

/** Every store the relay keeps, sharing one database connection. */
export interface RelayStores {
  db: Database.Database
  tokens: TokenStore
  registry: ActorRegistryStore
  cursors: CursorStore
  deadLetters: DeadLetterStore
  sessions: SessionLog
  audit: AuditLog
  vessels: VesselRegistry
  /** DCSA events derived from container histories, and the subscriptions pushing them. */
  dcsaEvents: DcsaEventStore
  subscriptions: SubscriptionStore
  /** Full photos requested and received, vessels' evidence keys (docs/photos.md). */
  photos: PhotoStore
  /** Each voyage's port calls and whether it is closed (docs/architecture.md, "Voyages"). */
  voyages: VoyageStore
}

/** Creates `dataDir` if needed and opens (migrating) its database. */
export function openRelayStores(
  dataDir: string,
  options: { costPerMb?: number; logger?: Logger } = {},
): RelayStores {
  fs.mkdirSync(dataDir, { recursive: true })
  const db = openTallyDatabase(path.join(dataDir, RELAY_DB_FILE), { logger: options.logger })
  try {
    return {
      db,
      tokens: new TokenStore(db),
      registry: new ActorRegistryStore(db),
      cursors: new CursorStore(db),
      deadLetters: new DeadLetterStore(db),
      sessions: new SessionLog(db, { usdPerMb: options.costPerMb }),
      audit: new AuditLog(db),
      vessels: new VesselRegistry(db),
      dcsaEvents: new DcsaEventStore(db),
      subscriptions: new SubscriptionStore(db),
      photos: new PhotoStore(db),
      voyages: new VoyageStore(db),
    }
  } catch (err) {
    db.close()
    throw err
  }
}
