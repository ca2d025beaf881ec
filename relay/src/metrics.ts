/**
 * Prometheus metrics (`GET /metrics`): Node's default process metrics plus Tally figures. Each
 * relay has its own registry, so several relays can run in one process (tests) without clashing.
 * Gauges are computed when scraped; counters and histograms follow the link server's session events.
 *
 * Per vessel (label `vessel`): `sync_lag_seconds`, `sync_failure_rate`, `conflict_rate`,
 * `queue_depth`, `payload_size_bytes`, `sync_duration_seconds`, `dead_letters`,
 * `refused_changes_total`, `sync_sessions_total`, `budget_remaining_bytes`,
 * `budget_limited_sessions_total` and `alerts_firing`. The
 * gauges read a {@link VesselFiguresSource} (the operator tools' fleet snapshot).
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client'
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

  const perVessel = vesselSessionMetrics(registry)

  const onSession = (event: LinkSessionEvent) => {
    if (event.state === 'started') return
    perVessel.observe(event, ctx.sessions.get(event.session)?.durationMs ?? null)
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

/** Histogram buckets of a session's bytes one way: an idle session (~300 B) up to a 21-day backlog. */
const PAYLOAD_BUCKETS = [1e3, 1e4, 3e4, 1e5, 3e5, 1e6, 3e6, 1e7, 3e7]
/** Seconds: an idle round trip up to a long backlog over 128 kbit/s. */
const DURATION_BUCKETS = [0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800]

/** Per-vessel histograms and counters fed by session events. */
function vesselSessionMetrics(registry: Registry) {
  const payload = new Histogram({
    name: 'payload_size_bytes',
    help: 'Bytes moved by one link session, per vessel and direction (up = vessel to relay)',
    labelNames: ['vessel', 'direction'],
    buckets: PAYLOAD_BUCKETS,
    registers: [registry],
  })
  const duration = new Histogram({
    name: 'sync_duration_seconds',
    help: 'Duration of link sessions, per vessel and outcome',
    labelNames: ['vessel', 'outcome'],
    buckets: DURATION_BUCKETS,
    registers: [registry],
  })
  const refused = new Counter({
    name: 'refused_changes_total',
    help: 'Changes from a vessel refused by policy (kept as dead letters)',
    labelNames: ['vessel'],
    registers: [registry],
  })
  const outcomes = new Counter({
    name: 'sync_sessions_total',
    help: 'Link sessions ended, per vessel and outcome',
    labelNames: ['vessel', 'outcome'],
    registers: [registry],
  })
  const limited = new Counter({
    name: 'budget_limited_sessions_total',
    help: "Link sessions in which the vessel's daily budget held the relay's normal or routine changes back",
    labelNames: ['vessel'],
    registers: [registry],
  })
  return {
    observe(event: LinkSessionEvent, durationMs: number | null) {
      const vessel = event.vessel
      payload.observe({ vessel, direction: 'up' }, event.stats.bytesUp)
      payload.observe({ vessel, direction: 'down' }, event.stats.bytesDown)
      if (durationMs !== null) duration.observe({ vessel, outcome: event.state }, durationMs / 1000)
      refused.inc({ vessel }, event.stats.rejected)
      outcomes.inc({ vessel, outcome: event.state })
      // Created at 0 for every vessel that synced, so a rate over it needs no special case.
      limited.inc({ vessel }, event.budget?.budgetLimited ? 1 : 0)
    },
  }
}

/** What the per-vessel gauges need, per vessel, at scrape time. */
export interface VesselFigures {
  imo: string
  /** Seconds since the last completed sync; null if it never synced (the gauge is then absent). */
  lagSeconds: number | null
  /** Failed share of the sessions that ended in the last 24 h; null with none. */
  failureRate: number | null
  /** New conflicts in the last hour. */
  conflictsLastHour: number
  /** Changes waiting at the relay for the vessel, by class, and documents the vessel reported. */
  queue: { critical: number; normal: number; routine: number; fromVesselDocs: number }
  deadLetters: { open: number; retried: number; discarded: number }
  /** Bytes left today, or null without a budget. */
  budgetRemainingBytes: number | null
  /** Kinds of the alerts firing for the vessel. */
  alerts: string[]
}

export type VesselFiguresSource = () => VesselFigures[]

/** Registers the per-vessel gauges; they call `source` once per scrape (it should be cached). */
export function registerVesselMetrics(metrics: RelayMetrics, source: VesselFiguresSource): void {
  const registry = metrics.registry
  let scrape: { at: number; figures: VesselFigures[] } | undefined
  // Every gauge's collect runs in the same scrape: read the source once per scrape, not per gauge.
  const figures = () => {
    if (!scrape || Date.now() - scrape.at > 1_000) scrape = { at: Date.now(), figures: source() }
    return scrape.figures
  }
  const gauge = (
    name: string,
    help: string,
    labelNames: string[],
    fill: (g: Gauge, v: VesselFigures) => void,
  ) =>
    new Gauge({
      name,
      help,
      labelNames,
      registers: [registry],
      collect() {
        this.reset()
        for (const v of figures()) fill(this, v)
      },
    })
  gauge('sync_lag_seconds', 'Seconds since the vessel last completed a sync', ['vessel'], (g, v) => {
    if (v.lagSeconds !== null) g.set({ vessel: v.imo }, v.lagSeconds)
  })
  gauge(
    'sync_failure_rate',
    'Failed share (0-1) of the link sessions that ended in the last 24 h',
    ['vessel'],
    (g, v) => {
      if (v.failureRate !== null) g.set({ vessel: v.imo }, v.failureRate)
    },
  )
  gauge('conflict_rate', 'New conflicts per hour (counted over the last hour)', ['vessel'], (g, v) =>
    g.set({ vessel: v.imo }, v.conflictsLastHour),
  )
  gauge(
    'queue_depth',
    'Changes waiting to cross the link: to_vessel by priority (changes), from_vessel (documents, as reported)',
    ['vessel', 'direction', 'priority'],
    (g, v) => {
      for (const priority of ['critical', 'normal', 'routine'] as const)
        g.set({ vessel: v.imo, direction: 'to_vessel', priority }, v.queue[priority])
      g.set({ vessel: v.imo, direction: 'from_vessel', priority: 'unknown' }, v.queue.fromVesselDocs)
    },
  )
  gauge('dead_letters', 'Refused changes kept for operators, by status', ['vessel', 'status'], (g, v) => {
    for (const status of ['open', 'retried', 'discarded'] as const)
      g.set({ vessel: v.imo, status }, v.deadLetters[status])
  })
  gauge(
    'budget_remaining_bytes',
    "Bytes left in the vessel's daily budget (vessels with a budget)",
    ['vessel'],
    (g, v) => {
      if (v.budgetRemainingBytes !== null) g.set({ vessel: v.imo }, v.budgetRemainingBytes)
    },
  )
  gauge('alerts_firing', 'Alerts firing now, per vessel and kind', ['vessel', 'kind'], (g, v) => {
    for (const kind of v.alerts) g.set({ vessel: v.imo, kind }, 1)
  })
}
