/**
 * The operator tools (docs/architecture.md): the `/ops` dashboard and its `/api/ops` JSON, per-vessel
 * Prometheus metrics, alerts with an optional webhook, daily byte budgets, dead-letter handling and
 * token management. {@link installOps} plugs them into a relay through its extension points; the
 * relay installs them by default.
 */
import { DEFAULT_LINK_SETTINGS } from '@tally/link'
import type { RelayCore } from '../app.ts'
import type { LinkSessionEvent } from '../link-server.ts'
import { registerVesselMetrics } from '../metrics.ts'
import { opsPageRoutes } from './page.ts'
import { opsRoutes } from './routes.ts'
import { ALERT_INTERVAL_MS, OpsServices, USER_SOCKET_CHECK_MS } from './services.ts'
import type { OpsOptions } from './services.ts'

export type { OpsOptions } from './services.ts'
export { OpsServices, DEFAULT_EXPECTED_WINDOW_S } from './services.ts'
export type { Alert, AlertKind, AlertNotification, AlertThresholds } from './alerts.ts'
export type { LinkState, VesselLink, VesselOps } from './fleet-ops.ts'

/** The installed tools, as tests and other components reach them (`relay.ops`). */
export type OpsHandle = OpsServices

/** Wires the operator tools into a relay that is not listening yet. */
export function installOps(relay: RelayCore, options: OpsOptions = {}): OpsHandle {
  const ops = new OpsServices(relay.context, relay.server, () => relay.url, {
    ...options,
    revocationCheckMs: options.revocationCheckMs ?? USER_SOCKET_CHECK_MS,
  })
  relay.setBudgetSource((vessel) => ops.budgets.remaining(vessel))
  relay.setLinkSettingsSource((vessel) => {
    const pacing = ops.settings.get(vessel).linkPacing
    return pacing
      ? { w: [pacing.criticalS, pacing.normalS, pacing.routineS], ka: pacing.keepaliveS }
      : DEFAULT_LINK_SETTINGS
  })
  relay.apiRoutes.use('/ops', opsRoutes(ops))
  relay.routes.use(opsPageRoutes())
  registerVesselMetrics(relay.metrics, () =>
    ops.fleet.snapshot().map((v) => ({
      imo: v.imo,
      lagSeconds: v.lagSeconds,
      failureRate: v.failureRate,
      conflictsLastHour: v.conflicts.lastHour,
      queue: {
        critical: v.pendingToVessel.critical,
        normal: v.pendingToVessel.normal,
        routine: v.pendingToVessel.routine,
        fromVesselDocs: v.pendingFromVessel,
      },
      deadLetters: v.deadLetters,
      budgetRemainingBytes: v.budget.remainingBytes,
      alerts: ops.alertsOf(v.imo),
    })),
  )

  // A session moves the backlog and the counters: the next look must not reuse the old figures.
  const onSession = (event: LinkSessionEvent) => {
    if (event.state === 'started' && event.report) {
      try {
        ops.reports.record(event.vessel, event.report)
      } catch (err) {
        ops.logger.warn({ err, vessel: event.vessel }, 'could not record the vessel’s hello report')
      }
    }
    ops.queue.invalidate(event.vessel)
    // A start changes the link state ("in a session now"); an end moves the counters.
    ops.fleet.invalidate()
  }
  relay.linkServer.on('session', onSession)
  // A connection opening or closing changes the link state (connected, reachable) at once.
  const onConnection = () => ops.fleet.invalidate()
  relay.linkServer.on('connection', onConnection)
  const timer = setInterval(() => ops.evaluateAlerts(), options.alertIntervalMs ?? ALERT_INTERVAL_MS)
  timer.unref()
  relay.onClose(() => {
    clearInterval(timer)
    relay.linkServer.off('session', onSession)
    relay.linkServer.off('connection', onConnection)
    ops.close()
  })
  return ops
}
