/**
 * The vessel node (docs/architecture.md): one SQLite file (WAL) holding the voyage's documents and the sync
 * bookkeeping, the sync engine that talks to the relay, the crew's REST API and live events, and the
 * crew UI at `/`.
 *
 * Start-up loads no document: lists are answered from the container index and documents load on
 * first use, so a node with 2,000 containers answers its first request well within a second.
 */
import { mkdirSync } from 'node:fs'
import { createServer } from 'node:http'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import express from 'express'
import type Database from 'better-sqlite3'
import pino from 'pino'
import type { Logger } from 'pino'
import { TallyError, toHex } from '@tally/manifest'
import { ContainerStore } from '@tally/replica'
import {
  ActorRegistryStore,
  CursorStore,
  DEFAULT_USD_PER_MB,
  DeadLetterStore,
  openTallyDatabase,
  PhotoStore,
  SessionLog,
  TokenStore,
  VoyageStore,
} from '@tally/storage-sqlite'
import { CrewActors } from './crew-actors.ts'
import { CrewEditor } from './crew-editor.ts'
import { databasePath } from './data-dir.ts'
import { crewAuth, diskGuard, errorHandler, JSON_BODY_LIMIT, sendError } from './http-support.ts'
import { LiveEvents } from './live-events.ts'
import { PendingEstimator } from './pending-estimate.ts'
import { vesselOpenApi } from './openapi.ts'
import { vesselSigningKey } from './evidence-signer.ts'
import { containerLookup, containerRoutes } from './routes-containers.ts'
import { vesselPhotoSource } from './photo-link.ts'
import { photoRoutes, vesselPhotoState } from './routes-photos.ts'
import { syncRoutes } from './routes-sync.ts'
import { staticUi } from './static-ui.ts'
import { DEFAULT_SYNC_INTERVAL_MS, RELAY_PEER, SyncEngine } from './sync-engine.ts'
import type { SyncEngineOptions } from './sync-engine.ts'
import { buildSyncStatus, ForecastModel } from './sync-status.ts'
import type { SyncStatusBody } from './sync-status.ts'
import { VesselLinkReplica } from './vessel-link-replica.ts'
import { ViewCache } from './view-cache.ts'
import { VoyageArchiver } from './voyage-archive.ts'
import { VesselVoyages } from './voyages.ts'
import { voyageRoutes } from './routes-voyages.ts'

/**
 * Documents kept in memory. Lists are answered from cached views, so only the documents being
 * edited or synced need to stay loaded.
 */
const DOCUMENT_CACHE_SIZE = 500
/** Views are rebuilt in the background this long after start-up, after the first requests. */
const VIEW_WARM_DELAY_MS = 2_000

export interface VesselNodeOptions {
  dataDir: string
  /** 0 picks a free port. */
  port: number
  host?: string
  relayUrl: string
  vessel: string
  /** The vessel's token for the relay's /link. */
  token: string
  costPerMb?: number
  syncIntervalMs?: number
  logger?: Logger
  /** Where the built crew UI is; default vessel-node/web/dist. */
  uiDir?: string
  /** Engine tuning (retry, breaker, timers) for tests. */
  engine?: Partial<
    Omit<SyncEngineOptions, 'relayUrl' | 'vessel' | 'token' | 'replica' | 'cursors' | 'sessions' | 'logger'>
  >
  /** Start the sync engine (default true); REST-only tests may leave it stopped. */
  autoSync?: boolean
}

export interface VesselNode {
  url: string
  port: number
  server: Server
  /** The Express app (its routes are compared with `/api/openapi.json` in the tests). */
  app: express.Express
  db: Database.Database
  store: ContainerStore
  engine: SyncEngine
  tokens: TokenStore
  registry: ActorRegistryStore
  syncStatus: () => SyncStatusBody
  close(): Promise<void>
}

