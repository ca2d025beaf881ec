/**
 * One container, live from its Automerge document: who else has it open, conflicts with a resolve
 * action, cargo and customs editable by the roles that own them, collaborative notes, physical and
 * reefer read-only (they are the vessel's, with the vessel's last report), proposals to the vessel
 * and the history. It opens from IndexedDB without the relay and syncs when the relay is there.
 */
import { useEffect, useMemo, useState, useSyncExternalStore } from 'react'
import { documentUrlFor } from '@tally/manifest'
import type { ContainerKey, ContainerPatch, Role } from '@tally/manifest'
import { ContainerFacts, ContainerTitle } from '@tally/ui'
import type { HistoryEntry } from '@tally/ui'
import type { ActorDirectory } from './actors.ts'
import type { Me, ShoreApi } from './api.ts'
import { rememberOpened, useCached } from './cached.ts'
import type { RelayConnection } from './connection.ts'
import { ContainerSections } from './ContainerSections.tsx'
import { FLEET_REFRESH_MS } from './FleetView.tsx'
import { patchDocument } from './edits.ts'
import { DeliveryNote } from './DeliveryNote.tsx'
import { PresenceBar } from './PresenceBar.tsx'
import { ShorePhotos } from './ShorePhotos.tsx'
import { usePresence } from './presence.ts'
import { hrefOf } from './router.ts'
import { useContainerDoc } from './use-container.ts'
import type { ContainerDocState, RefusedChange } from './use-container.ts'

/** The history is fetched again this long after the document stops changing. */
const HISTORY_DEBOUNCE_MS = 800

export interface ContainerPageProps {
  api: ShoreApi
  conn: RelayConnection
  actors: ActorDirectory
  me: Me
  containerKey: ContainerKey
}

export function ContainerPage({ api, conn, actors, me, containerKey }: ContainerPageProps) {
  const url = useMemo(() => documentUrlFor(containerKey), [containerKey])
  const doc = useContainerDoc(conn, url, actors, me.principal)
  const self = useMemo(() => ({ name: me.user, role: me.role }), [me])
  const link = useSyncExternalStore(conn.subscribe, conn.getSnapshot)
  const presence = usePresence(doc.handle, self, link.state === 'online')
  const history = useHistory(api, conn, containerKey, doc.view?.heads.join(','))
  const fleet = useCached('fleet', (signal) => api.vessels(signal), FLEET_REFRESH_MS)
  const { view, handle } = doc

  useEffect(() => {
    if (view)
      rememberOpened(me.user, {
        vessel: view.vessel,
        voyage: view.voyage,
        containerId: view.containerId,
        isoType: view.isoType,
      })
  }, [me.user, view?.documentUrl])

  useEffect(() => {
    document.title = `${containerKey.containerId} · Tally shore`
  }, [containerKey.containerId])

  if (!view || !handle) return <Pending doc={doc} containerKey={containerKey} online={conn} />

  const role = me.role as Role
  const save = async (patch: ContainerPatch) => patchDocument(handle, patch, role)

  return (
    <div className="detail" data-testid="container-detail" data-container-id={view.containerId}>
      <nav className="crumbs" aria-label="Breadcrumb">
        <a href={hrefOf.search()} data-testid="back-to-search">
          ‹ Containers
        </a>
      </nav>
      <header className="detail__head">
        <ContainerTitle view={view} />
        <ContainerFacts
          view={view}
          before={
            <span>
              <strong>{view.vessel}</strong> · voyage {view.voyage}
            </span>
          }
        />
        <PresenceBar
          viewers={presence.viewers}
          unsynced={doc.unsynced}
          refused={doc.refused.length > 0}
          conn={conn}
        />
        <DeliveryNote
          api={api}
          conn={conn}
          containerKey={containerKey}
          heads={view.heads.join(',')}
          unsynced={doc.unsynced}
        />
      </header>

      {doc.refused.length > 0 && (
        <div className="tly-alert tly-alert--error refused" role="alert" data-testid="refused-banner">
          <p>
            <strong>
              The relay refused {doc.refused.length === 1 ? 'a change' : `${doc.refused.length} changes`}
            </strong>{' '}
            made in this browser: {refusalWords(doc.refused[0]!)}. It is not on the relay and will not reach
            the vessel.
          </p>
          <button type="button" className="tly-button tly-button--secondary" onClick={doc.reload}>
            Reload from the relay
          </button>
        </div>
      )}

      <ShorePhotos api={api} view={view} handle={handle} />

      <ContainerSections
        view={view}
        handle={handle}
        role={role}
        me={me}
        history={history}
        online={link.state === 'online'}
        fleet={fleet.data}
        presence={presence}
        save={save}
      />
    </div>
  )
}

function Pending({
  doc,
  containerKey,
  online,
}: {
  doc: ContainerDocState
  containerKey: ContainerKey
  online: RelayConnection
}) {
  const link = useSyncExternalStore(online.subscribe, online.getSnapshot)
  return (
    <div className="detail" aria-busy={doc.status === 'loading'}>
      <nav className="crumbs" aria-label="Breadcrumb">
        <a href={hrefOf.search()}>‹ Containers</a>
      </nav>
      {doc.status === 'unavailable' ? (
        <div className="tly-alert tly-alert--warning" role="status" data-testid="detail-unavailable">
          <p>
            {link.state === 'online'
              ? `${containerKey.containerId} on ${containerKey.vessel}, voyage ${containerKey.voyage}, is not available: it does not exist, or its vessel is not one you may see.`
              : `${containerKey.containerId} is not in this browser yet, and the relay is unreachable. It opens as soon as the relay is back.`}
          </p>
        </div>
      ) : (
        <p className="tly-muted">Opening {containerKey.containerId}…</p>
      )}
    </div>
  )
}

/** The container's history from the relay, refreshed after the document changes; kept while offline. */
function useHistory(
  api: ShoreApi,
  conn: RelayConnection,
  key: ContainerKey,
  heads: string | undefined,
): HistoryEntry[] | null {
  const [entries, setEntries] = useState<HistoryEntry[] | null>(null)
  const link = useSyncExternalStore(conn.subscribe, conn.getSnapshot)
  useEffect(() => {
    if (link.state !== 'online') return
    const controller = new AbortController()
    const timer = setTimeout(() => {
      api
        .history(key.vessel, key.containerId, key.voyage, controller.signal)
        .then(setEntries, () => undefined)
    }, HISTORY_DEBOUNCE_MS)
    return () => {
      clearTimeout(timer)
      controller.abort()
    }
  }, [api, key, heads, link.state])
  return entries
}

/** A refusal in words: the relay's reason, which usually names the field already. */
function refusalWords(refused: RefusedChange): string {
  return refused.field && !refused.reason.startsWith(refused.field)
    ? `${refused.field}: ${refused.reason}`
    : refused.reason
}
