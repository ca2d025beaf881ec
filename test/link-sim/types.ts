import type { Logger } from 'pino'

/** `up` is client → target (vessel → relay); `down` is target → client (relay → vessel). */
export type Direction = 'up' | 'down'

/** Why the link went down. */
export type DownReason = 'manual' | 'schedule' | 'drop-after-bytes' | 'control'

/** Configuration of a {@link SatelliteLink}. */
export interface SatelliteLinkOptions {
  /** Port the proxy listens on, on 127.0.0.1. 0 picks an ephemeral port (see `start()`). */
  listenPort: number
  /** Where each accepted connection is forwarded. */
  target: { host: string; port: number }
  /** Serialization rate of each direction, in bits per second. Default 128_000. */
  rateBitsPerSecond?: number
  /** Propagation delay added after serialization, per direction. Default 300. */
  oneWayDelayMs?: number
  /**
   * Largest slice put on the wire at once, in bytes. Default 1024. Small slices let connections
   * interleave and let an outage cut a transfer in the middle of an application-level chunk.
   */
  sliceBytes?: number
  /**
   * Bytes a connection may have queued or in flight per direction before the proxy stops reading
   * from its sender (TCP-like backpressure, like a modem's buffer). Default 65_536.
   */
  maxQueuedBytes?: number
  /**
   * Model the TCP handshake: the target is dialled one delay after accept, and the client's bytes
   * are read only one round trip after accept. Default true.
   */
  simulateHandshake?: boolean
  /** Serve the control HTTP endpoint on 127.0.0.1 at this port (0 = ephemeral). Off when undefined. */
  controlPort?: number
  /** pino logger; a child `{component: 'link-sim'}` is used. Silent when omitted. */
  logger?: Logger
}

/** Byte and connection counters since start or the last `resetStats()`. */
export interface LinkStats {
  /** Payload bytes delivered client → target (vessel → relay). Bytes lost in an outage are not counted. */
  bytesUp: number
  /** Payload bytes delivered target → client (relay → vessel). */
  bytesDown: number
  /** Connections accepted and forwarded while the link was up. */
  connections: number
  /** Connections destroyed by an outage (`down()`, a schedule or `dropAfterBytes`). */
  drops: number
  /** Connection attempts refused because the link was down. */
  refused: number
  /** Connections currently open through the link. */
  activeConnections: number
}

/** A JSON snapshot served by `GET /link`. */
export interface LinkStatus {
  up: boolean
  port: number
  target: { host: string; port: number }
  rateBitsPerSecond: number
  oneWayDelayMs: number
  stats: LinkStats
}

/** One window of a schedule: up for `upMs`, then down for `downMs` (`Infinity` stays down). */
export interface LinkWindow {
  upMs: number
  downMs: number
}

/** Payload of the `drop` event, one per connection cut by an outage. */
export interface DropEvent {
  connectionId: number
  reason: DownReason
  /** Bytes that had entered the link for this connection but were never delivered. */
  lostBytesUp: number
  lostBytesDown: number
}

/** Payload of the `corrupt` event, once per corrupted slice. */
export interface CorruptEvent {
  direction: Direction
  connectionId: number
  /** Bytes flipped in this slice. */
  length: number
}

/** Events of {@link SatelliteLink}. */
export interface SatelliteLinkEvents {
  up: []
  down: [reason: DownReason]
  connection: [info: { connectionId: number; remotePort: number | undefined }]
  drop: [event: DropEvent]
  corrupt: [event: CorruptEvent]
}
