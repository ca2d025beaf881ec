/**
 * Reefer readings over the voyage, drawn as SVG: supply and return air, the ordered set point
 * (cargo), the set point on the controller (reefer) with the tolerance band around it, and alarm markers. The chart is an image
 * with a title and a text description for screen readers, plus a table of the latest readings.
 * Hand-drawn SVG rather than a canvas library: it is crisp at any size, prints, and its parts can be
 * found by tests and assistive technology.
 */
import { useEffect, useId, useRef, useState } from 'react'
import type { RefObject } from 'react'
import type { ReeferReading } from '@tally/manifest'
import { linearScale, niceTicks, splitAtGaps, timeTicks } from './chartScale.ts'
import { formatAxisTime, formatTemperature, formatTime } from './format.ts'
import type { AlarmSpan } from './history.ts'
import { formatDegrees, REEFER_TOLERANCE_C } from './reefer-tolerance.ts'

export interface ReeferChartProps {
  readings: readonly ReeferReading[]
  /** The set point the shipper ordered (`cargo.reeferSetpointC`). */
  orderedSetpointC: number | null
  /** The set point on the unit's controller (`reefer.actualSetpointC`). */
  actualSetpointC: number | null
  /** Alarms to mark; see `alarmsFromHistory`. */
  alarms?: readonly AlarmSpan[]
  /** Heading of the chart, also its accessible title. */
  title?: string
  height?: number
  /** How many of the latest readings the data table lists. */
  tableRows?: number
}

const MARGIN = { top: 22, right: 16, bottom: 30, left: 52 }
/** Readings further apart than this are not joined: the unit was off or unreported. */
const MAX_GAP_MS = 3 * 3_600_000
const DEFAULT_WIDTH = 760

function useWidth(): [RefObject<HTMLDivElement | null>, number] {
  const ref = useRef<HTMLDivElement>(null)
  const [width, setWidth] = useState(DEFAULT_WIDTH)
  useEffect(() => {
    const el = ref.current
    if (!el || typeof ResizeObserver === 'undefined') return
    const observer = new ResizeObserver((entries) => {
      const w = Math.round(entries[0]?.contentRect.width ?? DEFAULT_WIDTH)
      if (w > 0) setWidth(w)
    })
    observer.observe(el)
    return () => observer.disconnect()
  }, [])
  return [ref, width]
}

function describe(props: ReeferChartProps): string {
  const { readings, orderedSetpointC, actualSetpointC, alarms = [] } = props
  const parts: string[] = []
  if (readings.length === 0) parts.push('No readings yet.')
  else {
    const first = readings[0]!
    const last = readings[readings.length - 1]!
    const supply = readings.map((r) => r.supplyC)
    parts.push(
      `${readings.length} readings from ${formatTime(first.at)} to ${formatTime(last.at)}.`,
      `Supply air between ${formatTemperature(Math.min(...supply))} and ${formatTemperature(Math.max(...supply))}.`,
      `Latest: supply ${formatTemperature(last.supplyC)}, return ${formatTemperature(last.returnC)}.`,
    )
  }
  parts.push(
    `Ordered set point ${formatTemperature(orderedSetpointC)}; controller ${formatTemperature(actualSetpointC)}.`,
  )
  const band = actualSetpointC ?? orderedSetpointC
  if (band !== null)
    parts.push(
      `Tolerance band ${formatDegrees(band - REEFER_TOLERANCE_C)} to ${formatDegrees(band + REEFER_TOLERANCE_C)}.`,
    )
  parts.push(
    alarms.length === 0
      ? 'No alarms.'
      : `${alarms.length} alarm${alarms.length === 1 ? '' : 's'}: ${alarms
          .map(
            (a) =>
              `${a.code} at ${formatTime(a.at)}${a.clearedAt ? `, cleared ${formatTime(a.clearedAt)}` : ', active'}`,
          )
          .join('; ')}.`,
  )
  return parts.join(' ')
}

