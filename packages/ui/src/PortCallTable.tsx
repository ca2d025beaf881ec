/**
 * A voyage's port calls as a table (port, ETA, arrived, departed), shared by the crew app's Voyage
 * page and the shore's voyages view. `current` marks the port the vessel is in or heads for.
 */
import type { PortCall } from '@tally/manifest'

export interface PortCallTableProps {
  calls: readonly PortCall[]
  /** UN/LOCODE of the call that matters now (marked `aria-current`), if any. */
  current?: string | null
  /** How a time is shown; null times show as a dash. */
  formatTime: (iso: string) => string
}

export function PortCallTable({ calls, current, formatTime }: PortCallTableProps) {
  const when = (iso: string | null) => (iso ? formatTime(iso) : '—')
  return (
    <table className="tly-table tly-port-calls" data-testid="port-calls">
      <thead>
        <tr>
          <th scope="col">Port</th>
          <th scope="col">ETA</th>
          <th scope="col">Arrived</th>
          <th scope="col">Departed</th>
        </tr>
      </thead>
      <tbody>
        {calls.map((c, i) => (
          <tr
            key={`${c.locode}-${i}`}
            data-testid="port-call"
            aria-current={current === c.locode ? 'location' : undefined}
          >
            <th scope="row" className="tly-mono">
              {c.locode}
            </th>
            <td>{when(c.eta)}</td>
            <td>{when(c.ata)}</td>
            <td>{when(c.atd)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  )
}
