// @ts-check
/* global FormData */
/**
 * The fleet table and a vessel's page: last sync, lag, pending changes by priority, bytes and cost
 * per day, today's bill and the projected day, failure and conflict rates, dead letters, the budget, the expected window, the session
 * history with charts, and the vessel's settings form.
 */
import {
  api,
  ApiError,
  badge,
  bytes,
  clearFieldErrors,
  clock,
  duration,
  field,
  figure,
  h,
  pct,
  plural,
  showFieldError,
  time,
  usd,
} from './dom.js'
import { perDayChart, sessionBytesChart, sessionDurationChart } from './charts.js'

const ALERT_NAMES = {
  lag: 'no contact',
  failure_rate: 'failure rate',
  budget: 'budget spent',
  dead_letters: 'dead letters',
  conflicts: 'conflicts',
  callback: 'subscriber callback',
  projected_bill: 'projected day over budget',
}

/**
 * The link as an operator reads it: a vessel between two sessions is reachable, not down, and an
 * open connection with nothing to send is connected, not in a session.
 * @param {any} v
 */
function linkCell(v) {
  const window = `its expected window (${duration(v.expectedWindowS)})`
  const last = lastHeard(v.link)
  switch (v.link?.state) {
    case 'in_session':
      return h('span', { title: 'A link session is running now' }, badge('in a session now', 'ok'))
    case 'connected':
      return h(
        'span',
        { title: 'Its link connection is open and idle: nothing waits either way, so no session runs' },
        badge('connected', 'ok'),
        h('div', { class: 'muted' }, `open since ${clock(v.link.connectedSince)}`),
      )
    case 'reachable':
      return h(
        'span',
        { title: `It was last heard (a session or a keepalive) within ${window}` },
        badge('reachable', 'ok'),
        h('div', { class: 'muted' }, last),
      )
    case 'no_contact':
      return h(
        'span',
        { title: `Nothing heard from it for longer than ${window}` },
        badge('no contact', 'bad'),
        h('div', { class: 'muted' }, `longer than ${duration(v.expectedWindowS)}`),
      )
    default:
      return badge('never synced', 'warn')
  }
}

/**
 * "last session at 20:15", with the last keepalive when it came later: "…, heard at 20:40".
 * @param {any} link
 */
function lastHeard(link) {
  if (!link) return ''
  const session = link.lastSessionAt ? `last session at ${clock(link.lastSessionAt)}` : 'no session yet'
  const heard = link.lastContactAt && link.lastContactAt !== link.lastSessionAt
  return heard ? `${session}, heard at ${clock(link.lastContactAt)}` : session
}

/** KB as the daily bill quotes them (the server's formatKb). @param {number} n */
const kb = (n) => `${n < 10_000 ? (n / 1000).toFixed(1) : Math.round(n / 1000).toLocaleString('en-US')} KB`

/** The bill's sentence with a capital: "Today 41 KB so far, …". @param {string} s */
const sentence = (s) => s.charAt(0).toUpperCase() + s.slice(1)

/** Projected bytes by 24:00 UTC, flagged when above the budget. @param {any} v */
function projectedCell(v) {
  const over = v.budget.dailyBytes !== null && v.dailyBill.projectedBytes > v.budget.dailyBytes
  return h(
    'span',
    { title: sentence(v.dailyBill.summary), 'data-testid': 'projected-day' },
    over || v.alerts.includes('projected_bill')
      ? badge(`about ${kb(v.dailyBill.projectedBytes)}`, 'bad')
      : `about ${kb(v.dailyBill.projectedBytes)}`,
    h('div', { class: 'muted' }, `${usd(v.dailyBill.projectedCostUsd)} · ${v.dailyBill.connections} conn.`),
  )
}

/** The fleet's bill today, in words. @param {any} bill @param {number} vessels */
function fleetBillLine(bill, vessels) {
  return h(
    'p',
    { class: 'fleet-bill', 'data-testid': 'fleet-bill' },
    h('strong', null, 'Fleet link bill: '),
    `${bill.summary} across ${plural(vessels, 'vessel')}; `,
    `${plural(bill.sessions, 'session')} and ${plural(bill.connections, 'connection')} since 00:00 UTC.`,
  )
}

/** @param {any} v */
function lagBadge(v) {
  if (v.lagSeconds === null) return badge('never synced', 'warn')
  const late = v.lagSeconds > v.expectedWindowS
  return badge(duration(v.lagSeconds), v.alerts.includes('lag') ? 'bad' : late ? 'warn' : 'ok')
}

