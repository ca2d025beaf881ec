/**
 * Sign-in with a user token (issued with `npm run relay -- add-user --role shore|customs|ops`). The
 * token is checked with `GET /api/me` before it is kept; a bad or revoked one gets a sentence
 * saying what to do.
 */
import { useState } from 'react'
import type { FormEvent } from 'react'
import { ApiError, ShoreApi } from './api.ts'
import type { Me } from './api.ts'

export const BAD_TOKEN_MESSAGE =
  'This token was not accepted. It may be mistyped, or it was revoked. Ask a relay operator for a new one.'

export function LoginScreen({
  onLogin,
  notice,
}: {
  onLogin: (token: string, me: Me) => void
  notice?: string | null
}) {
  const [token, setToken] = useState('')
  const [show, setShow] = useState(false)
  const [error, setError] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)

  async function submit(e: FormEvent) {
    e.preventDefault()
    const value = token.trim()
    if (!value) return setError('Enter your user token.')
    setBusy(true)
    setError(null)
    try {
      onLogin(value, await new ShoreApi(value).me())
    } catch (err) {
      setError(err instanceof ApiError && err.status === 401 ? BAD_TOKEN_MESSAGE : (err as Error).message)
    } finally {
      setBusy(false)
    }
  }

  return (
    <main className="login" data-testid="login-screen">
      <form className="login__card tly-card" onSubmit={(e) => void submit(e)} noValidate>
        <div className="login__brand">
          <span className="brand-mark" aria-hidden="true" />
          <div>
            <h1>Tally</h1>
            <p className="tly-muted">Shore · manifests of the fleet</p>
          </div>
        </div>
        {notice && !error && (
          <p className="tly-alert tly-alert--warning" role="status" data-testid="login-notice">
            {notice}
          </p>
        )}
        <div className="tly-field">
          <label htmlFor="login-token">User token</label>
          <span className="tly-input-group">
            <input
              id="login-token"
              className="tly-input tly-mono"
              type={show ? 'text' : 'password'}
              autoComplete="current-password"
              autoCapitalize="off"
              spellCheck={false}
              value={token}
              onChange={(e) => setToken(e.target.value)}
              aria-invalid={error ? true : undefined}
              aria-describedby={error ? 'login-error' : 'login-help'}
              data-testid="login-token"
              autoFocus
            />
            <button
              type="button"
              className="tly-button tly-button--secondary"
              onClick={() => setShow((s) => !s)}
              aria-pressed={show}
            >
              {show ? 'Hide' : 'Show'}
            </button>
          </span>
          <p id="login-help" className="tly-muted login__help">
            Documentation, customs and operations staff each have their own token.
          </p>
        </div>
        {error && (
          <p id="login-error" className="tly-alert tly-alert--error" role="alert" data-testid="login-error">
            {error}
          </p>
        )}
        <button
          type="submit"
          className="tly-button tly-button--primary login__submit"
          disabled={busy}
          data-testid="login-submit"
        >
          {busy ? 'Checking…' : 'Sign in'}
        </button>
      </form>
    </main>
  )
}
