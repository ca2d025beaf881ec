/**
 * Frame codec: CBOR on the wire, with a strict shape check on decode. Any malformed input becomes a
 * {@link FrameError} carrying the close code to use; nothing else is thrown.
 */
import { Encoder } from 'cbor-x'
import { CloseCode, MAX_FRAME_BYTES, SHORT_SHA_BYTES } from './messages.ts'
import { MAX_WANTED_PHOTOS, PHOTO_PART_BYTES } from './photo-transfer.ts'
import type { LinkFrame } from './messages.ts'

/** Largest voyage payload a welcome may carry (see voyages.ts). */
export const MAX_VOYAGES_BYTES = 64 * 1024

// Plain maps, no cbor-x record extension: the format stays decodable by any CBOR library.
const cbor = new Encoder({ useRecords: false, mapsAsObjects: true, variableMapSize: true })

export class FrameError extends Error {
  constructor(
    readonly closeCode: number,
    message: string,
  ) {
    super(message)
    this.name = 'FrameError'
  }
}

export function encodeFrame(frame: LinkFrame): Uint8Array {
  return cbor.encode(frame)
}

type Check = (v: unknown) => boolean
const str =
  (max: number): Check =>
  (v) =>
    typeof v === 'string' && v.length <= max
const int: Check = (v) => Number.isSafeInteger(v) && (v as number) >= 0
const bytes =
  (max: number): Check =>
  (v) =>
    v instanceof Uint8Array && v.length <= max
const nullable =
  (c: Check): Check =>
  (v) =>
    v === null || c(v)
const bool: Check = (v) => typeof v === 'boolean'
const list =
  (item: Check, max: number): Check =>
  (v) =>
    Array.isArray(v) && v.length <= max && v.every(item)
const shape =
  (fields: Record<string, Check>, optional: string[] = []): Check =>
  (v) =>
    typeof v === 'object' &&
    v !== null &&
    Object.entries(fields).every(
      ([k, c]) => (optional.includes(k) && (v as any)[k] === undefined) || c((v as any)[k]),
    )

const hex64: Check = (v) => typeof v === 'string' && /^[0-9a-f]{64}$/.test(v)
const rejection = shape({ c: str(64), h: str(64), reason: str(500), field: str(100) }, ['field'])

const SHAPES: Record<LinkFrame['t'], Check> = {
  hello: shape(
    {
      v: int,
      vessel: str(20),
      token: str(200),
      sync: nullable(str(100)),
      pending: int,
      failed: int,
      interval: int,
      key: hex64,
      photos: bool,
      s: str(64),
      voyages: int,
      z: (v) => v === 1,
      k: (v) => v === 2,
      o: (v) => v === 1,
      m: (v) => v === 1,
      e: (v) => v === 1,
      h: (v) => v === 1,
    },
    ['failed', 'interval', 'key', 'photos', 's', 'voyages', 'z', 'k', 'o', 'm', 'e', 'h'],
  ),
  welcome: shape(
    {
      v: int,
      session: str(64),
      n: int,
      reconcile: bool,
      budget: nullable(int),
      cfg: shape({ w: (v) => list(int, 3)(v) && (v as unknown[]).length === 3, ka: int }),
      voyages: bytes(MAX_VOYAGES_BYTES),
      z: (v) => v === 1,
      k: (v) => v === 2,
      o: (v) => v === 1,
      m: (v) => v === 1,
      e: (v) => v === 1,
      h: (v) => v === 1,
    },
    ['session', 'n', 'cfg', 'voyages', 'z', 'k', 'o', 'm', 'e', 'h'],
  ),
  round: shape({ pending: int }),
  poke: shape({ p: (v) => v === 0 || v === 1 || v === 2 }),
  heads: shape({ data: bytes(MAX_FRAME_BYTES) }),
  chunk: shape(
    {
      seq: int,
      p: (v) => v === 0 || v === 1 || v === 2,
      sha: (v) =>
        bytes(32)(v) && ((v as Uint8Array).length === 32 || (v as Uint8Array).length === SHORT_SHA_BYTES),
      data: bytes(MAX_FRAME_BYTES),
      z: (v) => v === 0,
    },
    ['z'],
  ),
  ack: shape({ seq: int, ok: int, rej: list(rejection, 100_000), miss: list(str(64), 100_000) }),
  nack: shape({ seq: int, reason: str(500) }),
  done: shape({ chunks: int }),
  fin: shape({ sync: str(100) }, ['sync']),
  error: shape({ code: int, message: str(1000) }),
  want: shape({ photos: list(shape({ sha: hex64, off: int, bytes: int }), MAX_WANTED_PHOTOS) }),
  part: shape({ sha: hex64, off: int, sum: bytes(32), data: bytes(PHOTO_PART_BYTES) }),
  pack: shape({ sha: hex64, off: int, at: int, ok: bool, reason: str(200) }, ['reason']),
  pdone: shape({}),
}

/** Decodes and checks one inbound frame. Throws only FrameError. */
export function decodeFrame(data: Uint8Array): LinkFrame {
  if (data.length > MAX_FRAME_BYTES)
    throw new FrameError(CloseCode.TooLarge, `frame of ${data.length} bytes exceeds ${MAX_FRAME_BYTES}`)
  let value: unknown
  try {
    value = cbor.decode(data)
  } catch (err) {
    throw new FrameError(CloseCode.BadFrame, `malformed frame: ${(err as Error).message}`)
  }
  if (typeof value !== 'object' || value === null)
    throw new FrameError(CloseCode.BadFrame, 'malformed frame: not a map')
  const type = (value as { t?: unknown }).t
  // Own keys only: `valueOf` or `constructor` must not find Object.prototype's members.
  const check =
    typeof type === 'string' && Object.hasOwn(SHAPES, type) ? SHAPES[type as LinkFrame['t']] : undefined
  if (!check)
    throw new FrameError(CloseCode.BadFrame, `unknown frame type ${JSON.stringify(type)?.slice(0, 40)}`)
  if (!check(value)) throw new FrameError(CloseCode.BadFrame, `malformed ${type} frame`)
  return value as LinkFrame
}

/** CBOR for payloads inside chunks and heads frames (same settings as frames). */
export function encodeValue(value: unknown): Uint8Array {
  return cbor.encode(value)
}
export function decodeValue(data: Uint8Array): unknown {
  return cbor.decode(data)
}
