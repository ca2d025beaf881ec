/**
 * Sign-in with a token, the same screen in both apps: the token is checked (`GET /api/me`) before
 * the app keeps it; a refused one (an error with `status` 401) gets the app's sentence saying what to
 * do, any other failure its own message. Styled by `@tally/ui/app.css` (`.login`).
 */
import { useState } from 'react'
import type { FormEvent } from 'react'

export interface TokenLoginProps<Me> {
  /** Under the name: which app this is. */
  subtitle: string
  /** The input's label ("Crew token"); also in "Enter your crew token." */
  tokenLabel: string
  /** Under the input: who issues tokens. */
  help: string
  /** Shown when the check fails with HTTP 401: mistyped or revoked, and whom to ask. */
  badTokenMessage: string
  /** Checks a token; resolves with who it belongs to. */
  check: (token: string) => Promise<Me>
  /** Called with a verified token and who it belongs to. */
  onLogin: (token: string, me: Me) => void
  /** Why the user is here again (a revoked token, signed out). */
  notice?: string | null
}

const refused = (err: unknown): boolean => (err as { status?: unknown } | null)?.status === 401

export function TokenLogin<Me>({
  subtitle,
  tokenLabel,
  help,
  badTokenMessage,
  check,
  onLogin,
  notice,
}: TokenLoginProps<Me>) {
  const [token, setToken] = useState('')
  const [show, setShow] = useState(false)
  const [error, setError] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)

  async function submit(e: FormEvent) {
    e.preventDefault()
    const value = token.trim()
    if (!value) return setError(`Enter your ${tokenLabel.toLowerCase()}.`)
    setBusy(true)
    setError(null)
    try {
      onLogin(value, await check(value))
    } catch (err) {
      setError(refused(err) ? badTokenMessage : (err as Error).message)
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
            <p className="tly-muted">{subtitle}</p>
          </div>
        </div>
        {notice && !error && (
          <p className="tly-alert tly-alert--warning" role="status" data-testid="login-notice">
            {notice}
          </p>
        )}
        <div className="tly-field">
          <label htmlFor="login-token">{tokenLabel}</label>
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
            {help}
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
