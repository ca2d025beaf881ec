/**
 * The daily-bill bench's rows: one measured run scaled to 24 h, the latencies by priority class with
 * their targets, and the figures it is compared with (the one-session day and stock automerge-repo,
 * from the same `npm run bench` run when those sections ran, else from docs/benchmarks.md).
 */
import type { PriorityClass } from '@tally/manifest'
import type { Outcome } from './daily-bill-replay.ts'
import type { VariantMeasurement } from './daily-bill.ts'
import type { BenchRow } from './report.ts'
import { median } from './report.ts'

const SECTION = 'daily bill'
export const TARGETS = {
  bytesPerDay: 100_000,
  latencyS: { critical: 60, normal: 15 * 60, routine: 60 * 60 } as Record<PriorityClass, number>,
}
/** Reference figures of docs/benchmarks.md, used when their sections did not run in this run. */
export const DOCUMENTED = { oneSessionDay: 36_126, stockRepoOneSession: 1_830_546 }
const USD_PER_MB = 10

const met = (ok: boolean) => (ok ? 'met' : 'NOT met')
const kb = (bytes: number) => `${Math.round(bytes / 1000).toLocaleString('en-US')} KB`

interface LatencySummary {
  tracked: number
  arrived: number[]
  pending: Outcome[]
}

function summarize(outcomes: readonly Outcome[], keep: (o: Outcome) => boolean): LatencySummary {
  const tracked = outcomes.filter((o) => keep(o) && o.editedAt !== null && !o.hidden && o.error === null)
  return {
    tracked: tracked.length,
    arrived: tracked.filter((o) => o.arrivedAt !== null).map((o) => (o.arrivedAt! - o.editedAt!) / 1000),
    pending: tracked.filter((o) => o.arrivedAt === null),
  }
}

function latencyRows(m: VariantMeasurement, cls: PriorityClass): BenchRow[] {
  const label = m.label
  const all = summarize(m.result.outcomes, (o) => o.replay.priority === cls)
  const target = TARGETS.latencyS[cls]
  const endedAt = m.result.endedAt
  const pendingAge = all.pending.map((o) => (endedAt - o.editedAt!) / 1000)
  const maxArrived = all.arrived.length ? Math.max(...all.arrived) : null
  const worst = pendingAge.length ? Math.max(...pendingAge) : null
  const dirs = (['up', 'down'] as const)
    .map((d) => {
      const s = summarize(m.result.outcomes, (o) => o.replay.priority === cls && o.replay.direction === d)
      if (s.tracked === 0) return null
      const max = s.arrived.length ? `max ${Math.max(...s.arrived).toFixed(1)} s` : 'none arrived'
      return `${d === 'up' ? 'ship→shore' : 'shore→ship'} ${s.tracked} (${max}${s.pending.length ? `, ${s.pending.length} pending` : ''})`
    })
    .filter(Boolean)
    .join('; ')
  // An edit still on its way but younger than the bound has not broken it (a reading written after
  // the last round waits for the next one); one older than the bound has.
  const ok =
    all.tracked > 0 &&
    (maxArrived ?? 0) <= target &&
    (worst ?? 0) <= target &&
    (all.arrived.length > 0 || worst !== null)
  const targetText = `target ≤ ${target >= 60 * 60 ? '1 h' : target >= 60 * 15 ? '15 min' : '60 s'}`
  const rows: BenchRow[] = [
    {
      section: SECTION,
      metric: `${label}: ${cls} latency, median`,
      value: all.arrived.length ? Number(median(all.arrived).toFixed(1)) : null,
      unit: 's',
      note: all.tracked ? `${all.tracked} edits: ${dirs}` : 'no such edit in the window',
    },
    {
      section: SECTION,
      metric: `${label}: ${cls} latency, max`,
      value:
        worst !== null ? `> ${worst.toFixed(0)}` : maxArrived !== null ? Number(maxArrived.toFixed(1)) : null,
      unit: 's',
      note: `${targetText}: ${all.tracked ? met(ok) : 'not measured'}${worst !== null ? `; ${all.pending.length} still pending at the end, the oldest for ${worst.toFixed(0)} s${worst <= target ? ', within the bound' : ''}` : ''}`,
    },
  ]
  if (cls === 'routine' && all.tracked > 0) {
    const within = all.arrived.filter((s) => s <= target).length
    rows.push({
      section: SECTION,
      metric: `${label}: routine arrived within 1 h`,
      value: Number(((within / all.tracked) * 100).toFixed(1)),
      unit: '%',
      note:
        worst !== null
          ? `${all.pending.length} pending at the end, the oldest for ${worst.toFixed(0)} s`
          : 'all arrived',
    })
  }
  return rows
}

