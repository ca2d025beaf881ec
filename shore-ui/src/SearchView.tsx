/**
 * The shore list: every container of the fleet, across vessels, in pages of {@link PAGE_SIZE}
 * (`GET /api/containers`), sortable by column, with the crew app's filters plus vessel, conflicts
 * and "changed since I last looked". A search word such as "damaged" finds the boxes in that state.
 * Below it, the containers this user opened lately, which open from the browser's copy even while
 * the relay is unreachable.
 */
import { useEffect, useState } from 'react'
import { ContainerSummaryRow, formatCount, formatRelative } from '@tally/ui'
import type { ContainerPage, ShoreApi, VesselSummary } from './api.ts'
import { recall, recentContainers } from './cached.ts'
import { listQuery, PAGE_SIZE, pageOf, SORTABLE_COLUMNS, takeLastLooked } from './list-params.ts'
import { hrefOf, replaceHash } from './router.ts'
import { ShoreListFilters } from './ShoreListFilters.tsx'

/** Kept for callers that size a page of results. */
export const SEARCH_LIMIT = PAGE_SIZE
const TYPING_DELAY_MS = 250

export interface SearchViewProps {
  api: ShoreApi
  user: string
  params: URLSearchParams
}

export function SearchView({ api, user, params }: SearchViewProps) {
  const [q, setQ] = useState(params.get('q') ?? '')
  const [page, setPage] = useState<ContainerPage | null>(null)
  const [error, setError] = useState<string | null>(null)
  const [loading, setLoading] = useState(false)
  // Read once per visit: the previous visit's start is what "since I last looked" means.
  const [lastLooked] = useState(() => takeLastLooked(user))
  const vessels = recall<VesselSummary[]>('fleet')?.data ?? []
  const recent = recentContainers(user)
  const pageNo = pageOf(params)
  const sort = params.get('sort') ?? ''

  const update = (changes: Record<string, string>, keepPage = false) => {
    const next = new URLSearchParams(params)
    for (const [name, value] of Object.entries(changes)) {
      if (value) next.set(name, value)
      else next.delete(name)
    }
    if (!keepPage && !('page' in changes)) next.delete('page')
    replaceHash(hrefOf.search(Object.fromEntries(next)))
  }

  // Typing updates the URL after a pause, so the search is shareable and survives a reload.
  useEffect(() => {
    if (q.trim() === (params.get('q') ?? '')) return
    const timer = setTimeout(() => update({ q: q.trim() }), TYPING_DELAY_MS)
    return () => clearTimeout(timer)
  })

  const key = params.toString()
  useEffect(() => {
    const controller = new AbortController()
    setLoading(true)
    api.search(listQuery(params), controller.signal).then(
      (result) => {
        setPage(result)
        setError(null)
        setLoading(false)
      },
      (err: Error) => {
        if (err.name === 'AbortError') return
        setError(err.message)
        setLoading(false)
      },
    )
    return () => controller.abort()
    // `key` carries every parameter the list depends on.
  }, [api, key])

  const pages = page ? Math.max(1, Math.ceil(page.total / PAGE_SIZE)) : 1
  const first = (pageNo - 1) * PAGE_SIZE + 1

  return (
    <div className="page search" data-testid="search-view">
      <header className="page-head">
        <h1>Containers</h1>
        {page && (
          <p className="tly-muted" role="status" data-testid="search-total">
            {page.total === 0
              ? 'None found'
              : page.total > page.items.length
                ? `${formatCount(first)}–${formatCount(first + page.items.length - 1)} of ${formatCount(page.total)}`
                : `${formatCount(page.total)} found`}
          </p>
        )}
      </header>
      <ShoreListFilters
        params={params}
        vessels={vessels}
        lastLooked={lastLooked}
        q={q}
        onQ={setQ}
        onChange={(changes) => update(changes)}
      />

      {error && (
        <p className="tly-alert tly-alert--warning" role="status" data-testid="search-error">
          {error} Recently opened containers below still open from this browser.
        </p>
      )}
      {page && page.items.length > 0 && (
        <div className="tly-card search__results" aria-busy={loading}>
          <div className="tly-row tly-row--header shore-list__header" role="group" aria-label="Sort by">
            {SORTABLE_COLUMNS.map((c) => {
              const dir = sort === c.key ? 'ascending' : sort === `-${c.key}` ? 'descending' : 'none'
              return (
                <button
                  key={c.key}
                  type="button"
                  className="shore-list__sort"
                  data-sort={dir}
                  aria-label={`${c.label}${dir === 'none' ? '' : `, sorted ${dir}`}: sort ${dir === 'ascending' ? 'descending' : 'ascending'}`}
                  onClick={() => update({ sort: dir === 'ascending' ? `-${c.key}` : c.key })}
                  data-testid={`sort-${c.key}`}
                >
                  {c.label}
                  <span aria-hidden="true">
                    {dir === 'ascending' ? ' ▲' : dir === 'descending' ? ' ▼' : ''}
                  </span>
                </button>
              )
            })}
            <span>Status</span>
          </div>
          <ul className="tly-rows" data-testid="search-results">
            {page.items.map((view) => (
              <ContainerSummaryRow
                key={view.documentUrl}
                view={view}
                href={hrefOf.container({
                  vessel: view.vessel,
                  voyage: view.voyage,
                  containerId: view.containerId,
                })}
              />
            ))}
          </ul>
          {pages > 1 && (
            <nav className="shore-list__pager" aria-label="Pages">
              <button
                type="button"
                className="tly-button tly-button--secondary"
                disabled={pageNo <= 1}
                onClick={() => update({ page: String(pageNo - 1) })}
                data-testid="page-prev"
              >
                ‹ Previous
              </button>
              <span data-testid="page-of">
                Page {formatCount(pageNo)} of {formatCount(pages)}
              </span>
              <button
                type="button"
                className="tly-button tly-button--secondary"
                disabled={pageNo >= pages}
                onClick={() => update({ page: String(pageNo + 1) })}
                data-testid="page-next"
              >
                Next ›
              </button>
            </nav>
          )}
        </div>
      )}
      {page && page.items.length === 0 && !loading && <p className="tly-muted">No container matches.</p>}

      {recent.length > 0 && (
        <section className="tly-card recent" aria-labelledby="recent-h">
          <h2 id="recent-h">Recently opened</h2>
          <ul className="recent__list" data-testid="recent-list">
            {recent.map((r) => (
              <li key={`${r.vessel}/${r.voyage}/${r.containerId}`}>
                <a href={hrefOf.container(r)}>
                  <span className="tly-mono">{r.containerId}</span>{' '}
                  <span className="tly-muted">
                    {r.isoType} · {r.vessel} · voyage {r.voyage} · {formatRelative(r.openedAt)}
                  </span>
                </a>
              </li>
            ))}
          </ul>
        </section>
      )}
    </div>
  )
}
