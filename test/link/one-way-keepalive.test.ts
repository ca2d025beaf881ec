/**
 * The one-way keepalive (docs/protocol.md, "Rounds"), on the real relay link and the real vessel
 * connection over loopback, through a TCP tap that times what crosses each way and can swallow the
 * relay→vessel direction. Keepalives of 1–2 s stand in for the default minutes.
 *
 * - with `h` agreed, the quiet link carries the vessel's unsolicited pongs and nothing down until
 *   two intervals pass with nothing heard; then a ping and its pong. The relay takes pongs as contact;
 * - a relay that stops answering is found dead within about three intervals, and the vessel reconnects;
 * - without `h` on either side (an older relay, or a vessel that does not offer it): pings, as before.
 */
import { afterEach, describe, expect, it, vi } from 'vitest'
import fs from 'node:fs'
import net from 'node:net'
import { decodeFrame, DEFAULT_WINDOWS_S, encodeFrame, FrameStream } from '@tally/link'
import type { LinkFrame, LinkSettings } from '@tally/link'
import type { WebSocket } from 'ws'
import { RelayConnection } from '../../vessel-node/src/link-client.ts'
import {
  logger,
  roundOn,
  seedRelay,
  startRelay,
  tempDir,
  VESSEL,
  vesselEngine,
  vesselSide,
} from './fixtures.ts'

const cleanups: (() => Promise<unknown> | unknown)[] = []
afterEach(async () => {
  vi.restoreAllMocks()
  for (const c of cleanups.splice(0).reverse()) await c()
})

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/**
 * A TCP proxy on 127.0.0.1 that logs when bytes crossed each way; {@link swallowDown} makes the
 * connections open now drop whatever the relay sends (the TCP connection itself stays up).
 */
class Tap {
  readonly down: { at: number; bytes: number }[] = []
  /** Bytes that crossed each way, all connections. */
  readonly total = { up: 0, down: 0 }
  private readonly open = new Set<{ swallow: boolean; client: net.Socket; target: net.Socket }>()
  private readonly server = net.createServer((client) => this.accept(client))
  port = 0

  async start(targetPort: number): Promise<string> {
    this.target = targetPort
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r))
    this.port = (this.server.address() as net.AddressInfo).port
    return `ws://127.0.0.1:${this.port}/link`
  }

  swallowDown(): void {
    for (const c of this.open) c.swallow = true
  }

  /** Where the log of bytes down stands now, for {@link downSince}. */
  mark(): number {
    return this.down.length
  }

  /** Bytes the relay sent down since `mark`, and when the first of them came (ms since the epoch). */
  downSince(mark: number): { bytes: number; first: number | null } {
    const after = this.down.slice(mark)
    return { bytes: after.reduce((n, d) => n + d.bytes, 0), first: after[0]?.at ?? null }
  }

  async close(): Promise<void> {
    for (const c of this.open) {
      c.client.destroy()
      c.target.destroy()
    }
    await new Promise((r) => this.server.close(r))
  }

  private target = 0

  private accept(client: net.Socket): void {
    const target = net.connect({ host: '127.0.0.1', port: this.target })
    const c = { swallow: false, client, target }
    this.open.add(c)
    client.on('data', (d) => {
      this.total.up += d.length
      target.write(d)
    })
    target.on('data', (d) => {
      if (c.swallow) return
      this.down.push({ at: Date.now(), bytes: d.length })
      this.total.down += d.length
      client.write(d)
    })
    const end = () => {
      this.open.delete(c)
      client.destroy()
      target.destroy()
    }
    client.on('close', end).on('error', end)
    target.on('close', end).on('error', end)
  }
}

/** The pings and pongs the relay's socket for the vessel hears, with when. */
function listen(ws: WebSocket) {
  const heard: { kind: 'ping' | 'pong'; at: number }[] = []
  ws.on('ping', () => heard.push({ kind: 'ping', at: Date.now() }))
  ws.on('pong', () => heard.push({ kind: 'pong', at: Date.now() }))
  return heard
}

/** A relay whose pacing for the vessel has a keepalive of `ka` seconds, behind a tap. */
async function relayWithKeepalive(ka: number) {
  const dir = tempDir()
  cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }))
  const settings: LinkSettings = { w: [...DEFAULT_WINDOWS_S], ka }
  const relay = await startRelay(dir, 0, { settingsFor: () => settings })
  cleanups.push(() => relay.close())
  seedRelay(relay, 5, 'ab'.repeat(16))
  const tap = new Tap()
  const url = await tap.start(relay.port)
  cleanups.push(() => tap.close())
  const vessel = vesselSide(dir)
  cleanups.push(() => vessel.db.close())
  return { relay, tap, url, vessel }
}