/** Rows of one measured run: bytes, connections and sessions per day, and latencies. */
export function billRows(m: VariantMeasurement): BenchRow[] {
  const { label, window } = m
  // The window is the day's busiest, with a critical edit moved in each way: scaled by time (× 144
  // for 10 minutes) it would count that hour 144 times. Scaled by events it stands for the day's.
  const scale = window.dayEvents / window.events.length
  const byTime = (24 * 60) / window.minutes
  const perDay = (n: number) => Math.round(n * scale)
  const scaleNote = `× ${scale.toFixed(1)} (the day's ${window.dayEvents.toLocaleString('en-US')} events over the window's ${window.events.length})`
  const drainS = (m.result.endedAt - m.result.windowEndedAt) / 1000
  const counts = (['critical', 'normal', 'routine'] as const)
    .map((c) => `${window.events.filter((e) => e.priority === c).length} ${c}`)
    .join(', ')
  const total = m.atEnd.bytesUp + m.atEnd.bytesDown
  // The day's total is the sum of the rows above it, so the table adds up after rounding.
  const totalPerDay = perDay(m.atEnd.bytesUp) + perDay(m.atEnd.bytesDown)
  const refused = m.result.outcomes.filter((o) => o.error !== null).length
  const rows: BenchRow[] = [
    {
      section: SECTION,
      metric: `${label}: window replayed in real time`,
      value: window.minutes,
      unit: 'min',
      note: `${window.notes.join('; ')}; ${counts}; then ${drainS.toFixed(0)} s for edits on their way`,
    },
    {
      section: SECTION,
      metric: `${label}: bytes up per day`,
      value: perDay(m.atEnd.bytesUp),
      unit: 'B',
      note: `${m.atEnd.bytesUp.toLocaleString('en-US')} B measured (${m.atWindowEnd.bytesUp.toLocaleString('en-US')} B by the window's end) ${scaleNote}`,
    },
    {
      section: SECTION,
      metric: `${label}: bytes down per day`,
      value: perDay(m.atEnd.bytesDown),
      unit: 'B',
      note: `${m.atEnd.bytesDown.toLocaleString('en-US')} B measured (${m.atWindowEnd.bytesDown.toLocaleString('en-US')} B by the window's end) ${scaleNote}`,
    },
    {
      section: SECTION,
      metric: `${label}: bytes per day`,
      value: totalPerDay,
      unit: 'B',
      note: `${kb(totalPerDay)}, $${((totalPerDay / 1e6) * USD_PER_MB).toFixed(2)} at $${USD_PER_MB}/MB, an upper bound: the busy window's mix (its seal checks, a critical edit moved in each way) counted for every event of the day; this busiest window as if all day (× ${byTime.toFixed(0)}): ${kb(Math.round(total * byTime))}`,
    },
    ...modelRows(m, total),
    {
      section: SECTION,
      metric: `${label}: TCP connections per day`,
      value: Math.max(1, Math.round(m.atEnd.connections * byTime)),
      unit: '',
      note: `${m.atEnd.connections} opened through the link in the run (${m.atWindowEnd.connections} by the window's end), × ${byTime.toFixed(0)}; one connection stays open while the link is up`,
    },
    {
      section: SECTION,
      metric: `${label}: sessions per day`,
      value: perDay(m.sessions),
      unit: '',
      note: `${m.sessions} in the vessel's session log during the run, ${scaleNote}`,
    },
    ...latencyRows(m, 'critical'),
    ...latencyRows(m, 'normal'),
    ...latencyRows(m, 'routine'),
  ]
  if (refused > 0)
    rows.push({
      section: SECTION,
      metric: `${label}: edits refused by REST`,
      value: refused,
      unit: '',
      note: 'see the log lines; they are left out of the latencies',
    })
  return rows
}

/**
 * The day at the real processes' level: the whole-day model (every event of the day at its own
 * time, real link code, logical time) times what the real processes sent over what the model sends
 * for the same window. Scaling the window by events alone prices every event of the day like the
 * busy window's; the model prices each event by what it is.
 */
function modelRows(m: VariantMeasurement, measured: number): BenchRow[] {
  if (!m.model) return []
  const { day, window, dayFrom } = m.model
  const ratio = measured / window
  const perDay = Math.round(day * ratio)
  return [
    {
      section: SECTION,
      metric: `${m.label}: bytes per day, the whole-day model at this run's level`,
      value: perDay,
      unit: 'B',
      note: `${kb(perDay)}, $${((perDay / 1e6) * USD_PER_MB).toFixed(2)}; the model's day ${day.toLocaleString('en-US')} B (${dayFrom}) × ${ratio.toFixed(2)}, this window's ${measured.toLocaleString('en-US')} B measured over the model's ${window.toLocaleString('en-US')} B for the same events; target ≤ 100 KB: ${met(perDay <= TARGETS.bytesPerDay)}`,
    },
  ]
}

/** The one-session day and stock automerge-repo, from this run when their sections ran. */
export function comparisonRows(earlier: readonly BenchRow[]): BenchRow[] {
  const find = (section: string, metric: string) =>
    earlier.find((r) => r.section === section && r.metric === metric && typeof r.value === 'number')
  const oneSession = find('link', '1 day: wire bytes total')
  const stock = find('repo ws sync', 'bytes both ways')
  const source = (row: BenchRow | undefined, section: string) =>
    row ? `this run's ${section} section` : `docs/benchmarks.md (the ${section} section did not run)`
  return [
    {
      section: SECTION,
      metric: 'compare: one voyage day in one session',
      value: (oneSession?.value as number | undefined) ?? DOCUMENTED.oneSessionDay,
      unit: 'B',
      note: `the day's backlog sent at once, the best case; ${source(oneSession, 'link')}`,
    },
    {
      section: SECTION,
      metric: 'compare: stock automerge-repo, one session',
      value: (stock?.value as number | undefined) ?? DOCUMENTED.stockRepoOneSession,
      unit: 'B',
      note: `same day, keepalive off, loopback; ${source(stock, 'baseline')}`,
    },
  ]
}
