/**
 * The relay's `/sync` endpoint as a {@link RelayExtension}: registers the WebSocket upgrade, the
 * Prometheus figures and the shutdown. `createRelay` installs it by default (`sync: false` leaves it
 * out); see docs/shore-sync.md for the protocol as clients see it.
 */
import { Counter, Gauge } from 'prom-client'
import type { Relay, RelayExtension } from '../app.ts'
import { tokenOf } from '../auth.ts'
import { SyncService } from './sync-service.ts'
import type { SyncServiceOptions } from './sync-service.ts'

export { SyncService } from './sync-service.ts'
export type { SyncServiceOptions, VesselAccess } from './sync-service.ts'
export { SyncCloseCode, MAX_SYNC_MESSAGE_BYTES, MAX_WS_PAYLOAD_BYTES } from './close-codes.ts'
export { TALLY_MARKER } from './notices.ts'
export type { RefusedChange } from './change-gate.ts'

/** The path browsers connect to. */
export const SYNC_PATH = '/sync'

/** Relays whose `/sync` service is running, so tests and benchmarks can look inside. */
const services = new WeakMap<Relay, SyncService>()

/** The `/sync` service of a relay, if it has one. */
export function syncServiceOf(relay: Relay): SyncService | undefined {
  return services.get(relay)
}

export function syncEndpoint(options: SyncServiceOptions = {}): RelayExtension {
  return async (relay) => {
    const service = new SyncService(relay.context, relay.authenticateUser, options)
    await service.ready()
    services.set(relay, service)
    relay.upgradeHandlers.set(SYNC_PATH, (req, socket, head) =>
      service.handleUpgrade(req, socket, head, tokenOf(req, { allowQuery: true })),
    )
    registerMetrics(relay, service)
    relay.onClose(() => service.close())
  }
}

function registerMetrics(relay: Relay, service: SyncService): void {
  const registers = [relay.metrics.registry]
  new Gauge({
    name: 'tally_sync_clients',
    help: 'Browsers and other automerge-repo clients connected to /sync',
    registers,
    collect() {
      this.set(service.adapter.sessions.size)
    },
  })
  new Gauge({
    name: 'tally_sync_open_documents',
    help: 'Documents the relay Repo holds in memory for /sync clients',
    registers,
    collect() {
      this.set(service.keeper.stats().open)
    },
  })
  new Gauge({
    name: 'tally_sync_evictions',
    help: 'Idle documents evicted from the relay Repo since start',
    registers,
    collect() {
      this.set(service.keeper.stats().evictions)
    },
  })
  new Counter({
    name: 'tally_sync_changes_total',
    help: 'Changes received over /sync, by outcome',
    labelNames: ['outcome'],
    registers,
    collect() {
      this.reset()
      this.inc({ outcome: 'accepted' }, service.counters.changesAccepted)
      this.inc({ outcome: 'refused' }, service.counters.changesRefused)
    },
  })
  new Counter({
    name: 'tally_sync_closes_total',
    help: 'Sockets on /sync closed, by close code',
    labelNames: ['code'],
    registers,
    collect() {
      this.reset()
      for (const [code, n] of service.counters.closes) this.inc({ code: String(code) }, n)
    },
  })
}