/** The welcomes the relay sends (every frame sent in this process goes through FrameStream). */
function spyOnWelcomes(rewrite: (w: LinkFrame & { t: 'welcome' }) => LinkFrame = (w) => w) {
  const welcomes: (LinkFrame & { t: 'welcome' })[] = []
  const pass = (frame: Uint8Array): Uint8Array => {
    const f = decodeFrame(frame)
    if (f.t !== 'welcome') return frame
    welcomes.push(f)
    return encodeFrame(rewrite(f))
  }
  const encode = FrameStream.prototype.encode
  const encodeMany = FrameStream.prototype.encodeMany
  vi.spyOn(FrameStream.prototype, 'encode').mockImplementation(function (this: FrameStream, frame) {
    return encode.call(this, pass(frame))
  })
  vi.spyOn(FrameStream.prototype, 'encodeMany').mockImplementation(function (this: FrameStream, many) {
    return encodeMany.call(this, many.map(pass))
  })
  return welcomes
}

describe('the one-way keepalive', { timeout: 60_000 }, () => {
  it('sends unsolicited pongs while the relay was heard lately, a ping after two quiet intervals', async () => {
    // The relay's limit is 2.5 s (keepalive 1 s); the vessel's own keepalive is 2 s. Without the
    // pongs counting as contact, the relay would drop the vessel 2.5 s after the round.
    const { relay, tap, url, vessel } = await relayWithKeepalive(1)
    const welcomes = spyOnWelcomes()
    const connection = new RelayConnection({ url, logger, keepaliveS: 2 })
    cleanups.push(() => connection.close())
    await connection.ready()
    const sent: string[] = []
    connection.on('keepalive', (kind) => sent.push(kind))
    await roundOn(connection, vessel, url, relay.token)
    const roundEnd = Date.now()
    // By position, not time: the round's last bytes may be logged in the same millisecond.
    const mark = tap.mark()
    const socketBefore = connection.socketBytes()
    const tapBefore = { ...tap.total }
    const ws = relay.link.active.get(VESSEL)!
    const heard = listen(ws)
    await sleep(9_000)
    const down = tap.downSince(mark)
    console.log(
      `[one-way keepalive] ${((Date.now() - roundEnd) / 1000).toFixed(1)} s quiet: relay heard ` +
        `${heard.map((h) => `${h.kind}@${((h.at - roundEnd) / 1000).toFixed(1)}s`).join(' ')}; ` +
        `${down.bytes} B down, first at ${down.first === null ? '-' : ((down.first - roundEnd) / 1000).toFixed(1)} s`,
    )
    expect(welcomes[0]).toMatchObject({ h: 1 })
    // pong at 2 s, ping at 4 s (its pong resets the clock), pong at 6 s, ping at 8 s.
    expect(heard.slice(0, 4).map((h) => h.kind)).toEqual(['pong', 'ping', 'pong', 'ping'])
    expect(sent.slice(0, 4)).toEqual(['pong', 'ping', 'pong', 'ping'])
    const firstPing = heard.find((h) => h.kind === 'ping')!
    expect(firstPing.at - roundEnd).toBeGreaterThanOrEqual(3_900)
    // Nothing down before the first ping; then only 2-byte pongs, one per ping.
    expect(down.first).not.toBeNull()
    expect(down.first!).toBeGreaterThanOrEqual(firstPing.at)
    expect(down.bytes).toBe(2 * heard.filter((h) => h.kind === 'ping').length)
    expect(connection.isOpen).toBe(true)
    expect(relay.link.active.get(VESSEL)).toBe(ws)
    expect(ws.readyState).toBe(ws.OPEN)
    // The relay counts a pong as contact (what /ops shows as last heard).
    const lastHeard = Date.parse(relay.link.contact(VESSEL).lastContactAt!)
    expect(lastHeard).toBeGreaterThanOrEqual(heard.at(-1)!.at - 5)
    // Billing: the vessel's socket counters hold every keepalive, 6 bytes each (masked, empty)...
    const socketAfter = connection.socketBytes()
    expect(socketAfter.up - socketBefore.up).toBe(6 * heard.length)
    expect(socketAfter.up - socketBefore.up).toBe(tap.total.up - tapBefore.up)
    expect(socketAfter.down - socketBefore.down).toBe(down.bytes)
    // ...and the relay's session log, once the connection closed, every byte that crossed.
    connection.close()
    const closedBy = Date.now() + 5_000
    while (relay.link.active.has(VESSEL) && Date.now() < closedBy) await sleep(20)
    const billed = relay.sessions.totals({ peer: VESSEL })
    expect({ up: billed.bytesUp, down: billed.bytesDown }).toEqual(tap.total)
  })

  it('finds a relay that stopped answering dead within about three intervals, and reconnects', async () => {
    const { relay, tap, url, vessel } = await relayWithKeepalive(1)
    const engine = vesselEngine(vessel, url, relay.token, {
      keepaliveS: 1,
      intervalMs: 600_000,
      retry: { baseMs: 5, capMs: 40, limit: 6 },
    })
    const events: { open: boolean; at: number }[] = []
    engine.on('connection', (c) => events.push({ open: c.open, at: Date.now() }))
    const sessions: boolean[] = []
    engine.on('session', (s) => sessions.push(s.ok))
    cleanups.push(async () => {
      engine.stop()
      await engine.settled()
    })
    engine.start()
    const deadline = Date.now() + 20_000
    while (sessions.length === 0 && Date.now() < deadline) await sleep(50)
    expect(sessions).toEqual([true])
    const heard = listen(relay.link.active.get(VESSEL)!)
    await sleep(300)
    // From now on the relay's words are lost (a half-dead path); the vessel's still arrive.
    tap.swallowDown()
    const lastDown = tap.down.at(-1)!.at
    while (events.filter((e) => e.open).length < 2 && Date.now() < deadline + 10_000) await sleep(50)
    const closed = events.find((e) => !e.open)
    expect(closed).toBeDefined()
    const detectedMs = closed!.at - lastDown
    console.log(
      `[one-way keepalive] relay silent: the vessel sent ${heard.map((h) => h.kind).join(', ')} and ` +
        `dropped the connection ${detectedMs} ms after it last heard the relay`,
    )
    // Three intervals of 1 s: a pong, then a ping with a whole interval to be answered.
    expect(detectedMs).toBeGreaterThanOrEqual(2_800)
    expect(detectedMs).toBeLessThan(4_500)
    expect(heard.map((h) => h.kind).slice(0, 2)).toEqual(['pong', 'ping'])
    // Reconnected: a second connection, with a session on it.
    expect(events.map((e) => e.open)).toEqual([true, false, true])
    while (sessions.length < 2 && Date.now() < deadline + 20_000) await sleep(50)
    expect(sessions).toEqual([true, true])
  })

  it('pings as before when the relay does not answer `h`, and the older relay keeps the vessel', async () => {
    const { relay, tap, url, vessel } = await relayWithKeepalive(1)
    // An older relay: its welcome has no `h`, and a pong is nothing to it.
    const welcomes = spyOnWelcomes(({ h: _h, ...older }) => older)
    const connection = new RelayConnection({ url, logger, keepaliveS: 1 })
    cleanups.push(() => connection.close())
    await connection.ready()
    await roundOn(connection, vessel, url, relay.token)
    // By position, not time: the round's last bytes may be logged in the same millisecond.
    const mark = tap.mark()
    const ws = relay.link.active.get(VESSEL)!
    ws.removeAllListeners('pong')
    const heard = listen(ws)
    await sleep(5_500)
    expect(welcomes[0]).toMatchObject({ h: 1 })
    expect(heard.length).toBeGreaterThanOrEqual(4)
    expect(heard.every((h) => h.kind === 'ping')).toBe(true)
    expect(tap.downSince(mark).bytes).toBe(2 * heard.length)
    expect(connection.isOpen).toBe(true)
    expect(relay.link.active.get(VESSEL)).toBe(ws)
  })

  it('pings as before when the vessel does not offer it', async () => {
    const { relay, tap, url, vessel } = await relayWithKeepalive(1)
    const welcomes = spyOnWelcomes()
    const connection = new RelayConnection({ url, logger, keepaliveS: 1, oneWayKeepalive: false })
    cleanups.push(() => connection.close())
    await connection.ready()
    await roundOn(connection, vessel, url, relay.token)
    // By position, not time: the round's last bytes may be logged in the same millisecond.
    const mark = tap.mark()
    const heard = listen(relay.link.active.get(VESSEL)!)
    await sleep(3_500)
    expect(welcomes[0]!.h).toBeUndefined()
    expect(heard.length).toBeGreaterThanOrEqual(3)
    expect(heard.every((h) => h.kind === 'ping')).toBe(true)
    expect(tap.downSince(mark).bytes).toBe(2 * heard.length)
    expect(connection.isOpen).toBe(true)
  })
})
