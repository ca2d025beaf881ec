/**
 * Size baselines for one voyage day, each direction alone and both together:
 * 1. the raw Automerge changes, and brotli of their concatenation;
 * 2. one `A.saveBundle` per document of the day's changes, concatenated, brotli;
 * 3. brotli JSON of the events: a floor with no CRDT metadata at all.
 * "Both sides" is one stream holding the vessel's and then the shore's data, compressed together.
 */
import { eventsAsJson } from '@tally/voyage-sim'
import type { DayWorkload, Direction } from './baseline-workload.ts'
import type { BenchRow } from './report.ts'
import { brotliSize, concatBytes } from './report.ts'

const DIRECTIONS: readonly Direction[] = ['vessel', 'shore']

export function sizeBaselines(w: DayWorkload): BenchRow[] {
  const rows: BenchRow[] = []
  const row = (section: string, metric: string, value: number, unit: string, note = '') =>
    rows.push({ section, metric, value, unit, note })

  for (const d of DIRECTIONS) {
    const touched = w.containers.filter((c) => c.changes[d].length > 0)
    const changes = touched.reduce((n, c) => n + c.changes[d].length, 0)
    row('workload', `${d}: events`, w.events[d].length, 'events')
    row('workload', `${d}: changes`, changes, 'changes', `in ${touched.length} documents`)
  }

  const stream = (pick: (c: DayWorkload['containers'][number], d: Direction) => Uint8Array[]) => ({
    vessel: concatBytes(w.containers.flatMap((c) => pick(c, 'vessel'))),
    shore: concatBytes(w.containers.flatMap((c) => pick(c, 'shore'))),
  })
  const measure = (section: string, what: string, note: string, streams: Record<Direction, Uint8Array>) => {
    for (const d of [...DIRECTIONS, 'both'] as const) {
      const bytes = d === 'both' ? concatBytes([streams.vessel, streams.shore]) : streams[d]
      const name = d === 'both' ? 'both sides' : d
      row(section, `${name}: ${what}`, bytes.length, 'B', note)
      row(section, `${name}: ${what}, brotli`, brotliSize(bytes), 'B', 'quality 11')
    }
  }
  measure(
    'raw changes',
    'changes',
    'concatenated',
    stream((c, d) => c.changes[d]),
  )
  measure(
    'saveBundle',
    'bundles',
    'one bundle per touched document',
    stream((c, d) => (c.bundles[d] ? [c.bundles[d]] : [])),
  )
  measure('json floor', 'events JSON', 'no CRDT metadata', {
    vessel: eventsAsJson(w.events.vessel),
    shore: eventsAsJson(w.events.shore),
  })
  return rows
}
