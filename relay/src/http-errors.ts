/**
 * Every HTTP error leaves through {@link errorHandler}, in the contract's shape
 * `{"error": {"code", "field"?, "message"}}`. Library errors are TallyErrors already; body-parser,
 * disk-full and unexpected errors are translated here, once.
 */
import type { ErrorRequestHandler, RequestHandler } from 'express'
import type { Logger } from 'pino'
import { httpStatusOf, TallyError } from '@tally/manifest'
import { DatabaseUnavailableError, DiskFullError } from '@tally/storage-sqlite'

/** Largest JSON body the REST API accepts. */
export const MAX_BODY_BYTES = 1024 * 1024

/** Translates anything thrown by a route into a TallyError. */
export function toTallyError(err: unknown): TallyError {
  if (err instanceof TallyError) return err
  if (err instanceof DiskFullError) return new TallyError('DISK_FULL', err.message)
  if (err instanceof DatabaseUnavailableError) return new TallyError('UNAVAILABLE', err.message)
  const e = err as { type?: string; status?: number; message?: string }
  if (e?.type === 'entity.too.large')
    return new TallyError('PAYLOAD_TOO_LARGE', `the body is larger than ${MAX_BODY_BYTES} bytes`, 'body')
  if (e?.type === 'entity.parse.failed') return new TallyError('INVALID', 'body: is not valid JSON', 'body')
  if (typeof e?.status === 'number' && e.status >= 400 && e.status < 500)
    return new TallyError('INVALID', e.message ?? 'bad request', 'body')
  return new TallyError('INTERNAL', 'internal error')
}

/** The one error middleware: logs server faults and answers in the contract shape. */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => {
    const tally = toTallyError(err)
    const status = httpStatusOf(tally)
    if (status >= 500) logger.error({ err, method: req.method, url: req.originalUrl }, 'request failed')
    if (res.headersSent) return res.end()
    res.status(status).json(tally.toJSON())
  }
}

/** 404 NOT_FOUND for API paths that match no route. */
export const unknownRoute: RequestHandler = (req, _res, next) =>
  next(new TallyError('NOT_FOUND', `no route ${req.method} ${req.path}`))
