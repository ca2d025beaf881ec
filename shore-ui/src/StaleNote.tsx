/** "As of 10:42 UTC (the relay is unreachable)": the age of REST data shown while offline. */
import { formatRelative, formatTime } from '@tally/ui'

export function StaleNote({ at, error }: { at: string | null; error: string | null }) {
  if (!error) return null
  return (
    <p className="stale" role="status" data-testid="stale-note">
      {at ? (
        <>
          Showing what the relay said {formatRelative(at)}{' '}
          <span className="tly-muted">({formatTime(at)})</span>. It is unreachable right now.
        </>
      ) : (
        error
      )}
    </p>
  )
}
