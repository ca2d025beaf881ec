/**
 * The daily bill of a whole day (docs/benchmarks.md, "The whole day"): the standard voyage day
 * through the real link code on loopback, in logical time. Every event of the day is written to the
 * relay's or the vessel's store at its own time (a crew finding signed as the vessel's REST API signs
 * it), and rounds run on ONE long-lived connection exactly
 * when the link's own batching clock (`BatchClock`, default windows) says, with a fake clock. Bytes
 * are the TCP connection's (TLS, the WebSocket upgrade and framing included), plus the keepalives
 * the idle stretches would cost (one-way, as the product negotiates them: docs/protocol.md, "Rounds"). It complements the real-time window of daily-bill.ts, which
 * runs the real processes and their timers but can only scale a busy window up to a day.
 */
import fs from 'node:fs'
import http from 'node:http'
import https from 'node:https'
import os from 'node:os'
import path from 'node:path'
import pino from 'pino'
import { addEvidence, documentIdFor, newSigningKey } from '@tally/manifest'
import { policyValidator } from '@tally/replica'
import { applyEvent, voyageDay } from '@tally/voyage-sim'
import type { VoyageEvent } from '@tally/voyage-sim'
import {
  BatchClock,
  DEFAULT_KEEPALIVE_S,
  DEFAULT_WINDOWS_S,
  ONE_WAY_PING_AFTER,
} from '../../packages/link/src/pacing.ts'
import type { Priority } from '../../packages/link/src/messages.ts'
import { LinkServer } from '../../relay/src/link-server.ts'
import { RelayConnection } from '../../vessel-node/src/link-client.ts'
import { evidenceForEdit } from '../../vessel-node/src/evidence-signer.ts'
import { SatelliteLink } from '../link-sim/index.ts'
import { vesselReplica } from '../link/fixtures.ts'
import { closeVoyage, converged, loadVoyage } from './link-fixture.ts'
import { cachedVoyage } from './voyage-cache.ts'
import { priorityOf } from './daily-bill-workload.ts'
import type { ReplayWindow } from './daily-bill-workload.ts'
import { TARGETS } from './daily-bill-rows.ts'
import { detectTls, selfSignedCertificate } from './daily-bill-tls.ts'
import type { BenchOptions, BenchRow } from './report.ts'

const logger = pino({ level: process.env.LOG_LEVEL ?? 'silent' })
const PRIORITY: Record<string, Priority> = { critical: 0, normal: 1, routine: 2 }
/** A keepalive: the vessel's masked WebSocket ping and the relay's pong, each in a TLS record if any. */
const PING_BYTES = 6
const PONG_BYTES = 2
/** A one-way keepalive: the vessel's unsolicited pong, masked as a ping is, and nothing back. */
const UNSOLICITED_PONG_BYTES = 6
/** TLS 1.3 with AES-GCM: a 5-byte header, the inner content type and a 16-byte tag per record. */
const TLS_RECORD_BYTES = 22

/**
 * What the keepalives of a quiet stretch of `n` whole intervals after a round cost, each way. The
 * relay spoke last in the round (its fin). Without the one-way keepalive each is a ping and its pong.
 * With it, a keepalive is a ping and its pong only once the relay has been silent for
 * ONE_WAY_PING_AFTER intervals (that pong is heard, so the count starts again), else one
 * unsolicited pong up.
 */
export function keepaliveCost(n: number, oneWay: boolean, record: number): { up: number; down: number } {
  const pings = oneWay ? Math.floor(n / ONE_WAY_PING_AFTER) : n
  const pongs = n - pings
  return {
    up: pings * (PING_BYTES + record) + pongs * (UNSOLICITED_PONG_BYTES + record),
    down: pings * (PONG_BYTES + record),
  }
}

