/**
 * The containers of the voyage: server-side search, filters and sort, 100 per page (2,000 rows in
 * the DOM would make a tablet sluggish; a page of 100 renders in a frame). Rows update live when a
 * sync or another crew member changes a container.
 */
import { useCallback, useEffect, useRef, useState } from 'react'
import { ContainerSummaryHeader, ContainerSummaryRow, formatCount } from '@tally/ui'
import type { ContainerPage, ContainerQuery, CrewApi } from './api.ts'
import { FILTER_KEYS, ListFilters, SortControl } from './ListFilters.tsx'
import { useContainerChanges } from './live.ts'
import type { LiveEvents } from './live.ts'
import { hrefOf, navigate, replaceHash } from './router.ts'

export const PAGE_SIZE = 100
/** The list re-fetches at most this often while a sync streams container events. */
const LIVE_REFRESH_MS = 1_000

/** The last list URL, so "Back to containers" returns to the same search and page. */
let lastListHref = hrefOf.list()
export const lastListLocation = (): string => lastListHref

function queryOf(params: URLSearchParams): ContainerQuery {
  const page = Math.max(1, Number(params.get('page')) || 1)
  const query: ContainerQuery = {
    q: params.get('q') ?? undefined,
    sort: params.get('sort') ?? 'stowage',
    limit: PAGE_SIZE,
    offset: (page - 1) * PAGE_SIZE,
  }
  for (const key of FILTER_KEYS) {
    const value = params.get(key)
    if (value) query[key] = value
  }
  return query
}

export interface ContainerListProps {
  api: CrewApi
  live: LiveEvents
  params: URLSearchParams
}

export function ContainerList({ api, live, params }: ContainerListProps) {
  const key = params.toString()
  const [page, setPage] = useState<ContainerPage | null>(null)
  const [error, setError] = useState<string | null>(null)
  const [loading, setLoading] = useState(true)
  const [reload, setReload] = useState(0)
  const requestRef = useRef<AbortController | null>(null)
  const pageNumber = Math.max(1, Number(params.get('page')) || 1)

  useEffect(() => {
    lastListHref = hrefOf.list(new URLSearchParams(key))
  }, [key])

  useEffect(() => {
    requestRef.current?.abort()
    const controller = new AbortController()
    requestRef.current = controller
    setLoading(true)
    api
      .containers(queryOf(new URLSearchParams(key)), controller.signal)
      .then((result) => {
        setPage(result)
        setError(null)
      })
      .catch((err: unknown) => {
        if ((err as Error)?.name !== 'AbortError') setError((err as Error).message)
      })
      .finally(() => {
        if (!controller.signal.aborted) setLoading(false)
      })
    return () => controller.abort()
  }, [api, key, reload])

  useContainerChanges(live, () => setReload((n) => n + 1), { debounceMs: LIVE_REFRESH_MS })

  const onChange = useCallback(
    (changes: Record<string, string>, replace = false) => {
      const next = new URLSearchParams(key)
      for (const [k, v] of Object.entries(changes)) {
        if (v) next.set(k, v)
        else next.delete(k)
      }
      if (!('page' in changes)) next.delete('page')
      const href = hrefOf.list(next)
      if (replace) replaceHash(href)
      else navigate(href)
    },
    [key],
  )

  const total = page?.total ?? 0
  const pages = Math.max(1, Math.ceil(total / PAGE_SIZE))
  const from = total === 0 ? 0 : (pageNumber - 1) * PAGE_SIZE + 1
  const to = Math.min(total, pageNumber * PAGE_SIZE)
  const goTo = (n: number) => {
    onChange({ page: n > 1 ? String(n) : '' })
    document.getElementById('main')?.scrollTo?.({ top: 0 })
    window.scrollTo({ top: 0 })
  }

  return (
    <div className="list-view">
      <div className="page-head">
        <h1>Containers</h1>
        <div className="page-head__side">
          <p className="tly-muted" aria-live="polite" data-testid="result-count">
            {page ? (
              total === 0 ? (
                'No containers match'
              ) : (
                <>
                  {formatCount(from)}–{formatCount(to)} of <strong>{formatCount(total)}</strong> containers
                </>
              )
            ) : (
              'Loading…'
            )}
          </p>
          <SortControl params={params} onChange={onChange} />
        </div>
      </div>
      <ListFilters params={params} onChange={onChange} />
      {error && (
        <div className="tly-alert tly-alert--error" role="alert" data-testid="list-error">
          <p>{error}</p>
          <button
            type="button"
            className="tly-button tly-button--secondary"
            onClick={() => setReload((n) => n + 1)}
          >
            Try again
          </button>
        </div>
      )}
      <div className={`list tly-card${loading && page ? ' list--loading' : ''}`} aria-busy={loading}>
        <ContainerSummaryHeader />
        {page && page.items.length === 0 && !loading && (
          <p className="list__empty" data-testid="list-empty">
            No containers match this search and these filters.
          </p>
        )}
        <ul className="tly-rows" data-testid="container-list">
          {page?.items.map((view) => (
            <ContainerSummaryRow key={view.containerId} view={view} href={hrefOf.detail(view.containerId)} />
          ))}
        </ul>
      </div>
      {pages > 1 && (
        <nav className="pager" aria-label="Pages">
          <button
            type="button"
            className="tly-button tly-button--secondary"
            disabled={pageNumber <= 1}
            onClick={() => goTo(pageNumber - 1)}
            data-testid="page-prev"
          >
            ‹ Previous
          </button>
          <span className="pager__where" data-testid="page-number">
            Page {pageNumber} of {pages}
          </span>
          <button
            type="button"
            className="tly-button tly-button--secondary"
            disabled={pageNumber >= pages}
            onClick={() => goTo(pageNumber + 1)}
            data-testid="page-next"
          >
            Next ›
          </button>
        </nav>
      )}
    </div>
  )
}
