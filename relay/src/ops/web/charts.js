// @ts-check
/**
 * Inline SVG charts for the vessel page: bytes per session (stacked up/down), session duration over
 * time, and bytes with cost per day. No chart library: a few rectangles and a polyline.
 */
import { bytes, duration, h, plural, s, usd } from './dom.js'

const W = 640
const H = 180
const PAD = { left: 70, right: 12, top: 14, bottom: 30 }

/** A "nice" upper bound for an axis. @param {number} max */
function niceMax(max) {
  if (!(max > 0)) return 1
  const p = 10 ** Math.floor(Math.log10(max))
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= max) return m * p
  return 10 * p
}

/**
 * Axes with three horizontal grid lines and a label at each end of the x axis.
 * @param {number} max @param {(n: number) => string} fmt @param {string} first @param {string} last
 */
function frame(max, fmt, first, last) {
  const g = s('g')
  for (const f of [0, 0.5, 1]) {
    const y = PAD.top + (H - PAD.top - PAD.bottom) * (1 - f)
    g.appendChild(s('line', { class: 'grid', x1: PAD.left, x2: W - PAD.right, y1: y, y2: y }))
    g.appendChild(s('text', { x: PAD.left - 4, y: y + 3, 'text-anchor': 'end' }, fmt(max * f)))
  }
  // One label per distinct value: a chart of a single day names that day once.
  if (first) g.appendChild(s('text', { x: PAD.left, y: H - 8 }, first))
  if (last && last !== first)
    g.appendChild(s('text', { x: W - PAD.right, y: H - 8, 'text-anchor': 'end' }, last))
  return g
}

/** @param {string} title @param {SVGElement} svg @param {any} [legend] */
const chartCard = (title, svg, legend) =>
  h('div', { class: 'card' }, h('h3', null, title), svg, legend ?? null)

/**
 * Bytes per session, oldest left: up (vessel → relay) below, down stacked on top; failed sessions red.
 * @param {any[]} sessions newest first, as the API returns them
 */
export function sessionBytesChart(sessions) {
  const list = [...sessions].reverse()
  const max = niceMax(Math.max(0, ...list.map((x) => x.bytesUp + x.bytesDown)))
  const plotW = W - PAD.left - PAD.right
  const plotH = H - PAD.top - PAD.bottom
  const bw = list.length ? plotW / list.length : plotW
  const svg = s('svg', {
    class: 'chart',
    viewBox: `0 0 ${W} ${H}`,
    role: 'img',
    'aria-label': 'Bytes per session',
  })
  svg.appendChild(frame(max, bytes, shortTime(list[0]?.startedAt), shortTime(list.at(-1)?.startedAt)))
  list.forEach((x, i) => {
    const xPos = PAD.left + i * bw + bw * 0.1
    const upH = (x.bytesUp / max) * plotH
    const downH = (x.bytesDown / max) * plotH
    const base = PAD.top + plotH
    const tip = `${x.startedAt}: ↑ ${bytes(x.bytesUp)}, ↓ ${bytes(x.bytesDown)} (${x.state})`
    svg.appendChild(
      s(
        'rect',
        {
          class: x.state === 'failed' ? 'failed' : 'up',
          x: xPos,
          y: base - upH,
          width: bw * 0.8,
          height: upH,
        },
        s('title', {}, tip),
      ),
    )
    svg.appendChild(
      s(
        'rect',
        { class: 'down', x: xPos, y: base - upH - downH, width: bw * 0.8, height: downH },
        s('title', {}, tip),
      ),
    )
  })
  const legend = h(
    'div',
    { class: 'legend' },
    h('span', { class: 'swatch up' }),
    'up (vessel → relay)',
    h('span', { class: 'swatch down' }),
    'down',
    h('span', { class: 'swatch failed' }),
    'failed session',
  )
  return chartCard(`Bytes per session (last ${list.length})`, svg, legend)
}

/** Session duration over time. @param {any[]} sessions newest first */
export function sessionDurationChart(sessions) {
  const list = [...sessions].reverse().filter((x) => x.durationMs !== null)
  const max = niceMax(Math.max(0, ...list.map((x) => x.durationMs / 1000)))
  const t0 = list.length ? Date.parse(list[0].startedAt) : 0
  const t1 = list.length ? Date.parse(list.at(-1).startedAt) : 1
  const span = Math.max(1, t1 - t0)
  const plotW = W - PAD.left - PAD.right
  const plotH = H - PAD.top - PAD.bottom
  const x = (/** @type {any} */ r) => PAD.left + ((Date.parse(r.startedAt) - t0) / span) * plotW
  const y = (/** @type {any} */ r) => PAD.top + plotH * (1 - r.durationMs / 1000 / max)
  const svg = s('svg', {
    class: 'chart',
    viewBox: `0 0 ${W} ${H}`,
    role: 'img',
    'aria-label': 'Session duration',
  })
  svg.appendChild(frame(max, duration, shortTime(list[0]?.startedAt), shortTime(list.at(-1)?.startedAt)))
  if (list.length > 1)
    svg.appendChild(s('polyline', { class: 'line', points: list.map((r) => `${x(r)},${y(r)}`).join(' ') }))
  for (const r of list)
    svg.appendChild(
      s(
        'circle',
        { class: r.state === 'failed' ? 'failed' : 'up', cx: x(r), cy: y(r), r: 2.5 },
        s('title', {}, `${r.startedAt}: ${duration(r.durationMs / 1000)} (${r.state})`),
      ),
    )
  return chartCard('Session duration over time', svg)
}

/** Bytes and cost per UTC day. @param {any[]} days oldest first */
export function perDayChart(days) {
  const max = niceMax(Math.max(0, ...days.map((d) => d.bytesUp + d.bytesDown)))
  const plotW = W - PAD.left - PAD.right
  const plotH = H - PAD.top - PAD.bottom
  const bw = days.length ? plotW / days.length : plotW
  const svg = s('svg', {
    class: 'chart',
    viewBox: `0 0 ${W} ${H}`,
    role: 'img',
    'aria-label': 'Bytes per day',
  })
  // Up to 14 days each bar carries its own date below it; beyond that only the first and last.
  const perBar = days.length <= 14
  svg.appendChild(
    frame(max, bytes, perBar ? '' : (days[0]?.day ?? ''), perBar ? '' : (days.at(-1)?.day ?? '')),
  )
  days.forEach((d, i) => {
    const total = d.bytesUp + d.bytesDown
    const bh = (total / max) * plotH
    const xPos = PAD.left + i * bw + bw * 0.15
    svg.appendChild(
      s(
        'rect',
        { class: 'up', x: xPos, y: PAD.top + plotH - bh, width: bw * 0.7, height: bh },
        s(
          'title',
          {},
          `${d.day}: ${bytes(total)}, ${usd(d.costUsd)}, ${plural(d.sessions, 'session')} (${d.failed} failed)`,
        ),
      ),
    )
    if (perBar) {
      svg.appendChild(
        s(
          'text',
          { x: xPos + bw * 0.35, y: PAD.top + plotH - bh - 3, 'text-anchor': 'middle' },
          usd(d.costUsd),
        ),
      )
      svg.appendChild(
        s('text', { class: 'day', x: xPos + bw * 0.35, y: H - 8, 'text-anchor': 'middle' }, d.day.slice(5)),
      )
    }
  })
  return chartCard('Bytes and cost per day (UTC)', svg)
}

/** @param {string | undefined} iso */
function shortTime(iso) {
  return iso ? iso.slice(5, 16).replace('T', ' ') : ''
}
