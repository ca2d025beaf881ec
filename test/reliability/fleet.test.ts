/**
 * Load and a mid-sync relay restart: N simulated vessels (real link clients over real sockets, a few
 * per worker process) each bring a voyage-day backlog to one real relay process at the same time,
 * and take the shore's day back. Every document must converge by heads, and the changes counted on
 * the wire must be exactly the backlog (nothing lost, nothing sent twice on a clean run).
 *
 * CI: 10 vessels of 200 containers. RELIABILITY_LONG=1: 100 vessels of 2,000 containers (the full
 * standard voyage day each); the relay's peak RSS must stay under 1 GB, and the time is reported
 * against the 60 s target (asserted with RELIABILITY_ENFORCE_TARGETS=1).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { ROOT, startRelayProcess, waitFor } from '../support/processes.ts'
import type { Service } from '../support/processes.ts'
import {
  FLEET_CONTAINERS,
  FLEET_VESSELS,
  FLEET_WORKERS,
  LOAD_TARGET_RSS_BYTES,
  LOAD_TARGET_SECONDS,
  LONG,
} from './support/config.ts'
import {
  assembleFleet,
  buildFleetParts,
  cpuSeconds,
  divergentDocs,
  peakRss,
  startFleetSync,
} from './support/fleet.ts'
import type { Fleet } from './support/fleet.ts'

const spec = { vessels: FLEET_VESSELS, containers: FLEET_CONTAINERS }
const REPORT = path.join(ROOT, 'test-results/reliability-fleet.json')
const BUILD_TIMEOUT_MS = LONG ? 4 * 3_600_000 : 10 * 60_000
const RUN_TIMEOUT_MS = LONG ? 30 * 60_000 : 5 * 60_000

const cleanups: (() => Promise<unknown> | unknown)[] = []
afterAll(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

/** Samples a process's peak RSS until stopped (VmHWM also survives between samples). */
function watchRss(pid: number): () => number {
  let peak = 0
  const timer = setInterval(() => (peak = Math.max(peak, peakRss(pid))), 250)
  return () => {
    clearInterval(timer)
    return Math.max(peak, peakRss(pid))
  }
}

async function startRelay(fleet: Fleet, port = 0): Promise<Service> {
  const relay = await startRelayProcess(fleet.relayDir, port)
  cleanups.push(() => relay.stop('SIGKILL'))
  return relay
}

function record(name: string, figures: Record<string, unknown>): void {
  let all: Record<string, unknown> = {}
  try {
    all = JSON.parse(fs.readFileSync(REPORT, 'utf8'))
  } catch {
    // first figures of this run
  }
  all[name] = { at: new Date().toISOString(), long: LONG, ...spec, ...figures }
  fs.mkdirSync(path.dirname(REPORT), { recursive: true })
  fs.writeFileSync(REPORT, JSON.stringify(all, null, 2))
  console.log(`[reliability] ${name}: ${JSON.stringify(figures)}`)
}

