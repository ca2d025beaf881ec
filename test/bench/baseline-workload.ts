/**
 * The measured voyage day: both replicas of the seeded voyage, synced up to the day before, and the
 * changes each side made on the day itself. Every baseline measures this same day.
 *
 * Everything the baselines need is extracted as bytes and the Automerge documents are freed before
 * any measurement runs: thousands of live documents make every growth of the WebAssembly heap cost
 * a full garbage collection, which would otherwise dominate the repo and SQLite timings.
 */
import * as A from '@automerge/automerge'
import { buildVoyage } from '@tally/voyage-sim'
import type { Voyage, VoyageEvent } from '@tally/voyage-sim'
import type { BenchOptions } from './report.ts'
import { timedMs } from './report.ts'

export type Direction = 'vessel' | 'shore'

export interface ContainerDay {
  containerId: string
  /** The common state where the sides parted (genesis, booking, synced days), saved. */
  common: Uint8Array
  /** The day's changes of each side (empty when the side did not touch the box). */
  changes: Record<Direction, Uint8Array[]>
  /** `A.saveBundle` of each side's day changes, or null when there are none. */
  bundles: Record<Direction, Uint8Array | null>
  /** The vessel's document at the end of the day, saved. */
  vesselEnd: Uint8Array
}

export interface DayWorkload {
  voyage: Pick<Voyage, 'seed' | 'vessel' | 'voyage' | 'vesselActor' | 'shoreActor'>
  day: number
  events: Record<Direction, VoyageEvent[]>
  containers: ContainerDay[]
  buildMs: number
  extractMs: number
}

function bundleOf(doc: A.Doc<unknown>, base: A.Heads): Uint8Array | null {
  const hashes = A.getChangesMetaSince(doc, base).map((m) => m.hash)
  return hashes.length > 0 ? A.saveBundle(doc, hashes) : null
}

export async function prepareDay(opts: BenchOptions): Promise<DayWorkload> {
  opts.log(`building ${opts.containers} containers, days 0–${opts.day} (synced through day ${opts.day - 1})`)
  const { ms: buildMs, result: v } = await timedMs(() =>
    buildVoyage({ seed: opts.seed, containers: opts.containers, days: opts.day + 1, syncedDays: opts.day }),
  )
  const { ms: extractMs, result: containers } = await timedMs(() =>
    v.manifest.map(({ containerId }): ContainerDay => {
      const vessel = v.vesselDocs.get(containerId)!
      const shore = v.shoreDocs.get(containerId)!
      const base = v.baseHeads.get(containerId)!
      const common = A.clone(A.view(shore, base))
      const day: ContainerDay = {
        containerId,
        common: A.save(common),
        changes: { vessel: A.getChangesSince(vessel, base), shore: A.getChangesSince(shore, base) },
        bundles: { vessel: bundleOf(vessel, base), shore: bundleOf(shore, base) },
        vesselEnd: A.save(vessel),
      }
      for (const doc of [common, vessel, shore]) A.free(doc)
      return day
    }),
  )
  const dayEvents = v.events[opts.day]!
  return {
    voyage: {
      seed: v.seed,
      vessel: v.vessel,
      voyage: v.voyage,
      vesselActor: v.vesselActor,
      shoreActor: v.shoreActor,
    },
    day: opts.day,
    events: {
      vessel: dayEvents.filter((e) => e.side === 'vessel'),
      shore: dayEvents.filter((e) => e.side === 'shore'),
    },
    containers,
    buildMs,
    extractMs,
  }
}
