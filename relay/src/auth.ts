/**
 * Who is calling: user tokens (roles shore, customs, ops) authenticate every REST call and the
 * browsers' `/sync` socket. Tokens are verified against their SHA-256 hash on every request, so a
 * token revoked from the CLI stops working at once, even while the relay runs.
 */
import type { IncomingMessage } from 'node:http'
import type { RequestHandler, Response } from 'express'
import { TallyError } from '@tally/manifest'
import type { ShoreRole } from '@tally/manifest'
import type { TokenStore } from '@tally/storage-sqlite'

/** The roles a user token can carry. */
export const SHORE_ROLES: readonly ShoreRole[] = ['shore', 'customs', 'ops']

/** User names: what follows `user:` in a principal ID, so no spaces or colons. */
export const USER_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/

/** An authenticated shore user. */
export interface RelayUser {
  /** The user name, e.g. `alice`. */
  name: string
  role: ShoreRole
  /** The principal ID that actor bindings and the audit trail name: `user:<name>`. */
  principal: string
  tokenId: string
  /** Set for an integration token (a customs broker's system, say): its name and scope. */
  integration?: { name: string; scope: IntegrationScope }
}

/** What an integration token may do: `read` reads; `customs` may also write the customs section. */
export type IntegrationScope = 'read' | 'customs'
export const INTEGRATION_SCOPES: readonly IntegrationScope[] = ['read', 'customs']
export const isIntegrationScope = (s: unknown): s is IntegrationScope =>
  INTEGRATION_SCOPES.includes(s as IntegrationScope)

/**
 * The principal of an integration: a user principal whose name holds a colon, which no user name
 * can, so it never collides with a person. History names it `integration:<name>`.
 */
export const integrationPrincipal = (name: string): string => `user:integration:${name}`

export const userPrincipal = (name: string): string => `user:${name}`

export const isShoreRole = (role: unknown): role is ShoreRole => SHORE_ROLES.includes(role as ShoreRole)

/** The user a token belongs to, or null for a missing, unknown, revoked or non-user token. */
export function authenticateUser(tokens: TokenStore, token: string | undefined | null): RelayUser | null {
  if (!token) return null
  const record = tokens.verify(token, 'user')
  if (!record || !isShoreRole(record.role)) return null
  return {
    name: record.subject,
    role: record.role,
    principal: userPrincipal(record.subject),
    tokenId: record.id,
  }
}

/**
 * The caller behind a REST token: a shore user, or an integration. An integration writes with the
 * customs role (the section its `customs` scope may write); what it may call at all is decided by
 * {@link integrationGate}.
 */
export function authenticateCaller(tokens: TokenStore, token: string | undefined | null): RelayUser | null {
  if (!token) return null
  const record = tokens.verify(token)
  if (!record) return null
  if (record.kind === 'user') return authenticateUser(tokens, token)
  if (record.kind !== 'integration' || !isIntegrationScope(record.role)) return null
  return {
    name: `integration:${record.subject}`,
    role: 'customs',
    principal: integrationPrincipal(record.subject),
    tokenId: record.id,
    integration: { name: record.subject, scope: record.role },
  }
}

/** The bearer token of a request (`Authorization: Bearer …`), or `?token=` for WebSocket upgrades. */
export function tokenOf(req: IncomingMessage, options: { allowQuery?: boolean } = {}): string | undefined {
  const header = req.headers.authorization
  const match = typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null
  if (match) return match[1]
  if (options.allowQuery && req.url) {
    const token = new URL(req.url, 'http://relay').searchParams.get('token')
    if (token) return token
  }
  return undefined
}

/**
 * Middleware: 401 UNAUTHORIZED unless the request carries a valid user token (or, with
 * `integrations`, an integration token).
 */
export function requireUser(tokens: TokenStore, options: { integrations?: boolean } = {}): RequestHandler {
  return (req, res, next) => {
    const token = tokenOf(req)
    const user = options.integrations ? authenticateCaller(tokens, token) : authenticateUser(tokens, token)
    if (!user)
      return next(
        new TallyError(
          'UNAUTHORIZED',
          `a valid ${options.integrations ? 'user or integration' : 'user'} token is required (Authorization: Bearer TOKEN)`,
        ),
      )
    res.locals.user = user
    next()
  }
}

/** The user {@link requireUser} authenticated. */
export function userOf(res: Response): RelayUser {
  return res.locals.user as RelayUser
}

/**
 * The role of a scrape token: a user token that reads `/metrics` and nothing else. It is not a shore
 * role, so {@link authenticateUser} refuses it everywhere else.
 */
export const SCRAPE_ROLE = 'metrics'

/**
 * Middleware for `/metrics`: an ops user token or a scrape token (`relay add-scrape-token`), since
 * the figures name every vessel and its traffic. 401 without a valid token, 403 for other roles.
 */
export function requireMetricsReader(tokens: TokenStore): RequestHandler {
  return (req, _res, next) => {
    const token = tokenOf(req)
    const record = token ? tokens.verify(token, 'user') : null
    if (record?.role === SCRAPE_ROLE || record?.role === 'ops') return next()
    if (record)
      return next(
        new TallyError(
          'FORBIDDEN',
          `/metrics needs an ops or scrape token; ${record.subject} has role ${record.role}`,
        ),
      )
    next(
      new TallyError(
        'UNAUTHORIZED',
        '/metrics needs an ops or scrape token (Authorization: Bearer TOKEN; relay add-scrape-token issues one)',
      ),
    )
  }
}