export interface ModelResult {
  events: number
  rounds: number
  bytesUp: number
  bytesDown: number
  keepaliveBytes: number
  /** What the same keepalives would cost as pings and pongs (without the one-way keepalive). */
  keepaliveBytesTwoWay: number
  converged: boolean
  /** Each round: when it ran (the day's time, ms), its bytes and the keepalives of the quiet before it. */
  perRound: { at: number; up: number; down: number; events: number; keepaliveBytes: number }[]
}

export async function modelDay(opts: {
  seed: number
  containers: number
  day: number
  log: (l: string) => void
  /** Compression on the connection (on by default, as in the product). */
  compress?: boolean
  /** Over wss:// with a self-signed certificate (TLS records and the handshake counted). */
  tls?: { cert: string; key: string }
  /** Other events than the standard day's (the real-time window's, say), in time order. */
  events?: VoyageEvent[]
  /** Events written all at once and sent in one unmeasured round first (the window's hours before). */
  before?: VoyageEvent[]
  /** Other windows and keepalive than the defaults (an operator's pacing). */
  pacing?: { windowsS: readonly [number, number, number]; keepaliveS: number }
  /** The one-way keepalive (on by default, as in the product); off prices every keepalive as a ping. */
  oneWayKeepalive?: boolean
}): Promise<ModelResult> {
  const v = cachedVoyage(
    { seed: opts.seed, containers: opts.containers, days: opts.day, syncedDays: opts.day },
    opts.log,
  )
  const loaded = loadVoyage(v)
  const { relay, vessel } = loaded
  const token = relay.tokens.issue('vessel', v.vessel)
  const link = new LinkServer({
    ...relay,
    validate: (ctx, changes) =>
      policyValidator(relay.registry, { id: ctx.key.vessel, role: 'vessel' })(ctx, changes),
    logger,
  })
  const notFound: http.RequestListener = (_q, res) => res.writeHead(404).end()
  const tls = opts.tls
  const server = tls
    ? https.createServer({ cert: fs.readFileSync(tls.cert), key: fs.readFileSync(tls.key) }, notFound)
    : http.createServer(notFound)
  server.on('upgrade', (req, socket, head) => link.handleUpgrade(req, socket, head))
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  // Bytes are counted on the TCP connection itself: TLS records and handshake, the WebSocket upgrade
  // and framing. The proxy adds no delay worth the name; time here is logical anyway.
  const wire = new SatelliteLink({
    listenPort: 0,
    target: { host: '127.0.0.1', port: (server.address() as { port: number }).port },
    rateBitsPerSecond: 1_000_000_000,
    oneWayDelayMs: 0,
  })
  const { port } = await wire.start()
  const url = `${tls ? 'wss' : 'ws'}://127.0.0.1:${port}/link`
  const replica = vesselReplica(vessel, v.vessel)
  // The keepalive is counted from the idle stretches below, not sent (there are no real hours here).
  const connection = new RelayConnection({
    url,
    logger,
    keepaliveS: 86_400,
    compress: opts.compress,
    oneWayKeepalive: opts.oneWayKeepalive !== false,
    ...(tls ? { tlsCa: fs.readFileSync(tls.cert) } : {}),
  })
  await connection.ready()
  const round = async () => {
    const r = await connection.runSession({
      url,
      vessel: v.vessel,
      token,
      replica,
      syncToken: vessel.cursors.getSyncToken('relay') ?? null,
      syncSession: vessel.cursors.getSyncSession('relay') ?? null,
      onWelcome: (id) => vessel.cursors.setSyncSession('relay', id),
      logger,
    })
    vessel.cursors.setSyncToken('relay', r.sync)
    return r
  }
  await round() // the connection's first session (hello), as when the link comes up
  const clock = new BatchClock(opts.pacing?.windowsS ?? DEFAULT_WINDOWS_S)
  const keepaliveMs = (opts.pacing?.keepaliveS ?? DEFAULT_KEEPALIVE_S) * 1000
  const signer = newSigningKey()
  const events = opts.events ?? voyageDay(v.manifest, opts.day, v.seed)
  const record = tls ? TLS_RECORD_BYTES : 0
  const oneWay = opts.oneWayKeepalive !== false
  const keepaliveBytes = (n: number, oneWayHere = oneWay) => {
    const c = keepaliveCost(n, oneWayHere, record)
    return c.up + c.down
  }
  const keepaliveTotals = { up: 0, down: 0, twoWay: 0 }
  const at = (e: VoyageEvent) => Date.parse(e.at)
  const perRound: ModelResult['perRound'] = []
  let lastTraffic = at(events[0]!)
  let sinceRound = 0
  const runRound = async (now: number) => {
    const quiet = Math.floor((now - lastTraffic) / keepaliveMs)
    const cost = keepaliveCost(quiet, oneWay, record)
    keepaliveTotals.up += cost.up
    keepaliveTotals.down += cost.down
    keepaliveTotals.twoWay += keepaliveBytes(quiet, false)
    // The proxy's counters, not the socket's: a TLS socket counts what it was given, not its records.
    const before = wire.stats()
    await round()
    const after = wire.stats()
    perRound.push({
      at: now,
      up: after.bytesUp - before.bytesUp,
      down: after.bytesDown - before.bytesDown,
      events: sinceRound,
      keepaliveBytes: keepaliveBytes(quiet),
    })
    sinceRound = 0
    clock.clear()
    lastTraffic = now
  }
  const write = (e: VoyageEvent) => {
    const t = at(e)
    const side = e.side === 'vessel' ? vessel : relay
    const actor = e.side === 'vessel' ? v.vesselActor : v.shoreActor
    const key = { vessel: v.vessel, voyage: v.voyage, containerId: e.containerId }
    side.store.edit(documentIdFor(key), actor, (d) => {
      const after = applyEvent(d, e)
      if (e.side !== 'vessel' || e.kind !== 'patch') return after
      // As the vessel's REST API does: a damage report, a seal finding or an alarm is signed, in a
      // change made at the same moment as the edit (the day's time here, not the bench's clock).
      const recorder = { vessel: v.vessel, crew: 'bosun', signer, now: e.at }
      return addEvidence(after, evidenceForEdit(d, after, key, recorder), 'vessel', t / 1000)
    })
  }
  if (opts.before?.length) {
    for (const e of opts.before) write(e)
    await round()
  }
  for (const e of events) {
    const t = at(e)
    while (clock.due !== null && clock.due <= t) await runRound(clock.due)
    write(e)
    clock.note(PRIORITY[priorityOf(e)]!, t)
    sinceRound++
  }
  if (clock.due !== null) await runRound(clock.due)
  const counted = wire.stats()
  connection.close()
  await wire.stop()
  link.close()
  await new Promise((r) => server.close(r))
  const result: ModelResult = {
    events: events.length,
    rounds: perRound.length,
    bytesUp: counted.bytesUp + keepaliveTotals.up,
    bytesDown: counted.bytesDown + keepaliveTotals.down,
    keepaliveBytes: keepaliveTotals.up + keepaliveTotals.down,
    keepaliveBytesTwoWay: keepaliveTotals.twoWay,
    converged: converged(loaded),
    perRound,
  }
  closeVoyage(loaded)
  return result
}

