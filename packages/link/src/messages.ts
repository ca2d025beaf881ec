/**
 * Wire messages of the vessel↔relay link (docs/protocol.md). Every frame is one binary WebSocket
 * message: a CBOR map with a discriminating `t`. Inbound frames are untrusted: {@link decodeFrame}
 * checks each field's type and size before anything else sees it.
 */

/**
 * Bumped on any incompatible change. Version 2 added compact entries to chunks (compact.ts); a peer
 * speaking 1 still syncs, with bundles. Version 3 keeps the connection open after `fin`: later
 * sessions are rounds over it (`round`, and the relay's `poke`), with nothing sent in between but a
 * sparse keepalive. A peer speaking 1 or 2 gets one session per connection, as before. Anything
 * else closes with {@link CloseCode.VersionMismatch}.
 */
export const PROTOCOL_VERSION = 3
export const SUPPORTED_VERSIONS: readonly number[] = [1, 2, 3]
/** The first version whose connection outlives a session (rounds, pokes, keepalive). */
export const ROUNDS_VERSION = 3

/** Named close codes (4000–4999 are the application's range in RFC 6455). */
export const CloseCode = {
  Normal: 1000,
  BadFrame: 4400,
  Unauthorized: 4401,
  Forbidden: 4403,
  VersionMismatch: 4406,
  Timeout: 4408,
  /**
   * Another connection of the same vessel (a second vessel node with its token) took over: the
   * relay keeps one connection per vessel. The node that lost it waits for its own work instead of
   * reconnecting at once, so two nodes do not take the link from each other all day.
   */
  Replaced: 4409,
  TooLarge: 4413,
  Internal: 4500,
  /** The relay's database is away for now (PostgreSQL restarting, no free connection): retry. */
  Unavailable: 4503,
  DiskFull: 4507,
} as const

/**
 * The close code for an unexpected error: `Unavailable` for one that says the storage is away for
 * now (it carries `unavailable: true`, as the storage packages' DatabaseUnavailableError does),
 * else `Internal`.
 */
export function closeCodeForError(err: unknown): CloseCode {
  return (err as { unavailable?: unknown } | null)?.unavailable === true
    ? CloseCode.Unavailable
    : CloseCode.Internal
}
export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode]

/**
 * A chunk's checksum on a lean connection: the first 8 bytes of its SHA-256. It guards against
 * corruption and bugs, not an adversary (TLS does that), and a 2^-64 chance of missing a corrupt
 * chunk is far below anything else on the link; the full 32 bytes were a fifth of a small round.
 */
export const SHORT_SHA_BYTES = 8

/** Largest frame either side accepts; a chunk is well under it. */
export const MAX_FRAME_BYTES = 1024 * 1024
/** Largest decompressed chunk payload, so a small compressed chunk cannot expand without bound. */
export const MAX_CHUNK_PAYLOAD_BYTES = 8 * 1024 * 1024

export type Priority = 0 | 1 | 2 // critical, normal, routine
export const PRIORITY_NAMES = ['critical', 'normal', 'routine'] as const

/** An actor binding carried with the changes that use it, so the receiver can check authorship. */
export interface ActorBinding {
  a: string // actor ID (hex)
  p: string // principal ID: IMO… or user:<name>
  r: string // role: vessel | shore | customs | ops
  n: string // display name
}

