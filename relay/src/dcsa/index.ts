/**
 * DCSA Track & Trace 2.2 on the relay (docs/integrations.md): the event feed derived from container
 * histories, `GET /dcsa/tnt/v2/events`, subscriptions with signed push delivery, their place on
 * `/ops` (`GET /api/ops/subscriptions`) and the `callback` alert. Installed by default as a relay
 * extension.
 */
import { Router } from 'express'
import { TallyError } from '@tally/manifest'
import type { Relay, RelayExtension } from '../app.ts'
import { userOf } from '../auth.ts'
import { SubscriptionDelivery } from './delivery.ts'
import type { DeliveryOptions } from './delivery.ts'
import { DcsaIndexer } from './indexer.ts'
import { DCSA_BASE, dcsaRoutes } from './routes.ts'
import { subscriptionFilterOf } from './schemas.ts'
import type { SubscriptionFilters } from './schemas.ts'

export { DCSA_BASE } from './routes.ts'
export { deriveEvents, stableEventId, DCSA_TNT_VERSION } from './derive.ts'
export { deriveTransportEvents } from './transport.ts'
export { notificationSignature } from './delivery.ts'

/** Failed deliveries in a row after which a subscriber's `callback` alert fires. */
export const CALLBACK_ALERT_FAILURES = 5

export interface DcsaOptions {
  delivery?: DeliveryOptions
  /** Default {@link CALLBACK_ALERT_FAILURES}. */
  callbackAlertFailures?: number
}

/** What tests and other parts reach as `relay.dcsa`. */
export interface DcsaHandle {
  indexer: DcsaIndexer
  delivery: SubscriptionDelivery
}

export function dcsaEndpoint(options: DcsaOptions = {}): RelayExtension {
  return (relay: Relay) => {
    const { context: ctx } = relay
    const logger = ctx.logger.child({ component: 'dcsa' })
    const indexer = new DcsaIndexer(ctx.store, ctx.dcsaEvents, logger, ctx.voyages)
    const delivery = new SubscriptionDelivery(ctx.subscriptions, ctx.dcsaEvents, logger, options.delivery)
    indexer.on('indexed', () => delivery.wake())
    relay.routes.use(
      DCSA_BASE,
      dcsaRoutes({
        tokens: ctx.tokens,
        events: ctx.dcsaEvents,
        subscriptions: ctx.subscriptions,
        flush: () => indexer.flush(),
        wake: () => delivery.wake(),
        logger,
        limiter: relay.integrationLimiter,
      }),
    )
    const failures = options.callbackAlertFailures ?? CALLBACK_ALERT_FAILURES
    relay.apiRoutes.use('/ops/subscriptions', subscriptionOpsRoutes(relay, failures))
    relay.ops.alerts.addRule(() =>
      ctx.subscriptions
        .list()
        .filter((s) => s.attempts >= failures)
        .map((s) => ({
          kind: 'callback' as const,
          subject: `subscription ${s.id}`,
          value: s.attempts,
          threshold: failures,
          ...(s.failingSince ? { since: s.failingSince } : {}),
          message: `callback ${callbackHost(s.callbackUrl)} of ${s.owner.replace(/^user:/, '')} failed ${s.attempts} times since ${s.failingSince}: ${s.lastError}`,
        })),
    )
    indexer.start()
    delivery.start()
    relay.dcsa = { indexer, delivery }
    relay.onClose(() => {
      delivery.close()
      indexer.close()
    })
  }
}

/**
 * The host (and port) of a callback: what the dashboard and alerts show, since a subscriber's path
 * or query string may carry a credential of its own.
 */
export function callbackHost(url: string): string {
  try {
    return new URL(url).host
  } catch {
    return '(invalid URL)'
  }
}

/** `GET /api/ops/subscriptions`: every subscription with its delivery state, for ops tokens. */
function subscriptionOpsRoutes(relay: Relay, alertAfter: number): Router {
  const router = Router()
  router.get('/', (_req, res) => {
    const user = userOf(res)
    if (user.role !== 'ops') throw new TallyError('FORBIDDEN', 'the operator tools need an ops token')
    res.json(
      relay.context.subscriptions.list().map((s) => ({
        subscriptionID: s.id,
        owner: s.owner.replace(/^user:/, ''),
        callbackUrl: s.callbackUrl,
        callbackHost: callbackHost(s.callbackUrl),
        filters: s.filters,
        createdAt: s.createdAt,
        deliveredEvents: s.deliveredEvents,
        lastDeliveredAt: s.lastDeliveredAt,
        attempts: s.attempts,
        nextAttemptAt: s.nextAttemptAt,
        failingSince: s.failingSince,
        lastError: s.lastError,
        eventsAdmittedSince: relay.context.dcsaEvents.lastSeq() - s.deliveredSeq,
        // Matching events not yet delivered (the subscription's own filters).
        backlog: relay.context.dcsaEvents.count(
          subscriptionFilterOf(s.filters as SubscriptionFilters),
          s.deliveredSeq,
        ),
        state: s.attempts >= alertAfter ? 'alerting' : s.attempts > 0 ? 'failing' : 'ok',
      })),
    )
  })
  return router
}
