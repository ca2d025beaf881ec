/**
 * A simulated fleet for the load and fault tests: N vessels, each with its voyage-day backlog, their
 * relay parts merged into one relay data directory, and worker processes that run the vessels' real
 * link clients at once against a real relay process.
 *
 * Building a vessel's files runs every event through Automerge, so built files are cached in
 * `test-results/reliability-cache/` (ignored by git) and copied for each run; the cache key names
 * the workload's parameters, so a changed size builds again.
 */
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import readline from 'node:readline'
import { ContainerStore } from '@tally/replica'
import { openRelayStores } from '../../../relay/src/stores.ts'
import { ROOT } from '../../support/processes.ts'
import type { SyncConfig, VesselResult } from './fleet-worker.ts'
import { headsByDoc } from './replica-files.ts'
import type { PartMeta } from './replica-files.ts'

const WORKER = path.join(ROOT, 'test/reliability/support/fleet-worker.ts')
/** Bump when the fixture format changes. */
const CACHE_FORMAT = 1
/** Relay tables a vessel's part contributes (documents, index, cursors, sync tokens, actors). */
const PART_TABLES = ['automerge_chunks', 'containers', 'cursors', 'peer_state', 'actors']

export const imoOf = (i: number): string => `IMO${9_900_000 + i}`

export interface FleetSpec {
  vessels: number
  containers: number
  seed?: number
}

export interface Fleet {
  dir: string
  relayDir: string
  vessels: { imo: string; token: string; file: string; meta: PartMeta }[]
  cleanup(): void
}

export function cacheDirOf(spec: FleetSpec): string {
  return path.join(
    ROOT,
    'test-results/reliability-cache',
    `v${CACHE_FORMAT}-c${spec.containers}-s${spec.seed ?? 1}`,
  )
}

/** Runs a worker to completion, collecting its JSON lines. */
function runWorker(
  args: string[],
  onLine: (v: any) => void = () => undefined,
): { child: ChildProcess; done: Promise<void> } {
  const child = spawn(process.execPath, ['--import', 'tsx', WORKER, ...args], {
    cwd: ROOT,
    stdio: ['pipe', 'pipe', 'pipe'],
  })
  let stderr = ''
  child.stderr!.on('data', (d) => (stderr += d))
  readline.createInterface({ input: child.stdout! }).on('line', (line) => {
    try {
      onLine(JSON.parse(line))
    } catch {
      // not ours (a stray log line)
    }
  })
  const done = new Promise<void>((resolve, reject) =>
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`fleet worker exited with ${code}:\n${stderr}`)),
    ),
  )
  return { child, done }
}

/** Builds the vessels' files that are not cached yet, spread over `workers` processes. */
export async function buildFleetParts(
  spec: FleetSpec,
  workers: number,
  log: (s: string) => void,
): Promise<void> {
  const cache = cacheDirOf(spec)
  const missing = Array.from({ length: spec.vessels }, (_, i) => imoOf(i)).filter(
    (imo) => !fs.existsSync(path.join(cache, `${imo}.json`)),
  )
  if (missing.length === 0) return
  log(`building ${missing.length} vessel(s) of ${spec.containers} containers into ${cache}`)
  const groups = Array.from({ length: Math.min(workers, missing.length) }, (_, w) =>
    missing.filter((_, i) => i % workers === w),
  )
  await Promise.all(
    groups.map(
      (imos) => runWorker(['build', cache, String(spec.containers), String(spec.seed ?? 1), ...imos]).done,
    ),
  )
}

/**
 * A fresh copy of the fleet: one relay data directory holding every vessel's part (and a vessel
 * token each), and each vessel's own database.
 */
export function assembleFleet(spec: FleetSpec): Fleet {
  const cache = cacheDirOf(spec)
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tally-fleet-'))
  const relayDir = path.join(dir, 'relay')
  const stores = openRelayStores(relayDir)
  const vessels: Fleet['vessels'] = []
  try {
    new ContainerStore(stores.db) // creates the document tables
    for (let i = 0; i < spec.vessels; i++) {
      const imo = imoOf(i)
      const meta = JSON.parse(fs.readFileSync(path.join(cache, `${imo}.json`), 'utf8')) as PartMeta
      stores.db.prepare('ATTACH DATABASE ? AS part').run(path.join(cache, `${imo}.relay.sqlite`))
      try {
        stores.db.transaction(() => {
          for (const table of PART_TABLES) {
            // Row IDs (INTEGER PRIMARY KEY) restart at 1 in every part: let the merged table assign them.
            const columns = (
              stores.db.pragma(`table_info(${table})`) as { name: string; type: string; pk: number }[]
            )
              .filter((c) => !(c.pk === 1 && c.type.toUpperCase() === 'INTEGER'))
              .map((c) => c.name)
              .join(', ')
            stores.db.exec(
              `INSERT OR IGNORE INTO main.${table} (${columns}) SELECT ${columns} FROM part.${table}`,
            )
          }
        })()
      } finally {
        stores.db.exec('DETACH DATABASE part')
      }
      stores.vessels.add(imo, `Reliability ${i}`)
      const token = stores.tokens.issue('vessel', imo, 'vessel')
      const file = path.join(dir, `${imo}.vessel.sqlite`)
      fs.copyFileSync(path.join(cache, `${imo}.vessel.sqlite`), file)
      vessels.push({ imo, token, file, meta })
    }
  } finally {
    stores.db.close()
  }
  return { dir, relayDir, vessels, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) }
}

