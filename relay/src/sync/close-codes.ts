/**
 * Close codes of the `/sync` endpoint (4000–4999 is the application's range in RFC 6455). They use
 * the same numbers as the vessel link's codes, modelled on HTTP statuses, so an operator reading a
 * log line needs one table, not two.
 */
export const SyncCloseCode = {
  /** The relay is shutting down; clients reconnect later. */
  GoingAway: 1001,
  /** Malformed CBOR, an unknown or malformed message, a sender ID that is not the joined peer. */
  BadMessage: 4400,
  /** Missing, unknown or revoked user token; a token revoked while connected. */
  Unauthorized: 4401,
  /** The peer ID is in use by another user. */
  Forbidden: 4403,
  /** The client speaks no version of the protocol the relay does. */
  VersionMismatch: 4406,
  /** No join message in time. */
  Timeout: 4408,
  /** A message over {@link MAX_SYNC_MESSAGE_BYTES}. */
  TooLarge: 4413,
  /** An unexpected error on the relay; nothing accepted is lost, the client reconnects. */
  Internal: 4500,
  /** The relay cannot commit (disk full); the client keeps its changes and retries later. */
  DiskFull: 4507,
} as const
export type SyncCloseCode = (typeof SyncCloseCode)[keyof typeof SyncCloseCode]

/**
 * Largest sync message the relay takes. A container document is a few kB to a few hundred kB (a
 * voyage of reefer readings); 4 MiB leaves room for a browser that comes back after weeks offline.
 */
export const MAX_SYNC_MESSAGE_BYTES = 4 * 1024 * 1024

/**
 * Hard ceiling for the WebSocket library: a message above this is cut off by `ws` itself (close
 * 1009) before it is buffered whole. Between the two limits the relay answers 4413 with a reason.
 */
export const MAX_WS_PAYLOAD_BYTES = 4 * MAX_SYNC_MESSAGE_BYTES

/** An inbound message the relay refuses to process; the socket is closed with `code`. */
export class SyncProtocolError extends Error {
  constructor(
    readonly code: SyncCloseCode,
    message: string,
  ) {
    super(message)
    this.name = 'SyncProtocolError'
  }
}
