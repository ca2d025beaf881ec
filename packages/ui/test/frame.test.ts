/**
 * The frame both apps share, rendered to HTML: the sign-in screen, the top bar and the cards of a
 * container's page, with the test IDs and words the Chromium end-to-end tests of both apps rely on.
 */
import { createElement as h } from 'react'
import { renderToStaticMarkup } from 'react-dom/server'
import { describe, expect, it } from 'vitest'
import {
  AppShell,
  ConflictsCard,
  ContainerFacts,
  ContainerReeferChart,
  ContainerTitle,
  HistoryCard,
  ProposalsCard,
  Splash,
  TokenLogin,
} from '../src/index.ts'
import { makeView } from './fixtures.ts'

const save = async () => {}

describe('TokenLogin', () => {
  it('labels the token input with the app’s words and shows a notice', () => {
    const html = renderToStaticMarkup(
      h(TokenLogin<{ user: string }>, {
        subtitle: 'Crew manifest · vessel node',
        tokenLabel: 'Crew token',
        help: 'Ask the officer on watch.',
        badTokenMessage: 'Not accepted.',
        check: async () => ({ user: 'bosun' }),
        onLogin: () => {},
        notice: 'You were signed out.',
      }),
    )
    expect(html).toContain('data-testid="login-screen"')
    expect(html).toMatch(/<label for="login-token">Crew token<\/label>/)
    expect(html).toContain('Crew manifest · vessel node')
    expect(html).toContain('Ask the officer on watch.')
    expect(html).toMatch(/data-testid="login-notice">You were signed out\.</)
    expect(html).toContain('data-testid="login-submit"')
    expect(html).toContain('>Sign in</button>')
  })
})

describe('AppShell', () => {
  it('renders the top bar, the current page in the navigation, the banner and the page', () => {
    const html = renderToStaticMarkup(
      h(AppShell, {
        homeHref: '#/',
        brandSuffix: h('span', { className: 'topbar__app' }, 'Shore'),
        nav: [
          { href: '#/', label: 'Fleet', current: true, testId: 'nav-fleet' },
          { href: '#/search', label: 'Containers', current: false, testId: 'nav-search' },
        ],
        status: h('span', { 'data-testid': 'connection' }, 'Online'),
        user: 'alice',
        onSignOut: () => {},
        banner: { text: 'The relay is unreachable.', testId: 'offline-banner' },
        children: h('p', null, 'the page'),
      }),
    )
    expect(html).toContain('Tally <span class="topbar__app">Shore</span>')
    expect(html).toContain('aria-current="page" data-testid="nav-fleet">Fleet</a>')
    expect(html).toMatch(/<a href="#\/search" data-testid="nav-search">Containers<\/a>/)
    expect(html).toContain('data-testid="current-user">alice</span>')
    expect(html).toContain('data-testid="logout">Sign out</button>')
    expect(html).toContain('data-testid="offline-banner">The relay is unreachable.</p>')
    expect(html).toMatch(/<main id="main" class="content" tabindex="-1"><p>the page<\/p><\/main>/)
    const plain = renderToStaticMarkup(
      h(AppShell, {
        homeHref: '#/',
        brandSuffix: null,
        nav: [],
        status: null,
        user: 'bosun',
        onSignOut: () => {},
        children: null,
      }),
    )
    expect(plain).not.toContain('class="banner"')
  })

  it('marks a splash busy only while connecting', () => {
    expect(renderToStaticMarkup(h(Splash, { busy: true, children: 'Connecting' }))).toBe(
      '<main class="splash" aria-busy="true">Connecting</main>',
    )
    expect(renderToStaticMarkup(h(Splash, { children: 'Failed' }))).toBe('<main class="splash">Failed</main>')
  })
})

describe('container page cards', () => {
  it('gives the number, type, badges and facts, with what the app adds', () => {
    const view = makeView()
    const title = renderToStaticMarkup(h(ContainerTitle, { view }))
    expect(title).toContain('data-testid="detail-id">CSQU3054383</span>')
    expect(title).toContain('<span class="detail__type">45R1</span>')
    const facts = renderToStaticMarkup(
      h(ContainerFacts, { view, after: h('span', { className: 'tly-muted' }, 'IMO9811000 · voyage 024E') }),
    )
    expect(facts).toMatch(/^<p class="detail__facts"><span>Stowage <strong class="tly-mono">012 04 82/)
    expect(facts).toContain('CNSHA → USLAX')
    expect(facts).toMatch(
      /Customs Pending<\/span><span class="tly-muted">IMO9811000 · voyage 024E<\/span><\/p>$/,
    )
  })

  it('shows conflicts only when there are some, with the intro', () => {
    expect(renderToStaticMarkup(h(ConflictsCard, { conflicts: [], role: 'vessel' }))).toBe('')
    const html = renderToStaticMarkup(
      h(ConflictsCard, {
        conflicts: [
          {
            field: 'cargo.pod',
            values: [{ value: 'USLAX', principal: 'user:alice', at: null, winner: true }],
          },
        ],
        role: 'shore',
        onKeep: save,
        intro: 'Every value is kept.',
      }),
    )
    expect(html).toMatch(
      /^<section class="tly-card detail__conflicts" aria-labelledby="conflicts-h" data-testid="conflicts">/,
    )
    expect(html).toContain('<p class="tly-muted">Every value is kept.</p>')
    expect(html).toContain('data-testid="conflict-list"')
  })

  it('counts open proposals and labels the toggle with the app’s words', () => {
    const view = makeView({
      proposals: [
        {
          id: 'p1',
          at: '2026-11-21T07:00:00Z',
          by: 'user:alice',
          field: 'physical.stowage',
          value: '0140082',
          reason: null,
          status: 'OPEN',
          resolvedBy: null,
          resolvedAt: null,
        },
      ],
    })
    const html = renderToStaticMarkup(
      h(ProposalsCard, {
        view,
        role: 'vessel',
        proposeLabel: 'Propose a shore change',
        onPropose: save,
        onDecide: save,
      }),
    )
    expect(html).toContain('Proposals (1 open)</h2>')
    expect(html).toContain('data-testid="propose-toggle">Propose a shore change</button>')
    expect(html).not.toContain('propose-form')
    expect(html).toContain('data-testid="proposal-accept"')
  })

  it('says why the history is not there yet, then lists it', () => {
    expect(renderToStaticMarkup(h(HistoryCard, { entries: null, pending: 'Loading history…' }))).toContain(
      '<p class="tly-muted">Loading history…</p>',
    )
    expect(renderToStaticMarkup(h(HistoryCard, { entries: [], pending: 'Loading history…' }))).toContain(
      'data-testid="history-list"',
    )
  })

  it('draws the reefer chart of a reefer only', () => {
    expect(renderToStaticMarkup(h(ContainerReeferChart, { view: makeView(), history: [] }))).toContain(
      'Temperatures of CSQU3054383',
    )
    expect(
      renderToStaticMarkup(h(ContainerReeferChart, { view: makeView({ reefer: null }), history: [] })),
    ).toBe('')
  })
})