/** Vessel → relay, first frame. */
export interface HelloFrame {
  t: 'hello'
  v: number
  vessel: string
  token: string
  /** The sync token of the last completed session, or null when this replica has none. */
  sync: string | null
  /** Changes the vessel has for the relay: 0 lets an idle session finish in one round trip. */
  pending: number
  /**
   * Optional (older vessels leave it out): attempts that failed since the vessel's last completed
   * session, including those that never reached the relay, so the operator's failure rate sees them.
   */
  failed?: number
  /** Optional: the vessel's automatic sync interval in seconds, from which its expected window derives. */
  interval?: number
  /** Optional: the vessel's Ed25519 evidence key, hex; the relay records it (docs/photos.md). */
  key?: string
  /** Optional: the vessel takes `want` frames and sends full photos (docs/protocol.md, "Photos"). */
  photos?: boolean
  /**
   * Version 3: the last session whose welcome this vessel stored. With the relay's previous token it
   * proves a lost `fin` (the vessel took part in the session that issued the current token).
   */
  s?: string
  /** The version of the voyage records the vessel holds (voyages.ts); absent from older vessels. */
  voyages?: number
  /**
   * Version 3: the vessel can compress every frame after the welcome with one context per
   * connection (frame-stream.ts); absent from older vessels.
   */
  z?: 1
  /**
   * With `z`: the vessel speaks lean rounds (docs/protocol.md, "Lean rounds"): short values in
   * compact entries, rounds named by their number, tokens that are the session's ID, 8-byte chunk
   * checksums. Absent from older vessels.
   */
  k?: 2
  /**
   * With `k`: the vessel reads dependencies named by OWN_LINE and the derived APPENDIX
   * (docs/protocol.md, "Own-line dependencies"). Absent from older vessels.
   */
  o?: 1
  /** With `k`: the vessel reads map runs in compact entries (docs/protocol.md). Absent from older vessels. */
  m?: 1
  /**
   * With `m`: the vessel derives an evidence entry's ID that a map run leaves out
   * (docs/protocol.md, "Map runs"). Absent from older vessels.
   */
  e?: 1
  /**
   * Version 3: the vessel offers a one-way keepalive (docs/protocol.md, "Rounds"): between rounds it
   * may send unsolicited WebSocket pongs that the relay counts as contact and does not answer.
   * Absent from older vessels.
   */
  h?: 1
}
/** Relay → vessel: the session is open. `reconcile` asks both sides to exchange heads first. */
export interface WelcomeFrame {
  t: 'welcome'
  v: number
  /** The session's ID; absent in a lean round, whose ID is the connection's first one and `n`. */
  session?: string
  /** A lean round's number on its connection: its session ID is `<first session>.<n>`. */
  n?: number
  reconcile: boolean
  /** Bytes the vessel may still send today when a budget is configured; only critical changes beyond it. */
  budget: number | null
  /** Voyage records newer than the hello's `voyages` (voyages.ts); absent when there are none. */
  voyages?: Uint8Array
  /**
   * Version 3, first welcome of a connection only: the relay's settings for this vessel, batching
   * windows per class in seconds `[critical, normal, routine]` and the keepalive in seconds.
   */
  cfg?: LinkSettings
  /**
   * The answer to the hello's `z`: from the frame after this welcome on, both sides compress every
   * frame with the connection's context. Only in the first welcome of a connection.
   */
  z?: 1
  /** The answer to the hello's `k`: this connection's rounds are lean. First welcome only. */
  k?: 2
  /** The answer to the hello's `o`: both sides name dependencies by OWN_LINE. First welcome only. */
  o?: 1
  /** The answer to the hello's `m`: both sides send map runs. First welcome only. */
  m?: 1
  /** The answer to the hello's `e`: map runs leave out derivable evidence IDs. First welcome only. */
  e?: 1
  /** The answer to the hello's `h`: the vessel's keepalive may be one-way. First welcome only. */
  h?: 1
}
/**
 * What a lean connection agreed beyond lean rounds themselves (docs/protocol.md, "Lean rounds"):
 * OWN_LINE dependencies (`o`), map runs (`m`) and, within map runs, derived evidence IDs (`e`). A
 * vessel offers every form it knows; the relay agrees to what the vessel offered.
 */
export interface LeanForms {
  ownLine: boolean
  mapRuns: boolean
  evidenceIds: boolean
}
export const NO_LEAN_FORMS: LeanForms = Object.freeze({ ownLine: false, mapRuns: false, evidenceIds: false })
/** Every form this version knows. */
export const ALL_LEAN_FORMS: LeanForms = Object.freeze({ ownLine: true, mapRuns: true, evidenceIds: true })

/** The forms a hello offers or a welcome agrees to: `e` counts only with `m`. */
export function leanFormsOf(flags: Pick<HelloFrame, 'o' | 'm' | 'e'>): LeanForms {
  const mapRuns = flags.m === 1
  return { ownLine: flags.o === 1, mapRuns, evidenceIds: mapRuns && flags.e === 1 }
}

