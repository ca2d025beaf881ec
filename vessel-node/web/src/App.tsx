/**
 * The crew app: sign-in, then the shell (header with the link status, navigation, sign-out) around
 * the container list, a container's detail and the sync panel. The token lives in localStorage so a
 * tablet stays signed in across reloads; a token revoked while in use returns the crew to sign-in
 * with a sentence saying so.
 */
import { useCallback, useEffect, useMemo, useRef, useState, useSyncExternalStore } from 'react'
import { AppShell, Splash, TokenLogin } from '@tally/ui'
import { ApiError, CrewApi } from './api.ts'
import type { Me } from './api.ts'
import { ContainerDetail } from './ContainerDetail.tsx'
import { ContainerList } from './ContainerList.tsx'
import { LiveEvents, useLive } from './live.ts'
import { TabletOutbox } from './outbox.ts'
import { hrefOf, useRoute } from './router.ts'
import { SyncBadge, SyncPanel } from './SyncPanel.tsx'
import { VoyagePage } from './VoyagePage.tsx'

const TOKEN_KEY = 'tally.crew.token'
const ME_KEY = 'tally.crew.me'
/** The sign-in screen's words (a crew token is issued with `npm run vessel -- add-crew`). */
const LOGIN_WORDS = {
  subtitle: 'Crew manifest · vessel node',
  tokenLabel: 'Crew token',
  help: 'The officer on watch issues crew tokens on the vessel node.',
  badTokenMessage:
    'This crew token was not accepted. It may be mistyped, or it was revoked. Ask the officer on watch for a new token.',
}
/** The stream reconnects by itself within a second or two; only a longer gap is worth a banner. */
const PAUSED_BANNER_DELAY_MS = 3_000

/** `flag`, but only once it has stayed true for `delayMs`. */
function useSustained(flag: boolean, delayMs: number): boolean {
  const [sustained, setSustained] = useState(false)
  useEffect(() => {
    if (!flag) {
      setSustained(false)
      return
    }
    const timer = setTimeout(() => setSustained(true), delayMs)
    return () => clearTimeout(timer)
  }, [flag, delayMs])
  return sustained
}

const readToken = (): string | null => {
  try {
    return localStorage.getItem(TOKEN_KEY)
  } catch {
    return null
  }
}
const writeToken = (token: string | null, me: Me | null = null): void => {
  try {
    if (token) localStorage.setItem(TOKEN_KEY, token)
    else localStorage.removeItem(TOKEN_KEY)
    if (token && me) localStorage.setItem(ME_KEY, JSON.stringify(me))
    else localStorage.removeItem(ME_KEY)
  } catch {
    // Private mode or storage disabled: the session lasts until reload.
  }
}
/** Who the saved token belongs to, as the node last said: the app opens with it out of reach. */
const readMe = (): Me | null => {
  try {
    const me = JSON.parse(localStorage.getItem(ME_KEY) ?? 'null') as Me | null
    return me && typeof me.user === 'string' && typeof me.vessel === 'string' ? me : null
  } catch {
    return null
  }
}

type Phase =
  | { name: 'checking'; token: string }
  | { name: 'unreachable'; token: string; message: string }
  | { name: 'login'; notice: string | null }
  | { name: 'ready'; token: string; me: Me }

export function App() {
  const [phase, setPhase] = useState<Phase>(() => {
    const token = readToken()
    return token ? { name: 'checking', token } : { name: 'login', notice: null }
  })

  const signOut = useCallback((notice: string | null) => {
    writeToken(null)
    setPhase({ name: 'login', notice })
  }, [])

  useEffect(() => {
    if (phase.name !== 'checking') return
    let cancelled = false
    new CrewApi(phase.token)
      .me()
      .then((me) => {
        if (cancelled) return
        writeToken(phase.token, me)
        setPhase({ name: 'ready', token: phase.token, me })
      })
      .catch((err: unknown) => {
        if (cancelled) return
        const known = readMe()
        if (err instanceof ApiError && err.status === 401)
          signOut(
            'Your saved crew token is no longer accepted; it may have been revoked. Sign in with a new token.',
          )
        // Out of Wi-Fi range, signed in before: open the app (the service worker kept it), with the
        // edits waiting on this tablet; it catches up when the node answers.
        else if (known && err instanceof ApiError && err.code === 'NETWORK')
          setPhase({ name: 'ready', token: phase.token, me: known })
        else setPhase({ name: 'unreachable', token: phase.token, message: (err as Error).message })
      })
    return () => {
      cancelled = true
    }
  }, [phase, signOut])

  switch (phase.name) {
    case 'login':
      return (
        <TokenLogin
          {...LOGIN_WORDS}
          check={(token) => new CrewApi(token).me()}
          notice={phase.notice}
          onLogin={(token, me) => {
            writeToken(token, me)
            setPhase({ name: 'ready', token, me })
          }}
        />
      )
    case 'checking':
      return (
        <Splash busy>
          <p>Connecting to the vessel node…</p>
        </Splash>
      )
    case 'unreachable':
      return (
        <Splash>
          <div className="tly-card splash__card">
            <h1>Cannot reach the vessel node</h1>
            <p className="tly-alert tly-alert--error" role="alert">
              {phase.message}
            </p>
            <div className="tly-actions">
              <button
                type="button"
                className="tly-button tly-button--primary"
                onClick={() => setPhase({ name: 'checking', token: phase.token })}
              >
                Try again
              </button>
              <button
                type="button"
                className="tly-button tly-button--secondary"
                onClick={() => signOut(null)}
              >
                Sign out
              </button>
            </div>
          </div>
        </Splash>
      )
    case 'ready':
      return <Shell token={phase.token} me={phase.me} signOut={signOut} />
  }
}

