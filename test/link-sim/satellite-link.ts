import { EventEmitter } from 'node:events'
import type http from 'node:http'
import net from 'node:net'
import { pino, type Logger } from 'pino'
import { ProxiedConnection } from './connection.ts'
import { startControlServer } from './control-server.ts'
import type {
  Direction,
  DownReason,
  LinkStats,
  LinkStatus,
  LinkWindow,
  SatelliteLinkEvents,
  SatelliteLinkOptions,
} from './types.ts'
import { Wire, type Flow, type Segment } from './wire.ts'

const HOST = '127.0.0.1'

/** Options of {@link SatelliteLink.corruptNext}. */
export interface CorruptOptions {
  /** Bytes in this direction to let through untouched first. Default 0. */
  afterBytes?: number
  /** Consecutive bytes to corrupt. Default 1. */
  length?: number
  /** XOR mask applied to each corrupted byte. Default 0x01 (a single-bit error). */
  mask?: number
}

interface DropTrigger {
  direction: Direction | undefined
  remaining: number
}

interface CorruptTap {
  direction: Direction
  skip: number
  remaining: number
  mask: number
}

/**
 * A user-space TCP proxy that behaves like a satellite link: each direction is one serialized
 * queue at a fixed rate plus a one-way propagation delay, shared by every connection. It can be cut
 * (`down()`), cut after a number of bytes, put on an up/down schedule, and made to flip bits.
 *
 * Everything listens on 127.0.0.1. While the link is down, new connections are accepted by the
 * kernel and immediately reset (the client sees ECONNRESET), which keeps the port bound so `up()`
 * is synchronous and the port number never changes.
 */
export class SatelliteLink extends EventEmitter<SatelliteLinkEvents> {
  readonly rateBitsPerSecond: number
  readonly oneWayDelayMs: number
  readonly target: { host: string; port: number }
  private readonly options: SatelliteLinkOptions
  private readonly log: Logger
  private readonly upWire: Wire
  private readonly downWire: Wire
  private readonly connections = new Map<number, ProxiedConnection>()
  private server: net.Server | undefined
  private control: http.Server | undefined
  private listenPort = 0
  private nextConnectionId = 1
  private linkUp = true
  private counters: Omit<LinkStats, 'activeConnections'> = emptyCounters()
  private dropTriggers: DropTrigger[] = []
  private corruptTaps: CorruptTap[] = []
  private scheduleTimer: NodeJS.Timeout | undefined
  private scheduleId = 0

  constructor(options: SatelliteLinkOptions) {
    super()
    this.options = options
    this.rateBitsPerSecond = options.rateBitsPerSecond ?? 128_000
    this.oneWayDelayMs = options.oneWayDelayMs ?? 300
    this.target = { ...options.target }
    if (!(this.rateBitsPerSecond > 0)) throw new RangeError('rateBitsPerSecond must be > 0')
    if (!(this.oneWayDelayMs >= 0)) throw new RangeError('oneWayDelayMs must be >= 0')
    this.log = (options.logger ?? pino({ level: 'silent' })).child({ component: 'link-sim' })
    const sliceBytes = options.sliceBytes ?? 1024
    const wire = (direction: Direction): Wire =>
      new Wire({
        rateBitsPerSecond: this.rateBitsPerSecond,
        delayMs: this.oneWayDelayMs,
        sliceBytes,
        deliver: (flow, segment) => this.onDeliver(direction, flow, segment),
      })
    this.upWire = wire('up')
    this.downWire = wire('down')
  }

  /** Whether the link currently carries traffic and accepts connections. */
  get isUp(): boolean {
    return this.linkUp
  }

  /** The port the proxy listens on (known after `start()`). */
  get port(): number {
    return this.listenPort
  }

