/**
 * `/dcsa/tnt/v2`: DCSA Track & Trace 2.2 for shore systems (docs/integrations.md). Events are read
 * with a user or integration token; subscriptions belong to the token's principal. Errors carry both
 * Tally's `{"error": {code, field?, message}}` and DCSA's error fields.
 */
import { randomUUID } from 'node:crypto'
import express, { Router } from 'express'
import type { ErrorRequestHandler, Request, RequestHandler } from 'express'
import type { Logger } from 'pino'
import { httpStatusOf, parseWith, TallyError } from '@tally/manifest'
import type { DcsaEventStore, SubscriptionRecord, SubscriptionStore, TokenStore } from '@tally/storage-sqlite'
import { requireUser, userOf } from '../auth.ts'
import { MAX_BODY_BYTES, toTallyError } from '../http-errors.ts'
import { decodeCursor, encodeCursor } from './cursor.ts'
import type { EventCursor } from './cursor.ts'
import { DCSA_TNT_VERSION } from './derive.ts'
import {
  DEFAULT_EVENT_LIMIT,
  eventFilterOf,
  eventsQuerySchema,
  MAX_EVENT_LIMIT,
  secretBodySchema,
  subscriptionBodySchema,
  subscriptionFiltersSchema,
  subscriptionUpdateSchema,
} from './schemas.ts'
import type { SubscriptionFilters } from './schemas.ts'

/** Where the routes are mounted. */
export const DCSA_BASE = '/dcsa/tnt/v2'
/** Subscriptions one principal may hold. */
export const MAX_SUBSCRIPTIONS_PER_OWNER = 50

export interface DcsaRouteDeps {
  tokens: TokenStore
  events: DcsaEventStore
  subscriptions: SubscriptionStore
  /** Brings the feed up to date before it is read. */
  flush: () => void
  /** New subscription or secret: look for due deliveries now. */
  wake: () => void
  logger: Logger
  /** The relay's per-token limit of integrations (relay/src/integrations.ts). */
  limiter: RequestHandler
}

const FILTER_KEYS = Object.keys(subscriptionFiltersSchema.shape) as (keyof SubscriptionFilters)[]

/** The filters of a body in either form: `{filters: {...}}` or DCSA's fields beside callbackUrl. */
function filtersOf(
  body: Partial<Record<string, unknown>> & { filters?: SubscriptionFilters },
): SubscriptionFilters {
  const out: Record<string, unknown> = { ...body.filters }
  for (const key of FILTER_KEYS) if (body[key] !== undefined) out[key] = body[key]
  return out as SubscriptionFilters
}

function view(s: SubscriptionRecord) {
  return {
    subscriptionID: s.id,
    callbackUrl: s.callbackUrl,
    ...s.filters,
    filters: s.filters,
    createdDateTime: s.createdAt,
    delivery: {
      deliveredEvents: s.deliveredEvents,
      lastDeliveredAt: s.lastDeliveredAt,
      attempts: s.attempts,
      nextAttemptAt: s.nextAttemptAt,
      failingSince: s.failingSince,
      lastError: s.lastError,
    },
  }
}

