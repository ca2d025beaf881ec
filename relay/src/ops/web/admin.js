// @ts-check
/* global navigator, FormData */
/**
 * The operator's actions: dead letters (inspect, retry, discard with a reason), tokens (create,
 * revoke) and the alert history.
 */
import {
  api,
  ApiError,
  badge,
  clearFieldErrors,
  clock,
  field,
  h,
  plural,
  showFieldError,
  time,
} from './dom.js'

/** Shows a message and renders the page again. @typedef {(msg: string) => void} Flash */

/** @param {string} status */
export async function deadLettersView(status) {
  const { items, counts } = await api(
    'GET',
    `/ops/dead-letters?status=${encodeURIComponent(status)}&limit=200`,
  )
  const tabs = ['open', 'retried', 'discarded'].map((st) =>
    h(
      'a',
      { href: `#/dead-letters?status=${st}`, 'aria-current': st === status ? 'page' : null, class: 'badge' },
      `${st} (${counts[st]})`,
    ),
  )
  const rows = items.map((/** @type {any} */ d) =>
    h(
      'tr',
      null,
      h('td', null, h('a', { href: `#/dead-letters/${d.id}` }, `#${d.id}`)),
      h('td', null, time(d.at)),
      h('td', null, d.principal),
      h('td', null, d.vessel ?? '—'),
      h('td', null, d.containerId ?? '—'),
      h('td', null, d.field ?? '—'),
      h('td', null, d.reason),
      h('td', null, d.status === 'open' ? badge('open', 'bad') : badge(d.status)),
    ),
  )
  return [
    h('h2', null, 'Dead letters'),
    h(
      'p',
      null,
      tabs.flatMap((t) => [t, ' ']),
    ),
    h(
      'table',
      { 'aria-label': 'Dead letters' },
      h(
        'thead',
        null,
        h(
          'tr',
          null,
          ['#', 'Refused at (UTC)', 'Principal', 'Vessel', 'Container', 'Field', 'Reason', 'Status'].map(
            (t) => h('th', { scope: 'col' }, t),
          ),
        ),
      ),
      h(
        'tbody',
        null,
        rows.length
          ? rows
          : h('tr', null, h('td', { colspan: 8, class: 'muted' }, `No ${status} dead letters.`)),
      ),
    ),
  ]
}

/** @param {number} id @param {Flash} flash */
export async function deadLetterView(id, flash) {
  const d = await api('GET', `/ops/dead-letters/${id}`)
  const act = async (/** @type {() => Promise<string>} */ fn) => {
    try {
      flash(await fn())
    } catch (err) {
      flash(`Not done: ${/** @type {Error} */ (err).message}`)
    }
  }
  const discard = h(
    'form',
    {
      class: 'inline',
      onsubmit: (/** @type {SubmitEvent} */ e) => {
        e.preventDefault()
        const reason = String(new FormData(/** @type {HTMLFormElement} */ (e.target)).get('reason') ?? '')
        void act(async () => {
          await api('POST', `/ops/dead-letters/${id}/discard`, { reason })
          return `Dead letter #${id} discarded.`
        })
      },
    },
    h(
      'label',
      null,
      'Reason for discarding (audited)',
      h('input', { name: 'reason', size: 50, required: true, maxlength: 500 }),
    ),
    h('button', { class: 'danger', type: 'submit' }, 'Discard'),
  )
  const retry = h(
    'button',
    {
      class: 'primary',
      type: 'button',
      onclick: () =>
        act(async () => {
          const r = await api('POST', `/ops/dead-letters/${id}/retry`)
          return r.outcome === 'applied'
            ? `Dead letter #${id}: policy accepts it now; applied.`
            : `Dead letter #${id} was already stored.`
        }),
    },
    'Retry with current policy',
  )
  const changes = d.decoded.changes.map((/** @type {any} */ c) =>
    h(
      'div',
      { class: 'card' },
      h(
        'dl',
        { class: 'facts' },
        h('dt', null, 'Change'),
        h('dd', { class: 'mono' }, c.hash),
        h('dt', null, 'Author'),
        h('dd', null, c.author ?? h('span', { class: 'muted' }, `unbound actor ${c.actor}`)),
        h('dt', null, 'Time (author clock)'),
        h('dd', null, time(c.time)),
        h('dt', null, 'Fields touched'),
        h('dd', null, c.fields.join(', ') || '—'),
        h('dt', null, 'Depends on'),
        h(
          'dd',
          { class: 'mono' },
          c.deps.map((/** @type {string} */ x) => x.slice(0, 12) + '…').join(' ') || '—',
        ),
      ),
      h(
        'table',
        { 'aria-label': 'Operations' },
        h(
          'thead',
          null,
          h(
            'tr',
            null,
            ['Field', 'Path', 'Action', 'Value'].map((t) => h('th', { scope: 'col' }, t)),
          ),
        ),
        h(
          'tbody',
          null,
          c.touched.map((/** @type {any} */ t) =>
            h(
              'tr',
              null,
              h('td', null, t.field ?? '—'),
              h('td', { class: 'mono' }, t.path ?? '?'),
              h('td', null, t.action),
              h('td', { class: 'mono' }, t.value ?? ''),
            ),
          ),
        ),
      ),
      c.ops > c.touched.length
        ? h('p', { class: 'muted' }, `…and ${c.ops - c.touched.length} more operations.`)
        : null,
    ),
  )
  return [
    h('p', null, h('a', { href: '#/dead-letters' }, '← Dead letters')),
    h('h2', null, `Dead letter #${d.id}`),
    h(
      'div',
      { class: 'card' },
      h(
        'dl',
        { class: 'facts' },
        h('dt', null, 'Status'),
        h(
          'dd',
          null,
          d.status === 'open' ? badge('open', 'bad') : badge(d.status),
          d.resolvedBy ? ` by ${d.resolvedBy} at ${time(d.resolvedAt)}` : '',
        ),
        d.resolutionNote ? [h('dt', null, 'Resolution'), h('dd', null, d.resolutionNote)] : null,
        h('dt', null, 'Principal'),
        h('dd', null, d.principal),
        h('dt', null, 'Vessel / container'),
        h('dd', null, `${d.vessel ?? '—'} / ${d.containerId ?? '—'}`),
        h('dt', null, 'Refused at (UTC)'),
        h('dd', null, time(d.at)),
        h('dt', null, 'Reason'),
        h('dd', null, d.reason),
        h('dt', null, 'Field'),
        h('dd', null, d.field ?? '—'),
        h('dt', null, 'Stored bytes'),
        h('dd', null, `${d.size} bytes (${d.decoded.kind}${d.decoded.error ? `: ${d.decoded.error}` : ''})`),
      ),
    ),
    d.status === 'open' ? h('div', { class: 'card' }, retry, h('hr'), discard) : null,
    h('h3', null, `Decoded (${d.decoded.changes.length} change${d.decoded.changes.length === 1 ? '' : 's'})`),
    changes,
  ]
}

