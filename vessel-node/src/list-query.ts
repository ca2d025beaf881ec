/**
 * Parses `GET /api/containers` query strings into the container index's ListQuery, refusing bad
 * values with 400 INVALID naming the parameter (an unknown state silently matching nothing would
 * look like an empty ship). Unknown parameters are ignored, so cache-busters do no harm. One zod
 * schema validates and describes the query (`/api/openapi.json`).
 */
import { z } from 'zod'
import { CONDITIONS, CUSTOMS_STATUSES, parseWith, PHYSICAL_STATES, queryParam } from '@tally/manifest'
import { MAX_LIST_LIMIT } from '@tally/replica'
import type { ListQuery } from '@tally/replica'

export const DEFAULT_LIST_LIMIT = 100
const MAX_QUERY_LENGTH = 100
const SORT_KEYS = ['containerId', 'stowage', 'state', 'updated']

const param = queryParam

const oneOf = (allowed: readonly string[]) =>
  param((v) => allowed.includes(v.toUpperCase()), `must be one of ${allowed.join(', ')}`).transform((v) =>
    v?.toUpperCase(),
  )
const flag = () =>
  param((v) => ['true', '1', 'false', '0'].includes(v), 'must be true or false').transform((v) =>
    v === undefined ? undefined : v === 'true' || v === '1',
  )
const count = () =>
  param((v) => /^\d{1,9}$/.test(v), 'must be a whole number, 0 or more').transform((v) =>
    v === undefined ? undefined : Number(v),
  )

export const listQuerySchema = z
  .object({
    q: z
      .string({ error: 'must be given once, as a plain value' })
      .transform((v) => v.trim())
      .refine((v) => v.length <= MAX_QUERY_LENGTH, {
        error: `must be at most ${MAX_QUERY_LENGTH} characters`,
      })
      .optional(),
    state: oneOf(PHYSICAL_STATES),
    customs: oneOf(CUSTOMS_STATUSES),
    condition: oneOf(CONDITIONS),
    bay: param((v) => /^\d{3}$/.test(v), 'must be 3 digits, e.g. 012'),
    reefer: flag(),
    dg: flag(),
    alarm: flag(),
    conflict: flag(),
    booked: flag(),
    // `current` is resolved by the route to the current voyage (routes-containers.ts).
    voyage: param(
      (v) => v === 'current' || /^[A-Z0-9]{1,10}$/.test(v.toUpperCase()),
      'must be 1–10 letters or digits, or current',
    ).transform((v) => (v === undefined || v === 'current' ? v : v.toUpperCase())),
    pod: param(
      (v) => /^[A-Z]{2}[A-Z2-9]{3}$/.test(v.toUpperCase()),
      'must be a UN/LOCODE such as USLAX',
    ).transform((v) => v?.toUpperCase()),
    sort: param(
      (v) => SORT_KEYS.includes(v.replace(/^-/, '')),
      `must be one of ${SORT_KEYS.join(', ')}, optionally prefixed with -`,
    ),
    limit: count(),
    offset: count(),
  })
  .meta({ description: 'Filters, sort and paging of docs/api.md' })

/** The index query for a request on vessel `vessel`. */
export function parseListQuery(query: Record<string, unknown>, vessel: string): ListQuery {
  const p = parseWith(listQuerySchema, query)
  return {
    vessel,
    voyage: p.voyage,
    pod: p.pod,
    booked: p.booked,
    q: p.q || undefined,
    state: p.state,
    customs: p.customs,
    condition: p.condition,
    bay: p.bay,
    reefer: p.reefer,
    dg: p.dg,
    alarm: p.alarm,
    conflict: p.conflict,
    sort: p.sort,
    // Above the maximum is answered with the maximum: "limit goes up to 1000".
    limit: Math.min(p.limit ?? DEFAULT_LIST_LIMIT, MAX_LIST_LIMIT),
    offset: p.offset ?? 0,
  }
}
