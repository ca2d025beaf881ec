/**
 * automerge-repo's stock WebSocket sync of one voyage day over loopback. A relay-like Repo serves
 * `WebSocketServerAdapter` on a `ws` server; a vessel Repo connects with `WebSocketClientAdapter`
 * through a counting TCP proxy, so the byte counts are what crosses the wire (WebSocket framing and
 * the HTTP upgrade included). Both repos keep their documents in memory (no storage).
 *
 * Both sides first hold the common state (genesis, booking, the synced days) for all documents;
 * then the vessel applies its day and the relay the shore's day; then they connect, and we wait
 * until every document has the same heads on both sides.
 *
 * Keepalive: the server adapter pings every 5 s by default and drops a client that has not
 * answered the previous ping. On loopback the pongs come back at once, but on the slow link they do
 * not (docs/benchmarks.md), so the measurement runs with the interval at the largest timer value
 * (about 24.8 days): no pings, as with "keepalive switched off".
 */
import net from 'node:net'
import * as A from '@automerge/automerge'
import { Repo } from '@automerge/automerge-repo'
import type { DocHandle, DocumentId, PeerId } from '@automerge/automerge-repo'
import { WebSocketClientAdapter, WebSocketServerAdapter } from '@automerge/automerge-repo-network-websocket'
import { WebSocketServer } from 'ws'
import { documentIdFor } from '@tally/manifest'
import type { DayWorkload, Direction } from './baseline-workload.ts'
import type { BenchOptions, BenchRow } from './report.ts'

/** setInterval's largest delay; anything larger is clamped to 1 ms by Node. */
export const KEEPALIVE_OFF_MS = 2_147_483_647
const POLL_MS = 50
/** The wire counts as settled once nothing has moved for this long after the heads matched. */
const QUIET_MS = 500
const QUIET_LIMIT_MS = 10_000
const YIELD_EVERY = 50

interface Traffic {
  bytes: number
  messages: number
  payloadBytes: number
}

const byteLength = (data: unknown): number =>
  data instanceof ArrayBuffer ? data.byteLength : ArrayBuffer.isView(data) ? data.byteLength : 0

const portOf = (server: { address(): unknown }): number => (server.address() as { port: number }).port

