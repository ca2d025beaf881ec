import net from 'node:net'
import type { Logger } from 'pino'
import type { Direction } from './types.ts'
import type { Flow, Segment, Wire } from './wire.ts'

/** How long an aborting socket may take to flush bytes the link already delivered. */
const ABORT_FLUSH_TIMEOUT_MS = 500

/** What a proxied connection needs from its link. */
export interface ConnectionContext {
  upWire: Wire
  downWire: Wire
  target: { host: string; port: number }
  delayMs: number
  simulateHandshake: boolean
  maxQueuedBytes: number
  logger: Logger
  /** Called once, after both sockets are closed. */
  onClosed: (connection: ProxiedConnection) => void
}

/**
 * One client connection carried over the link to the target: the client socket accepted by the
 * proxy, the socket the proxy dials to the target, and one flow per direction on the shared wires.
 * FIN and RST travel through the wire in order behind the data, so half-close and resets reach the
 * far side one delay later, as over real TCP.
 */
export class ProxiedConnection {
  readonly id: number
  readonly upFlow: Flow
  readonly downFlow: Flow
  private readonly client: net.Socket
  private readonly ctx: ConnectionContext
  private target: net.Socket | undefined
  private dialPending = false
  private handshakeDone = false
  private readonly paused: Record<Direction, boolean> = { up: false, down: false }
  private readonly finReceived: Record<Direction, boolean> = { up: false, down: false }
  private readonly timers = new Set<NodeJS.Timeout>()
  private aborted = false
  private finished = false

  /** `client` must arrive paused (the server uses `pauseOnConnect`). */
  constructor(id: number, client: net.Socket, ctx: ConnectionContext) {
    this.id = id
    this.client = client
    this.ctx = ctx
    this.upFlow = { connectionId: id, queue: [], pendingBytes: 0 }
    this.downFlow = { connectionId: id, queue: [], pendingBytes: 0 }
    client.setNoDelay(true)
    client.on('error', (err) =>
      ctx.logger.debug({ connectionId: id, err: err.message }, 'client socket error'),
    )
    client.on('data', (chunk: Buffer) => this.onData('up', chunk))
    client.on('end', () => this.onEnd('up'))
    client.on('close', (hadError) => this.onClose('up', hadError))
    const { delayMs, simulateHandshake } = ctx
    // SYN reaches the target one delay after accept; the client may send once the SYN-ACK is back.
    this.dialPending = true
    this.after(simulateHandshake ? delayMs : 0, () => this.dial())
    this.after(simulateHandshake ? 2 * delayMs : 0, () => {
      this.handshakeDone = true
      if (!this.paused.up) client.resume()
    })
  }

  /** Hand a segment that crossed the link to the socket at the far end. */
  deliver(direction: Direction, segment: Segment): void {
    const dest = direction === 'up' ? this.target : this.client
    const flow = direction === 'up' ? this.upFlow : this.downFlow
    if (dest === undefined || dest.destroyed) return
    if (segment.kind === 'data') {
      dest.write(segment.data)
      // Resume the sender once the link has drained to half its buffer (hysteresis).
      if (this.paused[direction] && flow.pendingBytes <= this.ctx.maxQueuedBytes / 2) {
        this.paused[direction] = false
        if (direction === 'down') this.target?.resume()
        else if (this.handshakeDone) this.client.resume()
      }
    } else if (segment.kind === 'end') {
      dest.end()
    } else {
      dest.resetAndDestroy()
    }
  }

  /**
   * Cut the connection as an outage does: both sockets are reset. Bytes the link already delivered
   * are flushed first, so a receiver sees exactly what crossed the link before the cut.
   */
  abort(): void {
    if (this.aborted) return
    this.aborted = true
    for (const t of this.timers) clearTimeout(t)
    this.timers.clear()
    this.dialPending = false
    for (const socket of [this.client, this.target]) {
      if (socket === undefined || socket.destroyed) continue
      if (socket.writableLength === 0) {
        socket.resetAndDestroy()
        continue
      }
      const reset = (): void => {
        clearTimeout(timer)
        if (!socket.destroyed) socket.resetAndDestroy()
      }
      const timer = setTimeout(reset, ABORT_FLUSH_TIMEOUT_MS)
      socket.once('drain', reset)
    }
    this.maybeFinish()
  }

  private dial(): void {
    this.dialPending = false
    if (this.client.destroyed) return this.maybeFinish()
    const { host, port } = this.ctx.target
    const target = net.connect({ host, port, allowHalfOpen: true })
    this.target = target
    target.setNoDelay(true)
    target.on('error', (err) =>
      this.ctx.logger.debug({ connectionId: this.id, err: err.message }, 'target socket error'),
    )
    target.on('data', (chunk: Buffer) => this.onData('down', chunk))
    target.on('end', () => this.onEnd('down'))
    target.on('close', (hadError) => this.onClose('down', hadError))
  }

  /** `direction` is the direction the bytes travel: data read from the client goes up. */
  private onData(direction: Direction, chunk: Buffer): void {
    if (this.aborted) return
    const flow = direction === 'up' ? this.upFlow : this.downFlow
    const wire = direction === 'up' ? this.ctx.upWire : this.ctx.downWire
    wire.send(flow, { kind: 'data', data: chunk })
    if (!this.paused[direction] && flow.pendingBytes > this.ctx.maxQueuedBytes) {
      this.paused[direction] = true
      const source = direction === 'up' ? this.client : this.target
      source?.pause()
    }
  }

  private onEnd(direction: Direction): void {
    this.finReceived[direction] = true
    if (this.aborted) return
    const wire = direction === 'up' ? this.ctx.upWire : this.ctx.downWire
    wire.send(direction === 'up' ? this.upFlow : this.downFlow, { kind: 'end' })
  }

  private onClose(direction: Direction, hadError: boolean): void {
    const far = direction === 'up' ? this.target : this.client
    const farGone = far === undefined ? !this.dialPending : far.destroyed
    if (!this.aborted && !farGone && (hadError || !this.finReceived[direction])) {
      // The socket died without a clean FIN: the far end learns of it by a reset, one delay later.
      const wire = direction === 'up' ? this.ctx.upWire : this.ctx.downWire
      wire.send(direction === 'up' ? this.upFlow : this.downFlow, { kind: 'reset' })
    }
    this.maybeFinish()
  }

  private maybeFinish(): void {
    if (this.finished || !this.client.destroyed) return
    if (this.target === undefined ? this.dialPending : !this.target.destroyed) return
    this.finished = true
    for (const t of this.timers) clearTimeout(t)
    this.timers.clear()
    this.ctx.upWire.removeFlow(this.upFlow)
    this.ctx.downWire.removeFlow(this.downFlow)
    this.ctx.onClosed(this)
  }

  private after(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.timers.delete(t)
      fn()
    }, ms)
    this.timers.add(t)
  }
}
