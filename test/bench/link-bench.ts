/**
 * The satellite link benchmarks (docs/benchmarks.md): real relay and vessel node processes, the simulated link
 * at 128 kbit/s and 300 ms each way between them, and the standard voyage workload. Wire bytes are
 * counted by the simulator (TCP payload: WebSocket framing and the HTTP upgrade included).
 */
import fs from 'node:fs'
import path from 'node:path'
import { SatelliteLink } from '../link-sim/index.ts'
import { getJson, startRelayProcess, startVesselProcess, waitFor } from '../support/processes.ts'
import type { Service } from '../support/processes.ts'
import { VesselRegistry } from '../../relay/src/vessels.ts'
import { cachedVoyage } from './voyage-cache.ts'
import { fastVoyage } from './fast-voyage.ts'
import { closeVoyage, converged, loadVoyage } from './link-fixture.ts'
import type { BenchOptions, BenchRow } from './report.ts'
import { eventsAsJson } from '@tally/voyage-sim'
import type { Voyage } from '@tally/voyage-sim'
import { brotliSize, median } from './report.ts'
// @ts-expect-error: a plain ES module without types
import { freshBundle } from '../../scripts/launch.mjs'

export const LINK_RATE_BPS = 128_000
export const ONE_WAY_DELAY_MS = 300
const RTT_S = (2 * ONE_WAY_DELAY_MS) / 1000
const SESSION_TIMEOUT_MS = 30 * 60_000

interface SessionRecord {
  id: string
  state: string
  durationMs: number
  bytesUp: number
  bytesDown: number
  changesUp: number
  changesDown: number
  chunksUp: number
  chunksDown: number
}

async function nextCompleteSession(
  vessel: Service,
  token: string,
  after: Set<string>,
): Promise<SessionRecord> {
  return waitFor(
    async () => {
      const sessions: SessionRecord[] = await getJson(`${vessel.url}/api/sync/sessions?limit=5`, token)
      const done = sessions.find((s) => !after.has(s.id) && s.state !== 'running')
      if (done && done.state !== 'complete') throw new Error(`session ${done.state}: ${JSON.stringify(done)}`)
      return done
    },
    SESSION_TIMEOUT_MS,
    250,
  )
}

/** One backlog synced over the simulated link between real processes, then an idle session. */
async function backlogSession(label: string, v: Voyage, log: (l: string) => void): Promise<BenchRow[]> {
  const section = 'link'
  const loaded = loadVoyage(v)
  const vesselToken = loaded.relay.tokens.issue('vessel', v.vessel)
  new VesselRegistry(loaded.relay.db).add(v.vessel, 'MV Tally Express')
  const crewToken = loaded.vessel.tokens.issue('crew', 'bench')
  const { dir, vesselChanges, shoreChanges } = loaded
  loaded.relay.db.close()
  loaded.vessel.db.close()
  const relay = await startRelayProcess(dir)
  const link = new SatelliteLink({
    listenPort: 0,
    target: { host: '127.0.0.1', port: relay.port },
    rateBitsPerSecond: LINK_RATE_BPS,
    oneWayDelayMs: ONE_WAY_DELAY_MS,
  })
  const { port } = await link.start()
  let vessel: Service | undefined
  try {
    log(`${label}: ${vesselChanges} vessel and ${shoreChanges} shore changes over the simulated link`)
    vessel = await startVesselProcess({
      dataDir: dir,
      relayUrl: `ws://127.0.0.1:${port}/link`,
      vessel: v.vessel,
      token: vesselToken,
      extra: ['--sync-interval-s', '86400'],
    })
    const first = await nextCompleteSession(vessel, crewToken, new Set()).catch((err) => {
      throw new Error(
        `${(err as Error).message}\nvessel output:\n${vessel?.output().slice(-3000)}\nrelay output:\n${relay.output().slice(-3000)}`,
      )
    })
    const wire = link.stats()
    const wireBytes = wire.bytesUp + wire.bytesDown
    const bound = 1.2 * ((wireBytes * 8) / LINK_RATE_BPS) + 5 * RTT_S
    log(`${label}: ${wireBytes} bytes on the wire in ${(first.durationMs / 1000).toFixed(1)} s`)

    link.resetStats()
    await fetch(`${vessel.url}/api/sync`, {
      method: 'POST',
      headers: { authorization: `Bearer ${crewToken}` },
    })
    const idle = await nextCompleteSession(vessel, crewToken, new Set([first.id]))
    const idleWire = link.stats()
    if (process.env.BENCH_DEBUG)
      console.error(
        JSON.stringify(await getJson(`${vessel.url}/api/sync/sessions?limit=5`, crewToken), null, 1),
      )
    // BENCH_LOGS=DIR (with LOG_LEVEL=debug) keeps both processes' logs: the session's timeline.
    if (process.env.BENCH_LOGS) {
      const name = label.replace(/\W+/g, '-')
      fs.mkdirSync(process.env.BENCH_LOGS, { recursive: true })
      fs.writeFileSync(path.join(process.env.BENCH_LOGS, `${name}-vessel.log`), vessel.output())
      fs.writeFileSync(path.join(process.env.BENCH_LOGS, `${name}-relay.log`), relay.output())
    }
    const rows: BenchRow[] = [
      {
        section,
        metric: `${label}: wire bytes up`,
        value: wire.bytesUp,
        unit: 'B',
        note: `${vesselChanges} vessel changes`,
      },
      {
        section,
        metric: `${label}: wire bytes down`,
        value: wire.bytesDown,
        unit: 'B',
        note: `${shoreChanges} shore changes`,
      },
      {
        section,
        metric: `${label}: wire bytes total`,
        value: wireBytes,
        unit: 'B',
        note: `$${((wireBytes / 1e6) * 10).toFixed(2)} at $10/MB`,
      },
      {
        section,
        metric: `${label}: sync duration`,
        value: first.durationMs / 1000,
        unit: 's',
        note: `bound 1.2×bytes/rate+5 RTT = ${bound.toFixed(1)} s; ${first.chunksUp}↑/${first.chunksDown}↓ chunks`,
      },
      {
        section,
        metric: `${label}: duration ÷ bound`,
        value: first.durationMs / 1000 / bound,
        unit: '×',
        note: '≤ 1 meets the target',
      },
      {
        section,
        metric: `${label}: idle session wire bytes`,
        value: idleWire.bytesUp + idleWire.bytesDown,
        unit: 'B',
        note: 'TCP payload incl. WebSocket upgrade',
      },
      {
        section,
        metric: `${label}: idle session duration`,
        value: idle.durationMs / 1000,
        unit: 's',
        note: `${RTT_S} s RTT; TCP + upgrade + hello/fin`,
      },
    ]
    await vessel.stop()
    await relay.stop()
    vessel = undefined
    if (label === '1 day') rows.push(...(await vesselStartup(dir, v.vessel, vesselToken, crewToken)))
    const check = loadVoyage.reopen(dir)
    rows.push({
      section,
      metric: `${label}: converged`,
      value: converged(check) ? 'yes' : 'NO',
      unit: '',
      note: 'every container has equal heads on both sides',
    })
    closeVoyage(check)
    return rows
  } finally {
    await vessel?.stop()
    await relay.stop()
    await link.stop()
    fs.rmSync(dir, { recursive: true, force: true })
  }
}

