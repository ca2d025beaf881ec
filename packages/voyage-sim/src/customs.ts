/**
 * The shore's customs updates. Customs status is a small state machine (PENDING, declaration filed,
 * then RELEASED, INSPECTION or HELD), so a day's updates depend on the days before: the generator
 * replays the earlier days' customs decisions, which is cheap (a few hundred picks per day), and
 * keeps every update a real change rather than a write of the value already there.
 */
import type { CustomsStatus } from '@tally/manifest'
import type { BookingEntry } from './manifest.ts'
import { rngFor } from './prng.ts'
import type { Rng } from './prng.ts'
import type { PatchEvent } from './events.ts'
import { dayStartMs, DAY_MS, isoAt } from './events.ts'
import * as R from './reference-data.ts'

interface CustomsState {
  status: CustomsStatus
  declared: boolean
  hsCodes: string[]
}

/** CBP filer codes for entry numbers `FFF-NNNNNNN-C`. */
const FILER_CODES = ['B71', 'EA4', '9HK', 'M12', 'D35', '3QX'] as const
/** The mix of customs updates other than holds. */
const ACTIONS = [
  ['declaration', 30],
  ['status', 45],
  ['hsCodes', 25],
] as const
/** What customs decide for a declared box. */
const FIRST_DECISION = [
  ['RELEASED', 80],
  ['INSPECTION', 20],
] as const
/** How many random picks to try for a box whose customs are not yet settled. */
const PICK_ATTEMPTS = 30

function randomTimes(rng: Rng, dayIndex: number, count: number): number[] {
  const start = dayStartMs(dayIndex)
  return Array.from({ length: count }, () => start + Math.floor(rng.float() * DAY_MS)).sort((a, b) => a - b)
}

function amendedCodes(rng: Rng, entry: BookingEntry, current: string[]): string[] {
  const pool: readonly string[] = entry.cargo.reeferSetpointC !== null ? R.REEFER_HS_CODES : R.DRY_HS_CODES
  for (let i = 0; i < PICK_ATTEMPTS; i++) {
    const next = [rng.pick(pool)]
    if (rng.chance(0.3)) next.push(rng.pick(pool))
    const unique = [...new Set(next)]
    if (unique.join() !== current.join()) return unique
  }
  return [...current, '999999']
}

/** One day's customs updates, advancing `state`. */
function customsDay(
  manifest: readonly BookingEntry[],
  state: CustomsState[],
  dayIndex: number,
  seed: number,
  count: number,
  holds: number,
): PatchEvent[] {
  const rng = rngFor(seed, 'customs', dayIndex)
  const times = randomTimes(rng, dayIndex, count)
  const events: PatchEvent[] = []
  let holdsLeft = holds
  const emit = (i: number, at: number, customs: Record<string, unknown>) =>
    events.push({
      kind: 'patch',
      side: 'shore',
      containerId: manifest[i]!.containerId,
      at: isoAt(at),
      patch: { customs },
    })
  /** A random box, preferring one that passes `test`; any box if none turns up quickly. */
  const pick = (test: (s: CustomsState) => boolean): number => {
    for (let t = 0; t < PICK_ATTEMPTS; t++) {
      const i = rng.int(0, manifest.length - 1)
      if (test(state[i]!)) return i
    }
    return rng.int(0, manifest.length - 1)
  }

  times.forEach((at, k) => {
    if (holdsLeft > 0 && rng.chance(holdsLeft / (count - k))) {
      const i = pick((s) => s.status !== 'HELD')
      if (state[i]!.status !== 'HELD') {
        holdsLeft--
        state[i]!.status = 'HELD'
        emit(i, at, { status: 'HELD', holdReason: rng.pick(R.HOLD_REASONS) })
        return
      }
    }
    const action = rng.weighted(ACTIONS)
    if (action === 'declaration') {
      // Entries are filed for undeclared boxes first; a box already declared gets an amended entry.
      const i = pick((s) => !s.declared)
      state[i]!.declared = true
      emit(i, at, { declaration: `${rng.pick(FILER_CODES)}-${rng.digits(7)}-${rng.digits(1)}` })
    } else if (action === 'hsCodes') {
      const i = rng.int(0, manifest.length - 1)
      state[i]!.hsCodes = amendedCodes(rng, manifest[i]!, state[i]!.hsCodes)
      emit(i, at, { hsCodes: state[i]!.hsCodes })
    } else {
      const i = pick((s) => s.declared && s.status !== 'RELEASED')
      const s = state[i]!
      if (s.status === 'HELD') {
        s.status = 'RELEASED'
        emit(i, at, { status: 'RELEASED', holdReason: null })
        return
      }
      // Released boxes can still be called for a post-release exam until they leave the terminal.
      const next: CustomsStatus =
        s.status === 'RELEASED'
          ? 'INSPECTION'
          : s.status === 'INSPECTION'
            ? 'RELEASED'
            : rng.weighted(FIRST_DECISION)
      s.status = next
      emit(i, at, { status: next })
    }
  })
  return events
}

/**
 * The customs updates of day `dayIndex`: `count` updates of which `holds(day)` are holds, given
 * everything decided on the days before.
 */
export function customsUpdates(
  manifest: readonly BookingEntry[],
  dayIndex: number,
  seed: number,
  count: number,
  holds: (day: number) => number,
): PatchEvent[] {
  const state: CustomsState[] = manifest.map((e) => ({
    status: e.customs.status,
    declared: false,
    hsCodes: [...e.customs.hsCodes],
  }))
  for (let day = 0; day < dayIndex; day++) customsDay(manifest, state, day, seed, count, holds(day))
  return customsDay(manifest, state, dayIndex, seed, count, holds(dayIndex))
}
