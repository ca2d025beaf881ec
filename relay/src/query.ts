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
} from '@tally/manifest'
import { LIST_SORT_KEYS, MAX_LIST_LIMIT } from '@tally/replica'
import type { ListQuery } from '@tally/replica'
import { IMO_PATTERN } from './vessels.ts'

/** Page size when the query names none. */
export const DEFAULT_LIST_LIMIT = 100

const SORT_KEYS = LIST_SORT_KEYS
const BOOLEAN_FILTERS = ['reefer', 'dg', 'alarm', 'conflict', 'exception', 'booked'] as const
const ENUM_FILTERS: Record<'state' | 'customs' | 'condition', readonly string[]> = {
  state: PHYSICAL_STATES,
  customs: CUSTOMS_STATUSES,
  condition: CONDITIONS,
}

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

function single(query: Record<string, unknown>, name: string): string | undefined {
  const value = query[name]
  if (value === undefined) return undefined
  if (typeof value !== 'string') throw invalid(name, 'must be given once, as a plain value')
  return value
}

function nonNegativeInt(query: Record<string, unknown>, name: string): number | undefined {
  const text = single(query, name)
  if (text === undefined || text === '') return undefined
  if (!/^\d{1,9}$/.test(text)) throw invalid(name, 'must be a non-negative integer')
  return Number(text)
}

/**
 * The list query of `GET .../containers` (docs/api.md): filters, sort and paging. `limit` defaults
 * to 100; a larger one than 1000 is capped at 1000, as the contract says it "goes up to 1000".
 * Parameters it does not know (a cache buster, say) are ignored.
 */
export function parseListQuery(
  query: Record<string, unknown>,
): ListQuery & { limit: number; offset: number } {
  const out: ListQuery & { limit: number; offset: number } = {
    limit: Math.min(nonNegativeInt(query, 'limit') ?? DEFAULT_LIST_LIMIT, MAX_LIST_LIMIT),
    offset: nonNegativeInt(query, 'offset') ?? 0,
  }
  const q = single(query, 'q')
  if (q !== undefined && q !== '') {
    if (q.length > 64) throw invalid('q', 'must be at most 64 characters')
    out.q = q
  }
  for (const [name, allowed] of Object.entries(ENUM_FILTERS) as [
    keyof typeof ENUM_FILTERS,
    readonly string[],
  ][]) {
    const value = single(query, name)
    if (value === undefined || value === '') continue
    if (!allowed.includes(value)) throw invalid(name, `must be one of ${allowed.join(', ')}`)
    out[name] = value
  }
  for (const name of BOOLEAN_FILTERS) {
    const value = single(query, name)
    if (value === undefined || value === '') continue
    if (value !== 'true' && value !== 'false') throw invalid(name, 'must be true or false')
    out[name] = value === 'true'
  }
  const bay = single(query, 'bay')
  if (bay !== undefined && bay !== '') {
    if (!/^\d{3}$/.test(bay)) throw invalid('bay', 'must be 3 digits, e.g. 012')
    out.bay = bay
  }
  const voyage = single(query, 'voyage')
  if (voyage !== undefined && voyage !== '') {
    if (!/^[A-Z0-9]{1,10}$/.test(voyage)) throw invalid('voyage', 'must be 1–10 letters or digits')
    out.voyage = voyage
  }
  const seal = single(query, 'seal')
  if (seal !== undefined && seal !== '') {
    if (seal !== 'broken' && seal !== 'intact') throw invalid('seal', 'must be broken or intact')
    out.seal = seal
  }
  const pod = single(query, 'pod')
  if (pod !== undefined && pod !== '') {
    if (!/^[A-Z]{2}[A-Z2-9]{3}$/.test(pod.toUpperCase()))
      throw invalid('pod', 'must be a UN/LOCODE such as CNSHA or USLAX')
    out.pod = pod.toUpperCase()
  }
  const since = single(query, 'since')
  if (since !== undefined && since !== '') {
    const ms = Date.parse(since)
    if (Number.isNaN(ms) || !/^\d{4}-\d{2}-\d{2}/.test(since))
      throw invalid('since', 'must be an ISO 8601 time such as 2026-12-04T00:00:00Z')
    out.since = new Date(ms).toISOString()
  }
  const sort = single(query, 'sort')
  if (sort !== undefined && sort !== '') {
    if (!SORT_KEYS.includes(sort.replace(/^-/, '')))
      throw invalid('sort', `must be one of ${SORT_KEYS.join(', ')}, optionally prefixed with -`)
    out.sort = sort
  }
  return out
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
