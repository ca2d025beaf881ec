/**
 * Every HTTP error leaves through {@link errorHandler}, in the contract's shape
 * `{"error": {"code", "field"?, "message"}}`. Library errors are TallyErrors already; body-parser,
 * disk-full and unexpected errors are translated here, once.
 */
import type { ErrorRequestHandler, RequestHandler } from 'express'
import type { Logger } from 'pino'
import { httpStatusOf, TallyError } from '@tally/manifest'
import { DiskFullError, isSqliteFullError } from '@tally/storage-sqlite'

/** Largest JSON body the REST API accepts. */
export const MAX_BODY_BYTES = 1024 * 1024

/** Translates anything thrown by a route into a TallyError. */
export function toTallyError(err: unknown): TallyError {
  if (err instanceof TallyError) return err
  if (err instanceof DiskFullError) return new TallyError('DISK_FULL', err.message)
  if (isSqliteFullError(err))
    return new TallyError(
      'DISK_FULL',
      'disk full: the relay could not store this; nothing was half-written. Free disk space and retry.',
    )
  const e = err as { type?: string; status?: number; message?: string }
  if (e?.type === 'entity.too.large')
    return new TallyError('PAYLOAD_TOO_LARGE', `the body is larger than ${MAX_BODY_BYTES} bytes`, 'body')
  if (e?.type === 'entity.parse.failed') return new TallyError('INVALID', 'body: is not valid JSON', 'body')
  if (typeof e?.status === 'number' && e.status >= 400 && e.status < 500)
    return new TallyError('INVALID', e.message ?? 'bad request', 'body')
  return new TallyError('INTERNAL', 'internal error')
}

/**
 * The one error middleware: logs server faults and answers in the contract shape. On a full disk
 * that no guard handled, `onDiskFull` makes room (old session logs) so the client's retry can work.
 */
export function errorHandler(logger: Logger, onDiskFull?: () => void): ErrorRequestHandler {
  return (err, req, res, _next) => {
    const tally = toTallyError(err)
    if (tally.code === 'DISK_FULL' && !(err instanceof DiskFullError)) onDiskFull?.()
    const status = httpStatusOf(tally)
    if (status >= 500) logger.error({ err, method: req.method, url: req.originalUrl }, 'request failed')
    if (res.headersSent) return res.end()
    res.status(status).json(tally.toJSON())
  }
}

/** 404 NOT_FOUND for API paths that match no route. */
export const unknownRoute: RequestHandler = (req, _res, next) =>
  next(new TallyError('NOT_FOUND', `no route ${req.method} ${req.path}`))
