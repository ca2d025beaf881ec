// @ts-check
/* global document, window, localStorage, location, FormData, URLSearchParams, HTMLInputElement, setInterval, clearInterval */
/**
 * The operator dashboard: token login (kept in localStorage, sent as a Bearer token), a header with
 * the sections, and a hash router (#/, #/vessels/IMO…, #/dead-letters, #/dead-letters/N, #/tokens,
 * #/subscriptions, #/alerts). Live pages refresh every 15 s unless the operator is typing.
 */
import { ApiError, api, h, storedToken, TOKEN_KEY } from './dom.js'
import { fleetView, vesselView } from './fleet.js'
import { alertsView, deadLetterView, deadLettersView, tokensView } from './admin.js'
import { subscriptionsView } from './subscriptions.js'

const REFRESH_MS = 15_000
const app = /** @type {HTMLElement} */ (document.getElementById('app'))
/** @type {{ user: any, timer: any, flash: string }} */
const state = { user: null, timer: null, flash: '' }

/** @param {string} [message] */
function login(message) {
  clearInterval(state.timer)
  const error = h('p', { class: 'error', role: 'alert', id: 'login-error' }, message ?? '')
  const form = h(
    'form',
    {
      class: 'card login',
      onsubmit: async (/** @type {SubmitEvent} */ e) => {
        e.preventDefault()
        const token = String(
          new FormData(/** @type {HTMLFormElement} */ (e.target)).get('token') ?? '',
        ).trim()
        try {
          const me = await api('GET', '/me', undefined, token)
          if (me.role !== 'ops') {
            error.textContent = `This token belongs to ${me.user}, whose role is ${me.role}. The operator dashboard needs an ops token.`
            return
          }
          localStorage.setItem(TOKEN_KEY, token)
          state.user = me
          void route()
        } catch (err) {
          error.textContent =
            err instanceof ApiError && err.status === 401
              ? 'Unknown or revoked token. Ask an administrator for an ops token (relay add-user --role ops).'
              : `Cannot reach the relay: ${/** @type {Error} */ (err).message}`
        }
      },
    },
    h('h2', null, 'Tally relay · operations'),
    h('p', { class: 'muted' }, 'Sign in with an ops token.'),
    h('label', { for: 'token' }, 'Token'),
    h('input', { id: 'token', name: 'token', type: 'password', autocomplete: 'off', required: true }),
    h('p', null, h('button', { class: 'primary', type: 'submit' }, 'Sign in')),
    error,
  )
  app.replaceChildren(h('main', { id: 'main' }, form))
  document.getElementById('token')?.focus()
}

function logout() {
  localStorage.removeItem(TOKEN_KEY)
  state.user = null
  login()
}

/** @param {string} section @param {any[]} content */
function shell(section, content) {
  const link = (/** @type {string} */ href, /** @type {string} */ label, /** @type {string} */ id) =>
    h('a', { href, 'aria-current': section === id ? 'page' : null }, label)
  return [
    h(
      'header',
      null,
      h('h1', null, 'Tally relay · ops'),
      h(
        'nav',
        { 'aria-label': 'Sections' },
        link('#/', 'Fleet', 'fleet'),
        link('#/dead-letters', 'Dead letters', 'dead-letters'),
        link('#/tokens', 'Tokens', 'tokens'),
        link('#/subscriptions', 'Subscriptions', 'subscriptions'),
        link('#/alerts', 'Alerts', 'alerts'),
      ),
      h('span', { class: 'who' }, state.user ? `${state.user.user} (ops)` : ''),
      h('button', { type: 'button', onclick: logout }, 'Sign out'),
    ),
    h(
      'main',
      { id: 'main', tabindex: '-1' },
      state.flash ? h('div', { class: 'banner ok', role: 'status', id: 'flash' }, state.flash) : null,
      content,
    ),
  ]
}

/** Shows a message above the next rendering of the page. @param {string} message */
function flash(message) {
  state.flash = message
  void route()
}

async function route() {
  clearInterval(state.timer)
  if (!storedToken()) return login()
  const hash = location.hash.replace(/^#/, '') || '/'
  const [pathPart, query = ''] = hash.split('?')
  const params = new URLSearchParams(query)
  const parts = pathPart.split('/').filter(Boolean)
  let section = 'fleet'
  let live = false
  try {
    state.user ??= await api('GET', '/me')
    if (state.user.role !== 'ops') return login('This token is not an ops token.')
    /** @type {any} */
    let content
    if (parts[0] === 'vessels' && parts[1]) content = await vesselView(parts[1], flash)
    else if (parts[0] === 'dead-letters' && parts[1]) {
      section = 'dead-letters'
      content = await deadLetterView(Number(parts[1]), flash)
    } else if (parts[0] === 'dead-letters') {
      section = 'dead-letters'
      content = await deadLettersView(params.get('status') ?? 'open')
    } else if (parts[0] === 'tokens') {
      section = 'tokens'
      content = await tokensView(flash)
    } else if (parts[0] === 'subscriptions') {
      section = 'subscriptions'
      live = true
      content = await subscriptionsView()
    } else if (parts[0] === 'alerts') {
      section = 'alerts'
      live = true
      content = await alertsView(flash)
    } else {
      live = true
      content = await fleetView()
    }
    app.replaceChildren(...shell(section, content))
  } catch (err) {
    if (err instanceof ApiError && err.status === 401)
      return login('Your token is no longer valid (revoked?). Sign in again.')
    app.replaceChildren(
      ...shell(section, [
        h('div', { class: 'banner bad', role: 'alert' }, /** @type {Error} */ (err).message),
      ]),
    )
  }
  state.flash = ''
  if (live)
    state.timer = setInterval(() => {
      // Never while someone types or has unsaved edits in a form.
      if (document.activeElement instanceof HTMLInputElement) return
      if (document.querySelector('form[data-dirty]')) return
      void route()
    }, REFRESH_MS)
}

window.addEventListener('hashchange', () => {
  state.flash = ''
  void route()
})
void route()
