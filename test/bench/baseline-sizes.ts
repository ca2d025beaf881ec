/**
 * Size baselines for one voyage day, each direction alone and both together:
 * 1. the raw Automerge changes, and brotli of their concatenation;
 * 2. one `A.saveBundle` per document of the day's changes, concatenated, brotli;
 * 3. brotli JSON of the events: a floor with no CRDT metadata at all.
 * "Both" is one stream holding the vessel's and the shore's data, compressed together.
 */
import * as A from '@automerge/automerge'
import { eventsAsJson } from '@tally/voyage-sim'
import type { DayWorkload, Direction } from './baseline-workload.ts'
import { dayHashes } from './baseline-workload.ts'
import type { BenchRow } from './report.ts'
import { brotliSize, concatBytes } from './report.ts'

const DIRECTIONS: readonly Direction[] = ['vessel', 'shore']
const label = (d: Direction | 'both') => (d === 'both' ? 'both sides' : `${d}`)

export function sizeBaselines(w: DayWorkload): BenchRow[] {
  const rows: BenchRow[] = []
  const row = (section: string, metric: string, value: number, unit: string, note = '') =>
    rows.push({ section, metric, value, unit, note })

  for (const d of DIRECTIONS) {
    const changes = [...w.changes[d].values()].flat()
    row('workload', `${label(d)}: events`, w.events[d].length, 'events')
    row('workload', `${label(d)}: changes`, changes.length, 'changes', `in ${w.changes[d].size} documents`)
  }

  const rawStreams: Record<Direction, Uint8Array[]> = { vessel: [], shore: [] }
  const bundleStreams: Record<Direction, Uint8Array[]> = { vessel: [], shore: [] }
  for (const d of DIRECTIONS) {
    for (const [containerId, changes] of w.changes[d]) {
      rawStreams[d].push(...changes)
      bundleStreams[d].push(A.saveBundle(w.docs[d].get(containerId)!, dayHashes(w, d, containerId)))
    }
  }
  const jsonStreams: Record<Direction, Uint8Array> = {
    vessel: eventsAsJson(w.events.vessel),
    shore: eventsAsJson(w.events.shore),
  }

  const measure = (section: string, what: string, streams: Record<Direction, Uint8Array>) => {
    for (const d of [...DIRECTIONS, 'both'] as const) {
      const bytes = d === 'both' ? concatBytes([streams.vessel, streams.shore]) : streams[d]
      row(section, `${label(d)}: ${what}`, bytes.length, 'B')
      row(section, `${label(d)}: ${what}, brotli`, brotliSize(bytes), 'B', 'quality 11')
    }
  }
  measure('raw changes', 'changes', {
    vessel: concatBytes(rawStreams.vessel),
    shore: concatBytes(rawStreams.shore),
  })
  measure('saveBundle', 'bundles', {
    vessel: concatBytes(bundleStreams.vessel),
    shore: concatBytes(bundleStreams.shore),
  })
  measure('json floor', 'events JSON', jsonStreams)
  return rows
}
