/**
 * A 21-day backlog built fast enough to benchmark. `buildVoyage` turns each event into a change
 * through Automerge's JS document API (proxies and patches: milliseconds per change, so 21 days take
 * most of an hour here). This writes the very same ops with the same change times through the
 * document's backend handle, one commit per event, which is what the vessel node would have stored.
 * `fastVoyage.test.ts`-style equivalence is checked by `sameAsSlowPath` on a small voyage.
 */
import * as A from '@automerge/automerge'
import type { ContainerDoc } from '@tally/manifest'
import {
  bookedDocs,
  headsOf,
  seedManifest,
  simActor,
  voyageDay,
  DEFAULT_VESSEL,
  DEFAULT_VOYAGE,
} from '@tally/voyage-sim'
import type { Replica, Voyage, VoyageEvent } from '@tally/voyage-sim'

type Backend = ReturnType<typeof A.getBackend>

const seconds = (iso: string) => Math.floor(Date.parse(iso) / 1000)

function scalar(b: Backend, obj: A.ObjID, key: string | number, value: unknown, insert: boolean): void {
  const put = (v: unknown, t?: string) =>
    insert
      ? b.insert(obj, key as number, v as never, t as never)
      : b.put(obj, key as never, v as never, t as never)
  if (value === null || value === undefined) put(null, 'null')
  else if (typeof value === 'string') put(value, 'str')
  else if (typeof value === 'boolean') put(value, 'boolean')
  else if (typeof value === 'number') put(value, Number.isInteger(value) ? 'int' : 'f64')
  else throw new Error(`unexpected value ${String(value)}`)
}

/** Writes a plain JSON value the way `toStored` + a proxy assignment does. */
function write(b: Backend, obj: A.ObjID, key: string | number, value: unknown, insert = false): void {
  if (Array.isArray(value)) {
    const list = insert ? b.insertObject(obj, key as number, []) : b.putObject(obj, key as never, [])
    value.forEach((v, i) => write(b, list, i, v, true))
  } else if (value !== null && typeof value === 'object') {
    const map = insert ? b.insertObject(obj, key as number, {}) : b.putObject(obj, key as never, {})
    for (const [k, v] of Object.entries(value)) if (v !== undefined) write(b, map, k, v)
  } else scalar(b, obj, key, value, insert)
}

function applyFast(b: Backend, ids: Record<string, A.ObjID>, event: VoyageEvent): void {
  if (event.kind === 'reading') {
    write(
      b,
      ids.readings!,
      b.length(ids.readings!),
      { at: event.at, supplyC: event.supplyC, returnC: event.returnC },
      true,
    )
  } else if (event.kind === 'notes') {
    b.splice(ids.notes!, b.length(ids.notes!), 0, event.insert)
  } else {
    for (const [section, fields] of Object.entries(event.patch)) {
      if (section === 'notes') continue
      for (const [key, value] of Object.entries(fields as object)) write(b, ids[section]!, key, value)
    }
  }
  b.commit(null, seconds(event.at))
}

function replicaAfter(base: Replica, actor: string, events: Map<string, VoyageEvent[]>): Replica {
  const out: Replica = new Map()
  for (const [id, doc] of base) {
    const mine = events.get(id)
    if (!mine?.length) {
      out.set(id, A.clone(doc, { actor: actor as A.ActorId }))
      continue
    }
    const b = A.getBackend(A.clone(doc, { actor: actor as A.ActorId }))
    const ids: Record<string, A.ObjID> = {
      cargo: A.getObjectId(doc, 'cargo')!,
      customs: A.getObjectId(doc, 'customs')!,
      physical: A.getObjectId(doc, 'physical')!,
      notes: A.getObjectId(doc, 'notes')!,
    }
    if (doc.reefer) {
      ids.reefer = A.getObjectId(doc, 'reefer')!
      ids.readings = A.getObjectId(doc.reefer, 'readings')!
    }
    for (const e of mine) applyFast(b, ids, e)
    out.set(id, A.load<ContainerDoc>(b.save(), { actor: actor as A.ActorId }))
  }
  return out
}

/** Both replicas of a seeded voyage after `days` days apart from the booking (syncedDays 0). */
export function fastVoyage(o: { seed?: number; containers?: number; days: number }): Voyage {
  const seed = o.seed ?? 1
  const vessel = DEFAULT_VESSEL
  const voyage = DEFAULT_VOYAGE
  const manifest = seedManifest({ seed, vessel, voyage, containers: o.containers ?? 2000 })
  const vesselActor = simActor('vessel', vessel)
  const shoreActor = simActor('shore', vessel)
  const base = bookedDocs(manifest, vessel, shoreActor)
  const events = Array.from({ length: o.days }, (_, d) => voyageDay(manifest, d, seed))
  const bySide = (side: 'vessel' | 'shore') => {
    const map = new Map<string, VoyageEvent[]>()
    for (const day of events)
      for (const e of day)
        if (e.side === side)
          (map.get(e.containerId) ?? map.set(e.containerId, []).get(e.containerId)!).push(e)
    return map
  }
  return {
    seed,
    vessel,
    voyage,
    manifest,
    baseHeads: headsOf(base),
    vesselDocs: replicaAfter(base, vesselActor, bySide('vessel')),
    shoreDocs: replicaAfter(base, shoreActor, bySide('shore')),
    events,
    vesselActor,
    shoreActor,
  }
}
