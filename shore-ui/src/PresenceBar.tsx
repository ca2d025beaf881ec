/**
 * Who else has this container open (from Presence, names stamped by the relay) and where this
 * browser's copy stands: on the relay, still syncing, or kept here until the relay is back.
 */
import { useSyncExternalStore } from 'react'
import type { RelayConnection } from './connection.ts'
import type { Viewer } from './presence.ts'

const initials = (name: string) =>
  name
    .split(/[\s._@-]+/)
    .filter(Boolean)
    .slice(0, 2)
    .map((p) => p[0]!.toUpperCase())
    .join('')

/** A stable colour per name, so a person keeps their colour across screens. */
function hueOf(name: string): number {
  let h = 0
  for (const c of name) h = (h * 31 + c.charCodeAt(0)) % 360
  return h
}

export function PresenceBar({
  viewers,
  unsynced,
  refused,
  conn,
}: {
  viewers: Viewer[]
  unsynced: boolean
  /** This browser's copy holds changes the relay refused. */
  refused: boolean
  conn: RelayConnection
}) {
  const link = useSyncExternalStore(conn.subscribe, conn.getSnapshot)
  const state = refused
    ? { tone: 'error', text: 'Not in step with the relay: it refused a change made here' }
    : link.state !== 'online'
      ? { tone: 'warning', text: 'Offline: changes are kept in this browser and sync when the relay is back' }
      : unsynced
        ? { tone: 'info', text: 'Syncing with the relay…' }
        : { tone: 'ok', text: 'Up to date with the relay' }
  return (
    <div className="presence" data-testid="presence">
      <div className="presence__people" aria-label="Also viewing">
        {link.state !== 'online' ? (
          <span className="tly-muted">Who else is here shows again when the relay is back.</span>
        ) : viewers.length === 0 ? (
          <span className="tly-muted">Nobody else has this container open.</span>
        ) : (
          <>
            <span className="tly-muted">Also here:</span>
            <ul className="presence__list" data-testid="viewers">
              {viewers.map((v) => (
                <li
                  key={v.peerId}
                  className="viewer"
                  data-testid="viewer"
                  data-user={v.user.name}
                  title={`${v.user.name} (${v.user.role})${v.editing ? `, editing ${v.editing}` : ', viewing'}`}
                >
                  <span
                    className="viewer__avatar"
                    style={{ background: `hsl(${hueOf(v.user.name)} 55% 38%)` }}
                  >
                    {initials(v.user.name)}
                  </span>
                  <span className="viewer__name">{v.user.name}</span>
                  <span className="viewer__what tly-muted">
                    {v.user.role}
                    {v.editing ? ` · editing ${v.editing}` : ' · viewing'}
                  </span>
                </li>
              ))}
            </ul>
          </>
        )}
      </div>
      <span className={`docsync docsync--${state.tone}`} role="status" data-testid="doc-sync">
        {state.text}
      </span>
    </div>
  )
}
