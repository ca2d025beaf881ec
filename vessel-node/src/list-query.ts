/**
 * Parses `GET /api/containers` query strings into the container index's ListQuery, refusing bad
 * values with 400 INVALID naming the parameter (an unknown state silently matching nothing would
 * look like an empty ship). Unknown parameters are ignored, so cache-busters do no harm.
 */
import { CONDITIONS, CUSTOMS_STATUSES, invalid, PHYSICAL_STATES } from '@tally/manifest'
import { MAX_LIST_LIMIT } from '@tally/replica'
import type { ListQuery } from '@tally/replica'

export const DEFAULT_LIST_LIMIT = 100
const MAX_QUERY_LENGTH = 100
const SORT_KEYS = ['containerId', 'stowage', 'state', 'updated']

function single(query: Record<string, unknown>, name: string): string | undefined {
  const value = query[name]
  if (value === undefined) return undefined
  if (typeof value !== 'string') throw invalid(name, 'must be given once, as a plain value')
  return value
}

function oneOf(query: Record<string, unknown>, name: string, allowed: readonly string[]): string | undefined {
  const value = single(query, name)
  if (value === undefined || value === '') return undefined
  const upper = value.toUpperCase()
  if (!allowed.includes(upper)) throw invalid(name, `must be one of ${allowed.join(', ')}`)
  return upper
}

function flag(query: Record<string, unknown>, name: string): boolean | undefined {
  const value = single(query, name)
  if (value === undefined || value === '') return undefined
  if (value === 'true' || value === '1') return true
  if (value === 'false' || value === '0') return false
  throw invalid(name, 'must be true or false')
}

function count(query: Record<string, unknown>, name: string): number | undefined {
  const value = single(query, name)
  if (value === undefined || value === '') return undefined
  if (!/^\d{1,9}$/.test(value)) throw invalid(name, 'must be a whole number, 0 or more')
  return Number(value)
}

/** The index query for a request on vessel `vessel`. */
export function parseListQuery(query: Record<string, unknown>, vessel: string): ListQuery {
  const q = single(query, 'q')?.trim()
  if (q !== undefined && q.length > MAX_QUERY_LENGTH)
    throw invalid('q', `must be at most ${MAX_QUERY_LENGTH} characters`)
  const bay = single(query, 'bay')
  if (bay !== undefined && bay !== '' && !/^\d{3}$/.test(bay))
    throw invalid('bay', 'must be 3 digits, e.g. 012')
  const sort = single(query, 'sort')
  if (sort !== undefined && sort !== '' && !SORT_KEYS.includes(sort.replace(/^-/, '')))
    throw invalid('sort', `must be one of ${SORT_KEYS.join(', ')}, optionally prefixed with -`)
  const limit = count(query, 'limit')
  const rawVoyage = single(query, 'voyage')
  // `current` is resolved by the route to the current voyage (routes-containers.ts).
  const voyage = rawVoyage === 'current' ? rawVoyage : rawVoyage?.toUpperCase()
  if (voyage && voyage !== 'current' && !/^[A-Z0-9]{1,10}$/.test(voyage))
    throw invalid('voyage', 'must be 1–10 letters or digits, or current')
  const pod = single(query, 'pod')?.toUpperCase()
  if (pod && !/^[A-Z]{2}[A-Z2-9]{3}$/.test(pod)) throw invalid('pod', 'must be a UN/LOCODE such as USLAX')
  return {
    vessel,
    voyage: voyage || undefined,
    pod: pod || undefined,
    booked: flag(query, 'booked'),
    q: q || undefined,
    state: oneOf(query, 'state', PHYSICAL_STATES),
    customs: oneOf(query, 'customs', CUSTOMS_STATUSES),
    condition: oneOf(query, 'condition', CONDITIONS),
    bay: bay || undefined,
    reefer: flag(query, 'reefer'),
    dg: flag(query, 'dg'),
    alarm: flag(query, 'alarm'),
    conflict: flag(query, 'conflict'),
    sort: sort || undefined,
    // Above the maximum is answered with the maximum: "limit goes up to 1000".
    limit: Math.min(limit ?? DEFAULT_LIST_LIMIT, MAX_LIST_LIMIT),
    offset: count(query, 'offset') ?? 0,
  }
}
