/**
 * One finished voyage's documents for the voyage benchmark, built fast enough for ten voyages of
 * 2,000 containers. Each document holds what the real paths write, in this order: the genesis
 * (`genesisDoc`), the shore's booking (`applyBooking`), the crew's load (ON_BOARD in a slot), a day
 * of hourly readings for a reefer, and the discharge with its record (state, when, where).
 *
 * Through Automerge's document proxies that costs milliseconds per change (minutes per voyage on a
 * busy machine). Here the very same operations, with the same actors and change times, go through
 * the document's backend handle, which is what the proxies call in the end. `voyageDocs` checks a
 * sample of every voyage against the slow path, change hash for change hash, and throws if one
 * differs, so the benchmark cannot measure documents the product would not have written.
 */
import * as A from '@automerge/automerge'
import {
  applyPatch,
  createContainerDoc,
  genesisActor,
  genesisDoc,
  isReeferType,
  planPatch,
  sameValue,
  SCHEMA_VERSION,
  toPlain,
  toStored,
} from '@tally/manifest'
import type { ContainerDoc, ContainerKey } from '@tally/manifest'
import { applyBooking, BOOKING_TIME, changeTime, seedManifest, simActor } from '@tally/voyage-sim'
import type { BookingEntry } from '@tally/voyage-sim'

type Backend = ReturnType<typeof A.getBackend>
type Doc = A.Doc<ContainerDoc>

/** The crew's actor in the benchmark. */
export const CREW_ACTOR = 'cd'.repeat(16)
/** Readings per reefer: a day, hourly. */
export const READINGS_PER_REEFER = 24
/** Every this many documents, one is rebuilt through the proxies and compared. */
const CHECK_EVERY = 100

const LOADED_AT = '2026-11-01T00:00:00Z'
const DISCHARGED_AT = '2026-11-02T06:00:00Z'
const hoursAfter = (iso: string, h: number): string => new Date(Date.parse(iso) + h * 3_600_000).toISOString()

/** What the crew does to one box: its slot, readings if a reefer, and the discharge record. */
interface CrewWork {
  onBoard: { physical: { state: 'ON_BOARD'; stowage: string } }
  readings: { at: string; supplyC: number; returnC: number }[]
  discharge: { physical: { state: 'DISCHARGED'; dischargedAt: string; dischargePort: string | null } }
}

function crewWork(entry: BookingEntry, slot: number): CrewWork {
  return {
    onBoard: { physical: { state: 'ON_BOARD', stowage: `${String(slot).padStart(3, '0')}0482` } },
    readings: isReeferType(entry.isoType)
      ? Array.from({ length: READINGS_PER_REEFER }, (_, h) => ({
          at: hoursAfter(LOADED_AT, h),
          supplyC: -18,
          returnC: -17.4,
        }))
      : [],
    discharge: {
      physical: {
        state: 'DISCHARGED',
        dischargedAt: DISCHARGED_AT,
        dischargePort: entry.cargo.pod ?? null,
      },
    },
  }
}

/** The reference: the manifest's functions, through Automerge's proxies. */
function slowDoc(key: ContainerKey, entry: BookingEntry, work: CrewWork): Doc {
  const booked = applyBooking(createContainerDoc(key, entry.isoType, simActor('shore', key.vessel)), entry)
  let doc = A.clone(booked, { actor: CREW_ACTOR as A.ActorId })
  doc = applyPatch(doc, work.onBoard, 'vessel', changeTime(LOADED_AT))
  if (work.readings.length > 0)
    doc = A.change(doc, { time: changeTime(work.readings.at(-1)!.at) }, (d) => {
      for (const r of work.readings) d.reefer!.readings.push(toStored(r))
    })
  return applyPatch(doc, work.discharge, 'vessel', changeTime(DISCHARGED_AT))
}

/** One assignment `obj[key] = value` as the map proxy makes it (docs/benchmarks.md). */
function assign(b: Backend, obj: A.ObjID, key: string, value: unknown): void {
  if (value === null) b.put(obj, key, null, 'null')
  else if (value instanceof A.ImmutableString) b.put(obj, key, value.toString(), 'str')
  else if (typeof value === 'string') b.putObject(obj, key, value)
  else if (typeof value === 'boolean') b.put(obj, key, value, 'boolean')
  else if (typeof value === 'number') b.put(obj, key, value, Number.isInteger(value) ? 'int' : 'f64')
  else b.putObjectFromHydrate(obj, key, value)
}

const objectId = (b: Backend, obj: A.ObjID, key: string): A.ObjID => {
  const found = b.getWithType(obj, key)
  if (!found || (found[0] !== 'map' && found[0] !== 'list')) throw new Error(`no object at ${key}`)
  return found[1] as A.ObjID
}

/** The genesis's values, read once: every booking and patch is planned against them. */
const templates = new Map<boolean, Doc>()
function template(key: ContainerKey, isoType: string): Doc {
  const reefer = isReeferType(isoType)
  if (!templates.has(reefer)) templates.set(reefer, genesisDoc(key, isoType))
  return templates.get(reefer)!
}

