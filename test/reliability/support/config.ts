/**
 * Sizes of the reliability suite. The CI form runs by default and keeps the whole folder within a
 * few minutes on a 2-core machine; `RELIABILITY_LONG=1` runs the long form (100 vessels each with a
 * full voyage day, 100 link drops, more fuzzing). Individual sizes can be overridden for experiments.
 */
export const LONG = process.env.RELIABILITY_LONG === '1'

function intEnv(name: string, fallback: number): number {
  const raw = process.env[name]
  if (raw === undefined || raw === '') return fallback
  const n = Number(raw)
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${name} must be a positive integer, got ${raw}`)
  return n
}

/** Simulated vessels syncing into one relay at once. */
export const FLEET_VESSELS = intEnv('RELIABILITY_VESSELS', LONG ? 100 : 10)
/** Containers per vessel: 2,000 is the standard voyage day (docs/benchmarks.md); CI scales it down. */
export const FLEET_CONTAINERS = intEnv('RELIABILITY_CONTAINERS', LONG ? 2_000 : 200)
/** Processes the simulated vessels are spread over (plus the relay's own). */
export const FLEET_WORKERS = intEnv('RELIABILITY_WORKERS', 2)
/** Link drops in a row before the link is let through. */
export const LINK_DROPS = intEnv('RELIABILITY_DROPS', LONG ? 100 : 10)
/** fast-check runs per property. */
export const FUZZ_RUNS = intEnv('RELIABILITY_FUZZ_RUNS', LONG ? 5_000 : 300)
/** fast-check runs per REST property (each one is an HTTP request). */
export const FUZZ_HTTP_RUNS = intEnv('RELIABILITY_FUZZ_HTTP_RUNS', LONG ? 2_000 : 150)
/** Targets of the issue for the fleet load (reported, and asserted only in the long form). */
export const LOAD_TARGET_SECONDS = 60
export const LOAD_TARGET_RSS_BYTES = 1024 ** 3
