/**
 * Fleet load on PostgreSQL: 100 simulated vessels of 200 containers each bring a voyage-day backlog
 * and take the shore's day back at once, spread over two relay processes on one PostgreSQL (a
 * throwaway local cluster, fsync on); beside it, the same fleet into one relay on SQLite. Reports
 * the wall time and each relay's peak RSS once the load checks out: every vessel synced once and
 * every document converged (else the rows carry no figure and say why; see checkLoad).
 * The vessels are the reliability suite's (test/reliability/support/fleet.ts), built once and cached.
 *
 * Knobs: BENCH_FLEET_VESSELS (100), BENCH_FLEET_CONTAINERS (200), BENCH_FLEET_WORKERS (2 per relay).
 */
import path from 'node:path'
import { openPostgresDatabase, type PostgresDatabase } from '@tally/storage-postgres'
import {
  assembleFleet,
  buildFleetParts,
  peakRss,
  startFleetSync,
  type Fleet,
} from '../reliability/support/fleet.ts'
import type { VesselResult } from '../reliability/support/fleet-worker.ts'
import { headsByDoc } from '../reliability/support/replica-files.ts'
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
  /** Every vessel synced once and every document converged (see {@link checkLoad}). */
  valid: boolean
  /** What was checked, in words; names the first shortfalls when not valid. */
  check: string
}

/** Heads of one vessel's containers as a relay's database holds them, by document ID. */
type RelayHeads = (imo: string) => Map<string, string>

/** Documents of `imo` whose heads differ between its relay and the vessel's own database. */
function divergent(v: Fleet['vessels'][number], relayHeads: RelayHeads): { diverged: number; docs: number } {
  const relay = relayHeads(v.imo)
  const vessel = headsByDoc(v.file, v.imo)
  const ids = new Set([...relay.keys(), ...vessel.keys()])
  return { diverged: [...ids].filter((id) => relay.get(id) !== vessel.get(id)).length, docs: ids.size }
}

/**
 * Checks a finished load. Valid when each vessel reported exactly once and succeeded, and every
 * document holds the same heads at the relay and aboard, after at most one more session for the
 * documents the protocol deferred (`followedUp`: a short dependency that clashes with a change the
 * sender never saw makes the receiver ask for the document whole, next session; docs/protocol.md,
 * "Short dependencies"). A run that fails reports no figure (the rows say INVALID and why), so a
 * partial load cannot pass for a fast one. The changes moved are summed beside the backlog: a
 * vessel whose session was cut and retried moved part of its backlog in the attempt that failed.
 */
export function checkLoad(
  fleet: Fleet,
  results: VesselResult[],
  relayHeads: RelayHeads,
  followedUp: ReadonlyMap<string, number>,
) {
  const problems: string[] = []
  const byVessel = new Map<string, VesselResult[]>()
  for (const r of results) byVessel.set(r.vessel, [...(byVessel.get(r.vessel) ?? []), r])
  let up = 0
  let down = 0
  let docs = 0
  const retried: string[] = []
  for (const v of fleet.vessels) {
    const mine = byVessel.get(v.imo) ?? []
    if (mine.length !== 1) {
      problems.push(`${v.imo} reported ${mine.length} times`)
      continue
    }
    const r = mine[0]!
    if (!r.ok) problems.push(`${v.imo} failed: ${r.errors.join('; ')}`)
    if (r.attempts > 1) retried.push(`${v.imo} (${r.errors[0] ?? '?'})`)
    up += r.changesUp
    down += r.changesDown
    const d = divergent(v, relayHeads)
    if (d.diverged > 0) problems.push(`${v.imo}: ${d.diverged} of ${d.docs} documents not converged`)
    docs += d.docs - d.diverged
  }
  for (const imo of byVessel.keys())
    if (!fleet.vessels.some((v) => v.imo === imo)) problems.push(`unexpected vessel ${imo}`)
  const backlogUp = fleet.vessels.reduce((n, v) => n + v.meta.vesselChanges, 0)
  const backlogDown = fleet.vessels.reduce((n, v) => n + v.meta.shoreChanges, 0)
  const deferred = [...followedUp].map(([imo, n]) => `${n} of ${imo}`)
  const facts = [
    `${fleet.vessels.length} vessels, ${docs} documents converged`,
    `moved ${up}↑ ${down}↓ of a backlog of ${backlogUp}↑ ${backlogDown}↓ in the timed sessions`,
    ...(retried.length > 0 ? [`${retried.length} vessels retried: ${retried.slice(0, 2).join(', ')}`] : []),
    ...(deferred.length > 0
      ? [`documents deferred to the next session (short-dependency clash): ${deferred.join(', ')}`]
      : []),
  ].join('; ')
  const valid = problems.length === 0
  const check = valid ? facts : `INVALID (${problems.length} shortfalls): ${problems.slice(0, 3).join('; ')}`
  return { valid, check }
}