/** Opens the data directory, starts the HTTP server and the sync engine. */
export async function createVesselNode(o: VesselNodeOptions): Promise<VesselNode> {
  const logger = (o.logger ?? pino({ level: 'silent' })).child({ component: 'vessel-node', vessel: o.vessel })
  const costPerMb = o.costPerMb ?? DEFAULT_USD_PER_MB
  mkdirSync(o.dataDir, { recursive: true })
  const db = openTallyDatabase(databasePath(o.dataDir), { logger })
  const registry = new ActorRegistryStore(db)
  const tokens = new TokenStore(db)
  const cursors = new CursorStore(db)
  const sessions = new SessionLog(db, { usdPerMb: costPerMb })
  const deadLetters = new DeadLetterStore(db)
  const store = new ContainerStore(db, {
    principalOf: (actor) => registry.principalOf(actor),
    cacheSize: DOCUMENT_CACHE_SIZE,
  })
  const guard = diskGuard(db, logger)
  const photos = new PhotoStore(db)
  // Made at add-crew, or here on the first start of a node set up without it.
  const signer = vesselSigningKey(photos)
  const voyageStore = new VoyageStore(db)
  const voyages = new VesselVoyages(store, voyageStore, o.vessel)
  const replica = new VesselLinkReplica({
    store,
    cursors,
    registry,
    deadLetters,
    vessel: o.vessel,
    logger,
    voyages: voyageStore,
  })
  const engine = new SyncEngine({
    intervalMs: o.syncIntervalMs ?? DEFAULT_SYNC_INTERVAL_MS,
    guardWrite: guard,
    ...o.engine,
    relayUrl: o.relayUrl,
    vessel: o.vessel,
    token: o.token,
    replica,
    cursors,
    sessions,
    logger,
    publicKey: toHex(signer.publicKey),
    photos: vesselPhotoSource(photos, o.vessel),
  })
  const estimator = new PendingEstimator({
    store,
    cursors,
    vessel: o.vessel,
    peer: RELAY_PEER,
    busy: () => engine.snapshot().running,
  })
  const forecast = new ForecastModel()
  const syncStatus = () =>
    buildSyncStatus({
      engine,
      estimator,
      forecast,
      sessions,
      deadLetters,
      costPerMb,
      photos: () => photos.takenTotals(),
    })
  const live = new LiveEvents(syncStatus, logger, undefined, (id) => tokens.get(id)?.revokedAt === null)
  const views = new ViewCache(
    store,
    o.vessel,
    logger,
    () => engine.snapshot().running,
    vesselPhotoState(photos),
  )
  const archiver = new VoyageArchiver({
    dataDir: o.dataDir,
    vessel: o.vessel,
    store,
    voyages: voyageStore,
    cursors,
    peer: RELAY_PEER,
    logger,
    onRemoved: (docIds) => views.forget(docIds),
  })
  /** Archives closed voyages the relay has acknowledged in full; never while a session runs. */
  const archiveClosedVoyages = () => {
    if (engine.snapshot().running || !db.open) return
    try {
      for (const outcome of archiver.archiveReady())
        if (!outcome.archived)
          logger.info(outcome, 'closed voyage waits for the relay to acknowledge its documents')
    } catch (err) {
      logger.error({ err }, 'archiving a closed voyage failed; it stays in the live database')
    }
  }

  // Learn the wire ratio: what was pending when a session started against what it sent.
  let pendingAtStart = 0
  engine.on('status', (snap, kind) => {
    estimator.invalidate()
    if (kind === 'state' && snap.state === 'CHECKING' && snap.progress === null) {
      const e = estimator.current()
      pendingAtStart = e.complete ? e.rawBytes : 0
    }
    live.sync(kind)
  })
  engine.on('session', (s) => {
    if (s.ok && s.stats.changesUp > 0) forecast.observe(pendingAtStart, s.stats.bytesUp)
    // Shore changes arrived: rebuild their views now rather than when the crew opens the list.
    if (s.stats.changesDown > 0) views.warm(0)
    if (s.ok) setImmediate(archiveClosedVoyages)
  })
  estimator.on('updated', () => live.sync('progress'))
  store.on('changed', ({ key, origin, priority }) => {
    estimator.invalidate()
    live.container(key.containerId, origin)
    // The pending counts change with every edit. Without this the panel waited for the engine's
    // next state change: during an outage that is the next retry, 20–30 s later.
    live.sync('progress')
    if (origin === 'local') engine.notifyLocalChange(priority)
  })

  const app = express()
  app.disable('x-powered-by')
  app.set('etag', false)
  app.get('/healthz', (_req, res) => {
    res.json({ ok: true })
  })
  app.get('/api/events', crewAuth(tokens, { allowQueryToken: true }), live.handler)
  const api = express.Router()
  api.use(crewAuth(tokens))
  const actors = new CrewActors(registry, o.vessel)
  const editor = new CrewEditor({ store, registry, deadLetters, vessel: o.vessel, voyages: voyageStore })
  // Before the JSON parser: a photo's body is the raw image.
  api.use(
    photoRoutes({
      store,
      editor,
      photos,
      actors,
      vessel: o.vessel,
      views,
      signer,
      docIdOf: containerLookup(store, o.vessel),
      guard,
    }),
  )
  api.use(express.json({ limit: JSON_BODY_LIMIT }))
  api.get('/openapi.json', (_req, res) => {
    res.json(vesselOpenApi())
  })
  api.use(
    containerRoutes({
      store,
      editor,
      registry,
      actors,
      vessel: o.vessel,
      views,
      guard,
      signer,
      voyages,
    }),
  )
  api.use(
    voyageRoutes({
      vessel: o.vessel,
      voyages,
      archiver,
      views,
      principalOf: (actor) => registry.principalOf(actor),
    }),
  )
  api.use(syncRoutes({ engine, status: syncStatus, sessions, deadLetters, store, vessel: o.vessel }))
  api.use((req, res) =>
    sendError(res, new TallyError('NOT_FOUND', `No endpoint ${req.method} /api${req.path}.`)),
  )
  app.use('/api', api)
  app.use(staticUi(o.uiDir))
  app.use(errorHandler(logger))

  const server = createServer(app)
  // Keep-alive sockets would otherwise hold close() open for the client's idle time.
  server.keepAliveTimeout = 5_000
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(o.port, o.host ?? '127.0.0.1', () => {
        server.off('error', reject)
        resolve()
      })
    })
  } catch (err) {
    live.close()
    db.close()
    throw err
  }
  const port = (server.address() as AddressInfo).port
  const host = o.host ?? '127.0.0.1'
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`
  if (o.autoSync ?? true) engine.start()
  views.warm(VIEW_WARM_DELAY_MS)
  // A voyage closed while the node was down, or an archive a crash interrupted, finishes now.
  const archiveTimer = setTimeout(archiveClosedVoyages, VIEW_WARM_DELAY_MS)
  archiveTimer.unref()
  logger.info({ url, relay: o.relayUrl }, 'vessel node listening')

  let closing: Promise<void> | null = null
  const close = () =>
    (closing ??= (async () => {
      engine.stop()
      clearTimeout(archiveTimer)
      estimator.close()
      views.close()
      live.close()
      await new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      })
      // A session still running writes through the stores; let it end before the file closes.
      await Promise.race([engine.settled(), new Promise((r) => setTimeout(r, 2_000).unref())])
      db.close()
    })())

  return { url, port, server, app, db, store, engine, tokens, registry, syncStatus, close }
}
