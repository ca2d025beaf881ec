// @ts-check
/**
 * DCSA event subscriptions as operators see them (`GET /api/ops/subscriptions`): whose, where to
 * (the callback's host only: a subscriber's path or query may carry a credential), the last
 * delivery, how many matching events wait, and whether the callback is failing. A callback failing
 * often enough also raises the `callback` alert (docs/integrations.md).
 */
import { api, badge, clock, h, plural, time } from './dom.js'

/** @param {any} s */
function stateBadge(s) {
  if (s.state === 'alerting') return badge(`failing · alert (${plural(s.attempts, 'attempt')})`, 'bad')
  if (s.state === 'failing') return badge(`failing (${plural(s.attempts, 'attempt')})`, 'warn')
  return badge('ok', 'ok')
}

/** @param {any} filters */
function filterText(filters) {
  const parts = Object.entries(filters ?? {}).map(
    ([k, v]) => `${k}=${Array.isArray(v) ? v.join(',') : String(v)}`,
  )
  return parts.length ? parts.join('; ') : 'every event'
}

export async function subscriptionsView() {
  const subs = await api('GET', '/ops/subscriptions')
  const failing = subs.filter((/** @type {any} */ s) => s.state !== 'ok').length
  const rows = subs.map((/** @type {any} */ s) =>
    h(
      'tr',
      { 'data-subscription': s.subscriptionID },
      h('td', null, s.owner),
      h('td', { class: 'mono' }, s.callbackHost),
      h('td', null, filterText(s.filters)),
      h('td', null, clock(s.lastDeliveredAt)),
      h('td', { class: 'num' }, String(s.backlog)),
      h('td', null, stateBadge(s)),
      h(
        'td',
        null,
        s.state === 'ok'
          ? '—'
          : [
              `since ${time(s.failingSince)}: ${s.lastError ?? ''}`,
              h('div', { class: 'muted' }, `next attempt ${clock(s.nextAttemptAt)}`),
            ],
      ),
    ),
  )
  return [
    h('h2', null, 'Subscriptions'),
    h(
      'p',
      { class: 'muted' },
      `${plural(subs.length, 'DCSA event subscription')}; ${failing} failing. ` +
        'A failing callback is retried with backoff and loses nothing; it raises the callback alert after repeated failures.',
    ),
    h(
      'table',
      { 'aria-label': 'Subscriptions' },
      h(
        'thead',
        null,
        h(
          'tr',
          null,
          ['Owner', 'Callback host', 'Filters', 'Last delivery (UTC)', 'Backlog', 'State', 'Failure'].map(
            (x) => h('th', { scope: 'col' }, x),
          ),
        ),
      ),
      h(
        'tbody',
        null,
        rows.length ? rows : h('tr', null, h('td', { colspan: 7, class: 'muted' }, 'No subscriptions.')),
      ),
    ),
  ]
}
