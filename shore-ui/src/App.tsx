/**
 * The shore app: sign-in, then the shell around the fleet, the search and a container. The token
 * and who it belongs to are kept in localStorage, so a reload keeps the user signed in and, when the
 * relay is unreachable, starts the app offline on the documents already in this browser.
 */
import { useCallback, useEffect, useState } from 'react'
import { Splash, TokenLogin } from '@tally/ui'
import { ApiError, ShoreApi } from './api.ts'
import type { Me } from './api.ts'
import { Shell } from './Shell.tsx'

const TOKEN_KEY = 'tally.shore.token'
const ME_KEY = 'tally.shore.me'
/** The sign-in screen's words (a user token is issued with `npm run relay -- add-user --role shore|customs|ops`). */
const LOGIN_WORDS = {
  subtitle: 'Shore · manifests of the fleet',
  tokenLabel: 'User token',
  help: 'Documentation, customs and operations staff each have their own token.',
  badTokenMessage:
    'This token was not accepted. It may be mistyped, or it was revoked. Ask a relay operator for a new one.',
}

function readSession(): { token: string; me: Me | null } | null {
  try {
    const token = localStorage.getItem(TOKEN_KEY)
    if (!token) return null
    const me = JSON.parse(localStorage.getItem(ME_KEY) ?? 'null') as Me | null
    return { token, me }
  } catch {
    return null
  }
}

function writeSession(session: { token: string; me: Me } | null): void {
  try {
    if (!session) {
      localStorage.removeItem(TOKEN_KEY)
      localStorage.removeItem(ME_KEY)
    } else {
      localStorage.setItem(TOKEN_KEY, session.token)
      localStorage.setItem(ME_KEY, JSON.stringify(session.me))
    }
  } catch {
    // Private mode: the session lasts until reload.
  }
}

type Phase =
  | { name: 'checking'; token: string; me: Me | null }
  | { name: 'login'; notice: string | null }
  | { name: 'ready'; token: string; me: Me }

export function App() {
  const [phase, setPhase] = useState<Phase>(() => {
    const session = readSession()
    return session ? { name: 'checking', ...session } : { name: 'login', notice: null }
  })

  const signOut = useCallback((notice: string | null) => {
    writeSession(null)
    setPhase({ name: 'login', notice })
  }, [])

  useEffect(() => {
    if (phase.name !== 'checking') return
    let cancelled = false
    new ShoreApi(phase.token)
      .me()
      .then((me) => {
        if (cancelled) return
        writeSession({ token: phase.token, me })
        setPhase({ name: 'ready', token: phase.token, me })
      })
      .catch((err: unknown) => {
        if (cancelled) return
        if (err instanceof ApiError && err.status === 401)
          signOut(
            'Your saved token is no longer accepted; it may have been revoked. Sign in with a new token.',
          )
        // Relay unreachable: local-first, start on what this browser already has.
        else if (phase.me) setPhase({ name: 'ready', token: phase.token, me: phase.me })
        else
          signOut(
            'The relay is unreachable, and this browser has not signed in before. Try again when it is back.',
          )
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
          check={(token) => new ShoreApi(token).me()}
          notice={phase.notice}
          onLogin={(token, me) => {
            writeSession({ token, me })
            setPhase({ name: 'ready', token, me })
          }}
        />
      )
    case 'checking':
      return (
        <Splash busy>
          <p>Connecting to the relay…</p>
        </Splash>
      )
    case 'ready':
      return <Shell key={phase.token} token={phase.token} me={phase.me} signOut={signOut} />
  }
}
