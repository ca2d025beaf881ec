/**
 * Parsing of URL parameters and list queries. A bad value is refused with 400 INVALID naming the
 * parameter, rather than silently ignored, so an integration learns at once that its filter is wrong.
 */
import {
  CONDITIONS,
  CUSTOMS_STATUSES,
  iso6346Problem,
  PHYSICAL_STATES,
  TallyError,
  invalid,
  parseWith,
  queryParam,
} from '@tally/manifest'
import { LIST_SORT_KEYS, MAX_LIST_LIMIT } from '@tally/replica'
import type { ListQuery } from '@tally/replica'
import { z } from 'zod'
import { IMO_PATTERN } from './vessels.ts'

/** Page size when the query names none. */
export const DEFAULT_LIST_LIMIT = 100

const SORT_KEYS = LIST_SORT_KEYS
const BOOLEAN_FILTERS = ['reefer', 'dg', 'alarm', 'conflict', 'exception', 'booked'] as const

/** A vessel IMO from a URL. */
export function parseImo(value: string): string {
  if (!IMO_PATTERN.test(value)) throw invalid('imo', 'must be IMO followed by 7 digits, e.g. IMO9811000')
  return value
}

/** A container number from a URL: upper-cased, then checked (shape and ISO 6346 check digit). */
export function parseContainerId(value: string): string {
  const id = value.toUpperCase()
  const problem = iso6346Problem(id)
  if (problem) throw invalid('containerId', problem)
  return id
}

const param = queryParam

const oneOf = (allowed: readonly string[]) =>
  param((v) => allowed.includes(v), `must be one of ${allowed.join(', ')}`)
const flag = () => param((v) => v === 'true' || v === 'false', 'must be true or false')
const count = () => param((v) => /^\d{1,9}$/.test(v), 'must be a non-negative integer')
const isTime = (v: string) => !Number.isNaN(Date.parse(v)) && /^\d{4}-\d{2}-\d{2}/.test(v)

/**
 * The list query of `GET .../containers` (docs/api.md): filters, sort and paging, as one zod schema
 * that validates requests and describes them in `/api/openapi.json`. `limit` defaults to 100; a
 * larger one than 1000 is capped at 1000, as the contract says it "goes up to 1000". Parameters it
 * does not know (a cache buster, say) are ignored.
 */
export const listQuerySchema = z
  .object({
    q: param((v) => v.length <= 64, 'must be at most 64 characters'),
    state: oneOf(PHYSICAL_STATES),
    customs: oneOf(CUSTOMS_STATUSES),
    condition: oneOf(CONDITIONS),
    reefer: flag(),
    dg: flag(),
    alarm: flag(),
    conflict: flag(),
    exception: flag(),
    booked: flag(),
    voyage: param((v) => /^[A-Z0-9]{1,10}$/.test(v), 'must be 1–10 letters or digits'),
    bay: param((v) => /^\d{3}$/.test(v), 'must be 3 digits, e.g. 012'),
    seal: param((v) => v === 'broken' || v === 'intact', 'must be broken or intact'),
    pod: param(
      (v) => /^[A-Z]{2}[A-Z2-9]{3}$/.test(v.toUpperCase()),
      'must be a UN/LOCODE such as CNSHA or USLAX',
    ),
    since: param(isTime, 'must be an ISO 8601 time such as 2026-12-04T00:00:00Z'),
    sort: param(
      (v) => SORT_KEYS.includes(v.replace(/^-/, '')),
      `must be one of ${SORT_KEYS.join(', ')}, optionally prefixed with -`,
    ),
    limit: count(),
    offset: count(),
  })
  .transform((p): ListQuery & { limit: number; offset: number } => {
    const out: ListQuery & { limit: number; offset: number } = {
      limit: Math.min(p.limit === undefined ? DEFAULT_LIST_LIMIT : Number(p.limit), MAX_LIST_LIMIT),
      offset: p.offset === undefined ? 0 : Number(p.offset),
    }
    if (p.q !== undefined) out.q = p.q
    if (p.state !== undefined) out.state = p.state
    if (p.customs !== undefined) out.customs = p.customs
    if (p.condition !== undefined) out.condition = p.condition
    for (const name of BOOLEAN_FILTERS) if (p[name] !== undefined) out[name] = p[name] === 'true'
    if (p.bay !== undefined) out.bay = p.bay
    if (p.voyage !== undefined) out.voyage = p.voyage
    if (p.seal !== undefined) out.seal = p.seal as 'broken' | 'intact'
    if (p.pod !== undefined) out.pod = p.pod.toUpperCase()
    if (p.since !== undefined) out.since = new Date(Date.parse(p.since)).toISOString()
    if (p.sort !== undefined) out.sort = p.sort
    return out
  })
  .meta({ description: 'Filters, sort and paging of docs/api.md' })

/** {@link listQuerySchema} applied to a request's query. */
export function parseListQuery(
  query: Record<string, unknown>,
): ListQuery & { limit: number; offset: number } {
  return parseWith(listQuerySchema, query)
}

/** Rejects a request body that is not a JSON object (or array, when `array` is set). */
export function requireJsonBody(body: unknown, shape: 'object' | 'array'): void {
  const ok =
    shape === 'array'
      ? Array.isArray(body)
      : typeof body === 'object' && body !== null && !Array.isArray(body)
  if (!ok)
    throw new TallyError(
      'INVALID',
      `body: must be a JSON ${shape} sent with Content-Type: application/json`,
      'body',
    )
}