/** Syncs `fleet`'s vessels, split evenly over `relays`, all at once, then checks the load. */
async function load(
  fleet: Fleet,
  relays: Service[],
  workers: number,
  relayHeads: RelayHeads,
): Promise<LoadFigures> {
  const peaks = relays.map((r) => watchRss(r.child.pid!))
  const share = (k: number) => fleet.vessels.filter((_, i) => i % relays.length === k)
  const runs = await Promise.all(
    relays.map((relay, k) => startFleetSync({ ...fleet, vessels: share(k) }, relay.url, workers)),
  )
  const done = await Promise.all(runs.map((r) => r.finished))
  const relayRssMb = peaks.map((p) => Math.round(p() / 1e6))
  // Untimed: the next session of each vessel the protocol left a document for (see checkLoad).
  const followedUp = new Map<string, number>()
  for (const [k, relay] of relays.entries()) {
    const behind = share(k).filter((v) => divergent(v, relayHeads).diverged > 0)
    for (const v of behind) followedUp.set(v.imo, divergent(v, relayHeads).diverged)
    if (behind.length > 0) await (await startFleetSync({ ...fleet, vessels: behind }, relay.url, 1)).finished
  }
  const { valid, check } = checkLoad(
    fleet,
    done.flatMap((d) => d.results),
    relayHeads,
    followedUp,
  )
  return { wallS: Math.max(...done.map((d) => d.wallMs)) / 1000, relayRssMb, valid, check }
}

/** The load's rows: its figures when the load checked out, else no figure and the reason. */
function loadRows(label: string, f: LoadFigures, note: string): BenchRow[] {
  const figure = (value: number) => (f.valid ? value : null)
  return [
    {
      section: 'fleet-pg',
      metric: `${label}: wall time`,
      value: figure(f.wallS),
      unit: 's',
      note: note ? `${f.check}; ${note}` : f.check,
    },
    ...f.relayRssMb.map((mb, i) => ({
      section: 'fleet-pg',
      metric: `${label}: ${f.relayRssMb.length === 1 ? 'relay' : `relay ${String.fromCharCode(65 + i)}`} peak RSS`,
      value: figure(mb),
      unit: 'MB',
      note: f.valid ? 'VmHWM' : 'INVALID: see the wall-time row',
    })),
  ]
}

/** Heads by document of one vessel's containers in a PostgreSQL relay database. */
function postgresHeads(db: PostgresDatabase): RelayHeads {
  return (imo) =>
    new Map(
      db
        .prepare<[string], { doc_id: string; heads: string }>(
          'SELECT doc_id, heads FROM containers WHERE vessel = ?',
        )
        .all(imo)
        .map((r) => [r.doc_id, (JSON.parse(r.heads) as string[]).sort().join(',')]),
    )
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
      const relayFile = path.join(onSqlite.relayDir, 'relay.sqlite')
      const f = await load(onSqlite, [relay], workers * 2, (imo) => headsByDoc(relayFile, imo))
      opts.log(`fleet on SQLite: ${JSON.stringify(f)}`)
      rows.push(...loadRows(`${size}, 1 relay on SQLite`, f, ''))
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
      for (let i = 0; i < 2; i++)
        relays.push(await startService('relay/src/cli.ts', ['serve', '--port', '0', '--database', url]))
      const f = await load(fleet, relays, workers, postgresHeads(db))
      opts.log(`fleet on PostgreSQL: ${JSON.stringify(f)}`)
      rows.push(...loadRows(`${size}, 2 relays on one PostgreSQL`, f, 'throwaway local cluster, fsync on'))
    } finally {
      db.close()
    }
  } finally {
    for (const r of relays) await r.stop('SIGKILL').catch(() => undefined)
    cluster.destroy()
    fleet.cleanup()
  }
  return rows
}
