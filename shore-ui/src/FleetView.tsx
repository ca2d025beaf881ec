/**
 * The fleet: each vessel with its link, last sync and lag, what is waiting to cross the link, and
 * today's bytes and cost. Refreshed every few seconds; while the relay is unreachable the last
 * answer stays on screen with its age.
 */
import { formatBytes, formatCount, formatRelative, formatTime, formatUsd } from '@tally/ui'
import type { ShoreApi, VesselSummary } from './api.ts'
import { useCached } from './cached.ts'
import { hrefOf } from './router.ts'
import { StaleNote } from './StaleNote.tsx'

/** The fleet view polls the relay this often. */
export const FLEET_REFRESH_MS = 10_000

function lagWords(v: VesselSummary): { text: string; tone: 'ok' | 'warning' | 'critical' | 'neutral' } {
  if (v.lagSeconds === null) return { text: 'never synced', tone: 'neutral' }
  const hours = v.lagSeconds / 3600
  const text =
    v.lagSeconds < 90
      ? `${v.lagSeconds} s`
      : hours < 2
        ? `${Math.round(v.lagSeconds / 60)} min`
        : hours < 48
          ? `${Math.round(hours)} h`
          : `${Math.round(hours / 24)} days`
  return { text, tone: hours < 6 ? 'ok' : hours < 48 ? 'warning' : 'critical' }
}

export function FleetView({ api }: { api: ShoreApi }) {
  const fleet = useCached('fleet', (signal) => api.vessels(signal), FLEET_REFRESH_MS)
  const vessels = fleet.data ?? []
  const totals = vessels.reduce(
    (t, v) => ({
      containers: t.containers + v.containers,
      pending: t.pending + v.pendingChanges,
      bytes: t.bytes + v.today.bytesUp + v.today.bytesDown,
      cost: t.cost + v.today.costUsd,
    }),
    { containers: 0, pending: 0, bytes: 0, cost: 0 },
  )

  return (
    <div className="page" data-testid="fleet-view">
      <header className="page-head">
        <div>
          <h1>Fleet</h1>
          <p className="tly-muted">
            {formatCount(vessels.length)} vessels · {formatCount(totals.containers)} containers ·{' '}
            {formatCount(totals.pending)} changes waiting · today {formatBytes(totals.bytes)} (
            {formatUsd(totals.cost)})
          </p>
        </div>
        <StaleNote at={fleet.at} error={fleet.error} />
      </header>
      {fleet.data === null && fleet.loading && <p className="tly-muted">Loading the fleet…</p>}
      {fleet.data === null && !fleet.loading && fleet.error && (
        <p className="tly-alert tly-alert--warning" role="status">
          {fleet.error}
        </p>
      )}
      {vessels.length > 0 && (
        <div className="tly-card fleet">
          <table className="tly-table fleet__table" data-testid="fleet-table">
            <thead>
              <tr>
                <th scope="col">Vessel</th>
                <th scope="col">Link</th>
                <th scope="col">Last sync</th>
                <th scope="col">Lag</th>
                <th scope="col" className="num">
                  Pending
                </th>
                <th scope="col" className="num">
                  Today up / down
                </th>
                <th scope="col" className="num">
                  Cost today
                </th>
                <th scope="col" className="num">
                  Containers
                </th>
              </tr>
            </thead>
            <tbody>
              {vessels.map((v) => {
                const lag = lagWords(v)
                return (
                  <tr key={v.imo} data-testid="fleet-row" data-imo={v.imo}>
                    <th scope="row">
                      <a href={hrefOf.search({ vessel: v.imo })} className="fleet__name">
                        {v.name ?? v.imo}
                      </a>
                      <span className="tly-mono tly-muted fleet__imo">{v.imo}</span>
                      <a href={hrefOf.voyages(v.imo)} className="fleet__voyages" data-testid="fleet-voyages">
                        Voyages
                      </a>
                    </th>
                    <td>
                      {v.linkUp ? (
                        <span className="tly-chip tly-chip--info">
                          <span className="dot dot--up" aria-hidden="true" /> In a link window
                        </span>
                      ) : (
                        <span className="tly-muted">
                          <span className="dot dot--down" aria-hidden="true" /> Off link
                        </span>
                      )}
                    </td>
                    <td title={v.lastSyncAt ? formatTime(v.lastSyncAt) : undefined}>
                      {v.lastSyncAt ? formatRelative(v.lastSyncAt) : '—'}
                    </td>
                    <td>
                      <span className={`tly-chip tly-chip--${lag.tone === 'ok' ? 'info' : lag.tone}`}>
                        {lag.text}
                      </span>
                    </td>
                    <td className="num">{formatCount(v.pendingChanges)}</td>
                    <td className="num">
                      {formatBytes(v.today.bytesUp)} / {formatBytes(v.today.bytesDown)}
                    </td>
                    <td className="num">{formatUsd(v.today.costUsd)}</td>
                    <td className="num">
                      <a href={hrefOf.search({ vessel: v.imo })}>{formatCount(v.containers)}</a>
                      {(v.notBooked ?? 0) > 0 && (
                        <a
                          className="tly-chip tly-chip--warning fleet__unbooked"
                          href={hrefOf.search({ vessel: v.imo, booked: 'false' })}
                          data-testid="fleet-not-booked"
                        >
                          {formatCount(v.notBooked!)} added aboard, not booked
                        </a>
                      )}
                    </td>
                  </tr>
                )
              })}
            </tbody>
          </table>
        </div>
      )}
      {fleet.data !== null && vessels.length === 0 && (
        <p className="tly-muted">No vessels yet. Register one with `npm run relay -- add-vessel`.</p>
      )}
    </div>
  )
}