export function dcsaRoutes(deps: DcsaRouteDeps): Router {
  const router = Router()
  router.use(requireUser(deps.tokens, { integrations: true }), deps.limiter)
  router.use(express.json({ limit: MAX_BODY_BYTES }))
  router.use((_req, res, next) => {
    res.setHeader('API-Version', DCSA_TNT_VERSION)
    next()
  })

  router.get('/events', (req, res) => {
    const query = parseWith(eventsQuerySchema, req.query)
    let cursor: EventCursor
    if (query.cursor !== undefined) {
      cursor = decodeCursor(query.cursor)
      if (query.limit !== undefined) cursor.limit = Math.min(query.limit, MAX_EVENT_LIMIT)
    } else {
      cursor = {
        after: 0,
        limit: Math.min(query.limit ?? DEFAULT_EVENT_LIMIT, MAX_EVENT_LIMIT),
        filter: eventFilterOf(query),
      }
    }
    deps.flush()
    const rows = deps.events.page(cursor.filter, cursor.after, cursor.limit + 1)
    const page = rows.slice(0, cursor.limit)
    if (rows.length > cursor.limit) {
      const next = encodeCursor({ ...cursor, after: page[page.length - 1]!.seq })
      res.setHeader('Next-Page', `${DCSA_BASE}/events?cursor=${next}`)
    }
    res.json(page.map((e) => e.body))
  })

  const ownSubscription = (req: Request<{ id: string }>, owner: string): SubscriptionRecord => {
    const sub = deps.subscriptions.get(req.params.id)
    if (!sub || sub.owner !== owner)
      throw new TallyError('NOT_FOUND', `no subscription ${req.params.id}`, 'subscriptionID')
    return sub
  }

  router.get('/event-subscriptions', (_req, res) => {
    res.json(deps.subscriptions.list(userOf(res).principal).map(view))
  })

  router.post('/event-subscriptions', (req, res) => {
    const body = parseWith(subscriptionBodySchema, req.body)
    const user = userOf(res)
    if (deps.subscriptions.list(user.principal).length >= MAX_SUBSCRIPTIONS_PER_OWNER)
      throw new TallyError(
        'CONFLICT',
        `at most ${MAX_SUBSCRIPTIONS_PER_OWNER} subscriptions per token holder`,
      )
    deps.flush()
    const sub = deps.subscriptions.create({
      id: randomUUID(),
      owner: user.principal,
      callbackUrl: body.callbackUrl,
      secret: body.secret,
      filters: filtersOf(body),
      // A subscription receives what is admitted after it; the past is read with GET /events.
      startAfterSeq: deps.events.lastSeq(),
    })
    deps.logger.info(
      { subscription: sub.id, owner: user.principal, url: sub.callbackUrl },
      'subscription created',
    )
    res.status(201).json(view(sub))
  })

  router.get('/event-subscriptions/:id', (req: Request<{ id: string }>, res) => {
    res.json(view(ownSubscription(req, userOf(res).principal)))
  })

  router.put('/event-subscriptions/:id', (req: Request<{ id: string }>, res) => {
    const sub = ownSubscription(req, userOf(res).principal)
    const body = parseWith(subscriptionUpdateSchema, req.body)
    if (body.subscriptionID !== undefined && body.subscriptionID !== sub.id)
      throw new TallyError('INVALID', 'subscriptionID: must match the URL', 'subscriptionID')
    deps.subscriptions.update(sub.id, { callbackUrl: body.callbackUrl, filters: filtersOf(body) })
    res.json(view(deps.subscriptions.get(sub.id)!))
  })

  router.put('/event-subscriptions/:id/secret', (req: Request<{ id: string }>, res) => {
    const sub = ownSubscription(req, userOf(res).principal)
    const body = parseWith(secretBodySchema, req.body)
    deps.subscriptions.update(sub.id, { secret: body.secret })
    deps.wake()
    res.status(204).end()
  })

  router.delete('/event-subscriptions/:id', (req: Request<{ id: string }>, res) => {
    const sub = ownSubscription(req, userOf(res).principal)
    deps.subscriptions.delete(sub.id)
    res.status(204).end()
  })

  router.use((req, _res, next) =>
    next(new TallyError('NOT_FOUND', `no route ${req.method} ${req.baseUrl}${req.path}`)),
  )
  router.use(dcsaErrorHandler(deps.logger))
  return router
}

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  413: 'Payload Too Large',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  507: 'Insufficient Storage',
}

/** Tally's error shape, plus DCSA's `httpMethod`, `requestUri`, `statusCode`, `errors`... fields. */
function dcsaErrorHandler(logger: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => {
    const tally = toTallyError(err)
    const status = httpStatusOf(tally)
    if (status >= 500) logger.error({ err, method: req.method, url: req.originalUrl }, 'request failed')
    if (res.headersSent) return res.end()
    res.status(status).json({
      ...tally.toJSON(),
      httpMethod: req.method,
      requestUri: req.originalUrl,
      statusCode: status,
      statusCodeText: STATUS_TEXT[status] ?? 'Error',
      errorDateTime: new Date().toISOString(),
      errors: [{ reason: tally.code, message: tally.message }],
    })
  }
}
