/**
 * A vessel's voyages (docs/architecture.md, "Voyages"): each with its port calls, its containers and
 * those added aboard and not booked yet, and, for the shore role, a button that closes an open
 * voyage. The relay refuses a close until both sides hold the same history; its reason is shown as
 * it says it (how many containers the vessel has not acknowledged, open dead letters).
 */
import { useState } from 'react'
import { formatCount, formatTime, PortCallTable } from '@tally/ui'
import { ApiError } from './api.ts'
import type { Me, ShoreApi, VoyageSummary } from './api.ts'
import { useCached } from './cached.ts'
import { hrefOf } from './router.ts'
import { StaleNote } from './StaleNote.tsx'

/** The voyages view polls the relay this often. */
const VOYAGES_REFRESH_MS = 15_000

const when = (iso: string | null): string => (iso ? formatTime(iso) : '—')

export function VoyagesView({ api, me, vessel }: { api: ShoreApi; me: Me; vessel: string }) {
  const [reload, setReload] = useState(0)
  const voyages = useCached(
    `voyages.${vessel}`,
    (signal) => api.voyages(vessel, signal),
    VOYAGES_REFRESH_MS,
    reload,
  )
  const list = voyages.data ?? []
  return (
    <div className="page" data-testid="voyages-view">
      <header className="page-head">
        <div>
          <h1>Voyages of {vessel}</h1>
          <p className="tly-muted">
            A voyage closes once the vessel and the relay hold the same history; the vessel then archives it
            and frees its disk.
          </p>
        </div>
        <StaleNote at={voyages.at} error={voyages.error} />
      </header>
      {voyages.data === null && voyages.loading && <p className="tly-muted">Loading the voyages…</p>}
      {voyages.data === null && !voyages.loading && voyages.error && (
        <p className="tly-alert tly-alert--warning" role="status">
          {voyages.error}
        </p>
      )}
      {voyages.data !== null && list.length === 0 && (
        <p className="tly-muted">No voyages of this vessel yet.</p>
      )}
      {[...list].reverse().map((v) => (
        <VoyageCard
          key={v.voyage}
          api={api}
          voyage={v}
          mayClose={me.role === 'shore'}
          onClosed={() => setReload((n) => n + 1)}
        />
      ))}
    </div>
  )
}

function VoyageCard({
  api,
  voyage: v,
  mayClose,
  onClosed,
}: {
  api: ShoreApi
  voyage: VoyageSummary
  mayClose: boolean
  onClosed: () => void
}) {
  const [closing, setClosing] = useState(false)
  const [refusal, setRefusal] = useState<string | null>(null)
  const close = () => {
    setClosing(true)
    setRefusal(null)
    api
      .closeVoyage(v.vessel, v.voyage)
      .then(onClosed, (err: unknown) =>
        setRefusal(err instanceof ApiError ? err.message : 'The voyage could not be closed.'),
      )
      .finally(() => setClosing(false))
  }
  return (
    <section className="tly-card voyage-card" data-testid="voyage-card" data-voyage={v.voyage}>
      <header className="voyage-card__head">
        <h2>
          Voyage {v.voyage}{' '}
          <span
            className={`tly-chip tly-chip--${v.status === 'OPEN' ? 'info' : 'neutral'}`}
            data-testid="voyage-status"
          >
            {v.status === 'OPEN' ? 'Open' : `Closed ${when(v.closedAt)}`}
          </span>
        </h2>
        <p className="tly-muted">
          <a href={hrefOf.search({ vessel: v.vessel })}>{formatCount(v.containers)} containers</a>
          {v.notBooked > 0 && (
            <>
              {' · '}
              <a
                className="tly-chip tly-chip--warning"
                href={hrefOf.search({ vessel: v.vessel, booked: 'false' })}
                data-testid="voyage-not-booked"
              >
                {formatCount(v.notBooked)} added aboard, not booked
              </a>
            </>
          )}
        </p>
      </header>
      {v.portCalls.length > 0 ? (
        <div className="voyage-card__calls">
          <PortCallTable calls={v.portCalls} formatTime={formatTime} />
        </div>
      ) : (
        <p className="tly-muted">No port calls yet.</p>
      )}
      {v.status === 'OPEN' && mayClose && (
        <div className="voyage-card__actions">
          <button
            type="button"
            className="tly-button tly-button--secondary"
            onClick={close}
            disabled={closing}
            data-testid="close-voyage"
          >
            {closing ? 'Closing…' : `Close voyage ${v.voyage}`}
          </button>
        </div>
      )}
      {refusal && (
        <p className="tly-alert tly-alert--warning" role="alert" data-testid="close-refused">
          {refusal}
        </p>
      )}
    </section>
  )
}