export interface FleetRun {
  /** Resolves when every worker printed its summary. */
  finished: Promise<{ results: VesselResult[]; wallMs: number; workerMaxRss: number[] }>
  /** Number of vessels with at least one chunk acknowledged so far. */
  acked(): number
  kill(): void
}

/** Starts the workers, waits until they are ready, then lets every vessel sync at once. */
export async function startFleetSync(
  fleet: Fleet,
  relayUrl: string,
  workers: number,
  options: { maxAttempts?: number; retryDelayMs?: number } = {},
): Promise<FleetRun> {
  const linkUrl = relayUrl.replace(/^http/, 'ws') + '/link'
  const results: VesselResult[] = []
  const rss: number[] = []
  let acked = 0
  let ready = 0
  let signalReady: () => void
  const allReady = new Promise<void>((r) => (signalReady = r))
  const groups = Array.from({ length: workers }, (_, w) =>
    fleet.vessels.filter((_, i) => i % workers === w),
  ).filter((g) => g.length > 0)
  // Each run writes its workers' configs into a directory of its own: two runs started together on
  // one fleet (one per relay) once shared `worker-N.json`, so both runs' workers read whichever was
  // written last and synced the same vessels to the same relay, leaving the rest of the fleet unsynced.
  const runDir = fs.mkdtempSync(path.join(fleet.dir, 'run-'))
  const runs = groups.map((vessels, w) => {
    const config: SyncConfig = {
      relayUrl: linkUrl,
      vessels: vessels.map(({ imo, token, file }) => ({ imo, token, file })),
      maxAttempts: options.maxAttempts ?? 3,
      retryDelayMs: options.retryDelayMs ?? 500,
    }
    const configFile = path.join(runDir, `worker-${w}.json`)
    fs.writeFileSync(configFile, JSON.stringify(config))
    return runWorker(['sync', configFile], (line) => {
      if (line.ready && ++ready === groups.length) signalReady()
      else if (line.acked) acked++
      else if (line.vessel) results.push(line as VesselResult)
      else if (line.done) rss.push(line.maxRssBytes)
    })
  })
  await Promise.race([
    allReady,
    ...runs.map((r) => r.done.then(() => Promise.reject(new Error('worker exited early')))),
  ])
  const started = performance.now()
  for (const r of runs) r.child.stdin!.write('go\n')
  const finished = Promise.all(runs.map((r) => r.done)).then(() => ({
    results,
    wallMs: Math.round(performance.now() - started),
    workerMaxRss: rss,
  }))
  return { finished, acked: () => acked, kill: () => runs.forEach((r) => r.child.kill('SIGKILL')) }
}

/** Documents whose heads differ between the relay and their vessel (empty when all converged). */
export function divergentDocs(fleet: Fleet): string[] {
  const relayFile = path.join(fleet.relayDir, 'relay.sqlite')
  const out: string[] = []
  for (const v of fleet.vessels) {
    const relay = headsByDoc(relayFile, v.imo)
    const vessel = headsByDoc(v.file, v.imo)
    for (const docId of new Set([...relay.keys(), ...vessel.keys()]))
      if (relay.get(docId) !== vessel.get(docId)) out.push(`${v.imo}/${docId}`)
  }
  return out
}

/** Peak resident memory of a process so far (Linux `VmHWM`), in bytes. */
export function peakRss(pid: number): number {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8')
    const kb = /VmHWM:\s+(\d+) kB/.exec(status)?.[1]
    return kb ? Number(kb) * 1024 : 0
  } catch {
    return 0
  }
}

/** CPU time a process has used so far (user + system), in seconds (Linux `/proc/PID/stat`). */
export function cpuSeconds(pid: number): number {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8')
    // Fields after the command name (which may contain spaces) start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return (Number(fields[11]) + Number(fields[12])) / 100
  } catch {
    return 0
  }
}