/** Bytes of a model run: every round's, with the keepalives of the quiet before each. */
export const modelBytes = (r: ModelResult): number =>
  r.perRound.reduce((n, p) => n + p.up + p.down + p.keepaliveBytes, 0)

/**
 * The model's price of the real-time window (daily-bill.ts): the same events in logical time, on
 * the real link code, after the hours before it sent at once in one round, as the real run sends
 * them. The real-time run measures the real processes, with their own timers, on the same events;
 * the ratio of the two carries the model's whole day over to them (daily-bill-rows.ts).
 */
export async function modelWindow(opts: {
  seed: number
  containers: number
  day: number
  log: (l: string) => void
  window: ReplayWindow
  tls?: { cert: string; key: string }
}): Promise<number> {
  const { window } = opts
  const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z')
  // A critical edit moved into the window is written at its place there, as the real run writes it.
  const events = window.events.map((e) =>
    e.moved ? { ...e.event, at: iso(window.startMs + e.offsetMs) } : e.event,
  )
  return modelBytes(await modelDay({ ...opts, events, before: window.warmUp }))
}

const SECTION = 'daily bill, whole day'

/** The section: `--only daily-bill-day`. The day with compression on the connection, and without. */
export async function runDailyBillDay(opts: BenchOptions): Promise<BenchRow[]> {
  const rows: BenchRow[] = []
  const day = { seed: opts.seed, containers: opts.containers, day: opts.day, log: opts.log }
  opts.log('daily bill, whole day: the standard day in logical time, compression on the connection')
  const on = await modelDay(day)
  opts.log('daily bill, whole day: the same day with compression off')
  const off = await modelDay({ ...day, compress: false })
  const tls = await detectTls()
  let overTls: ModelResult | undefined
  if (tls.supported) {
    opts.log('daily bill, whole day: the same day over wss://')
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tally-day-tls-'))
    try {
      overTls = await modelDay({ ...day, tls: selfSignedCertificate(dir) })
    } finally {
      fs.rmSync(dir, { recursive: true, force: true })
    }
  }
  const note = (r: ModelResult) =>
    `${r.events.toLocaleString('en-US')} events, ${r.rounds} rounds on one connection, keepalives ${r.keepaliveBytes} B (one-way; ${r.keepaliveBytesTwoWay} B as pings and pongs), converged: ${r.converged}`
  const total = (r: ModelResult) => r.bytesUp + r.bytesDown
  rows.push(
    { section: SECTION, metric: 'bytes per day, up', value: on.bytesUp, unit: 'B', note: note(on) },
    { section: SECTION, metric: 'bytes per day, down', value: on.bytesDown, unit: 'B', note: '' },
    {
      section: SECTION,
      metric: 'bytes per day, up + down',
      value: total(on),
      unit: 'B',
      note: `target ≤ ${TARGETS.bytesPerDay.toLocaleString('en-US')} B: ${total(on) <= TARGETS.bytesPerDay ? 'met' : 'NOT met'}; $${((total(on) / 1e6) * 10).toFixed(2)} a day`,
    },
    {
      section: SECTION,
      metric: 'rounds per day',
      value: on.rounds,
      unit: '',
      note: `default windows ${DEFAULT_WINDOWS_S.join(' / ')} s, keepalive ${DEFAULT_KEEPALIVE_S} s`,
    },
    {
      section: SECTION,
      metric: 'bytes per day without compression on the connection',
      value: total(off),
      unit: 'B',
      note: `${(total(on) / total(off)).toFixed(2)}× with it; ${note(off)}`,
    },
    overTls
      ? {
          section: SECTION,
          metric: 'bytes per day over TLS (wss://), up + down',
          value: total(overTls),
          unit: 'B',
          note: `${overTls.bytesUp.toLocaleString('en-US')} up, ${overTls.bytesDown.toLocaleString('en-US')} down; TLS records and the handshake of one connection included; keepalives ${overTls.keepaliveBytes} B one-way (${overTls.keepaliveBytesTwoWay} B as pings and pongs)`,
        }
      : {
          section: SECTION,
          metric: 'bytes per day over TLS (wss://)',
          value: null,
          unit: '',
          note: `not measured: ${tls.reason}`,
        },
  )
  return rows
}

if (process.argv[1]?.endsWith('daily-bill-model.ts')) {
  const r = await modelDay({
    seed: 1,
    containers: Number(process.env.CONTAINERS ?? 2000),
    day: 1,
    log: console.log,
  })
  const sorted = [...r.perRound].sort((a, b) => a.up + a.down - b.up - b.down)
  console.log(
    JSON.stringify({
      ...r,
      perRound: undefined,
      medianRound: sorted[sorted.length >> 1],
      total: r.bytesUp + r.bytesDown,
    }),
  )
}
