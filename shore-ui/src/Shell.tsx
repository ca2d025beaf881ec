/**
 * The signed-in app: top bar (navigation, the relay connection, the user), an offline banner, and
 * the page for the route. One Repo per signed-in user lives as long as the shell.
 */
import { useEffect, useMemo, useRef, useState, useSyncExternalStore } from 'react'
import { AppShell } from '@tally/ui'
import { ActorDirectory } from './actors.ts'
import { ShoreApi } from './api.ts'
import type { Me } from './api.ts'
import { connectToRelay } from './connection.ts'
import type { RelayConnection } from './connection.ts'
import type { ConnectionSnapshot } from './connection.ts'
import { ContainerPage } from './ContainerPage.tsx'
import { FleetView } from './FleetView.tsx'
import { hrefOf, useRoute } from './router.ts'
import type { Route } from './router.ts'
import { SearchView } from './SearchView.tsx'
import { VoyagesView } from './VoyagesView.tsx'

export interface ShellProps {
  token: string
  me: Me
  signOut: (notice: string | null) => void
}

const ROLE_WORDS: Record<string, string> = { shore: 'Documentation', customs: 'Customs', ops: 'Operations' }

export function Shell({ token, me, signOut }: ShellProps) {
  const signOutRef = useRef(signOut)
  signOutRef.current = signOut
  const api = useMemo(
    () =>
      new ShoreApi(token, () =>
        signOutRef.current(
          'Your token was revoked or has expired, so you were signed out. Sign in with a new token.',
        ),
      ),
    [token],
  )
  const [conn, setConn] = useState<RelayConnection | null>(null)
  useEffect(() => {
    let closed = false
    const connection = connectToRelay(token, me.user, (message) => signOutRef.current(message))
    void connection.then((c) => (closed ? void c.close() : setConn(c)))
    return () => {
      closed = true
      void connection.then((c) => c.close())
      setConn(null)
    }
  }, [token, me.user])
  const actors = useMemo(() => new ActorDirectory(`tally.shore.actors.${me.user}`), [me.user])
  const route = useRoute()

  const page =
    route.name === 'container'
      ? `c:${route.key.containerId}`
      : route.name === 'voyages'
        ? `v:${route.vessel}`
        : route.name
  useEffect(() => {
    if (route.name !== 'container')
      document.title = `${route.name === 'fleet' ? 'Fleet' : route.name === 'voyages' ? 'Voyages' : 'Containers'} · Tally shore`
    window.scrollTo({ top: 0 })
    // Keyboard and screen-reader users start on the new page.
    document.getElementById('main')?.focus({ preventScroll: true })
  }, [page])

  if (!conn) return null
  return <Signed conn={conn} api={api} actors={actors} me={me} route={route} signOut={signOut} />
}

function Signed({
  conn,
  api,
  actors,
  me,
  route,
  signOut,
}: {
  conn: RelayConnection
  api: ShoreApi
  actors: ActorDirectory
  me: Me
  route: Route
  signOut: (notice: string | null) => void
}) {
  const link = useSyncExternalStore(conn.subscribe, conn.getSnapshot)
  return (
    <AppShell
      homeHref={hrefOf.fleet()}
      brandSuffix={<span className="topbar__app">Shore</span>}
      nav={[
        {
          href: hrefOf.fleet(),
          label: 'Fleet',
          current: route.name === 'fleet' || route.name === 'voyages',
          testId: 'nav-fleet',
        },
        {
          href: hrefOf.search(),
          label: 'Containers',
          current: route.name === 'search' || route.name === 'container',
          testId: 'nav-search',
        },
      ]}
      status={<ConnectionBadge link={link} />}
      user={
        <>
          {me.user} <span className="topbar__role">{ROLE_WORDS[me.role] ?? me.role}</span>
        </>
      }
      onSignOut={() => signOut(null)}
      banner={
        link.state === 'offline'
          ? {
              testId: 'offline-banner',
              text: 'The relay is unreachable. You can keep working: your edits are saved in this browser and sync when it is back.',
            }
          : null
      }
    >
      {route.name === 'fleet' && <FleetView api={api} />}
      {route.name === 'voyages' && <VoyagesView api={api} me={me} vessel={route.vessel} />}
      {route.name === 'search' && <SearchView api={api} user={me.user} params={route.params} />}
      {route.name === 'container' && (
        <ContainerPage
          key={`${route.key.vessel}/${route.key.voyage}/${route.key.containerId}`}
          api={api}
          conn={conn}
          actors={actors}
          me={me}
          containerKey={route.key}
        />
      )}
    </AppShell>
  )
}

function ConnectionBadge({ link }: { link: ConnectionSnapshot }) {
  const words = { online: 'Online', offline: 'Offline', connecting: 'Connecting…' }[link.state]
  return (
    <span
      className={`connbadge connbadge--${link.state}`}
      role="status"
      data-testid="connection"
      data-state={link.state}
      title={
        link.state === 'online' ? 'Connected to the relay; edits sync live' : 'Edits are kept in this browser'
      }
    >
      <span className={`dot dot--${link.state === 'online' ? 'up' : 'down'}`} aria-hidden="true" />
      {words}
    </span>
  )
}
