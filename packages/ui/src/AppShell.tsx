/**
 * The frame of a signed-in app, the same in both: a skip link, the top bar (brand, navigation, the
 * app's status badge, who is signed in, sign-out), an optional banner and the page. Styled by
 * `@tally/ui/app.css`. Stable test IDs: `current-user`, `logout`, and each link's `testId`.
 */
import type { ReactNode } from 'react'

export interface AppShellLink {
  href: string
  label: string
  /** The page shown is this link's (`aria-current="page"`). */
  current: boolean
  testId: string
}

export interface AppShellProps {
  /** Where the brand links to: the app's first page. */
  homeHref: string
  /** After "Tally" in the brand: the app or the vessel. */
  brandSuffix: ReactNode
  nav: readonly AppShellLink[]
  /** The connection or sync badge, between the navigation and the user. */
  status: ReactNode
  /** Who is signed in. */
  user: ReactNode
  onSignOut: () => void
  /** A sentence under the top bar while something is wrong (offline, live updates paused). */
  banner?: { text: ReactNode; testId: string } | null
  /** The page, in `<main id="main">`. */
  children: ReactNode
}

export function AppShell({
  homeHref,
  brandSuffix,
  nav,
  status,
  user,
  onSignOut,
  banner,
  children,
}: AppShellProps) {
  return (
    <div className="shell">
      <a
        className="skip-link"
        href="#main"
        onClick={(e) => {
          // The hash is the router's; move focus without navigating.
          e.preventDefault()
          document.getElementById('main')?.focus()
        }}
      >
        Skip to content
      </a>
      <header className="topbar">
        <a className="topbar__brand" href={homeHref}>
          <span className="brand-mark" aria-hidden="true" />
          <span>Tally {brandSuffix}</span>
        </a>
        <nav className="topbar__nav" aria-label="Main">
          {nav.map((link) => (
            <a
              key={link.testId}
              href={link.href}
              aria-current={link.current ? 'page' : undefined}
              data-testid={link.testId}
            >
              {link.label}
            </a>
          ))}
        </nav>
        {/* The one part that gives way when space is short, so the bar stays one row at 1024 px. */}
        <div className="topbar__status">{status}</div>
        <div className="topbar__user">
          <span className="topbar__name" data-testid="current-user">
            {user}
          </span>
          <button
            type="button"
            className="tly-button tly-button--ghost topbar__signout"
            onClick={onSignOut}
            data-testid="logout"
          >
            Sign out
          </button>
        </div>
      </header>
      {banner && (
        <p className="banner" role="status" data-testid={banner.testId}>
          {banner.text}
        </p>
      )}
      <main id="main" className="content" tabIndex={-1}>
        {children}
      </main>
    </div>
  )
}

/** A full-page message on the login background: connecting, or why the app cannot start. */
export function Splash({ busy, children }: { busy?: boolean; children: ReactNode }) {
  return (
    <main className="splash" aria-busy={busy || undefined}>
      {children}
    </main>
  )
}
