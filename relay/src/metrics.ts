/**
 * Prometheus metrics (`GET /metrics`): Node's default process metrics plus a few Tally figures. Each
 * relay has its own registry, so several relays can run in one process (tests) without clashing.
 * Gauges are computed when scraped; counters follow the link server's session events.
 */
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client'
import type { LinkSessionEvent } from './link-server.ts'
import type { RelayContext } from './context.ts'

export interface RelayMetrics {
  /** Register further metrics here (the ops dashboard does). */
  registry: Registry
  /** Stops listening to the link server. */
  close(): void
}

export function createRelayMetrics(ctx: RelayContext): RelayMetrics {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry })

  new Gauge({
    name: 'tally_containers',
    help: 'Container documents stored by the relay',
    registers: [registry],
    collect() {
      this.set(ctx.store.index.list({ limit: 0 }).total)
    },
  })
  new Gauge({
    name: 'tally_link_sessions_active',
    help: 'Vessel link sessions open right now',
    registers: [registry],
    collect() {
      this.set(ctx.linkServer.active.size)
    },
  })
  new Gauge({
    name: 'tally_dead_letters_open',
    help: 'Refused changes waiting for an operator',
    registers: [registry],
    collect() {
      this.set(ctx.deadLetters.counts().open)
    },
  })
  const sessions = new Counter({
    name: 'tally_link_sessions_total',
    help: 'Vessel link sessions ended, by outcome',
    labelNames: ['state'],
    registers: [registry],
  })
  const bytes = new Counter({
    name: 'tally_link_bytes_total',
    help: 'Bytes through the vessel link (up = vessel to relay)',
    labelNames: ['direction'],
    registers: [registry],
  })
  const changes = new Counter({
    name: 'tally_link_changes_total',
    help: 'Changes through the vessel link, and changes refused by policy',
    labelNames: ['direction'],
    registers: [registry],
  })

  const onSession = (event: LinkSessionEvent) => {
    if (event.state === 'started') return
    sessions.inc({ state: event.state })
    bytes.inc({ direction: 'up' }, event.stats.bytesUp)
    bytes.inc({ direction: 'down' }, event.stats.bytesDown)
    changes.inc({ direction: 'up' }, event.stats.changesUp)
    changes.inc({ direction: 'down' }, event.stats.changesDown)
    changes.inc({ direction: 'rejected' }, event.stats.rejected)
  }
  ctx.linkServer.on('session', onSession)
  return { registry, close: () => ctx.linkServer.off('session', onSession) }
}
