/**
 * Opens where the relay keeps everything (documents, the container index, the sync bookkeeping,
 * tokens, the actor registry, the vessel register, the operator tables): by default one SQLite file
 * (`relay.sqlite`) in a data directory, or a PostgreSQL database that several relays share
 * (docs/operations.md). The CLI and the server open the same place; on SQLite, WAL mode and a busy
 * timeout let `add-user` run while the relay serves.
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
  type SqlDatabase,
  VoyageStore,
} from '@tally/storage-sqlite'
import { openPostgresDatabase } from '@tally/storage-postgres'
import { VesselRegistry } from './vessels.ts'

/** The database file inside the data directory. */
export const RELAY_DB_FILE = 'relay.sqlite'

/** Every store the relay keeps, sharing one database connection (`D`: its type, SQLite or shared). */
export interface RelayStores<D extends SqlDatabase = SqlDatabase> {
  db: D
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

/** Where a relay keeps its data: a SQLite data directory, or a shared PostgreSQL database URL. */
export type RelayDatabase = { dataDir: string } | { databaseUrl: string }

/** Opens either kind of {@link RelayDatabase}. */
export function openRelayStoresAt(
  where: RelayDatabase,
  options: { costPerMb?: number; logger?: Logger } = {},
): RelayStores {
  if ('databaseUrl' in where) {
    const db = openPostgresDatabase(where.databaseUrl, {
      logger: options.logger,
      applicationName: 'tally-relay',
    })
    return storesOn(db, options)
  }
  return openRelayStores(where.dataDir, options)
}

/** Creates `dataDir` if needed and opens (migrating) its database. */
export function openRelayStores(
  dataDir: string,
  options: { costPerMb?: number; logger?: Logger } = {},
): RelayStores<Database.Database> {
  fs.mkdirSync(dataDir, { recursive: true })
  return storesOn(openTallyDatabase(path.join(dataDir, RELAY_DB_FILE), { logger: options.logger }), options)
}

function storesOn<D extends SqlDatabase>(db: D, options: { costPerMb?: number }): RelayStores<D> {
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
