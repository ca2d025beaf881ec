/**
 * The daily bill (docs/benchmarks.md, "The daily bill"): what a voyage day costs with the link left
 * up, measured the way a vessel pays it.
 * - Real relay and vessel node processes with default settings (as `npm run relay` and
 *   `npm run vessel` start them), through the link simulator at 128 kbit/s and 300 ms each way.
 * - The hours before the window cross first, unmeasured, as on a link up all day (its compression
 *   context is then as warm as at that time of day).
 * - A window of a busy hour of the standard voyage day is replayed in real time (crew edits through
 *   the vessel's REST API, customs and notes through the relay's), then scaled to the day by its
 *   events (the day's over the window's; by time it would count the busiest hour all day).
 * - Reported: bytes up and down, TCP connections and sessions per day; latency from each edit to
 *   the other side's REST, by priority class; beside the one-session day and stock automerge-repo.
 * - Again with TLS on, when the relay serves TLS itself.
 *
 * Knobs: DAILY_BILL_MINUTES (window length, default 10), DAILY_BILL_DRAIN_MINUTES (how long after the
 * window to wait for critical and normal edits still on their way, default 16), DAILY_BILL_TLS=0
 * (skip the TLS run).
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { voyageDay } from '@tally/voyage-sim'
import type { Voyage } from '@tally/voyage-sim'
import { SatelliteLink } from '../link-sim/index.ts'
import { getJson, startService, startVesselProcess, waitFor } from '../support/processes.ts'
import type { Service } from '../support/processes.ts'
import { VesselRegistry } from '../../relay/src/vessels.ts'
import { jsonClient } from './daily-bill-http.ts'
import { replayWindow, sendBefore } from './daily-bill-replay.ts'
import type { ReplayResult } from './daily-bill-replay.ts'
import { billRows, comparisonRows } from './daily-bill-rows.ts'
import { detectTls, selfSignedCertificate } from './daily-bill-tls.ts'
import { chooseWindow } from './daily-bill-workload.ts'
import type { ReplayWindow } from './daily-bill-workload.ts'
import { LINK_RATE_BPS, ONE_WAY_DELAY_MS } from './link-bench.ts'
import { loadVoyage } from './link-fixture.ts'
import type { BenchOptions, BenchRow } from './report.ts'
import { cachedVoyage } from './voyage-cache.ts'
import { modelDay, modelWindow } from './daily-bill-model.ts'

const WARM_UP_TIMEOUT_MS = 180_000
/** After the first session, so the window starts from a quiet, connected link. */
const SETTLE_MS = 3_000

function envMinutes(name: string, fallback: number): number {
  const raw = process.env[name]
  if (raw === undefined || raw === '') return fallback
  const value = Number(raw)
  if (!Number.isFinite(value) || value <= 0 || value > 24 * 60)
    throw new Error(`${name} must be a number of minutes from 0 to 1440, got ${raw}`)
  return value
}

export interface LinkCounters {
  bytesUp: number
  bytesDown: number
  connections: number
}

export interface VariantMeasurement {
  label: string
  window: ReplayWindow
  result: ReplayResult
  /** Link counters from the window's start to its end, and to the end of the drain. */
  atWindowEnd: LinkCounters
  atEnd: LinkCounters
  /** Link sessions the vessel node logged from the window's start to the end of the drain. */
  sessions: number
  /** The whole-day model's bytes for the day and for this window (daily-bill-model.ts). */
  model?: ModelPrice
}

export interface ModelPrice {
  day: number
  window: number
  /** Where the day's figure comes from: this run's whole-day section, or computed here. */
  dayFrom: string
}

/**
 * The whole-day model's price of the day and of the window, over TLS or not: the day from the
 * whole-day section when it ran before in this run, else computed here.
 */
async function modelPrice(
  opts: BenchOptions,
  window: ReplayWindow,
  tls: Tls | null,
  earlier: readonly BenchRow[],
): Promise<ModelPrice> {
  const base = { seed: opts.seed, containers: opts.containers, day: opts.day, log: opts.log }
  const metric = tls ? 'bytes per day over TLS (wss://), up + down' : 'bytes per day, up + down'
  const row = earlier.find((r) => r.section === 'daily bill, whole day' && r.metric === metric)
  opts.log(`daily bill: the whole-day model's price of the window${tls ? ' over wss://' : ''}`)
  const windowBytes = await modelWindow({ ...base, window, ...(tls ? { tls } : {}) })
  if (typeof row?.value === 'number')
    return { day: row.value, window: windowBytes, dayFrom: "this run's whole-day section" }
  opts.log(`daily bill: the whole-day model${tls ? ' over wss://' : ''}`)
  const day = await modelDay({ ...base, ...(tls ? { tls } : {}) })
  return { day: day.bytesUp + day.bytesDown, window: windowBytes, dayFrom: 'the whole-day model, run here' }
}

interface Tls {
  cert: string
  key: string
}