/** @param {any} p */
const pending = (p) =>
  h(
    'span',
    { title: `${p.docs} documents${p.partial ? ' (first ones classified)' : ''}` },
    h('span', { class: p.critical ? 'badge bad' : 'badge' }, `${p.critical} critical`),
    ' ',
    `${p.normal} normal · ${p.routine} routine`,
    p.partial ? '+' : '',
  )

/** @param {any} b */
function budgetCell(b) {
  if (b.dailyBytes === null) return h('span', { class: 'muted' }, 'none')
  const left = `${bytes(b.remainingBytes)} left of ${bytes(b.dailyBytes)}`
  // Spent, or a session today already held changes back: the rest waits for 00:00 UTC.
  if (b.criticalOnly)
    return h(
      'span',
      { title: 'Only critical changes cross the link until 00:00 UTC' },
      badge(b.remainingBytes === 0 ? 'spent: critical only' : 'critical only', 'bad'),
      b.remainingBytes === 0 ? '' : ` ${left}`,
    )
  return h('span', null, left)
}

/** Since when an alert holds, unless its message already says so. @param {any} a */
function sinceNote(a) {
  if (a.since && a.since !== a.startedAt)
    return / since /.test(a.message) ? '' : ` (since ${clock(a.since)} UTC)`
  return ` (firing since ${clock(a.startedAt)} UTC)`
}

/** Active alerts above the table. @param {any[]} alerts @param {boolean} webhook */
export function alertBanner(alerts, webhook) {
  if (alerts.length === 0)
    return h(
      'div',
      { class: 'banner ok', role: 'status' },
      'No alerts firing.',
      webhook ? ' Webhook configured.' : '',
    )
  return h(
    'div',
    { class: 'banner bad', role: 'alert' },
    h('strong', null, `${plural(alerts.length, 'alert')} firing`),
    h(
      'ul',
      null,
      alerts.map((a) =>
        h(
          'li',
          { 'data-kind': a.kind },
          h('strong', null, `${ALERT_NAMES[/** @type {keyof ALERT_NAMES} */ (a.kind)] ?? a.kind}: `),
          h('a', { href: `#/vessels/${a.vessel}` }, a.vessel),
          ` — ${a.message.replace(`${a.vessel}: `, '')}${sinceNote(a)}`,
          a.action ? h('div', { class: 'alert-action' }, `What to do: ${a.action}`) : null,
        ),
      ),
    ),
  )
}

/** The fleet page. */
export async function fleetView() {
  const o = await api('GET', '/ops/overview')
  const rows = o.vessels.map((/** @type {any} */ v) =>
    h(
      'tr',
      { class: v.alerts.length ? 'alerting' : null },
      h(
        'td',
        null,
        h('a', { href: `#/vessels/${v.imo}` }, v.imo),
        h('div', { class: 'muted' }, v.name ?? ''),
      ),
      h('td', null, linkCell(v)),
      h('td', null, v.relay ?? h('span', { class: 'muted' }, '—')),
      h('td', null, time(v.lastSyncAt)),
      h('td', null, lagBadge(v), h('div', { class: 'muted' }, `window ${duration(v.expectedWindowS)}`)),
      h('td', null, pending(v.pendingToVessel)),
      h('td', { class: 'num' }, v.pendingFromVessel),
      h('td', { class: 'num' }, `↑ ${bytes(v.today.bytesUp)}`, h('br'), `↓ ${bytes(v.today.bytesDown)}`),
      h(
        'td',
        { class: 'num' },
        usd(v.today.costUsd),
        v.today.photoBytes
          ? h('div', { class: 'muted' }, `photos ${bytes(v.today.photoBytes)} · ${usd(v.today.photoCostUsd)}`)
          : null,
      ),
      h('td', { class: 'num' }, projectedCell(v)),
      h('td', null, budgetCell(v.budget)),
      h(
        'td',
        { class: 'num' },
        v.failureRate === null
          ? '—'
          : badge(
              pct(v.failureRate),
              v.alerts.includes('failure_rate') ? 'bad' : v.failureRate > 0 ? 'warn' : 'ok',
            ),
        h(
          'div',
          { class: 'muted' },
          `${v.sessions24h.failed + (v.unreachedAttempts24h ?? 0)} of ${plural(
            v.sessions24h.complete + v.sessions24h.failed + (v.unreachedAttempts24h ?? 0),
            'attempt',
          )}`,
        ),
      ),
      h(
        'td',
        { class: 'num' },
        badge(
          `${v.conflicts.lastHour}/h`,
          v.alerts.includes('conflicts') ? 'bad' : v.conflicts.lastHour ? 'warn' : '',
        ),
        h('div', { class: 'muted' }, `${v.conflicts.last24h} in 24 h`),
      ),
      h(
        'td',
        { class: 'num' },
        v.deadLetters.open
          ? h('a', { href: '#/dead-letters' }, badge(`${v.deadLetters.open} open`, 'bad'))
          : '0',
      ),
    ),
  )
  return [
    alertBanner(o.alerts.active, o.alerts.webhook),
    h('h2', null, `Fleet · ${plural(o.vessels.length, 'vessel')}`),
    o.fleetBill ? fleetBillLine(o.fleetBill, o.vessels.length) : null,
    h(
      'table',
      { 'aria-label': 'Vessels' },
      h(
        'thead',
        null,
        h(
          'tr',
          null,
          [
            'Vessel',
            'Link',
            'Relay',
            'Last sync (UTC)',
            'Lag',
            'Pending to vessel',
            'From vessel (docs)',
            'Today',
            'Today $',
            'By 24:00 (projected)',
            'Budget',
            'Failure rate 24 h',
            'Conflicts',
            'Dead letters',
          ].map((t) => h('th', { scope: 'col' }, t)),
        ),
      ),
      h(
        'tbody',
        null,
        rows.length ? rows : h('tr', null, h('td', { colspan: 14, class: 'muted' }, 'No vessels yet.')),
      ),
    ),
    h(
      'p',
      { class: 'muted' },
      `Link price $${o.costPerMb}/MB. Figures as of ${time(o.generatedAt)}; the page refreshes every 15 s.`,
    ),
  ]
}

