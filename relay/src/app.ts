/**
 * The relay (docs/architecture.md): one HTTP server carrying the REST API, `/healthz`, `/metrics`, the shore UI
 * and the WebSocket upgrades (`/link` for vessels, `/sync` for browsers), all on one SQLite file.
 *
 * Other parts plug in without editing this file: `extensions` run before the server listens and may
 * add HTTP routes to `relay.routes` (mounted before the UI and the 404), authenticated JSON routes to
 * `relay.apiRoutes` (under `/api`), WebSocket endpoints to `relay.upgradeHandlers` (keyed by path,
 * e.g. `/sync`), a daily byte budget source with `relay.setBudgetSource`, and register cleanup with
 * `relay.onClose`. The operator dashboard (`/ops`, relay/src/ops) is installed the same way, first.
 */
import http from 'node:http'
import https from 'node:https'
import type { IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import express, { Router } from 'express'
import type { Express, RequestHandler } from 'express'
import { pino } from 'pino'
import type { Logger } from 'pino'
import { ContainerStore, policyValidator } from '@tally/replica'
import { DEFAULT_LINK_SETTINGS } from '@tally/link'
import type { LinkSettings } from '@tally/link'
import { DEFAULT_USD_PER_MB, LinkPresenceStore } from '@tally/storage-sqlite'
import { redactUrl } from '@tally/storage-postgres'
import { RelayActors } from './actors.ts'
import { authenticateUser, requireMetricsReader, requireUser } from './auth.ts'
import type { RelayUser } from './auth.ts'
import type { RelayContext } from './context.ts'
import { dcsaEndpoint } from './dcsa/index.ts'
import type { DcsaHandle, DcsaOptions } from './dcsa/index.ts'
import { ContainerEditor } from './editor.ts'
import { pruneAfterDiskFull, relayDiskGuard } from './disk-full.ts'
import { errorHandler, MAX_BODY_BYTES, unknownRoute } from './http-errors.ts'
import { integrationGate, integrationRateLimit } from './integrations.ts'
import type { IntegrationLimits } from './integrations.ts'
import { LinkServer } from './link-server.ts'
import { RelayPresence, relayName } from './link-presence.ts'
import { relayOpenApi } from './openapi.ts'
import type { LinkSessionEvent } from './link-server.ts'
import { createRelayMetrics } from './metrics.ts'
import type { RelayMetrics } from './metrics.ts'
import { containerRoutes } from './routes/container.ts'
import { evidenceRoutes, photoRoutes, relayPhotoState } from './routes/photos.ts'
import { meRoutes } from './routes/me.ts'
import { searchRoutes } from './routes/search.ts'
import { vesselRoutes } from './routes/vessels.ts'
import { voyageRoutes } from './routes/voyages.ts'
import { installOps } from './ops/index.ts'
import type { OpsHandle, OpsOptions } from './ops/index.ts'
import { shoreUiRoutes } from './static-ui.ts'
import { DEFAULT_RETENTION_DAYS, scheduleRetention } from './retention.ts'
import { openRelayStoresAt } from './stores.ts'
import { syncEndpoint } from './sync/index.ts'
import type { SyncServiceOptions } from './sync/index.ts'

/** How often open vessel links are checked against revoked tokens (the CLI revokes out of process). */
export const REVOCATION_CHECK_MS = 5_000

/** Handles a WebSocket upgrade for one path. It owns the socket from then on. */
export type UpgradeHandler = (req: IncomingMessage, socket: Duplex, head: Buffer) => void

/** Plugs a feature into the relay before it listens (see the file comment). */
export type RelayExtension = (relay: Relay) => void | Promise<void>

export interface RelayOptions {
  /** Directory of `relay.sqlite`; created if missing. Give this or `databaseUrl`. */
  dataDir?: string
  /**
   * A PostgreSQL database (`postgres://USER@HOST:PORT/DB`) shared with other relays: any relay then
   * serves any vessel and browser, and changes admitted at one reach the others (docs/operations.md).
   */
  databaseUrl?: string
  /** Default 0: any free port. */
  port?: number
  /** Default 127.0.0.1. */
  host?: string
  /** Link price in USD per MB for cost figures. Default 10. */
  costPerMb?: number
  logger?: Logger
  /** The built shore UI. Default `shore-ui/dist` of this repository. */
  shoreUiDir?: string
  extensions?: RelayExtension[]
  /** Operator dashboard, alerts and budgets (relay/src/ops); installed by default. */
  ops?: OpsOptions
  /** `/sync` for browsers (relay/src/sync): on by default; `false` leaves it out. */
  sync?: SyncServiceOptions | false
  /**
   * Serve https:// and wss:// with this certificate and key (PEM). Without it the relay serves
   * plain http:// and ws://, for a TLS proxy in front or for a test on 127.0.0.1.
   */
  tls?: { cert: string | Buffer; key: string | Buffer }
  /** DCSA Track & Trace events and subscriptions (relay/src/dcsa): on by default. */
  dcsa?: DcsaOptions | false
  /** The request-rate limit of integration tokens (relay/src/integrations.ts). */
  integrationLimits?: IntegrationLimits
  /** Sessions, alerts and audit rows older than this are pruned daily (default 180). */
  retentionDays?: number
  /**
   * How often this relay refreshes its vessels' rows in the shared presence table (default
   * `PRESENCE_HEARTBEAT_MS`, 10 s); other relays count a row stale after three missed refreshes.
   */
  presenceHeartbeatMs?: number
}

/** Bytes a vessel may still move over the link today, or null when it has no budget. */
export type BudgetSource = (vessel: string) => number | null

export interface Relay {
  /** `http://host:port`, or `https://host:port` with TLS */
  url: string
  port: number
  server: http.Server | https.Server
  app: Express
  /** Extra HTTP routes, consulted after `/api` and before the shore UI and the 404. */
  routes: Router
  /** Extra JSON routes under `/api`, after authentication (any user token) and body parsing. */
  apiRoutes: Router
  /** WebSocket endpoints by path; `/link` is registered, anything unknown gets 404. */
  upgradeHandlers: Map<string, UpgradeHandler>
  /** Stores, document store, editor, link server and logger, as the routes use them. */
  context: RelayContext
  store: RelayContext['store']
  linkServer: LinkServer
  db: RelayContext['db']
  metrics: RelayMetrics
  /** The operator tools: dashboard services, alerts, budgets. */
  ops: OpsHandle
  /** The per-token request limit of integrations, shared by every route that admits them. */
  integrationLimiter: RequestHandler
  /** The DCSA event feed and subscription delivery, unless switched off. */
  dcsa?: DcsaHandle
  /** Where the link server asks for a vessel's remaining budget (sent in the welcome frame). */
  setBudgetSource(source: BudgetSource): void
  /** Where the link server asks for a vessel's batching windows and keepalive (operator settings). */
  setLinkSettingsSource(source: (vessel: string) => LinkSettings): void
  /** The shore user a token belongs to, or null (for `/sync` and other plug-ins). */
  authenticateUser(token: string | null | undefined): RelayUser | null
  /** Runs `fn` when the relay closes, before the database is closed (last registered runs first). */
  onClose(fn: () => void | Promise<void>): void
  close(): Promise<void>
}

/** The relay before the operator tools are installed on it. */
export type RelayCore = Omit<Relay, 'ops'>

/** Starts a relay and resolves once it listens. */
export async function createRelay(options: RelayOptions): Promise<Relay> {
  const logger = options.logger ?? pino({ name: 'relay' })
  const costPerMb = options.costPerMb ?? DEFAULT_USD_PER_MB
  if ((options.dataDir === undefined) === (options.databaseUrl === undefined))
    throw new Error('a relay needs either dataDir (SQLite) or databaseUrl (PostgreSQL)')
  const where = options.databaseUrl ? { databaseUrl: options.databaseUrl } : { dataDir: options.dataDir! }
  const stores = openRelayStoresAt(where, { costPerMb, logger })
  const closers: (() => void | Promise<void>)[] = []
  try {
    const store = new ContainerStore(stores.db, {
      principalOf: (actor) => stores.registry.principalOf(actor),
      photoState: relayPhotoState(stores.photos),
    })
    const actors = new RelayActors(stores.registry)
    const guard = relayDiskGuard(stores.db, logger)
    const editor = new ContainerEditor({
      store,
      registry: stores.registry,
      deadLetters: stores.deadLetters,
      actors,
      guard,
      voyages: stores.voyages,
    })
    let budgetSource: BudgetSource = () => null
    let linkSettingsSource: (vessel: string) => LinkSettings = () => DEFAULT_LINK_SETTINGS
    let listeningAs = relayName(options.port ?? 0)
    const presence: RelayPresence = new RelayPresence(
      new LinkPresenceStore(stores.db),
      () => listeningAs,
      (): string[] => [...linkServer.active.keys()],
      logger,
      options.presenceHeartbeatMs,
    )
    const linkServer: LinkServer = new LinkServer({
      presence,
      ...stores,
      store,
      budgetFor: (vessel) => budgetSource(vessel),
      settingsFor: (vessel) => linkSettingsSource(vessel),
      guard,
      // A link carries only its vessel's containers, so the sender of every change is that vessel.
      validate: (ctx, changes) =>
        policyValidator(
          stores.registry,
          { id: ctx.key.vessel, role: 'vessel' },
          stores.voyages,
        )(ctx, changes),
      logger,
    })
    const context: RelayContext = {
      ...stores,
      store,
      actors,
      editor,
      linkServer,
      logger,
      costPerMb,
      guard,
      presence,
    }
    linkServer.on('session', (event) => recordVesselBacklog(context, event))
    const metrics = createRelayMetrics(context)

    const app = express()
    app.disable('x-powered-by')
    const routes = Router()
    const apiRoutes = Router()
    app.get('/healthz', (_req, res) => {
      res.json({ ok: true })
    })
    app.get('/metrics', requireMetricsReader(stores.tokens), async (_req, res) => {
      res.type(metrics.registry.contentType).send(await metrics.registry.metrics())
    })
    const integrationLimiter = integrationRateLimit(options.integrationLimits)
    app.use(
      '/api',
      requireUser(stores.tokens, { integrations: true }),
      integrationLimiter,
      express.json({ limit: MAX_BODY_BYTES }),
      integrationGate,
    )
    app.get('/api/openapi.json', (_req, res) => {
      res.json(relayOpenApi())
    })
    app.use('/api/me', meRoutes())
    app.use('/api/vessels/:imo/containers/:id/photos', photoRoutes(context))
    app.use('/api/vessels/:imo/containers/:id/evidence', evidenceRoutes(context))
    app.use('/api/vessels/:imo/containers/:id', containerRoutes(context))
    app.use('/api/vessels/:imo/voyages', voyageRoutes(context))
    app.use('/api/vessels', vesselRoutes(context))
    app.use('/api/containers', searchRoutes(context))
    app.use('/api', apiRoutes)
    app.use('/api', unknownRoute)
    app.use(routes)
    app.use(shoreUiRoutes(options.shoreUiDir))
    app.use(unknownRoute)
    app.use(errorHandler(logger, () => pruneAfterDiskFull(stores.db, logger)))

    const server = options.tls
      ? https.createServer({ cert: options.tls.cert, key: options.tls.key }, app)
      : http.createServer(app)
    const upgradeHandlers = new Map<string, UpgradeHandler>([
      ['/link', (req, socket, head) => linkServer.handleUpgrade(req, socket, head)],
    ])
    server.on('upgrade', (req, socket, head) => routeUpgrade(upgradeHandlers, logger, req, socket, head))

    const revocations = setInterval(() => disconnectRevokedVessels(context), REVOCATION_CHECK_MS)
    revocations.unref()
    const stopRetention = scheduleRetention(
      stores.db,
      options.retentionDays ?? DEFAULT_RETENTION_DAYS,
      logger.child({ component: 'retention' }),
    )

    let closing: Promise<void> | undefined
    const base: RelayCore = {
      url: '',
      port: 0,
      server,
      app,
      routes,
      apiRoutes,
      integrationLimiter,
      upgradeHandlers,
      context,
      store,
      linkServer,
      db: stores.db,
      metrics,
      setBudgetSource: (source) => {
        budgetSource = source
      },
      setLinkSettingsSource: (source) => {
        linkSettingsSource = source
      },
      authenticateUser: (token) => authenticateUser(stores.tokens, token),
      onClose: (fn) => closers.push(fn),
      close: () =>
        (closing ??= (async () => {
          clearInterval(revocations)
          stopRetention()
          for (const fn of closers.reverse()) {
            try {
              await fn()
            } catch (err) {
              logger.warn({ err }, 'relay extension failed to close')
            }
          }
          metrics.close()
          linkServer.close()
          presence.close()
          store.close()
          await new Promise<void>((resolve) => {
            server.close(() => resolve())
            server.closeAllConnections()
          })
          stores.db.close()
          logger.info('relay closed')
        })()),
    }
    const relay: Relay = Object.assign(base, { ops: installOps(base, options.ops) })
    const builtIn = [
      ...(options.sync === false ? [] : [syncEndpoint(options.sync)]),
      ...(options.dcsa === false ? [] : [dcsaEndpoint(options.dcsa)]),
    ]
    for (const extension of [...builtIn, ...(options.extensions ?? [])]) await extension(relay)

    const host = options.host ?? '127.0.0.1'
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(options.port ?? 0, host, () => {
        server.off('error', reject)
        resolve()
      })
    })
    const address = server.address()
    relay.port = typeof address === 'object' && address ? address.port : (options.port ?? 0)
    listeningAs = relayName(relay.port)
    relay.url = `${options.tls ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${relay.port}`
    logger.info(
      {
        url: relay.url,
        ...(options.databaseUrl
          ? { database: redactUrl(options.databaseUrl) }
          : { dataDir: options.dataDir }),
        costPerMb,
      },
      'relay listening',
    )
    return relay
  } catch (err) {
    for (const fn of closers.reverse()) await Promise.resolve(fn()).catch(() => undefined)
    stores.db.close()
    throw err
  }
}