/** @param {Flash} flash */
export async function tokensView(flash) {
  const tokens = await api('GET', '/ops/tokens?all=1')
  /** @type {HTMLElement | null} */
  let issued = null
  const form = h(
    'form',
    {
      class: 'inline',
      onsubmit: async (/** @type {SubmitEvent} */ e) => {
        e.preventDefault()
        const data = new FormData(/** @type {HTMLFormElement} */ (e.target))
        const kind = String(data.get('kind'))
        try {
          const r = await api('POST', '/ops/tokens', {
            kind,
            subject: String(data.get('subject') ?? ''),
            ...(kind === 'user'
              ? { role: String(data.get('role')) }
              : { name: String(data.get('name') ?? '') || undefined }),
          })
          issued?.replaceChildren(
            h(
              'p',
              null,
              `Token for ${r.record.subject} (${r.record.kind}, id ${r.record.id}). It is shown once; copy it now:`,
            ),
            h('div', { class: 'secret', id: 'new-token' }, r.token),
            h('button', { type: 'button', onclick: () => navigator.clipboard?.writeText(r.token) }, 'Copy'),
          )
        } catch (err) {
          flash(`Not created: ${/** @type {Error} */ (err).message}`)
        }
      },
    },
    h(
      'label',
      null,
      'Kind',
      h(
        'select',
        { name: 'kind' },
        h('option', { value: 'user' }, 'user'),
        h('option', { value: 'vessel' }, 'vessel'),
      ),
    ),
    h('label', null, 'User name or vessel IMO', h('input', { name: 'subject', required: true })),
    h(
      'label',
      null,
      'Role (users)',
      h(
        'select',
        { name: 'role' },
        ['shore', 'customs', 'ops'].map((r) => h('option', { value: r }, r)),
      ),
    ),
    h('label', null, 'Vessel name (vessels)', h('input', { name: 'name' })),
    h('button', { class: 'primary', type: 'submit' }, 'Create token'),
  )
  issued = h('div', { 'aria-live': 'polite' })
  const rows = tokens.map((/** @type {any} */ t) =>
    h(
      'tr',
      null,
      h('td', { class: 'mono' }, t.id),
      h('td', null, t.kind),
      h('td', null, t.subject),
      h('td', null, t.role ?? '—'),
      h('td', null, time(t.createdAt)),
      h(
        'td',
        null,
        t.revokedAt
          ? badge(`revoked ${time(t.revokedAt)}`)
          : t.connected
            ? badge(`connected (${t.connected})`, 'ok')
            : badge('live'),
      ),
      h(
        'td',
        null,
        t.revokedAt
          ? ''
          : h(
              'button',
              {
                class: 'danger',
                type: 'button',
                onclick: async () => {
                  try {
                    const r = await api('POST', `/ops/tokens/${t.id}/revoke`)
                    flash(
                      `Token ${t.id} of ${t.subject} revoked${r.disconnected ? `; ${r.disconnected} open connection(s) cut` : ''}.`,
                    )
                  } catch (err) {
                    flash(`Not revoked: ${/** @type {Error} */ (err).message}`)
                  }
                },
              },
              'Revoke',
            ),
      ),
    ),
  )
  return [
    h('h2', null, 'Tokens'),
    h('div', { class: 'card' }, form, issued),
    h(
      'table',
      { 'aria-label': 'Tokens' },
      h(
        'thead',
        null,
        h(
          'tr',
          null,
          ['ID', 'Kind', 'Subject', 'Role', 'Created (UTC)', 'State', ''].map((t) =>
            h('th', { scope: 'col' }, t),
          ),
        ),
      ),
      h('tbody', null, rows),
    ),
  ]
}