const WINDOW_SOURCES = {
  operator: 'set here',
  vessel: 'twice the vessel’s sync interval',
  default: 'relay default',
}

/** What an empty window field means for this vessel. @param {any} v */
const windowDefault = (v) =>
  v.expectedWindowSource === 'vessel' ? 'from the vessel’s sync interval' : 'the relay default'

/** One vessel's page. @param {string} imo @param {(msg: string) => void} flash */
export async function vesselView(imo, flash) {
  const v = await api('GET', `/ops/vessels/${encodeURIComponent(imo)}`)
  const settingsForm = h(
    'form',
    {
      class: 'inline',
      'aria-label': 'Vessel settings',
      onsubmit: async (/** @type {SubmitEvent} */ e) => {
        e.preventDefault()
        const form = /** @type {HTMLFormElement} */ (e.target)
        clearFieldErrors(form)
        const data = new FormData(form)
        const mb = String(data.get('budget') ?? '').trim()
        const hours = String(data.get('window') ?? '').trim()
        // Checked here first, in the form's units, so the error reads beside the field at once.
        let bad = false
        if (mb !== '' && !(Number(mb) >= 0)) {
          showFieldError(form, 'budget', 'Daily budget must be a number of MB, 0 or more, or empty for none')
          bad = true
        }
        if (hours !== '' && !Number.isFinite(Number(hours))) {
          showFieldError(
            form,
            'window',
            'Expected window must be a number of hours, or empty for the default',
          )
          bad = true
        } else if (hours !== '' && Number(hours) * 60 < 1) {
          showFieldError(form, 'window', 'Expected window must be at least 1 minute (0.017 hours)')
          bad = true
        }
        if (bad) return
        try {
          await api('PUT', `/ops/vessels/${imo}/settings`, {
            dailyBudgetBytes: mb === '' ? null : Math.round(Number(mb) * 1e6),
            expectedWindowS: hours === '' ? null : Math.round(Number(hours) * 3600),
          })
          flash('Settings saved.')
        } catch (err) {
          const name = { dailyBudgetBytes: 'budget', expectedWindowS: 'window' }[
            /** @type {any} */ (err).field ?? ''
          ]
          if (err instanceof ApiError && name) showFieldError(form, name, err.message)
          else flash(`Not saved: ${/** @type {Error} */ (err).message}`)
        }
      },
    },
    field(
      'budget',
      'Daily budget (MB, empty = none)',
      v.settings.dailyBudgetBytes === null ? '' : v.settings.dailyBudgetBytes / 1e6,
    ),
    field(
      'window',
      `Expected sync window (hours, empty = ${windowDefault(v)})`,
      v.settings.expectedWindowS === null ? '' : v.settings.expectedWindowS / 3600,
    ),
    h('button', { class: 'primary', type: 'submit' }, 'Save settings'),
  )
  const sessions = v.sessions
    .slice(0, 50)
    .map((/** @type {any} */ x) =>
      h(
        'tr',
        null,
        h('td', null, time(x.startedAt)),
        h(
          'td',
          null,
          x.state === 'complete'
            ? badge('complete', 'ok')
            : x.state === 'running'
              ? badge('running', 'warn')
              : badge(x.state, 'bad'),
        ),
        h('td', { class: 'num' }, x.durationMs === null ? '—' : duration(x.durationMs / 1000)),
        h('td', { class: 'num' }, bytes(x.bytesUp)),
        h('td', { class: 'num' }, bytes(x.bytesDown)),
        h('td', { class: 'num' }, `${x.changesUp} / ${x.changesDown}`),
        h('td', { class: 'num' }, x.rejected),
        h('td', { class: 'num' }, usd(x.costUsd)),
        h(
          'td',
          { class: 'muted' },
          x.budgetLimited ? badge('budget: critical only', 'warn') : '',
          x.budgetLimited && x.error ? ' ' : '',
          x.error ?? '',
        ),
      ),
    )
  return [
    h('p', null, h('a', { href: '#/' }, '← Fleet')),
    h('h2', null, `${v.imo} ${v.name ? `· ${v.name}` : ''}`),
    v.alerts.length
      ? h(
          'div',
          { class: 'banner bad', role: 'alert' },
          `Alerts firing: ${v.alerts.map((/** @type {keyof ALERT_NAMES} */ k) => ALERT_NAMES[k] ?? k).join(', ')}`,
        )
      : null,
    h(
      'p',
      { class: 'vessel-bill', 'data-testid': 'vessel-bill' },
      `${sentence(v.dailyBill.summary)}; ${plural(v.dailyBill.sessions, 'session')} and ${plural(v.dailyBill.connections, 'connection')} since 00:00 UTC.`,
      v.budget.dailyBytes === null ? '' : ` Daily budget ${kb(v.budget.dailyBytes)}.`,
    ),
    h(
      'div',
      { class: 'cards' },
      figure('Link', linkCell(v)),
      figure('Last sync (UTC)', time(v.lastSyncAt)),
      figure('Lag', v.lagSeconds === null ? 'never' : duration(v.lagSeconds)),
      figure(
        'Expected window',
        `${duration(v.expectedWindowS)} (${WINDOW_SOURCES[v.expectedWindowSource] ?? ''})`,
      ),
      figure('Pending to vessel', pending(v.pendingToVessel)),
      figure('From vessel (docs)', v.pendingFromVessel),
      figure('Today', `${bytes(v.today.bytesUp + v.today.bytesDown)} · ${usd(v.today.costUsd)}`),
      figure('By 24:00 (projected)', projectedCell(v)),
      figure('Budget', budgetCell(v.budget)),
      figure(
        'Failure rate 24 h',
        `${pct(v.failureRate)} · ${v.sessions24h.failed + (v.unreachedAttempts24h ?? 0)} of ${plural(
          v.sessions24h.complete + v.sessions24h.failed + (v.unreachedAttempts24h ?? 0),
          'attempt',
        )} failed`,
      ),
      figure('Conflicts (1 h / 24 h)', `${v.conflicts.lastHour} / ${v.conflicts.last24h}`),
      figure('Dead letters open', v.deadLetters.open),
      figure('Containers', v.containers),
    ),
    h(
      'div',
      { class: 'charts' },
      sessionBytesChart(v.sessions),
      sessionDurationChart(v.sessions),
      perDayChart(v.perDay),
    ),
    h('h3', null, 'Settings'),
    h('div', { class: 'card' }, settingsForm),
    h('h3', null, 'Recent sessions'),
    h(
      'table',
      { 'aria-label': 'Sessions' },
      h(
        'thead',
        null,
        h(
          'tr',
          null,
          [
            'Started (UTC)',
            'Outcome',
            'Duration',
            'Up',
            'Down',
            'Changes up/down',
            'Refused',
            'Cost',
            'Notes',
          ].map((t) => h('th', { scope: 'col' }, t)),
        ),
      ),
      h(
        'tbody',
        null,
        sessions.length
          ? sessions
          : h('tr', null, h('td', { colspan: 9, class: 'muted' }, 'No sessions yet.')),
      ),
    ),
    v.recentConflicts.length
      ? [
          h('h3', null, 'Recent conflicts'),
          h(
            'ul',
            null,
            v.recentConflicts.map((/** @type {any} */ c) =>
              h('li', null, `${time(c.at)} ${c.containerId} ${c.field}`),
            ),
          ),
        ]
      : null,
  ]
}