/**
 * Vessel node start-up with the voyage's 2,000 documents: from spawning the process to its first
 * answer of a container list (the crew's first screen). The relay is unreachable, as at sea.
 */
async function vesselStartup(
  dir: string,
  vesselImo: string,
  token: string,
  crewToken: string,
): Promise<BenchRow[]> {
  // The launcher runs the sources through tsx when the bundle is stale, which is not what ships.
  if (!freshBundle('vessel-node'))
    throw new Error('the vessel node bundle is missing or stale: run `npm run build` first')
  const spawnToList: number[] = []
  const listenToList: number[] = []
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now()
    const node = await startVesselProcess({
      dataDir: dir,
      relayUrl: 'ws://127.0.0.1:9/link',
      vessel: vesselImo,
      token,
      extra: ['--sync-interval-s', '86400'],
    })
    const listening = performance.now()
    await waitFor(
      async () => {
        const res = await fetch(`${node.url}/api/containers?limit=100`, {
          headers: { authorization: `Bearer ${crewToken}` },
        })
        return res.ok ? true : undefined
      },
      60_000,
      10,
    )
    const answered = performance.now()
    spawnToList.push(answered - t0)
    listenToList.push(answered - listening)
    await node.stop()
  }
  return [
    {
      section: 'vessel',
      metric: 'start-up to first container list (spawn → answer)',
      value: Math.round(median(spawnToList)),
      unit: 'ms',
      note: `median of 3; 2,000 documents; Node, the launcher and the server bundle (target ≤ 1,000)`,
    },
    {
      section: 'vessel',
      metric: 'start-up: listening → first container list',
      value: Math.round(median(listenToList)),
      unit: 'ms',
      note: 'median of 3; the application part',
    },
  ]
}

/** Floors in the same run: brotli JSON of the events and brotli of raw changes for the backlog. */
function floors(label: string, v: Voyage, days: number[]): BenchRow[] {
  const events = days.flatMap((d) => v.events[d] ?? [])
  return [
    {
      section: 'link',
      metric: `${label}: brotli JSON of events (floor)`,
      value: brotliSize(eventsAsJson(events)),
      unit: 'B',
      note: `${events.length} events, no CRDT metadata`,
    },
  ]
}

export async function runLinkBenchmarks(opts: BenchOptions): Promise<BenchRow[]> {
  const rows: BenchRow[] = []
  const day = cachedVoyage({ seed: opts.seed, containers: opts.containers, days: 2, syncedDays: 1 }, opts.log)
  rows.push(...floors('1 day', day, [1]))
  rows.push(...(await backlogSession('1 day', day, opts.log)))
  if (process.env.BENCH_SKIP_21 !== '1') {
    const backlog = cachedVoyage(
      { seed: opts.seed, containers: opts.containers, days: 21, syncedDays: 0 },
      opts.log,
      fastVoyage,
    )
    rows.push(...floors('21 days', backlog, [...Array(21).keys()]))
    rows.push(...(await backlogSession('21 days', backlog, opts.log)))
  }
  return rows
}

export { path }