/**
 * The alert thresholds as a form, in the units an operator thinks in (minutes, %), each error beside
 * its field. `fields` comes from the API: label, unit and the factor from stored to shown units.
 * @param {any} a the `/ops/alerts` answer @param {(msg: string) => void} flash
 */
function thresholdsForm(a, flash) {
  /** @type {any[]} */
  const fields = a.thresholdFields
  const shown = (/** @type {any} */ f) => Math.round(a.thresholds[f.key] * f.scale * 1e6) / 1e6
  return h(
    'form',
    {
      class: 'inline',
      'aria-label': 'Alert thresholds',
      oninput: (/** @type {Event} */ e) =>
        /** @type {HTMLFormElement} */ (/** @type {HTMLElement} */ (e.target).closest('form')).setAttribute(
          'data-dirty',
          '',
        ),
      onsubmit: async (/** @type {SubmitEvent} */ e) => {
        e.preventDefault()
        const form = /** @type {HTMLFormElement} */ (e.target)
        clearFieldErrors(form)
        const data = new FormData(form)
        /** @type {Record<string, number>} */
        const patch = {}
        let bad = false
        for (const f of fields) {
          const raw = String(data.get(f.key) ?? '').trim()
          const n = Number(raw)
          if (raw === '' || !Number.isFinite(n)) {
            showFieldError(form, f.key, `${f.label} must be a number of ${f.unit}`)
            bad = true
          } else if (n !== shown(f)) patch[f.key] = n / f.scale
        }
        if (bad) return
        try {
          await api('PUT', '/ops/alerts/thresholds', patch)
          form.removeAttribute('data-dirty')
          flash('Alert thresholds saved.')
        } catch (err) {
          if (err instanceof ApiError && err.field) showFieldError(form, err.field, err.message)
          else flash(`Not saved: ${/** @type {Error} */ (err).message}`)
        }
      },
    },
    fields.map((f) => field(f.key, `${f.label} (${f.unit})`, shown(f))),
    h('button', { class: 'primary', type: 'submit' }, 'Save thresholds'),
  )
}

/** @param {(msg: string) => void} flash */
export async function alertsView(flash) {
  const a = await api('GET', '/ops/alerts')
  const t = a.thresholds
  const rows = a.recent.map((/** @type {any} */ x) =>
    h(
      'tr',
      null,
      h('td', null, x.state === 'firing' ? badge('firing', 'bad') : badge('resolved', 'ok')),
      h('td', null, x.kind),
      // A callback alert is about a subscription, not a vessel.
      h('td', null, x.kind === 'callback' ? x.vessel : h('a', { href: `#/vessels/${x.vessel}` }, x.vessel)),
      h(
        'td',
        null,
        x.message,
        x.state === 'firing' ? h('div', { class: 'alert-action muted' }, x.action) : null,
      ),
      h('td', null, clock(x.since ?? x.startedAt)),
      h('td', null, time(x.startedAt)),
      h('td', null, time(x.resolvedAt)),
    ),
  )
  return [
    h('h2', null, 'Alerts'),
    h(
      'p',
      { class: 'muted' },
      `Rules: no successful session for longer than the vessel's expected window + ${t.lagGraceS / 60} min; ` +
        `failure rate above ${t.failureRate * 100} % (at least ${plural(t.minSessions, 'attempt')} in 24 h, counting ` +
        `those the vessel reports never reached the relay); the daily budget spent with changes held back; ` +
        `${plural(t.deadLetters, 'open dead letter')} or more; more than ${plural(t.conflictsPerHour, 'conflict')} in an hour. `,
      a.webhook
        ? 'Notifications go to the configured webhook.'
        : 'No webhook configured (relay serve --alert-webhook URL).',
    ),
    h('h3', null, 'Thresholds'),
    h('div', { class: 'card' }, thresholdsForm(a, flash)),
    h(
      'table',
      { 'aria-label': 'Alerts' },
      h(
        'thead',
        null,
        h(
          'tr',
          null,
          ['State', 'Rule', 'Vessel', 'Message', 'Since (UTC)', 'Fired (UTC)', 'Resolved (UTC)'].map((x) =>
            h('th', { scope: 'col' }, x),
          ),
        ),
      ),
      h(
        'tbody',
        null,
        rows.length ? rows : h('tr', null, h('td', { colspan: 7, class: 'muted' }, 'No alerts yet.')),
      ),
    ),
  ]
}