/**
 * `patch` planned as `applyPatch` plans it, against a section's current values, and written. The
 * current values are the genesis's overlaid with what earlier changes of this builder wrote.
 */
function writePatch(
  b: Backend,
  ids: Record<string, A.ObjID>,
  current: Record<string, Record<string, unknown>>,
  patch: object,
  role: 'shore' | 'vessel',
): void {
  const stand = Object.fromEntries(Object.entries(current).map(([s, v]) => [s, { ...v }]))
  for (const w of planPatch(stand as unknown as Doc, patch, role).writes) {
    if (sameValue(toPlain(current[w.section]![w.key]), w.value)) continue
    assign(b, ids[w.section]!, w.key, toStored(w.value))
    current[w.section]![w.key] = w.value
  }
}

let emptyHandle: Backend | undefined
const empty = (): Backend => (emptyHandle ??= A.getBackend(A.init()))

/**
 * One container at the end of a voyage, in the form a replica receives it: the document as the
 * shore booked it, then each of the crew's changes (a vessel stores each edit as a chunk of its own).
 */
export interface FinishedContainer {
  /** The booked document, saved (each replica loads its own copy). */
  booked: Uint8Array
  crewChanges: Uint8Array[]
  heads: string[]
}

/** The same document as `slowDoc`, through the backend handle. */
function fastDoc(key: ContainerKey, entry: BookingEntry, work: CrewWork): FinishedContainer {
  // A fork of an empty document is an empty document, and far cheaper than A.init.
  const genesis = empty().fork(genesisActor(key))
  const defaults = toPlain(template(key, entry.isoType)) as Record<string, unknown>
  const root: [string, unknown][] = [
    ['schema', SCHEMA_VERSION],
    ['containerId', new A.ImmutableString(key.containerId)],
    ['vessel', new A.ImmutableString(key.vessel)],
    ['voyage', new A.ImmutableString(key.voyage)],
    ['isoType', new A.ImmutableString(entry.isoType)],
    ...(['cargo', 'customs', 'physical', 'reefer'] as const).map((k): [string, unknown] => [
      k,
      toStored(defaults[k]),
    ]),
    ['notes', ''], // a text object, as a plain string makes it
    ['proposals', []],
  ]
  for (const [k, v] of root) assign(genesis, '_root', k, v)
  genesis.commit(null, 0)

  const b = genesis.fork(simActor('shore', key.vessel))
  const ids: Record<string, A.ObjID> = {}
  for (const s of ['cargo', 'customs', 'physical']) ids[s] = objectId(b, '_root', s)
  const current = {
    cargo: { ...(defaults.cargo as object) },
    customs: { ...(defaults.customs as object) },
    physical: { ...(defaults.physical as object) },
  } as Record<string, Record<string, unknown>>
  writePatch(b, ids, current, { cargo: entry.cargo, customs: entry.customs }, 'shore')
  writePatch(b, ids, current, { physical: entry.physical }, 'vessel')
  b.commit(null, changeTime(BOOKING_TIME))
  const booked = b.save()
  const bookedHeads = b.getHeads()

  const crew = b.fork(CREW_ACTOR)
  writePatch(crew, ids, current, work.onBoard, 'vessel')
  crew.commit(null, changeTime(LOADED_AT))
  if (work.readings.length > 0) {
    const readings = objectId(crew, objectId(crew, '_root', 'reefer'), 'readings')
    // One push per reading, as the slow path's loop makes them (a single splice orders ops otherwise).
    for (const r of work.readings) crew.spliceFromHydrate(readings, crew.length(readings), 0, [toStored(r)])
    crew.commit(null, changeTime(work.readings.at(-1)!.at))
  }
  writePatch(crew, ids, current, work.discharge, 'vessel')
  crew.commit(null, changeTime(DISCHARGED_AT))
  const crewChanges = crew.getChanges(bookedHeads)
  return { booked, crewChanges, heads: crew.getHeads() }
}

/**
 * A voyage's documents at its end (by container ID), from the seeded booking list of `seed`. A
 * sample is checked against the slow path; a difference throws.
 */
export function voyageDocs(o: {
  seed: number
  vessel: string
  voyage: string
  containers: number
}): Map<string, FinishedContainer> {
  const manifest = seedManifest({
    seed: o.seed,
    vessel: o.vessel,
    voyage: o.voyage,
    containers: o.containers,
  })
  const out = new Map<string, FinishedContainer>()
  let slot = 1
  manifest.forEach((entry, i) => {
    const key = { vessel: o.vessel, voyage: o.voyage, containerId: entry.containerId }
    const work = crewWork(entry, slot)
    slot = (slot % 79) + 2
    const finished = fastDoc(key, entry, work)
    if (i % CHECK_EVERY === 0 || (i < CHECK_EVERY && isReeferType(entry.isoType))) {
      const expected = A.getHeads(slowDoc(key, entry, work)).join()
      if (finished.heads.join() !== expected)
        throw new Error(`voyage benchmark: ${entry.containerId} differs from the manifest's own changes`)
    }
    out.set(entry.containerId, finished)
  })
  return out
}