describe(`fleet of ${spec.vessels} vessels × ${spec.containers} containers`, () => {
  beforeAll(async () => {
    const started = performance.now()
    await buildFleetParts(spec, FLEET_WORKERS, (s) => console.log(`[reliability] ${s}`))
    console.log(`[reliability] fleet files ready in ${Math.round(performance.now() - started)} ms`)
  }, BUILD_TIMEOUT_MS)

  it(
    'syncs every vessel’s backlog into one relay at once; every document converges by heads',
    async () => {
      const fleet = assembleFleet(spec)
      cleanups.push(() => fleet.cleanup())
      const relay = await startRelay(fleet)
      const relayPeak = watchRss(relay.child.pid!)
      const run = await startFleetSync(fleet, relay.url, FLEET_WORKERS)
      const cpuBefore = cpuSeconds(relay.child.pid!)
      const { results, wallMs, workerMaxRss } = await run.finished
      const relayCpu = cpuSeconds(relay.child.pid!) - cpuBefore
      const relayRss = relayPeak()
      await relay.stop()
      const failed = results.filter((r) => !r.ok)
      expect(failed.map((r) => `${r.vessel}: ${r.errors.join('; ')}`)).toEqual([])
      expect(results).toHaveLength(spec.vessels)
      expect(divergentDocs(fleet)).toEqual([])
      const sum = (f: (x: any) => number, xs: any[]) => xs.reduce((n, x) => n + f(x), 0)
      const backlogUp = sum((v) => v.meta.vesselChanges, fleet.vessels)
      const backlogDown = sum((v) => v.meta.shoreChanges, fleet.vessels)
      // A clean run moves exactly the backlog: each change once, each way.
      expect(sum((r) => r.changesUp, results)).toBe(backlogUp)
      expect(sum((r) => r.changesDown, results)).toBe(backlogDown)
      const figures = {
        wallSeconds: wallMs / 1000,
        slowestVesselSeconds: Math.max(...results.map((r) => r.ms)) / 1000,
        changesUp: backlogUp,
        changesDown: backlogDown,
        changesPerSecond: Math.round((backlogUp + backlogDown) / (wallMs / 1000)),
        bytesUp: sum((r) => r.bytesUp, results),
        bytesDown: sum((r) => r.bytesDown, results),
        relayCpuSeconds: Math.round(relayCpu * 10) / 10,
        relayPeakRssMB: Math.round(relayRss / 1e6),
        sessionsRetried: results.filter((r) => r.attempts > 1).length,
        loadAverage: os.loadavg()[0],
        workerPeakRssMB: workerMaxRss.map((b) => Math.round(b / 1e6)),
      }
      record('load', figures)
      if (LONG) expect(relayRss).toBeLessThanOrEqual(LOAD_TARGET_RSS_BYTES)
      // The time target depends on the machine (and on what else runs on it): reported, and
      // enforced only on request (RELIABILITY_ENFORCE_TARGETS=1). See docs/operations.md.
      if (figures.wallSeconds > LOAD_TARGET_SECONDS)
        console.warn(
          `[reliability] load took ${figures.wallSeconds} s, over the ${LOAD_TARGET_SECONDS} s target`,
        )
      if (process.env.RELIABILITY_ENFORCE_TARGETS === '1')
        expect(figures.wallSeconds).toBeLessThanOrEqual(LOAD_TARGET_SECONDS)
    },
    RUN_TIMEOUT_MS,
  )

  it(
    'survives a relay restart in the middle of the fleet sync: every vessel finishes and converges',
    async () => {
      const fleet = assembleFleet(spec)
      cleanups.push(() => fleet.cleanup())
      const relay = await startRelay(fleet)
      const run = await startFleetSync(fleet, relay.url, FLEET_WORKERS, {
        maxAttempts: 60,
        retryDelayMs: 500,
      })
      // Restart as soon as the first chunk is acknowledged: with compact change sets a vessel's
      // backlog is one or two chunks, so waiting for a third of the fleet let every session finish.
      await waitFor(() => (run.acked() >= 1 ? true : undefined), RUN_TIMEOUT_MS, 20)
      const stoppedAt = performance.now()
      await relay.stop('SIGTERM')
      const restarted = await startRelay(fleet, relay.port)
      const downMs = Math.round(performance.now() - stoppedAt)
      const { results, wallMs } = await run.finished
      await restarted.stop()
      const failed = results.filter((r) => !r.ok)
      expect(failed.map((r) => `${r.vessel}: ${r.errors.join('; ')}`)).toEqual([])
      expect(divergentDocs(fleet)).toEqual([])
      const retried = results.filter((r) => r.attempts > 1).length
      expect(retried).toBeGreaterThan(0)
      record('relay restart', { wallSeconds: wallMs / 1000, relayDownMs: downMs, vesselsRetried: retried })
    },
    RUN_TIMEOUT_MS,
  )
})