function routeUpgrade(
  handlers: Map<string, UpgradeHandler>,
  logger: Logger,
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
): void {
  let pathname: string
  try {
    pathname = new URL(req.url ?? '/', 'http://relay').pathname
  } catch {
    pathname = ''
  }
  const handler = handlers.get(pathname)
  if (!handler) {
    socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n')
    socket.destroy()
    return
  }
  try {
    handler(req, socket, head)
  } catch (err) {
    logger.warn({ err, path: pathname }, 'WebSocket upgrade failed')
    socket.destroy()
  }
}

/** Keeps the vessel's reported backlog for the fleet view. */
function recordVesselBacklog(ctx: RelayContext, event: LinkSessionEvent): void {
  try {
    if (event.state === 'started') ctx.vessels.setVesselPending(event.vessel, event.pending ?? 0)
    // A completed session moved everything the vessel had when it said hello.
    else if (event.state === 'complete') ctx.vessels.setVesselPending(event.vessel, 0)
  } catch (err) {
    ctx.logger.warn({ err, vessel: event.vessel }, 'could not record vessel backlog')
  }
}

/** Cuts off open links of vessels that no longer hold any live token. */
function disconnectRevokedVessels(ctx: RelayContext): void {
  try {
    for (const vessel of ctx.linkServer.active.keys())
      if (ctx.tokens.list({ kind: 'vessel', subject: vessel }).length === 0) ctx.linkServer.disconnect(vessel)
  } catch (err) {
    ctx.logger.warn({ err }, 'revocation check failed')
  }
}