async function measure(
  label: string,
  v: Voyage,
  window: ReplayWindow,
  drainLimitMs: number,
  tls: Tls | null,
  log: (l: string) => void,
): Promise<VariantMeasurement> {
  const loaded = loadVoyage(v)
  const { dir } = loaded
  const vesselToken = loaded.relay.tokens.issue('vessel', v.vessel)
  new VesselRegistry(loaded.relay.db).add(v.vessel, 'MV Tally Express')
  const crewToken = loaded.vessel.tokens.issue('crew', 'bosun')
  const customsToken = loaded.relay.tokens.issue('user', 'carlos', 'customs')
  const shoreToken = loaded.relay.tokens.issue('user', 'dana', 'shore')
  loaded.relay.db.close()
  loaded.vessel.db.close()
  let relay: Service | undefined
  let vessel: Service | undefined
  let link: SatelliteLink | undefined
  try {
    const tlsArgs = tls ? ['--tls-cert', tls.cert, '--tls-key', tls.key] : []
    relay = await startService('relay/src/cli.ts', ['serve', '--port', '0', '--data', dir, ...tlsArgs])
    const sim = new SatelliteLink({
      listenPort: 0,
      target: { host: '127.0.0.1', port: relay.port },
      rateBitsPerSecond: LINK_RATE_BPS,
      oneWayDelayMs: ONE_WAY_DELAY_MS,
    })
    link = sim
    const { port } = await sim.start()
    vessel = await startVesselProcess({
      dataDir: dir,
      relayUrl: `${tls ? 'wss' : 'ws'}://127.0.0.1:${port}/link`,
      vessel: v.vessel,
      token: vesselToken,
      extra: tls ? ['--tls-ca', tls.cert] : [],
    })
    const crew = vessel
    log(`${label}: waiting for the first session over the link`)
    await waitFor(
      async () => {
        const s = await getJson(`${crew.url}/api/sync`, crewToken)
        return s.lastSyncAt ? true : undefined
      },
      WARM_UP_TIMEOUT_MS,
      500,
    ).catch((err: Error) => {
      throw new Error(
        `${err.message}\nvessel:\n${crew.output().slice(-2000)}\nrelay:\n${relay?.output().slice(-2000)}`,
      )
    })
    const ca = tls ? fs.readFileSync(tls.cert, 'utf8') : undefined
    const endpoints = {
      vesselUrl: crew.url,
      relayUrl: relay.url,
      imo: v.vessel,
      crewToken,
      customsToken,
      shoreToken,
      vesselClient: jsonClient(),
      relayClient: jsonClient(ca),
    }
    log(`${label}: sending the ${window.warmUp.length} events of the hours before the window, unmeasured`)
    await sendBefore(window.warmUp, endpoints, { timeoutMs: WARM_UP_TIMEOUT_MS, log })
    await new Promise((r) => setTimeout(r, SETTLE_MS))
    const before = new Set<string>(
      (await getJson(`${crew.url}/api/sync/sessions?limit=500`, crewToken)).map((s: { id: string }) => s.id),
    )
    sim.resetStats()
    const counters = (): LinkCounters => {
      const s = sim.stats()
      return { bytesUp: s.bytesUp, bytesDown: s.bytesDown, connections: s.connections }
    }
    let atWindowEnd: LinkCounters | undefined
    log(`${label}: replaying ${window.events.length} events over ${window.minutes} min in real time`)
    const result = await replayWindow(window, endpoints, {
      drainLimitMs,
      onWindowEnd: () => (atWindowEnd = counters()),
      log,
    })
    const atEnd = counters()
    const sessions = (await getJson(`${crew.url}/api/sync/sessions?limit=500`, crewToken)).filter(
      (s: { id: string; startedAt: string }) =>
        !before.has(s.id) && Date.parse(s.startedAt) >= result.startedAt - 1_000,
    ).length
    if (process.env.BENCH_LOGS) {
      fs.mkdirSync(process.env.BENCH_LOGS, { recursive: true })
      const name = label.replace(/\W+/g, '-')
      fs.writeFileSync(path.join(process.env.BENCH_LOGS, `${name}-vessel.log`), crew.output())
      fs.writeFileSync(path.join(process.env.BENCH_LOGS, `${name}-relay.log`), relay.output())
    }
    return { label, window, result, atWindowEnd: atWindowEnd ?? atEnd, atEnd, sessions }
  } finally {
    await vessel?.stop()
    await relay?.stop()
    await link?.stop()
    fs.rmSync(dir, { recursive: true, force: true })
  }
}

/** The section: `--only daily-bill`. `earlier` holds the rows of the sections that ran before it. */
export async function runDailyBill(
  opts: BenchOptions,
  earlier: readonly BenchRow[] = [],
): Promise<BenchRow[]> {
  const minutes = envMinutes('DAILY_BILL_MINUTES', 10)
  const drainLimitMs = envMinutes('DAILY_BILL_DRAIN_MINUTES', 16) * 60_000
  const v = cachedVoyage(
    { seed: opts.seed, containers: opts.containers, days: opts.day, syncedDays: opts.day },
    opts.log,
  )
  const window = chooseWindow(voyageDay(v.manifest, opts.day, v.seed), minutes)
  for (const note of window.notes) opts.log(`daily bill: ${note}`)
  const rows: BenchRow[] = []
  const plain = await measure('TLS off', v, window, drainLimitMs, null, opts.log)
  plain.model = await modelPrice(opts, window, null, earlier)
  rows.push(...billRows(plain))
  if (process.env.DAILY_BILL_TLS === '0') {
    rows.push({
      section: 'daily bill',
      metric: 'TLS on',
      value: null,
      unit: '',
      note: 'skipped (DAILY_BILL_TLS=0)',
    })
  } else {
    const tls = await detectTls()
    if (!tls.supported) {
      rows.push({
        section: 'daily bill',
        metric: 'TLS on',
        value: null,
        unit: '',
        note: `not measured: ${tls.reason}`,
      })
    } else {
      const certDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tally-bill-tls-'))
      try {
        const tlsFiles = selfSignedCertificate(certDir)
        const measured = await measure('TLS on', v, window, drainLimitMs, tlsFiles, opts.log)
        measured.model = await modelPrice(opts, window, tlsFiles, earlier)
        rows.push(...billRows(measured))
      } finally {
        fs.rmSync(certDir, { recursive: true, force: true })
      }
    }
  }
  rows.push(...comparisonRows(earlier))
  return rows
}
