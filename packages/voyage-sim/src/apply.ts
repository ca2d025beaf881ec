/**
 * Appliers: each workload event becomes exactly one Automerge change through the manifest's edit
 * API, stamped with the event's time (Automerge change times are whole seconds since the epoch),
 * authored by whatever actor the document was cloned with.
 */
import * as A from '@automerge/automerge'
import {
  applyPatch,
  fieldSpec,
  invalid,
  planPatch,
  READING_SHAPE,
  sameValue,
  TallyError,
  toPlain,
  toStored,
  validators,
} from '@tally/manifest'
import type { ContainerDoc } from '@tally/manifest'
import type { NotesEvent, ReadingEvent, VoyageEvent } from './events.ts'
import type { BookingEntry } from './manifest.ts'

type Doc = A.Doc<ContainerDoc>

/** Automerge change time (seconds) of an ISO time. */
export function changeTime(at: string): number {
  const ms = Date.parse(at)
  if (Number.isNaN(ms)) throw invalid('at', 'must be an ISO 8601 UTC time')
  return Math.floor(ms / 1000)
}

const readingProblem = validators.objectOf(READING_SHAPE, 'reading')

/**
 * Appends a reefer reading as one change at the reading's time. Same validation as the manifest's
 * `appendReading`, which does not take a change time; the time matters here because change times
 * are part of what goes over the link.
 */
export function appendReadingAt(doc: Doc, event: Pick<ReadingEvent, 'at' | 'supplyC' | 'returnC'>): Doc {
  if (doc.reefer === null) throw invalid('reefer.readings', 'this container is not a reefer')
  const reading = { at: event.at, supplyC: event.supplyC, returnC: event.returnC }
  const problem = readingProblem(reading)
  if (problem) throw invalid('reefer.readings', problem)
  return A.change(doc, { time: changeTime(event.at) }, (d) => {
    d.reefer!.readings.push(toStored(reading))
  })
}

/** Appends text to the collaborative notes as one change (a splice at the end). */
export function appendNotes(doc: Doc, event: Pick<NotesEvent, 'at' | 'insert'>): Doc {
  const problem = fieldSpec('notes')!.validate(doc.notes + event.insert)
  if (problem) throw invalid('notes', problem)
  return A.change(doc, { time: changeTime(event.at) }, (d) => {
    A.splice(d, ['notes'], d.notes.length, 0, event.insert)
  })
}

/**
 * Applies one event to a container document as one change, with the role of the event's side.
 * Throws a TallyError if the event is not valid for this document (wrong container, bad value).
 */
export function applyEvent(doc: Doc, event: VoyageEvent): Doc {
  if (toPlain(doc.containerId) !== event.containerId)
    throw new TallyError('INVALID', `event for ${event.containerId} applied to ${toPlain(doc.containerId)}`)
  switch (event.kind) {
    case 'reading':
      return appendReadingAt(doc, event)
    case 'notes':
      return appendNotes(doc, event)
    case 'patch':
      return applyPatch(doc, event.patch, event.side, changeTime(event.at))
  }
}

/** When the shore created the documents from the booking list: three days before sailing. */
export const BOOKING_TIME = '2026-10-29T00:00:00Z'

/**
 * The shore's creation change: the booking's cargo, customs and initial physical values (planned
 * stowage, state PLANNED) written over the genesis in one change, as `POST /api/vessels/:imo/containers`
 * does. Physical belongs to the vessel, so it is validated with the vessel's rules; the creation
 * change is the one place the shore sets it.
 */
export function applyBooking(doc: Doc, entry: BookingEntry, at: string = BOOKING_TIME): Doc {
  if (toPlain(doc.containerId) !== entry.containerId || toPlain(doc.isoType) !== entry.isoType)
    throw new TallyError('INVALID', `booking for ${entry.containerId} applied to another document`)
  const shore = planPatch(doc, { cargo: entry.cargo, customs: entry.customs }, 'shore')
  const vessel = planPatch(doc, { physical: entry.physical }, 'vessel')
  const writes = [...shore.writes, ...vessel.writes]
  return A.change(doc, { time: changeTime(at) }, (d) => {
    for (const w of writes) {
      const target = (d as any)[w.section]
      if (!sameValue(toPlain(target[w.key]), w.value)) target[w.key] = toStored(w.value)
    }
  })
}