/** A hello's or welcome's flags for `forms`. */
export function leanFlags(forms: LeanForms): Pick<HelloFrame, 'o' | 'm' | 'e'> {
  return {
    ...(forms.ownLine ? { o: 1 as const } : {}),
    ...(forms.mapRuns ? { m: 1 as const } : {}),
    ...(forms.mapRuns && forms.evidenceIds ? { e: 1 as const } : {}),
  }
}

/** What the relay tells a version 3 vessel about pacing (docs/protocol.md, "Rounds"). */
export interface LinkSettings {
  /** Batching windows in seconds, by priority: critical, normal, routine. */
  w: [number, number, number]
  /** Keepalive interval in seconds. */
  ka: number
}
/** Vessel → relay, version 3: starts another session (a round) on an open connection. */
export interface RoundFrame {
  t: 'round'
  /** As in hello: documents with changes for the relay. */
  pending: number
}
/**
 * Relay → vessel, version 3: the relay holds changes for the vessel whose batching window has
 * closed (`p`: the most urgent class among them). The vessel starts a round at once.
 */
export interface PokeFrame {
  t: 'poke'
  p: Priority
}
/** Both ways, reconciliation only: brotli(CBOR [[voyage, containerId, heads...]]) of every document. */
export interface HeadsFrame {
  t: 'heads'
  data: Uint8Array
}
/** Both ways: a bounded, self-contained, compressed part of a change set. */
export interface ChunkFrame {
  t: 'chunk'
  seq: number
  p: Priority
  /** SHA-256 of `data`; its first 8 bytes on a lean connection. */
  sha: Uint8Array
  data: Uint8Array
  /** 0: `data` is the CBOR payload itself, on a connection that compresses every frame. */
  z?: 0
}
export interface Rejection {
  c: string // containerId
  h: string // change hash
  reason: string
  field?: string
}
/** Acknowledges a chunk after its durable commit. `miss` lists documents whose history has a gap. */
export interface AckFrame {
  t: 'ack'
  seq: number
  ok: number
  rej: Rejection[]
  miss: string[]
}
/** A chunk that failed its checksum or could not be decoded: the sender sends it again. */
export interface NackFrame {
  t: 'nack'
  seq: number
  reason: string
}
/** The sender has no more chunks in this session. */
export interface DoneFrame {
  t: 'done'
  chunks: number
}
/** Relay → vessel: the session completed; both sides store the new sync token. */
export interface FinFrame {
  t: 'fin'
  /** The new sync token; absent on a lean connection, where it is the session's ID. */
  sync?: string
}
export interface ErrorFrame {
  t: 'error'
  code: number
  message: string
}

/**
 * Relay → vessel, optional (only to a vessel whose hello set `photos`): the full photos shore asked
 * for, with the bytes the relay already holds of each (docs/protocol.md, "Photos").
 */
export interface WantFrame {
  t: 'want'
  photos: { sha: string; off: number; bytes: number }[]
}
/** Vessel → relay: `data` is the photo's bytes from `off`; `sum` is their SHA-256. */
export interface PartFrame {
  t: 'part'
  sha: string
  off: number
  sum: Uint8Array
  data: Uint8Array
}
/**
 * Relay → vessel, after the part is stored durably: `off` is how much of the photo the relay holds;
 * `at` the offset of the part answered. `ok: false` refuses it (checksum, or out of order).
 */
export interface PackFrame {
  t: 'pack'
  sha: string
  off: number
  at: number
  ok: boolean
  reason?: string
}
/** Vessel → relay: no more parts in this session (all acknowledged, or the budget is spent). */
export interface PhotosDoneFrame {
  t: 'pdone'
}

export type LinkFrame =
  | HelloFrame
  | WelcomeFrame
  | HeadsFrame
  | ChunkFrame
  | AckFrame
  | NackFrame
  | DoneFrame
  | FinFrame
  | ErrorFrame
  | RoundFrame
  | PokeFrame
  | WantFrame
  | PartFrame
  | PackFrame
  | PhotosDoneFrame

export const isHello = (f: LinkFrame): f is HelloFrame => f.t === 'hello'
export const isWelcome = (f: LinkFrame): f is WelcomeFrame => f.t === 'welcome'
export const isChunk = (f: LinkFrame): f is ChunkFrame => f.t === 'chunk'
export const isAck = (f: LinkFrame): f is AckFrame => f.t === 'ack'
