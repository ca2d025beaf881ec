/** Source of "now" for timestamps; injected so tests can control time. */
export type Clock = () => Date

/** The wall clock. */
export const systemClock: Clock = () => new Date()

/** ISO 8601 UTC timestamp, the format every Tally table stores (it sorts lexicographically). */
export function isoNow(clock: Clock): string {
  return clock().toISOString()
}
