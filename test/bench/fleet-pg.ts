/**
 * Fleet load on PostgreSQL: 100 simulated vessels of 200 containers each bring a voyage-day backlog
 * and take the shore's day back at once, spread over two relay processes on one PostgreSQL (a
 * throwaway local cluster, fsync on); beside it, the same fleet into one relay on SQLite. Reports
 * the wall time and each relay's peak RSS, and whether every change crossed exactly once.
 * The vessels are the reliability suite's (test/reliability/support/fleet.ts), built once and cached.
 *
 * Knobs: BENCH_FLEET_VESSELS (100), BENCH_FLEET_CONTAINERS (200), BENCH_FLEET_WORKERS (2 per relay).
 */
import path from 'node:path'
import { openPostgresDatabase } from '@tally/storage-postgres'
import {
  assembleFleet,
  buildFleetParts,
  peakRss,
  startFleetSync,
  type Fleet,
} from '../reliability/support/fleet.ts'
import type { VesselResult } from '../reliability/support/fleet-worker.ts'
import { startPgCluster } from '../support/postgres-cluster.ts'
import { startRelayProcess, startService, type Service } from '../support/processes.ts'
import type { BenchOptions, BenchRow } from './report.ts'
import { copySqliteToPostgres } from './sqlite-to-postgres.ts'

const intEnv = (name: string, fallback: number) => Number(process.env[name] ?? fallback)

/** Samples a process's peak RSS until stopped. */
function watchRss(pid: number): () => number {
  let peak = 0
  const timer = setInterval(() => (peak = Math.max(peak, peakRss(pid))), 250)
  return () => {
    clearInterval(timer)
    return Math.max(peak, peakRss(pid))
  }
}

interface LoadFigures {
  wallS: number
  relayRssMb: number[]
  /** Whether every change crossed exactly once, in words. */
  crossed: string
}

/** Syncs `fleet`'s vessels, split evenly over `relays`, all at once; checks every change crossed once. */
async function load(fleet: Fleet, relays: Service[], workers: number): Promise<LoadFigures> {
  const peaks = relays.map((r) => watchRss(r.child.pid!))
  const runs = await Promise.all(
    relays.map((relay, k) =>
      startFleetSync(
        { ...fleet, vessels: fleet.vessels.filter((_, i) => i % relays.length === k) },
        relay.url,
        workers,
      ),
    ),
  )
  const done = await Promise.all(runs.map((r) => r.finished))
  const relayRssMb = peaks.map((p) => Math.round(p() / 1e6))
  const results: VesselResult[] = done.flatMap((d) => d.results)
  const failed = results.filter((r) => !r.ok)
  if (failed.length > 0 || results.length !== fleet.vessels.length)
    throw new Error(
      `${failed.length} of ${fleet.vessels.length} vessels failed: ${failed[0]?.errors.join('; ') ?? 'missing results'}`,
    )
  const sum = (f: (x: any) => number, xs: any[]) => xs.reduce((n, x) => n + f(x), 0)
  const up = sum((r) => r.changesUp, results)
  const down = sum((r) => r.changesDown, results)
  const backlogUp = sum((v) => v.meta.vesselChanges, fleet.vessels)
  const backlogDown = sum((v) => v.meta.shoreChanges, fleet.vessels)
  // Reported, not thrown: the timing stands, and a shortfall is written beside it in the table.
  const crossed =
    up === backlogUp && down === backlogDown
      ? `${up + down} changes, each crossed once`
      : `changes crossed ${up}↑ ${down}↓ against a backlog of ${backlogUp}↑ ${backlogDown}↓`
  return { wallS: Math.max(...done.map((d) => d.wallMs)) / 1000, relayRssMb, crossed }
}

export async function runFleetOnPostgres(opts: BenchOptions): Promise<BenchRow[]> {
  const spec = {
    vessels: intEnv('BENCH_FLEET_VESSELS', 100),
    containers: intEnv('BENCH_FLEET_CONTAINERS', 200),
  }
  const workers = intEnv('BENCH_FLEET_WORKERS', 2)
  const size = `${spec.vessels} vessels × ${spec.containers} containers`
  await buildFleetParts(spec, 2, opts.log)
  const rows: BenchRow[] = []

  // One relay on SQLite: the figure to compare with.
  const onSqlite = assembleFleet(spec)
  try {
    const relay = await startRelayProcess(onSqlite.relayDir)
    try {
      const f = await load(onSqlite, [relay], workers * 2)
      opts.log(`fleet on SQLite: ${JSON.stringify(f)}`)
      rows.push(
        {
          section: 'fleet-pg',
          metric: `${size}, 1 relay on SQLite: wall time`,
          value: f.wallS,
          unit: 's',
          note: f.crossed,
        },
        {
          section: 'fleet-pg',
          metric: `${size}, 1 relay on SQLite: relay peak RSS`,
          value: f.relayRssMb[0]!,
          unit: 'MB',
          note: 'VmHWM',
        },
      )
    } finally {
      await relay.stop('SIGKILL')
    }
  } finally {
    onSqlite.cleanup()
  }

  // Two relays on one PostgreSQL, half the fleet each.
  const fleet = assembleFleet(spec)
  const cluster = await startPgCluster()
  const relays: Service[] = []
  try {
    const url = cluster.createDatabase('fleet')
    const db = openPostgresDatabase(url)
    try {
      copySqliteToPostgres(path.join(fleet.relayDir, 'relay.sqlite'), db)
    } finally {
      db.close()
    }
    for (let i = 0; i < 2; i++)
      relays.push(await startService('relay/src/cli.ts', ['serve', '--port', '0', '--database', url]))
    const f = await load(fleet, relays, workers)
    opts.log(`fleet on PostgreSQL: ${JSON.stringify(f)}`)
    rows.push(
      {
        section: 'fleet-pg',
        metric: `${size}, 2 relays on one PostgreSQL: wall time`,
        value: f.wallS,
        unit: 's',
        note: `${f.crossed}; throwaway local cluster, fsync on`,
      },
      ...f.relayRssMb.map((mb, i) => ({
        section: 'fleet-pg',
        metric: `${size}, 2 relays on one PostgreSQL: relay ${i === 0 ? 'A' : 'B'} peak RSS`,
        value: mb,
        unit: 'MB',
        note: 'VmHWM',
      })),
    )
  } finally {
    for (const r of relays) await r.stop('SIGKILL').catch(() => undefined)
    cluster.destroy()
    fleet.cleanup()
  }
  return rows
}
