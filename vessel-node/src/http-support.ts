/**
 * The HTTP plumbing shared by the vessel node's routes: crew authentication, the one mapping from
 * errors to the contract's `{"error": {code, field?, message}}` bodies, and disk-full recovery.
 */
import type { NextFunction, Request, Response } from 'express'
import type Database from 'better-sqlite3'
import type { Logger } from 'pino'
import { httpStatusOf, TallyError } from '@tally/manifest'
import { DiskFullError, withDiskFullRecovery } from '@tally/storage-sqlite'
import type { TokenStore } from '@tally/storage-sqlite'

/** Largest JSON body the API accepts; a container patch is a few hundred bytes. */
export const JSON_BODY_LIMIT = '256kb'
/** Sync sessions older than this are pruned when the disk is full (they are accounting, not data). */
export const PRUNE_SYNC_LOGS_OLDER_THAN_DAYS = 7

export interface CrewIdentity {
  user: string
  tokenId: string
}

/** The authenticated crew member of a request (set by {@link crewAuth}). */
export function crewOf(res: Response): CrewIdentity {
  return res.locals.crew as CrewIdentity
}

/** The bearer token of a request; `?token=` is accepted too because EventSource cannot set headers. */
function tokenOf(req: Request, allowQuery: boolean): string | null {
  const header = req.get('authorization')
  const match = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null
  if (match) return match[1]!
  if (allowQuery && typeof req.query.token === 'string') return req.query.token
  return null
}

/** Requires a valid crew token; anything else is 401 UNAUTHORIZED. */
export function crewAuth(tokens: TokenStore, options: { allowQueryToken?: boolean } = {}) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const token = tokenOf(req, options.allowQueryToken ?? false)
    const record = token ? tokens.verify(token, 'crew') : null
    if (!record) {
      next(
        new TallyError(
          'UNAUTHORIZED',
          token
            ? 'This crew token is not valid or has been revoked.'
            : 'A crew token is required (Authorization: Bearer TOKEN).',
        ),
      )
      return
    }
    res.locals.crew = { user: record.subject, tokenId: record.id } satisfies CrewIdentity
    next()
  }
}

/** Sends a contract error body. */
export function sendError(res: Response, err: TallyError): void {
  res.status(httpStatusOf(err)).json(err.toJSON())
}

/** Turns any thrown error into a contract error body; unexpected ones are logged, never shown. */
export function errorHandler(logger: Logger) {
  return (err: unknown, req: Request, res: Response, _next: NextFunction): void => {
    if (res.headersSent) {
      res.end()
      return
    }
    const e = err as { type?: string; status?: number; message?: string; limit?: number }
    if (err instanceof TallyError) return sendError(res, err)
    if (err instanceof DiskFullError) return sendError(res, new TallyError('DISK_FULL', err.message))
    if (e?.type === 'entity.too.large')
      return sendError(
        res,
        new TallyError(
          'PAYLOAD_TOO_LARGE',
          `The request body is larger than ${e.limit ? `${e.limit} bytes` : JSON_BODY_LIMIT}.`,
        ),
      )
    if (e?.type === 'entity.parse.failed')
      return sendError(
        res,
        new TallyError('INVALID', `The request body is not valid JSON: ${e.message ?? ''}`.trim(), 'body'),
      )
    if (typeof e?.status === 'number' && e.status >= 400 && e.status < 500)
      return sendError(res, new TallyError('INVALID', e.message ?? 'bad request'))
    logger.error({ err, method: req.method, path: req.path }, 'request failed')
    sendError(
      res,
      new TallyError(
        'INTERNAL',
        'The vessel node hit an internal error; the change was not saved. Try again.',
      ),
    )
  }
}

/**
 * Runs a write; if the disk is full it prunes old sync logs and tries once more, then gives up with
 * a {@link DiskFullError} (answered as 507 DISK_FULL). SQLite rolled the failed write back, so
 * nothing is half-written.
 */
export function diskGuard(db: Database.Database, logger: Logger) {
  return <T>(operation: string, fn: () => T): T =>
    withDiskFullRecovery(db, operation, fn, { keepDays: PRUNE_SYNC_LOGS_OLDER_THAN_DAYS, logger })
}