interface ShellProps {
  token: string
  me: Me
  signOut: (notice: string | null) => void
}

function Shell({ token, me, signOut }: ShellProps) {
  const outbox = useMemo(() => (typeof indexedDB === 'undefined' ? null : new TabletOutbox()), [])
  const api = useMemo(
    () =>
      new CrewApi(
        token,
        () =>
          signOut(
            'Your crew token was revoked or has expired, so you were signed out. Sign in with a new token.',
          ),
        outbox,
      ),
    [token, signOut, outbox],
  )
  const live = useMemo(() => new LiveEvents(api), [api])
  useEffect(() => {
    live.start()
    return () => live.stop()
  }, [live])
  const snapshot = useLive(live)
  const kept = useTabletOutbox(api, snapshot.connected)
  const route = useRoute()
  const paused = useSustained(!snapshot.connected, PAUSED_BANNER_DELAY_MS)

  // One key per page (not per search), so typing in the search box keeps its focus.
  const page = route.name === 'detail' ? `detail:${route.containerId}` : route.name
  const firstPage = useRef(true)
  useEffect(() => {
    document.title = `${page.startsWith('detail:') ? page.slice(7) : page === 'sync' ? 'Sync' : page === 'voyage' ? 'Voyage' : 'Containers'} · Tally crew`
    if (firstPage.current) {
      firstPage.current = false
      return
    }
    // After navigation, move focus to the new page so keyboard and screen-reader users start there.
    window.scrollTo({ top: 0 })
    document.getElementById('main')?.focus({ preventScroll: true })
  }, [page])

  return (
    <AppShell
      homeHref={hrefOf.list()}
      brandSuffix={<span className="topbar__vessel">{me.vessel}</span>}
      nav={[
        {
          href: hrefOf.list(),
          label: 'Containers',
          current: route.name === 'list' || route.name === 'detail',
          testId: 'nav-containers',
        },
        { href: hrefOf.voyage(), label: 'Voyage', current: route.name === 'voyage', testId: 'nav-voyage' },
        { href: hrefOf.sync(), label: 'Sync', current: route.name === 'sync', testId: 'nav-sync' },
      ]}
      status={
        <>
          {kept > 0 && (
            <span
              className="outbox-badge"
              role="status"
              data-testid="tablet-outbox"
              title="Edits made while the vessel node was out of reach; they are sent, in order, as soon as it answers."
            >
              Saved on this tablet, not yet on the ship&apos;s server ({kept})
            </span>
          )}
          <SyncBadge sync={snapshot.sync} live={snapshot.connected} />
        </>
      }
      user={me.user}
      onSignOut={() => signOut(null)}
      banner={
        paused
          ? {
              testId: 'live-banner',
              text: 'Live updates paused: reconnecting to the vessel node. What you see may be out of date.',
            }
          : null
      }
    >
      {route.name === 'list' && <ContainerList api={api} live={live} params={route.params} />}
      {route.name === 'detail' && (
        <ContainerDetail key={route.containerId} api={api} live={live} containerId={route.containerId} />
      )}
      {route.name === 'sync' && <SyncPanel api={api} live={live} />}
      {route.name === 'voyage' && <VoyagePage api={api} live={live} voyage={route.voyage} />}
    </AppShell>
  )
}

/** How often kept edits are tried again while the vessel node is out of reach. */
const OUTBOX_RETRY_MS = 3_000

/**
 * The number of edits kept on the tablet, sent as soon as the vessel node answers again: when the
 * live stream reconnects, when the browser says it is online, and every few seconds meanwhile.
 */
function useTabletOutbox(api: CrewApi, connected: boolean): number {
  const outbox = api.outbox
  const count = useSyncExternalStore(outbox?.subscribe ?? (() => () => {}), outbox?.getSnapshot ?? (() => 0))
  useEffect(() => {
    if (!outbox) return
    void outbox.refresh().then(() => api.flush())
    const flush = () => void api.flush()
    window.addEventListener('online', flush)
    const timer = setInterval(() => {
      if (outbox.getSnapshot() > 0) flush()
    }, OUTBOX_RETRY_MS)
    return () => {
      window.removeEventListener('online', flush)
      clearInterval(timer)
    }
  }, [api, outbox])
  useEffect(() => {
    if (connected) void api.flush()
  }, [api, connected])
  return count
}
