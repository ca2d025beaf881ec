/**
 * One voyage day of the standard workload (docs/benchmarks.md), deterministic for (manifest, day, seed):
 * - vessel: one reading per reefer per hour; 600 physical events (lashing and seal checks, about 10
 *   damage reports, about 5 reefer alarms, and on day 0 the last boxes loaded before sailing);
 * - shore: 400 customs updates and 50 notes edits.
 * Counts are for 2,000 boxes and scale with the manifest's size.
 */
import type { ContainerPatch } from '@tally/manifest'
import { customsUpdates } from './customs.ts'
import type { NotesEvent, PatchEvent, ReadingEvent, VoyageEvent } from './events.ts'
import { dayStartMs, isoAt } from './events.ts'
import type { BookingEntry } from './manifest.ts'
import { STANDARD_CONTAINERS } from './manifest.ts'
import { hashSeed, rngFor } from './prng.ts'
import type { Rng } from './prng.ts'
import * as R from './reference-data.ts'

/** Per-day counts of the standard workload (2,000 boxes). */
export const STANDARD_DAY = {
  physical: 600,
  customs: 400,
  notes: 50,
  /** Ranges, drawn per day. */
  damage: [8, 12],
  alarms: [3, 7],
  holds: [2, 4],
  /** Boxes confirmed loaded (LOADED then ON_BOARD) on day 0, before sailing. */
  loadedOnDay0: 100,
} as const

const HOUR_MS = 3_600_000
const MINUTE_MS = 60_000
/** Alarms that make the box warm up for the rest of the day. */
const WARMING_ALARMS = new Set(['HIGH_TEMP', 'POWER_LOSS', 'COMPRESSOR'])
const LASHING_ROUND = 40

const round1 = (x: number): number => Math.round(x * 10) / 10 + 0

/** The day's events, sorted by time (ties keep generation order). */
export function voyageDay(manifest: readonly BookingEntry[], dayIndex: number, seed: number): VoyageEvent[] {
  if (!Number.isInteger(dayIndex) || dayIndex < 0) throw new RangeError('dayIndex must be an integer ≥ 0')
  const scale = manifest.length / STANDARD_CONTAINERS
  const scaled = (x: number) => Math.round(x * scale)
  const between = (rng: Rng, [lo, hi]: readonly [number, number]) => scaled(rng.int(lo, hi))

  const rng = rngFor(seed, 'vessel', dayIndex)
  const reefers = manifest.filter((e) => e.cargo.reeferSetpointC !== null)
  const physicalCount = scaled(STANDARD_DAY.physical)

  const alarms = alarmEvents(
    rng,
    reefers,
    dayIndex,
    Math.min(reefers.length, between(rng, STANDARD_DAY.alarms)),
  )
  const special: PatchEvent[] = [
    ...alarms,
    ...damageEvents(rng, manifest, dayIndex, between(rng, STANDARD_DAY.damage)),
    ...brokenSealEvents(rng, manifest, dayIndex, rng.chance(0.5) ? scaled(1) : 0),
    ...(dayIndex === 0 ? loadingEvents(rng, manifest, scaled(STANDARD_DAY.loadedOnDay0)) : []),
  ].slice(0, physicalCount)
  const routine = physicalCount - special.length
  const lashing = Math.round(routine * 0.6)
  const physical = [
    ...special,
    ...lashingEvents(rng, manifest, dayIndex, lashing),
    ...sealCheckEvents(rng, manifest, dayIndex, routine - lashing),
  ]

  const warmingFrom = new Map<string, number>()
  for (const a of alarms) {
    const alarm = a.patch.reefer!.alarm!
    if (WARMING_ALARMS.has(alarm.code)) warmingFrom.set(a.containerId, Date.parse(alarm.at))
  }
  const readings = reefers.flatMap((e) => readingEvents(seed, e, dayIndex, warmingFrom.get(e.containerId)))

  const holds = (day: number) => between(rngFor(seed, 'holds', day), STANDARD_DAY.holds)
  const customs = customsUpdates(manifest, dayIndex, seed, scaled(STANDARD_DAY.customs), holds)
  const notes = notesEvents(rngFor(seed, 'notes', dayIndex), manifest, dayIndex, scaled(STANDARD_DAY.notes))

  const all: VoyageEvent[] = [...readings, ...physical, ...customs, ...notes]
  return all
    .map((e, i) => ({ e, i }))
    .sort((a, b) => (a.e.at < b.e.at ? -1 : a.e.at > b.e.at ? 1 : a.i - b.i))
    .map(({ e }) => e)
}

function timeIn(rng: Rng, dayIndex: number, fromHour = 0, toHour = 24): number {
  return dayStartMs(dayIndex) + fromHour * HOUR_MS + Math.floor(rng.float() * (toHour - fromHour) * HOUR_MS)
}

function vesselPatch(containerId: string, atMs: number, patch: ContainerPatch): PatchEvent {
  return { kind: 'patch', side: 'vessel', containerId, at: isoAt(atMs), patch }
}

