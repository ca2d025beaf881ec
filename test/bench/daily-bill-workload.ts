/**
 * Which part of the standard voyage day the daily-bill bench replays, and what each event is:
 * - the window: the busiest stretch of the day that starts on the hour (most events, readings
 *   included), `minutes` long;
 * - each event's priority class, from the field catalog (the same classes the link sends first);
 * - each event's direction: crew edits go up (vessel → shore), customs and notes come down.
 *
 * A short window of a busy hour rarely holds a critical change in each direction (the day has about
 * ten damage reports, five alarms and three holds). When a direction has none, the day's critical
 * event of that side nearest the window is moved to the window's middle, so every run measures
 * critical latency both ways; the rows say which event was moved.
 */
import { fieldSpec, PRIORITY_ORDER } from '@tally/manifest'
import type { PriorityClass } from '@tally/manifest'
import type { VoyageEvent } from '@tally/voyage-sim'

const HOUR_MS = 3_600_000
const MINUTE_MS = 60_000

export type Direction = 'up' | 'down'

export interface ReplayEvent {
  event: VoyageEvent
  /** Offset from the window's start at which it is written, in ms. */
  offsetMs: number
  priority: PriorityClass
  direction: Direction
  /** Moved into the window from elsewhere in the day (see the module comment). */
  moved: boolean
}

export interface ReplayWindow {
  /** The window's start in the voyage's time (epoch ms). */
  startMs: number
  minutes: number
  events: ReplayEvent[]
  /** Events of the whole day: the window's bytes are scaled to the day by this over its own count. */
  dayEvents: number
  /**
   * The day's events of the hours before the window, sent before it is measured: a link left up
   * all day has carried them, and its compression context is as warm as at that time of day.
   */
  warmUp: VoyageEvent[]
  /** Human notes: the hour chosen, events moved in. */
  notes: string[]
}

/** Hours of the day before the window that cross the link before the window is measured. */
export const WARM_UP_HOURS = 2

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v)

/** Leaf writes of a patch: `[path, value]` at each catalogued field (objects like the alarm whole). */
export function patchLeaves(patch: unknown, prefix = ''): [string, unknown][] {
  if (!isPlainObject(patch)) return []
  const out: [string, unknown][] = []
  for (const [key, value] of Object.entries(patch)) {
    const path = prefix ? `${prefix}.${key}` : key
    if (fieldSpec(path)?.path === path || !isPlainObject(value)) out.push([path, value])
    else out.push(...patchLeaves(value, path))
  }
  return out
}

/** The event's priority class, as the link classifies the change it makes. */
export function priorityOf(event: VoyageEvent): PriorityClass {
  if (event.kind === 'reading') return 'routine'
  if (event.kind === 'notes') return 'normal'
  let best = PRIORITY_ORDER.indexOf('normal')
  for (const [path, value] of patchLeaves(event.patch)) {
    const spec = fieldSpec(path)
    if (spec) best = Math.min(best, PRIORITY_ORDER.indexOf(spec.priorityOf(value)))
  }
  return PRIORITY_ORDER[best]!
}

export const directionOf = (event: VoyageEvent): Direction => (event.side === 'vessel' ? 'up' : 'down')

const atMs = (e: VoyageEvent) => Date.parse(e.at)

/** The busiest `minutes` of the day starting on the hour, with a critical event each way. */
export function chooseWindow(day: readonly VoyageEvent[], minutes: number): ReplayWindow {
  if (!(minutes > 0)) throw new RangeError('minutes must be > 0')
  if (day.length === 0) throw new Error('the day has no events')
  const dayStart = Math.floor(atMs(day[0]!) / (24 * HOUR_MS)) * 24 * HOUR_MS
  const length = minutes * MINUTE_MS
  let best = { start: dayStart, count: -1 }
  for (let h = 0; h < 24; h++) {
    const start = dayStart + h * HOUR_MS
    const count = day.filter((e) => atMs(e) >= start && atMs(e) < start + length).length
    if (count > best.count) best = { start, count }
  }
  const startMs = best.start
  const toReplay = (event: VoyageEvent, offsetMs: number, moved: boolean): ReplayEvent => ({
    event,
    offsetMs,
    priority: priorityOf(event),
    direction: directionOf(event),
    moved,
  })
  const events = day
    .filter((e) => atMs(e) >= startMs && atMs(e) < startMs + length)
    .map((e) => toReplay(e, atMs(e) - startMs, false))
  const hour = new Date(startMs).toISOString().slice(11, 16)
  const notes = [`${events.length} events of the day from ${hour} UTC (the busiest window on the hour)`]
  for (const direction of ['up', 'down'] as const) {
    if (events.some((e) => e.direction === direction && e.priority === 'critical')) continue
    const nearest = day
      .filter((e) => directionOf(e) === direction && priorityOf(e) === 'critical')
      .sort((a, b) => Math.abs(atMs(a) - startMs) - Math.abs(atMs(b) - startMs))[0]
    if (!nearest) continue
    events.push(toReplay(nearest, Math.floor(length / 2), true))
    notes.push(
      `${direction === 'up' ? 'ship' : 'shore'} critical event of ${nearest.at.slice(11, 16)} UTC moved to the window's middle`,
    )
  }
  events.sort((a, b) => a.offsetMs - b.offsetMs)
  const moved = new Set(events.filter((e) => e.moved).map((e) => e.event))
  const warmUp = day.filter(
    (e) => atMs(e) >= startMs - WARM_UP_HOURS * HOUR_MS && atMs(e) < startMs && !moved.has(e),
  )
  notes.push(`${warmUp.length} events of the ${WARM_UP_HOURS} h before sent first, not measured`)
  return { startMs, minutes, events, dayEvents: day.length, warmUp, notes }
}

/**
 * Events whose arrival cannot be seen because a later event in the window writes the same field of
 * the same container before it could arrive (the later value hides the earlier one). Readings and
 * notes append, so they never hide each other.
 */
export function hiddenByLater(events: readonly ReplayEvent[]): Set<ReplayEvent> {
  const hidden = new Set<ReplayEvent>()
  events.forEach((a, i) => {
    if (a.event.kind !== 'patch') return
    const paths = new Set(patchLeaves(a.event.patch).map(([p]) => p))
    for (const b of events.slice(i + 1)) {
      if (b.event.kind !== 'patch' || b.event.containerId !== a.event.containerId) continue
      if (patchLeaves(b.event.patch).some(([p]) => paths.has(p))) hidden.add(a)
    }
  })
  return hidden
}
