import { performance } from 'node:perf_hooks'

/** What travels in a flow: payload, or the in-order FIN / RST of the sending socket. */
export type Segment = { kind: 'data'; data: Buffer } | { kind: 'end' } | { kind: 'reset' }

/**
 * One connection's traffic in one direction. The wire keeps its order; flows of different
 * connections share the wire round-robin, one slice at a time.
 */
export interface Flow {
  readonly connectionId: number
  /** Segments waiting for the wire. */
  readonly queue: Segment[]
  /** Payload bytes queued or in flight, not yet delivered (drives backpressure). */
  pendingBytes: number
}

interface InFlight {
  flow: Flow
  segment: Segment
  arriveAt: number
}

/** Configuration of one direction of the link. */
export interface WireOptions {
  rateBitsPerSecond: number
  delayMs: number
  sliceBytes: number
  /** Called when a segment reaches the far end, in wire order. May call `clear()`. */
  deliver: (flow: Flow, segment: Segment) => void
}

/**
 * One direction of the satellite link: a single serialized queue.
 *
 * A slice of N bytes occupies the wire for N*8/rate seconds, back to back with the previous one,
 * and arrives `delayMs` after its last bit left. Times are computed on a virtual clock (the next
 * slice starts when the previous one *should* have finished, not when a timer happened to fire), so
 * timer lateness does not accumulate and the aggregate rate stays exact. One timer per wire is
 * armed for the next event; there is never a timer per byte or per slice.
 */
export class Wire {
  private readonly opts: WireOptions
  /** Flows with queued segments, in round-robin order. */
  private active: Flow[] = []
  /** Committed to the wire; arrival times are non-decreasing because the wire is FIFO. */
  private inFlight: InFlight[] = []
  /** Virtual time at which the wire finishes serializing what is committed. */
  private freeAt = 0
  private timer: NodeJS.Timeout | undefined
  private timerAt = Infinity

  constructor(opts: WireOptions) {
    this.opts = opts
  }

  /** Queue bytes (cut into slices) or a FIN/RST marker behind everything the flow already sent. */
  send(flow: Flow, segment: Segment): void {
    const now = performance.now()
    // An idle wire starts serializing now, not at the stale time it last went idle.
    if (this.active.length === 0 && this.freeAt < now) this.freeAt = now
    if (flow.queue.length === 0) this.active.push(flow)
    if (segment.kind === 'data') {
      const { data } = segment
      for (let at = 0; at < data.length; at += this.opts.sliceBytes) {
        flow.queue.push({ kind: 'data', data: data.subarray(at, at + this.opts.sliceBytes) })
      }
      flow.pendingBytes += data.length
    } else {
      flow.queue.push(segment)
    }
    this.pump()
  }

  /** Forget a flow's queued segments (its connection is gone). Returns the payload bytes dropped. */
  removeFlow(flow: Flow): number {
    let lost = 0
    for (const s of flow.queue) if (s.kind === 'data') lost += s.data.length
    flow.queue.length = 0
    this.active = this.active.filter((f) => f !== flow)
    flow.pendingBytes -= lost
    return lost
  }

  /** Lose everything queued and in flight (an outage). Returns the payload bytes lost per connection. */
  clear(): Map<number, number> {
    const lost = new Map<number, number>()
    const count = (flow: Flow, s: Segment): void => {
      if (s.kind !== 'data') return
      lost.set(flow.connectionId, (lost.get(flow.connectionId) ?? 0) + s.data.length)
      flow.pendingBytes -= s.data.length
    }
    for (const { flow, segment } of this.inFlight) count(flow, segment)
    for (const flow of this.active) {
      for (const s of flow.queue) count(flow, s)
      flow.queue.length = 0
    }
    this.inFlight = []
    this.active = []
    this.disarm()
    return lost
  }

  /** Stop the timer; pending traffic is abandoned. */
  close(): void {
    this.clear()
  }

  private pump(): void {
    const now = performance.now()
    const { rateBitsPerSecond, delayMs } = this.opts
    // Commit every slice whose serialization slot has started by now. Picking at slot start keeps
    // round-robin between flows honest even when data for one flow arrived first.
    while (this.active.length > 0 && this.freeAt <= now) {
      const flow = this.active.shift() as Flow
      const segment = flow.queue.shift() as Segment
      if (flow.queue.length > 0) this.active.push(flow)
      if (segment.kind === 'data') this.freeAt += (segment.data.length * 8000) / rateBitsPerSecond
      this.inFlight.push({ flow, segment, arriveAt: this.freeAt + delayMs })
    }
    // Deliver what has arrived. `deliver` may clear the wire (an outage), so re-read each time.
    while (this.inFlight.length > 0 && this.inFlight[0].arriveAt <= now) {
      const { flow, segment } = this.inFlight.shift() as InFlight
      if (segment.kind === 'data') flow.pendingBytes -= segment.data.length
      this.opts.deliver(flow, segment)
    }
    this.arm()
  }

  private arm(): void {
    const next = Math.min(
      this.active.length > 0 ? this.freeAt : Infinity,
      this.inFlight.length > 0 ? this.inFlight[0].arriveAt : Infinity,
    )
    if (next === Infinity) return this.disarm()
    if (this.timer !== undefined && this.timerAt === next) return
    this.disarm()
    this.timerAt = next
    // Timers have millisecond granularity; rounding up means a timer never fires before its event,
    // and the virtual clock absorbs the lateness.
    const wait = Math.max(0, Math.ceil(next - performance.now()))
    this.timer = setTimeout(() => {
      this.timer = undefined
      this.timerAt = Infinity
      this.pump()
    }, wait)
  }

  private disarm(): void {
    if (this.timer !== undefined) clearTimeout(this.timer)
    this.timer = undefined
    this.timerAt = Infinity
  }
}
