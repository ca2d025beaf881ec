/**
 * The events of a voyage day, as plain JSON. They are the workload's source of truth: the appliers
 * turn each into one Automerge change, and their JSON is the "no CRDT metadata" floor that the
 * benchmarks compare the wire bytes against.
 */
import type { ContainerPatch } from '@tally/manifest'

export type Side = 'vessel' | 'shore'

/** An hourly reefer logger reading. Temperatures in °C with one decimal. */
export interface ReadingEvent {
  kind: 'reading'
  side: 'vessel'
  containerId: string
  at: string
  supplyC: number
  returnC: number
}

/** A partial view written by one side: physical and reefer fields (vessel), customs (shore). */
export interface PatchEvent {
  kind: 'patch'
  side: Side
  containerId: string
  at: string
  patch: ContainerPatch
}

/** Text appended to the container's collaborative notes. */
export interface NotesEvent {
  kind: 'notes'
  side: Side
  containerId: string
  at: string
  insert: string
}

export type VoyageEvent = ReadingEvent | PatchEvent | NotesEvent

/** The voyage starts at midnight UTC on 1 November 2026; day `i` covers the 24 hours after `i` days. */
export const VOYAGE_START = '2026-11-01T00:00:00Z'
export const VOYAGE_START_MS = Date.parse(VOYAGE_START)
export const DAY_MS = 86_400_000
/** A voyage of the standard workload is 21 days (docs/benchmarks.md). */
export const VOYAGE_DAYS = 21

/** An ISO 8601 UTC time to the second, e.g. `2026-11-01T06:07:00Z`. */
export function isoAt(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z')
}

/** The start of day `dayIndex` of the voyage, in epoch milliseconds. */
export function dayStartMs(dayIndex: number): number {
  return VOYAGE_START_MS + dayIndex * DAY_MS
}

/** The events as one JSON document (UTF-8), for the brotli-JSON floor measurement. */
export function eventsAsJson(events: readonly VoyageEvent[]): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(events))
}

/** Events of one side. */
export function eventsOfSide(events: readonly VoyageEvent[], side: Side): VoyageEvent[] {
  return events.filter((e) => e.side === side)
}