/** A TCP proxy that counts the bytes in each direction; `close` also drops open connections. */
async function countingProxy(
  target: number,
  up: Traffic,
  down: Traffic,
): Promise<{ port: number; close: () => Promise<void> }> {
  const sockets = new Set<net.Socket>()
  const server = net.createServer((client) => {
    const upstream = net.connect(target, '127.0.0.1')
    sockets.add(client).add(upstream)
    client.on('data', (d) => (up.bytes += d.length))
    upstream.on('data', (d) => (down.bytes += d.length))
    client.pipe(upstream)
    upstream.pipe(client)
    const end = () => {
      client.destroy()
      upstream.destroy()
    }
    client.on('error', end)
    upstream.on('error', end)
    client.on('close', end)
    upstream.on('close', end)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    port: portOf(server),
    close: () => {
      for (const socket of sockets) socket.destroy()
      return new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

/**
 * Loads every document's common state into a repo, then applies the side's own day. Yields to the
 * event loop every few documents: each handle schedules timers and promises, and thousands of them
 * queued behind one synchronous loop make every later import slower (200 ms each instead of 10).
 */
async function preload(
  repo: Repo,
  w: DayWorkload,
  side: Direction,
): Promise<Map<DocumentId, DocHandle<unknown>>> {
  const handles = new Map<DocumentId, DocHandle<unknown>>()
  for (const [i, c] of w.containers.entries()) {
    if (i % YIELD_EVERY === YIELD_EVERY - 1) await new Promise((resolve) => setImmediate(resolve))
    const docId = documentIdFor({
      vessel: w.voyage.vessel,
      voyage: w.voyage.voyage,
      containerId: c.containerId,
    })
    const handle = repo.import<unknown>(c.common, { docId })
    if (c.changes[side].length > 0) handle.update((d) => A.applyChanges(d, c.changes[side])[0])
    // import() with a document ID leaves the handle loading; a preloaded document is ready.
    handle.doneLoading()
    handles.set(docId, handle)
  }
  return handles
}

function sameHeads(a: DocHandle<unknown>, b: DocHandle<unknown>): boolean {
  const x = a.heads()
  const y = b.heads()
  return x.length === y.length && [...x].sort().join() === [...y].sort().join()
}

export async function repoWebSocketBaseline(
  w: DayWorkload,
  opts: BenchOptions & { timeoutMs: number },
): Promise<BenchRow[]> {
  const up: Traffic = { bytes: 0, messages: 0, payloadBytes: 0 }
  const down: Traffic = { bytes: 0, messages: 0, payloadBytes: 0 }
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 })
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()))
  const relay = new Repo({
    network: [new WebSocketServerAdapter(wss as never, KEEPALIVE_OFF_MS)],
    peerId: 'relay' as PeerId,
    sharePolicy: async () => true,
  })
  wss.on('connection', (socket) => {
    const send = socket.send.bind(socket) as (...args: unknown[]) => void
    socket.send = ((data: unknown, ...rest: unknown[]) => {
      down.messages++
      down.payloadBytes += byteLength(data)
      send(data, ...rest)
    }) as typeof socket.send
    socket.on('message', (data: Buffer) => {
      up.messages++
      up.payloadBytes += data.length
    })
  })
  const proxy = await countingProxy(portOf(wss), up, down)
  const vessel = new Repo({ network: [], peerId: 'vessel' as PeerId, sharePolicy: async () => true })

  const rows: BenchRow[] = []
  try {
    opts.log('automerge-repo: preloading both repos')
    const loadStart = performance.now()
    const relayHandles = await preload(relay, w, 'shore')
    const vesselHandles = await preload(vessel, w, 'vessel')
    opts.log(`automerge-repo: preloaded in ${((performance.now() - loadStart) / 1000).toFixed(1)} s`)
    const pending = new Set(relayHandles.keys())

    opts.log(
      `automerge-repo: syncing ${pending.size} documents over ws://127.0.0.1 (timeout ${opts.timeoutMs / 1000} s)`,
    )
    const start = performance.now()
    vessel.networkSubsystem.addNetworkAdapter(new WebSocketClientAdapter(`ws://127.0.0.1:${proxy.port}`))
    const deadline = start + opts.timeoutMs
    while (pending.size > 0 && performance.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, POLL_MS))
      for (const id of pending)
        if (sameHeads(relayHandles.get(id)!, vesselHandles.get(id)!)) pending.delete(id)
    }
    const syncMs = performance.now() - start
    let last = up.bytes + down.bytes
    const quietDeadline = performance.now() + QUIET_LIMIT_MS
    for (let quietSince = performance.now(); performance.now() < quietDeadline;) {
      await new Promise((resolve) => setTimeout(resolve, POLL_MS))
      const now = up.bytes + down.bytes
      if (now !== last) [last, quietSince] = [now, performance.now()]
      else if (performance.now() - quietSince >= QUIET_MS) break
    }

    const section = 'repo ws sync'
    const converged = pending.size === 0
    const note = converged
      ? 'loopback, keepalive off, until quiet'
      : `DID NOT CONVERGE: ${pending.size} of ${relayHandles.size} documents differ after ${opts.timeoutMs / 1000} s`
    rows.push(
      {
        section,
        metric: 'wall time to identical heads',
        value: converged ? Math.round(syncMs) : null,
        unit: 'ms',
        note: converged ? `all ${relayHandles.size} documents, loopback` : note,
      },
      {
        section,
        metric: 'bytes up (vessel → relay)',
        value: up.bytes,
        unit: 'B',
        note: 'TCP, incl. WebSocket framing',
      },
      {
        section,
        metric: 'bytes down (relay → vessel)',
        value: down.bytes,
        unit: 'B',
        note: 'TCP, incl. WebSocket framing',
      },
      { section, metric: 'bytes both ways', value: up.bytes + down.bytes, unit: 'B', note },
      {
        section,
        metric: 'messages up',
        value: up.messages,
        unit: 'msgs',
        note: `${up.payloadBytes.toLocaleString('en-US')} B payload`,
      },
      {
        section,
        metric: 'messages down',
        value: down.messages,
        unit: 'msgs',
        note: `${down.payloadBytes.toLocaleString('en-US')} B payload`,
      },
    )
  } finally {
    await vessel.shutdown()
    await relay.shutdown()
    await proxy.close()
    for (const client of wss.clients) client.terminate()
    await new Promise<void>((resolve) => wss.close(() => resolve()))
  }
  return rows
}
