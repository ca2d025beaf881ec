/**
 * @tally/voyage-sim: the seeded standard workload (docs/benchmarks.md). A booking list of 2,000 boxes, the
 * events of each voyage day, and appliers that turn them into Automerge changes on either side.
 */
export { mulberry32, hashSeed, Rng, rngFor } from './prng.ts'
export {
  seedManifest,
  DEFAULT_VESSEL,
  DEFAULT_VOYAGE,
  STANDARD_CONTAINERS,
  REEFER_SHARE,
  DG_SHARE,
  MAX_CONTAINERS,
  type BookingEntry,
  type SeedManifestOptions,
} from './manifest.ts'
export { parseStowage } from './stowage.ts'
export { reserveWasmHeap } from './wasm-heap.ts'
export {
  eventsAsJson,
  eventsOfSide,
  isoAt,
  dayStartMs,
  VOYAGE_START,
  VOYAGE_START_MS,
  DAY_MS,
  VOYAGE_DAYS,
  type Side,
  type ReadingEvent,
  type PatchEvent,
  type NotesEvent,
  type VoyageEvent,
} from './events.ts'
export { voyageDay, STANDARD_DAY } from './voyage-day.ts'
export { applyEvent, applyBooking, appendReadingAt, appendNotes, changeTime, BOOKING_TIME } from './apply.ts'
export {
  buildVoyage,
  bookedDocs,
  cloneReplica,
  applyEvents,
  mergeReplicas,
  changesSince,
  headsOf,
  simActor,
  type Replica,
  type BuildVoyageOptions,
  type Voyage,
} from './build.ts'
