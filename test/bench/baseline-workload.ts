/**
 * The measured voyage day: both replicas of the seeded voyage, synced up to the day before, and the
 * changes each side made on the day itself. Every baseline measures this same day.
 */
import * as A from '@automerge/automerge'
import { buildVoyage, changesSince } from '@tally/voyage-sim'
import type { Replica, Voyage, VoyageEvent } from '@tally/voyage-sim'
import type { BenchOptions } from './report.ts'
import { timedMs } from './report.ts'

export type Direction = 'vessel' | 'shore'

export interface DayWorkload {
  voyage: Voyage
  day: number
  events: Record<Direction, VoyageEvent[]>
  /** The day's changes per container document, per side. */
  changes: Record<Direction, Map<string, Uint8Array[]>>
  /** Replica of each side at the end of the day. */
  docs: Record<Direction, Replica>
  buildMs: number
}

export async function prepareDay(opts: BenchOptions): Promise<DayWorkload> {
  opts.log(`building ${opts.containers} containers, days 0–${opts.day} (synced through day ${opts.day - 1})`)
  const { ms, result: voyage } = await timedMs(() =>
    buildVoyage({ seed: opts.seed, containers: opts.containers, days: opts.day + 1, syncedDays: opts.day }),
  )
  const dayEvents = voyage.events[opts.day]!
  return {
    voyage,
    day: opts.day,
    events: {
      vessel: dayEvents.filter((e) => e.side === 'vessel'),
      shore: dayEvents.filter((e) => e.side === 'shore'),
    },
    changes: {
      vessel: changesSince(voyage.vesselDocs, voyage.baseHeads),
      shore: changesSince(voyage.shoreDocs, voyage.baseHeads),
    },
    docs: { vessel: voyage.vesselDocs, shore: voyage.shoreDocs },
    buildMs: ms,
  }
}

/** The day's change hashes of one document, for `A.saveBundle`. */
export function dayHashes(workload: DayWorkload, side: Direction, containerId: string): string[] {
  const doc = workload.docs[side].get(containerId)!
  return A.getChangesMetaSince(doc, workload.voyage.baseHeads.get(containerId)!).map((m) => m.hash)
}
