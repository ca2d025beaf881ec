/**
 * The shore list's state lives in the URL hash (`#/search?condition=DAMAGED&sort=-pod&page=2`), so
 * a filtered page is a link that survives a reload and the back button. This module names the
 * parameters, turns them into the relay's list query, and remembers when this user last looked.
 */
import type { SearchQuery } from './api.ts'

/** Rows per page: one screen on a laptop, and one cheap query whatever the fleet's size. */
export const PAGE_SIZE = 50

/** Filters passed to the relay as they are (see docs/api.md, `GET /api/containers`). */
export const FILTER_PARAMS = [
  'q',
  'vessel',
  'condition',
  'seal',
  'reefer',
  'alarm',
  'dg',
  'state',
  'customs',
  'pod',
  'bay',
  'conflict',
  'exception',
  'since',
] as const

/** Columns the list sorts by, with their relay sort keys. */
export const SORTABLE_COLUMNS = [
  { key: 'containerId', label: 'Container' },
  { key: 'stowage', label: 'Stowage' },
  { key: 'state', label: 'State' },
  { key: 'customs', label: 'Customs' },
  { key: 'pod', label: 'POD' },
] as const

/** The relay query for the list's URL parameters, paged. */
export function listQuery(
  params: URLSearchParams,
): SearchQuery & Record<string, string | number | undefined> {
  const out: Record<string, string | number | undefined> = {}
  for (const name of FILTER_PARAMS) {
    const value = params.get(name)
    if (value) out[name] = value
  }
  const page = pageOf(params)
  out.sort = params.get('sort') || undefined
  out.limit = PAGE_SIZE
  out.offset = (page - 1) * PAGE_SIZE
  return out
}

export function pageOf(params: URLSearchParams): number {
  const page = Number(params.get('page') ?? '1')
  return Number.isInteger(page) && page > 0 ? page : 1
}

/** Midnight UTC today: what "today" means on a ship and at the shore alike. */
export function startOfTodayUtc(now = new Date()): string {
  return `${now.toISOString().slice(0, 10)}T00:00:00.000Z`
}

const lastLookedKey = (user: string) => `tally.shore.lastLooked.${user}`

/**
 * When this user last looked at the list, for "changed since I last looked": the time stored by
 * the visit before this one. Each visit stores its own start, to serve the next.
 */
export function takeLastLooked(user: string, now = new Date()): string | null {
  try {
    const before = localStorage.getItem(lastLookedKey(user))
    localStorage.setItem(lastLookedKey(user), now.toISOString())
    return before
  } catch {
    return null
  }
}
