/**
 * Today's satellite bill on the sync panel: what the link has cost since 00:00 UTC and where the day
 * is heading ("Today 41 KB so far, about 80 KB by 24:00, $0.80"), the sessions and connections it
 * took, and a small chart of the bytes per hour beside the projected day's hourly average, for
 * those who would rather look than read. The figures come from `GET /api/sync` (`dailyBill`).
 */
import { formatCount } from '@tally/ui'
import type { DailyBill } from './api.ts'

const CHART = { width: 288, height: 72, gap: 2 }

const plural = (n: number, one: string, many: string) => `${formatCount(n)} ${n === 1 ? one : many}`
const kb = (bytes: number) => {
  const value = bytes / 1000
  return `${value < 10 ? value.toFixed(1) : Math.round(value).toLocaleString('en-US')} KB`
}

export function DailyBillCard({ bill }: { bill: DailyBill }) {
  const sentence = bill.summary.charAt(0).toUpperCase() + bill.summary.slice(1)
  return (
    <section className="tly-card daily-bill" aria-labelledby="daily-bill-h" data-testid="daily-bill">
      <h2 id="daily-bill-h" className="card-kicker">
        Today’s satellite bill
      </h2>
      <p className="daily-bill__summary" data-testid="daily-bill-summary">
        {sentence}.
      </p>
      <p className="tly-muted" data-testid="daily-bill-counts">
        {kb(bill.bytesUp)} up and {kb(bill.bytesDown)} down in{' '}
        {plural(bill.sessions, 'sync session', 'sync sessions')} over{' '}
        {plural(bill.connections, 'connection', 'connections')} since 00:00 UTC.
      </p>
      <HourlyChart bill={bill} />
    </section>
  )
}

function HourlyChart({ bill }: { bill: DailyBill }) {
  const now = Math.min(23, Math.floor(bill.dayFraction * 24))
  const average = bill.projectedBytes / 24
  const top = Math.max(1, average, ...bill.hourly.map((h) => h.bytesUp + h.bytesDown))
  const barWidth = (CHART.width - CHART.gap * 23) / 24
  const y = (bytes: number) => CHART.height - (bytes / top) * (CHART.height - 4)
  const busiest = bill.hourly.reduce((a, b) => (b.bytesUp + b.bytesDown > a.bytesUp + a.bytesDown ? b : a))
  const label =
    `Bytes per hour today. The busiest hour so far, ${String(busiest.hour).padStart(2, '0')}:00, moved ` +
    `${kb(busiest.bytesUp + busiest.bytesDown)}; the projected day averages ${kb(average)} an hour.`
  return (
    <figure className="daily-bill__chart">
      <svg
        viewBox={`0 0 ${CHART.width} ${CHART.height + 14}`}
        role="img"
        aria-label={label}
        data-testid="daily-bill-chart"
      >
        {bill.hourly.map((h) => {
          const bytes = h.bytesUp + h.bytesDown
          const x = h.hour * (barWidth + CHART.gap)
          const state = h.hour < now ? 'past' : h.hour === now ? 'now' : 'future'
          return (
            <rect
              key={h.hour}
              className={`daily-bill__bar daily-bill__bar--${state}`}
              x={x}
              y={state === 'future' ? CHART.height - 1 : y(bytes)}
              width={barWidth}
              height={state === 'future' ? 1 : Math.max(1, CHART.height - y(bytes))}
            >
              <title>{`${String(h.hour).padStart(2, '0')}:00 UTC: ${kb(bytes)}`}</title>
            </rect>
          )
        })}
        <line
          className="daily-bill__average"
          x1={0}
          x2={CHART.width}
          y1={y(average)}
          y2={y(average)}
          data-testid="daily-bill-average"
        />
        {[0, 6, 12, 18].map((hour) => (
          <text
            key={hour}
            className="daily-bill__axis"
            x={hour * (barWidth + CHART.gap)}
            y={CHART.height + 12}
          >
            {String(hour).padStart(2, '0')}:00
          </text>
        ))}
      </svg>
      <figcaption className="tly-muted">
        Bars: bytes each hour (UTC). Dashed line: the hourly average of the projected day.
      </figcaption>
    </figure>
  )
}