export function ReeferChart(props: ReeferChartProps) {
  const {
    readings,
    orderedSetpointC,
    actualSetpointC,
    alarms = [],
    title = 'Reefer temperatures',
    height = 260,
  } = props
  const id = useId().replace(/[^a-zA-Z0-9_-]/g, '')
  const [wrapRef, width] = useWidth()
  const sorted = [...readings].sort((a, b) => Date.parse(a.at) - Date.parse(b.at))

  const times = [...sorted.map((r) => Date.parse(r.at)), ...alarms.map((a) => Date.parse(a.at))].filter(
    Number.isFinite,
  )
  const now = Date.now()
  let t0 = times.length ? Math.min(...times) : now - 86_400_000
  let t1 = times.length ? Math.max(...times) : now
  if (t1 - t0 < 3_600_000) [t0, t1] = [t0 - 1_800_000, t1 + 1_800_000]

  // The band readings are judged against on entry: the controller's set point, else the ordered one.
  const bandAround = actualSetpointC ?? orderedSetpointC
  const temps = [
    ...sorted.flatMap((r) => [r.supplyC, r.returnC]),
    ...[orderedSetpointC, actualSetpointC].filter((v): v is number => v !== null),
    ...(bandAround === null ? [] : [bandAround - REEFER_TOLERANCE_C, bandAround + REEFER_TOLERANCE_C]),
  ]
  const lo = temps.length ? Math.min(...temps) - 1 : -25
  const hi = temps.length ? Math.max(...temps) + 1 : 5
  const yTicks = niceTicks(lo, hi, height < 200 ? 4 : 6)
  const xTicks = timeTicks(t0, t1, Math.max(2, Math.floor(width / 130)))
  const x = linearScale([t0, t1], [MARGIN.left, width - MARGIN.right])
  const y = linearScale(yTicks.domain, [height - MARGIN.bottom, MARGIN.top])

  const pathOf = (value: (r: ReeferReading) => number): string =>
    splitAtGaps(sorted, (r) => Date.parse(r.at), MAX_GAP_MS)
      .map((run) =>
        run
          .map((r, i) => `${i === 0 ? 'M' : 'L'}${x(Date.parse(r.at)).toFixed(1)},${y(value(r)).toFixed(1)}`)
          .join(''),
      )
      .join('')
  const single = sorted.length === 1 ? sorted[0]! : null
  const description = describe(props)
  const rows = sorted.slice(-(props.tableRows ?? 24)).reverse()

  return (
    <figure className="tly-chart" data-testid="reefer-chart">
      <figcaption className="tly-chart__caption">
        <span className="tly-chart__title">{title}</span>
        <span className="tly-chart__legend" aria-hidden="true">
          <span className="tly-legend tly-legend--supply">Supply</span>
          <span className="tly-legend tly-legend--return">Return</span>
          <span className="tly-legend tly-legend--ordered">Ordered set point</span>
          {(actualSetpointC ?? orderedSetpointC) !== null && (
            <span className="tly-legend tly-legend--band">Set point ±{REEFER_TOLERANCE_C} °C</span>
          )}
          {actualSetpointC !== null && actualSetpointC !== orderedSetpointC && (
            <span className="tly-legend tly-legend--actual">Controller set point</span>
          )}
          {alarms.length > 0 && <span className="tly-legend tly-legend--alarm">Alarm</span>}
        </span>
      </figcaption>
      <div ref={wrapRef} className="tly-chart__plot">
        <svg
          width={width}
          height={height}
          viewBox={`0 0 ${width} ${height}`}
          role="img"
          aria-labelledby={`${id}-t ${id}-d`}
          data-testid="reefer-chart-svg"
        >
          <title id={`${id}-t`}>{title}</title>
          <desc id={`${id}-d`}>{description}</desc>
          <g className="tly-chart__grid">
            {yTicks.ticks.map((t) => (
              <g key={`y${t}`}>
                <line x1={MARGIN.left} x2={width - MARGIN.right} y1={y(t)} y2={y(t)} />
                <text x={MARGIN.left - 6} y={y(t)} dy="0.32em" textAnchor="end">
                  {t}°
                </text>
              </g>
            ))}
            {xTicks.ticks.map((t) => (
              <g key={`x${t}`}>
                <line x1={x(t)} x2={x(t)} y1={MARGIN.top} y2={height - MARGIN.bottom} />
                <text x={x(t)} y={height - MARGIN.bottom + 18} textAnchor="middle">
                  {formatAxisTime(t, xTicks.daily)}
                </text>
              </g>
            ))}
          </g>
          {alarms.map((a) => {
            // An alarm cleared after the last reading (or raised before the first) would otherwise
            // paint past the plot's edge.
            const clamp = (px: number) => Math.min(width - MARGIN.right, Math.max(MARGIN.left, px))
            const at = clamp(x(Date.parse(a.at)))
            const end = a.clearedAt ? clamp(x(Date.parse(a.clearedAt))) : width - MARGIN.right
            return (
              <g key={`${a.at}-${a.code}`} className="tly-chart__alarm" data-testid="reefer-chart-alarm">
                <title>{`Alarm ${a.code} at ${formatTime(a.at)}${a.note ? `: ${a.note}` : ''}`}</title>
                <rect
                  x={at}
                  y={MARGIN.top}
                  width={Math.max(2, end - at)}
                  height={height - MARGIN.top - MARGIN.bottom}
                />
                <line x1={at} x2={at} y1={MARGIN.top - 4} y2={height - MARGIN.bottom} />
                <path d={`M${at - 6},${MARGIN.top - 14}h12l-6,10z`} />
                <text x={at + 8} y={MARGIN.top - 6}>
                  {a.code}
                </text>
              </g>
            )
          })}
          {bandAround !== null && (
            <rect
              className="tly-chart__band"
              x={MARGIN.left}
              width={Math.max(0, width - MARGIN.left - MARGIN.right)}
              y={y(bandAround + REEFER_TOLERANCE_C)}
              height={Math.max(0, y(bandAround - REEFER_TOLERANCE_C) - y(bandAround + REEFER_TOLERANCE_C))}
              data-testid="reefer-chart-band"
            >
              <title>{`Tolerance: ${formatDegrees(bandAround - REEFER_TOLERANCE_C)} to ${formatDegrees(
                bandAround + REEFER_TOLERANCE_C,
              )}`}</title>
            </rect>
          )}
          {orderedSetpointC !== null && (
            <line
              className="tly-chart__setpoint tly-chart__setpoint--ordered"
              x1={MARGIN.left}
              x2={width - MARGIN.right}
              y1={y(orderedSetpointC)}
              y2={y(orderedSetpointC)}
              data-testid="reefer-chart-setpoint"
            />
          )}
          {actualSetpointC !== null && actualSetpointC !== orderedSetpointC && (
            <line
              className="tly-chart__setpoint tly-chart__setpoint--actual"
              x1={MARGIN.left}
              x2={width - MARGIN.right}
              y1={y(actualSetpointC)}
              y2={y(actualSetpointC)}
            />
          )}
          <path className="tly-chart__line tly-chart__line--return" d={pathOf((r) => r.returnC)} />
          <path
            className="tly-chart__line tly-chart__line--supply"
            d={pathOf((r) => r.supplyC)}
            data-testid="reefer-chart-supply"
          />
          {single && (
            <>
              <circle
                className="tly-chart__dot--return"
                cx={x(Date.parse(single.at))}
                cy={y(single.returnC)}
                r={4}
              />
              <circle
                className="tly-chart__dot--supply"
                cx={x(Date.parse(single.at))}
                cy={y(single.supplyC)}
                r={4}
              />
            </>
          )}
          {sorted.length === 0 && (
            <text className="tly-chart__empty" x={width / 2} y={height / 2} textAnchor="middle">
              No readings yet
            </text>
          )}
        </svg>
      </div>
      {rows.length > 0 && (
        <details className="tly-chart__table">
          <summary>Latest {rows.length} readings as a table</summary>
          <table className="tly-table">
            <thead>
              <tr>
                <th scope="col">Time</th>
                <th scope="col">Supply</th>
                <th scope="col">Return</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr key={r.at}>
                  <td>{formatTime(r.at)}</td>
                  <td>{formatTemperature(r.supplyC)}</td>
                  <td>{formatTemperature(r.returnC)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </details>
      )}
    </figure>
  )
}