  /** Listen on 127.0.0.1 (and start the control endpoint if `controlPort` was given). */
  async start(): Promise<{ port: number; controlPort?: number }> {
    if (this.server) throw new Error('SatelliteLink already started')
    const server = net.createServer({ allowHalfOpen: true, pauseOnConnect: true }, (s) => this.accept(s))
    this.server = server
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(this.options.listenPort, HOST, () => {
        server.off('error', reject)
        resolve()
      })
    })
    server.on('error', (err) => this.log.error({ err: err.message }, 'proxy server error'))
    this.listenPort = (server.address() as net.AddressInfo).port
    let controlPort: number | undefined
    if (this.options.controlPort !== undefined) {
      this.control = await startControlServer(this, this.options.controlPort, HOST)
      controlPort = (this.control.address() as net.AddressInfo).port
    }
    this.log.info(
      {
        port: this.listenPort,
        controlPort,
        target: this.target,
        rate: this.rateBitsPerSecond,
        delay: this.oneWayDelayMs,
      },
      'satellite link listening',
    )
    return controlPort === undefined ? { port: this.listenPort } : { port: this.listenPort, controlPort }
  }

  /** Cancel schedules and triggers, reset every connection and close the listeners. */
  async stop(): Promise<void> {
    this.cancelSchedule()
    this.dropTriggers = []
    this.corruptTaps = []
    for (const c of [...this.connections.values()]) c.abort()
    this.upWire.close()
    this.downWire.close()
    const closing: Promise<void>[] = []
    for (const s of [this.server, this.control]) {
      if (s === undefined) continue
      closing.push(new Promise((resolve) => s.close(() => resolve())))
      if ('closeAllConnections' in s) s.closeAllConnections()
    }
    this.server = undefined
    this.control = undefined
    await Promise.all(closing)
  }

  /** Bring the link back: new connections are forwarded again. */
  up(): void {
    if (this.linkUp) return
    this.linkUp = true
    this.log.info('link up')
    this.emit('up')
  }

  /**
   * Cut the link. Every open connection is reset on both sides, bytes queued or in flight are lost,
   * and new connections are refused until `up()`.
   */
  down(reason: DownReason = 'manual'): void {
    if (!this.linkUp) return
    this.linkUp = false
    const lostUp = this.upWire.clear()
    const lostDown = this.downWire.clear()
    const cut = [...this.connections.values()]
    for (const c of cut) c.abort()
    this.log.info({ reason, connections: cut.length }, 'link down')
    this.emit('down', reason)
    for (const c of cut) {
      this.counters.drops++
      this.emit('drop', {
        connectionId: c.id,
        reason,
        lostBytesUp: lostUp.get(c.id) ?? 0,
        lostBytesDown: lostDown.get(c.id) ?? 0,
      })
    }
  }

  /**
   * Cut the link once `bytes` more payload bytes have been delivered in `direction` (either
   * direction, counted together, when omitted). The receiver gets exactly those bytes, then a reset.
   * Returns a function that disarms the trigger.
   */
  dropAfterBytes(bytes: number, direction?: Direction): () => void {
    if (!(bytes >= 0)) throw new RangeError('bytes must be >= 0')
    const trigger: DropTrigger = { direction, remaining: bytes }
    this.dropTriggers.push(trigger)
    return () => {
      this.dropTriggers = this.dropTriggers.filter((t) => t !== trigger)
    }
  }

  /**
   * XOR `length` bytes with `mask`, starting `afterBytes` bytes from now in `direction`. This is the
   * raw TCP stream: to corrupt a WebSocket message and keep the connection, aim inside the payload
   * of a large binary frame (frame headers are 2–14 bytes) and disable permessage-deflate. Client
   * → server frames are masked, but XOR commutes, so the same payload bits end up flipped.
   * Returns a function that disarms the corruption.
   */
  corruptNext(direction: Direction, options: CorruptOptions = {}): () => void {
    const { afterBytes = 0, length = 1, mask = 0x01 } = options
    if (!(afterBytes >= 0) || !(length >= 1) || !(mask >= 1 && mask <= 0xff)) {
      throw new RangeError('corruptNext needs afterBytes >= 0, length >= 1 and 1 <= mask <= 0xff')
    }
    const tap: CorruptTap = { direction, skip: afterBytes, remaining: length, mask }
    this.corruptTaps.push(tap)
    return () => {
      this.corruptTaps = this.corruptTaps.filter((t) => t !== tap)
    }
  }

  /**
   * Alternate the link through `windows` (up for `upMs`, then down for `downMs`), starting now.
   * With `repeat` it loops until cancelled or `stop()`; without, the link is left up after the last
   * window. A new schedule replaces the previous one. Returns a function that cancels it.
   */
  schedule(windows: LinkWindow[], options: { repeat?: boolean } = {}): () => void {
    for (const w of windows) {
      if (!(w.upMs >= 0) || !(w.downMs >= 0)) throw new RangeError('schedule windows need upMs, downMs >= 0')
    }
    this.cancelSchedule()
    const id = ++this.scheduleId
    const later = (ms: number, fn: () => void): void => {
      // Infinity would otherwise be coerced to a 1 ms timer; it means "stay in this state".
      this.scheduleTimer = Number.isFinite(ms) ? setTimeout(fn, ms) : undefined
    }
    const run = (index: number): void => {
      if (index >= windows.length) {
        if (!options.repeat || windows.length === 0) return this.up()
        index = 0
      }
      const w = windows[index]
      this.up()
      later(w.upMs, () => {
        this.down('schedule')
        later(w.downMs, () => run(index + 1))
      })
    }
    run(0)
    return () => {
      if (this.scheduleId === id) this.cancelSchedule()
    }
  }

  /** Counters since start or the last `resetStats()`. */
  stats(): LinkStats {
    return { ...this.counters, activeConnections: this.connections.size }
  }

  /** Zero the counters (open connections stay open). */
  resetStats(): void {
    this.counters = emptyCounters()
  }

  /** Status and counters, as served by `GET /link`. */
  status(): LinkStatus {
    return {
      up: this.linkUp,
      port: this.listenPort,
      target: { ...this.target },
      rateBitsPerSecond: this.rateBitsPerSecond,
      oneWayDelayMs: this.oneWayDelayMs,
      stats: this.stats(),
    }
  }

  private cancelSchedule(): void {
    if (this.scheduleTimer !== undefined) clearTimeout(this.scheduleTimer)
    this.scheduleTimer = undefined
    this.scheduleId++
  }

  private accept(socket: net.Socket): void {
    if (!this.linkUp || this.server === undefined) {
      this.counters.refused++
      socket.on('error', () => {})
      socket.resetAndDestroy()
      return
    }
    const id = this.nextConnectionId++
    const connection = new ProxiedConnection(id, socket, {
      upWire: this.upWire,
      downWire: this.downWire,
      target: this.target,
      delayMs: this.oneWayDelayMs,
      simulateHandshake: this.options.simulateHandshake ?? true,
      maxQueuedBytes: this.options.maxQueuedBytes ?? 65_536,
      logger: this.log,
      onClosed: (c) => this.connections.delete(c.id),
    })
    this.connections.set(id, connection)
    this.counters.connections++
    this.log.debug({ connectionId: id, remotePort: socket.remotePort }, 'connection')
    this.emit('connection', { connectionId: id, remotePort: socket.remotePort })
  }

  private onDeliver(direction: Direction, flow: Flow, segment: Segment): void {
    const connection = this.connections.get(flow.connectionId)
    if (connection === undefined) return
    if (segment.kind !== 'data') return connection.deliver(direction, segment)
    let data = segment.data
    // A drop trigger may cut this slice short: deliver the bytes before the cut, then go down.
    const triggers = this.dropTriggers.filter((t) => t.direction === undefined || t.direction === direction)
    const cutAt = Math.min(data.length, ...triggers.map((t) => t.remaining))
    const tripped = triggers.some((t) => t.remaining <= data.length)
    data = data.subarray(0, cutAt)
    for (const t of triggers) t.remaining -= data.length
    if (tripped) this.dropTriggers = this.dropTriggers.filter((t) => t.remaining > 0)
    data = this.corrupt(direction, flow.connectionId, data)
    if (direction === 'up') this.counters.bytesUp += data.length
    else this.counters.bytesDown += data.length
    if (data.length > 0) connection.deliver(direction, { kind: 'data', data })
    if (tripped) this.down('drop-after-bytes')
  }

  private corrupt(direction: Direction, connectionId: number, data: Buffer): Buffer {
    let out = data
    for (const tap of this.corruptTaps) {
      if (tap.direction !== direction) continue
      if (tap.skip >= out.length) {
        tap.skip -= out.length
        continue
      }
      const start = tap.skip
      const n = Math.min(tap.remaining, out.length - start)
      // Copy before flipping: the slice may share memory with bytes still queued elsewhere.
      if (out === data) out = Buffer.from(data)
      for (let i = start; i < start + n; i++) out[i] ^= tap.mask
      tap.skip = 0
      tap.remaining -= n
      this.emit('corrupt', { direction, connectionId, length: n })
    }
    this.corruptTaps = this.corruptTaps.filter((t) => t.remaining > 0)
    return out
  }
}

function emptyCounters(): Omit<LinkStats, 'activeConnections'> {
  return { bytesUp: 0, bytesDown: 0, connections: 0, drops: 0, refused: 0 }
}
