/**
 * Integration tokens (docs/integrations.md): shore systems such as a customs broker's. A `read`
 * token reads the REST API, the DCSA events and its subscriptions; a `customs` token may also PATCH
 * a container's customs section. Every integration request counts against a per-token rate limit
 * and is refused with 429 RATE_LIMITED beyond it. User tokens are not limited.
 */
import type { RequestHandler } from 'express'
import { rateLimit } from 'express-rate-limit'
import { TallyError } from '@tally/manifest'
import { userOf } from './auth.ts'
import type { RelayUser } from './auth.ts'

/** Requests one integration token may make per window. */
export const INTEGRATION_RATE_LIMIT = 600
export const INTEGRATION_RATE_WINDOW_MS = 60_000

export interface IntegrationLimits {
  /** Requests per window and token; default {@link INTEGRATION_RATE_LIMIT}. */
  limit?: number
  /** Default {@link INTEGRATION_RATE_WINDOW_MS}. */
  windowMs?: number
}

/** The per-token rate limit, applied after authentication; callers without integration skip it. */
export function integrationRateLimit(options: IntegrationLimits = {}): RequestHandler {
  const limit = options.limit ?? INTEGRATION_RATE_LIMIT
  const windowMs = options.windowMs ?? INTEGRATION_RATE_WINDOW_MS
  return rateLimit({
    windowMs,
    limit,
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    skip: (_req, res) => !(res.locals.user as RelayUser | undefined)?.integration,
    keyGenerator: (_req, res) => (res.locals.user as RelayUser).tokenId,
    handler: (_req, res, next) =>
      next(
        new TallyError(
          'RATE_LIMITED',
          `integration ${userOf(res).integration!.name} made more than ${limit} requests in ${windowMs / 1000} s; ` +
            'retry after the number of seconds in the Retry-After header',
        ),
      ),
  })
}

/** `PATCH /api/vessels/:imo/containers/:id`, the one REST write a `customs` integration may make. */
const CONTAINER_PATH = /^\/vessels\/[^/]+\/containers\/[^/]+\/?$/

/**
 * What an integration may call under `/api` (mounted there, after authentication and body parsing):
 * reads, except the operator tools, and for the `customs` scope a PATCH of the customs section.
 */
export const integrationGate: RequestHandler = (req, res, next) => {
  const { integration } = userOf(res)
  if (!integration) return next()
  if (req.path === '/ops' || req.path.startsWith('/ops/'))
    return next(new TallyError('FORBIDDEN', 'integration tokens cannot use the operator tools'))
  if (req.method === 'GET' || req.method === 'HEAD') return next()
  if (req.method === 'PATCH' && CONTAINER_PATH.test(req.path)) {
    if (integration.scope !== 'customs')
      return next(
        new TallyError(
          'FORBIDDEN',
          `integration ${integration.name} has scope read: it may read, not write (a customs scope may PATCH the customs section)`,
        ),
      )
    const body = req.body as unknown
    const keys = typeof body === 'object' && body !== null && !Array.isArray(body) ? Object.keys(body) : []
    const other = keys.find((k) => k !== 'customs')
    if (other)
      return next(
        new TallyError(
          'FORBIDDEN_FIELD',
          `integration ${integration.name} may write the customs section only, not ${other}`,
          other,
        ),
      )
    return next()
  }
  next(
    new TallyError(
      'FORBIDDEN',
      `integration tokens may read; ${req.method} ${req.baseUrl}${req.path} is not open to them`,
    ),
  )
}