/** 24 hourly readings; each box's logger reports at its own minute past the hour. */
function readingEvents(
  seed: number,
  entry: BookingEntry,
  dayIndex: number,
  warmingFromMs: number | undefined,
): ReadingEvent[] {
  const rng = rngFor(seed, 'readings', dayIndex, entry.containerId)
  const minute = hashSeed(seed, 'logger-minute', entry.containerId) % 60
  const setpoint = entry.cargo.reeferSetpointC!
  const frozen = setpoint < -5
  const out: ReadingEvent[] = []
  for (let h = 0; h < 24; h++) {
    const atMs = dayStartMs(dayIndex) + h * HOUR_MS + minute * MINUTE_MS
    const warming =
      warmingFromMs !== undefined && atMs > warmingFromMs ? Math.min(12, (atMs - warmingFromMs) / HOUR_MS) : 0
    const supplyC = round1(setpoint + warming * 0.6 + rng.normal() * (frozen ? 0.3 : 0.15))
    const returnC = round1(setpoint + warming + (frozen ? 1.4 : 0.8) + rng.normal() * 0.3)
    out.push({
      kind: 'reading',
      side: 'vessel',
      containerId: entry.containerId,
      at: isoAt(atMs),
      supplyC,
      returnC,
    })
  }
  return out
}

function alarmEvents(
  rng: Rng,
  reefers: readonly BookingEntry[],
  dayIndex: number,
  count: number,
): PatchEvent[] {
  return rng.sample(reefers.length, count).map((i) => {
    const atMs = timeIn(rng, dayIndex)
    const [code, note] = rng.pick(R.ALARM_CODES)
    return vesselPatch(reefers[i]!.containerId, atMs, { reefer: { alarm: { code, at: isoAt(atMs), note } } })
  })
}

function damageEvents(
  rng: Rng,
  manifest: readonly BookingEntry[],
  dayIndex: number,
  count: number,
): PatchEvent[] {
  return rng.sample(manifest.length, count).map((i) => {
    const atMs = timeIn(rng, dayIndex, 6, 20)
    return vesselPatch(manifest[i]!.containerId, atMs, {
      physical: { condition: 'DAMAGED', damage: rng.pick(R.DAMAGE_REPORTS), lastInspectedAt: isoAt(atMs) },
    })
  })
}

function brokenSealEvents(
  rng: Rng,
  manifest: readonly BookingEntry[],
  dayIndex: number,
  count: number,
): PatchEvent[] {
  return rng.sample(manifest.length, count).map((i) => {
    const atMs = timeIn(rng, dayIndex, 8, 18)
    return vesselPatch(manifest[i]!.containerId, atMs, {
      physical: { sealIntact: false, observedSeal: null, lastInspectedAt: isoAt(atMs) },
    })
  })
}

/** The last boxes of the final load port, confirmed loaded and then on board shortly after midnight. */
function loadingEvents(rng: Rng, manifest: readonly BookingEntry[], boxes: number): PatchEvent[] {
  return rng.sample(manifest.length, boxes).flatMap((i) => {
    const loadedMs = timeIn(rng, 0, 0, 3)
    const id = manifest[i]!.containerId
    return [
      vesselPatch(id, loadedMs, { physical: { state: 'LOADED' } }),
      vesselPatch(id, loadedMs + rng.int(20, 90) * MINUTE_MS, { physical: { state: 'ON_BOARD' } }),
    ]
  })
}

/** Lashing rounds: the crew walk along the stowage order, checking one box every 30–90 s. */
function lashingEvents(
  rng: Rng,
  manifest: readonly BookingEntry[],
  dayIndex: number,
  count: number,
): PatchEvent[] {
  const byStowage = [...manifest].sort((a, b) => (a.physical.stowage < b.physical.stowage ? -1 : 1))
  const out: PatchEvent[] = []
  while (out.length < count) {
    const start = rng.int(0, byStowage.length - 1)
    let atMs = timeIn(rng, dayIndex, 6, 16)
    for (let k = 0; k < LASHING_ROUND && out.length < count; k++) {
      const entry = byStowage[(start + k) % byStowage.length]!
      out.push(vesselPatch(entry.containerId, atMs, { physical: { lashingCheckedAt: isoAt(atMs) } }))
      atMs += rng.int(30, 90) * 1000
    }
  }
  return out
}

function sealCheckEvents(
  rng: Rng,
  manifest: readonly BookingEntry[],
  dayIndex: number,
  count: number,
): PatchEvent[] {
  return Array.from({ length: count }, () => {
    const entry = manifest[rng.int(0, manifest.length - 1)]!
    const atMs = timeIn(rng, dayIndex, 8, 18)
    return vesselPatch(entry.containerId, atMs, {
      physical: { lastInspectedAt: isoAt(atMs), observedSeal: entry.cargo.declaredSeal },
    })
  })
}

function notesEvents(
  rng: Rng,
  manifest: readonly BookingEntry[],
  dayIndex: number,
  count: number,
): NotesEvent[] {
  return Array.from({ length: count }, () => {
    const entry = manifest[rng.int(0, manifest.length - 1)]!
    const atMs = timeIn(rng, dayIndex)
    const stamp = isoAt(atMs).slice(0, 16).replace('T', ' ')
    return {
      kind: 'notes',
      side: 'shore',
      containerId: entry.containerId,
      at: isoAt(atMs),
      insert: `${stamp} ${rng.pick(R.NOTE_LINES)}.\n`,
    }
  })
}
