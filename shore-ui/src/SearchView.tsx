/**
 * Container search across the fleet (`GET /api/containers?q=`): container number, booking or
 * stowage, narrowed by vessel, customs status or open conflicts. Below it, the containers this user
 * opened lately, which open from the browser's copy even while the relay is unreachable.
 */
import { useEffect, useState } from 'react'
import { CUSTOMS_STATUSES } from '@tally/manifest'
import {
  ContainerSummaryHeader,
  ContainerSummaryRow,
  formatCount,
  formatRelative,
  formatState,
} from '@tally/ui'
import type { ContainerPage, ShoreApi, VesselSummary } from './api.ts'
import { recall, recentContainers } from './cached.ts'
import { hrefOf, replaceHash } from './router.ts'

export const SEARCH_LIMIT = 50
const TYPING_DELAY_MS = 250

export interface SearchViewProps {
  api: ShoreApi
  user: string
  params: URLSearchParams
}

export function SearchView({ api, user, params }: SearchViewProps) {
  const [q, setQ] = useState(params.get('q') ?? '')
  const vessel = params.get('vessel') ?? ''
  const customs = params.get('customs') ?? ''
  const conflict = params.get('conflict') ?? ''
  const [page, setPage] = useState<ContainerPage | null>(null)
  const [error, setError] = useState<string | null>(null)
  const [loading, setLoading] = useState(false)
  const vessels = recall<VesselSummary[]>('fleet')?.data ?? []
  const recent = recentContainers(user)

  const setParam = (name: string, value: string) => {
    const next = new URLSearchParams(params)
    if (value) next.set(name, value)
    else next.delete(name)
    replaceHash(hrefOf.search(Object.fromEntries(next)))
  }

  // Typing updates the URL after a pause, so the search is shareable and survives a reload.
  useEffect(() => {
    if (q === (params.get('q') ?? '')) return
    const timer = setTimeout(() => setParam('q', q.trim()), TYPING_DELAY_MS)
    return () => clearTimeout(timer)
  })

  const key = params.toString()
  useEffect(() => {
    const controller = new AbortController()
    setLoading(true)
    api
      .search(
        {
          q: params.get('q') ?? undefined,
          vessel: vessel || undefined,
          customs: customs || undefined,
          conflict: conflict || undefined,
          booked: params.get('booked') ?? undefined,
          limit: SEARCH_LIMIT,
        },
        controller.signal,
      )
      .then(
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
    // `key` carries every parameter the search depends on.
  }, [api, key])

  return (
    <div className="page search" data-testid="search-view">
      <header className="page-head">
        <h1>Containers</h1>
        {page && (
          <p className="tly-muted" role="status" data-testid="search-total">
            {page.total > page.items.length
              ? `Showing ${formatCount(page.items.length)} of ${formatCount(page.total)}`
              : `${formatCount(page.total)} found`}
          </p>
        )}
      </header>
      <form className="tly-card search__form" role="search" onSubmit={(e) => e.preventDefault()}>
        <div className="tly-field search__q">
          <label htmlFor="search-q">Container, booking or stowage</label>
          <input
            id="search-q"
            className="tly-input tly-mono"
            type="search"
            value={q}
            placeholder="e.g. TSTU0000013, BK000013, 012"
            autoComplete="off"
            spellCheck={false}
            onChange={(e) => setQ(e.target.value.toUpperCase())}
            data-testid="search-q"
          />
        </div>
        <div className="tly-field">
          <label htmlFor="search-vessel">Vessel</label>
          <select
            id="search-vessel"
            className="tly-input"
            value={vessel}
            onChange={(e) => setParam('vessel', e.target.value)}
          >
            <option value="">All vessels</option>
            {vessels.map((v) => (
              <option key={v.imo} value={v.imo}>
                {v.name ?? v.imo}
              </option>
            ))}
            {vessel && !vessels.some((v) => v.imo === vessel) && <option value={vessel}>{vessel}</option>}
          </select>
        </div>
        <div className="tly-field">
          <label htmlFor="search-customs">Customs</label>
          <select
            id="search-customs"
            className="tly-input"
            value={customs}
            onChange={(e) => setParam('customs', e.target.value)}
          >
            <option value="">Any status</option>
            {CUSTOMS_STATUSES.map((s) => (
              <option key={s} value={s}>
                {formatState(s)}
              </option>
            ))}
          </select>
        </div>
        <label className="tly-check search__conflict">
          <input
            type="checkbox"
            checked={conflict === 'true'}
            onChange={(e) => setParam('conflict', e.target.checked ? 'true' : '')}
          />
          Only with conflicts
        </label>
      </form>

      {error && (
        <p className="tly-alert tly-alert--warning" role="status" data-testid="search-error">
          {error} Recently opened containers below still open from this browser.
        </p>
      )}
      {page && page.items.length > 0 && (
        <div className="tly-card search__results" aria-busy={loading}>
          <ContainerSummaryHeader />
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
