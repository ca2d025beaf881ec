/**
 * Fuzzing the `/link` input path with fast-check: the frame decoder, the chunk opener and the bundle
 * reader must turn any bytes into either a well-formed value or their one typed error with a clear
 * message (never another exception), and a live relay fed random frames after a valid hello must
 * close that session with a named code and keep serving everyone else.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import fs from 'node:fs'
import { brotliCompressSync } from 'node:zlib'
import { randomBytes } from 'node:crypto'
import fc from 'fast-check'
import * as A from '@automerge/automerge'
import { pino } from 'pino'
import { WebSocket } from 'ws'
import {
  ChunkError,
  CloseCode,
  decodeFrame,
  encodeFrame,
  encodeValue,
  FrameError,
  openChunk,
  PROTOCOL_VERSION,
  readEntry,
  CompactError,
  sha256,
} from '@tally/link'
import type { ChunkFrame, LinkFrame } from '@tally/link'
import { createRelay } from '../../relay/src/app.ts'
import type { Relay } from '../../relay/src/app.ts'
import { seedRelay, syncOnce, tempDir, VESSEL, vesselSide } from '../link/fixtures.ts'
import { FUZZ_RUNS } from './support/config.ts'

const CLOSE_CODES = new Set<number>(Object.values(CloseCode))
const TYPES = ['hello', 'welcome', 'heads', 'chunk', 'ack', 'nack', 'done', 'fin', 'error'] as const

/** A clear error: one of ours, with a named close code and a short, non-empty message. */
function expectClear(err: unknown, type: typeof FrameError | typeof ChunkError): void {
  expect(err).toBeInstanceOf(type)
  const e = err as FrameError
  expect(CLOSE_CODES.has(e.closeCode)).toBe(true)
  expect(e.message.length).toBeGreaterThan(0)
  expect(e.message.length).toBeLessThan(400)
}

/** Values of every CBOR-ish shape, including the ones a frame field expects. */
const value = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.uint8Array({ maxLength: 64 }),
  fc.array(fc.oneof(fc.string({ maxLength: 8 }), fc.integer()), { maxLength: 5 }),
  fc.dictionary(fc.string({ maxLength: 6 }), fc.oneof(fc.string({ maxLength: 8 }), fc.integer()), {
    maxKeys: 4,
  }),
)

/** Maps with a real frame type and random fields (most of them the right names). */
const frameLike = fc
  .record({
    t: fc.oneof(fc.constantFrom(...TYPES), fc.string({ maxLength: 8 })),
    fields: fc.dictionary(
      fc.oneof(
        fc.constantFrom(
          'v',
          'vessel',
          'token',
          'sync',
          'pending',
          'seq',
          'p',
          'sha',
          'data',
          'ok',
          'rej',
          'miss',
          'chunks',
          'code',
          'message',
          'reason',
          'session',
          'reconcile',
          'budget',
        ),
        fc.string({ maxLength: 5 }),
      ),
      value,
      { maxKeys: 8 },
    ),
  })
  .map(({ t, fields }) => ({ ...fields, t }))

/** A few valid frames of each type, to mutate. */
const VALID: LinkFrame[] = [
  { t: 'hello', v: 1, vessel: VESSEL, token: 'tly_vessel_x', sync: null, pending: 3 },
  { t: 'welcome', v: 1, session: 's', reconcile: false, budget: null },
  { t: 'heads', data: brotliCompressSync(encodeValue([['024E', 'TGHU1000009', ['ab']]])) },
  {
    t: 'ack',
    seq: 2,
    ok: 5,
    rej: [{ c: 'TGHU1000009', h: 'ab', reason: 'no', field: 'customs.status' }],
    miss: [],
  },
  { t: 'nack', seq: 1, reason: 'checksum mismatch' },
  { t: 'done', chunks: 4 },
  { t: 'fin', sync: 'abc' },
  { t: 'error', code: 4400, message: 'bad' },
]

function decodeOrClear(bytes: Uint8Array): void {
  let frame: LinkFrame
  try {
    frame = decodeFrame(bytes)
  } catch (err) {
    expectClear(err, FrameError)
    return
  }
  // Whatever decodes is a known type and survives a round trip.
  expect(TYPES).toContain(frame.t)
  expect(decodeFrame(encodeFrame(frame)).t).toBe(frame.t)
}

describe('fuzz: frame decoder', () => {
  it('turns any bytes into a frame or a FrameError', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 2_000 }), decodeOrClear), { numRuns: FUZZ_RUNS })
  })

  it('checks every field of frame-like maps', () => {
    fc.assert(
      fc.property(frameLike, (f) => decodeOrClear(encodeValue(f))),
      { numRuns: FUZZ_RUNS * 3 },
    )
  })

  it('survives valid frames with bytes flipped, cut short or extended', () => {
    const mutation = fc.record({
      frame: fc.constantFrom(...VALID),
      flips: fc.array(fc.record({ at: fc.nat(), mask: fc.integer({ min: 1, max: 255 }) }), { maxLength: 4 }),
      cut: fc.option(fc.nat(), { nil: undefined }),
      tail: fc.uint8Array({ maxLength: 8 }),
    })
    fc.assert(
      fc.property(mutation, ({ frame, flips, cut, tail }) => {
        const bytes = Buffer.from(encodeFrame(frame))
        for (const { at, mask } of flips) bytes[at % bytes.length]! ^= mask
        const cutBytes = cut === undefined ? bytes : bytes.subarray(0, cut % (bytes.length + 1))
        decodeOrClear(Buffer.concat([cutBytes, tail]))
      }),
      { numRuns: FUZZ_RUNS * 3 },
    )
  })

  it('refuses frame types named after Object.prototype members with a FrameError', () => {
    for (const t of ['valueOf', 'constructor', 'toString', 'hasOwnProperty', '__proto__']) {
      let error: unknown
      try {
        decodeFrame(encodeValue({ t }))
      } catch (err) {
        error = err
      }
      expectClear(error, FrameError)
    }
  })

  it('refuses an oversized frame with TooLarge before decoding it', () => {
    const err = (() => {
      try {
        decodeFrame(new Uint8Array(1024 * 1024 + 1))
      } catch (e) {
        return e as FrameError
      }
    })()
    expectClear(err, FrameError)
    expect(err!.closeCode).toBe(CloseCode.TooLarge)
  })
})

describe('fuzz: chunk opener and bundle reader', () => {
  const chunkOf = (data: Uint8Array, goodSha: boolean): ChunkFrame => ({
    t: 'chunk',
    seq: 0,
    p: 1,
    sha: goodSha ? sha256(data) : randomBytes(32),
    data,
  })

  const id = fc.oneof(
    fc.constantFrom('_root', '_head'),
    fc.tuple(fc.nat(50), fc.integer({ min: -2, max: 3 })),
  )
  const compactChange = fc.tuple(
    fc.integer({ min: -2, max: 3 }),
    fc.integer({ min: 0, max: 4 }),
    fc.integer({ min: 0, max: 60 }),
    fc.integer(),
    fc.constantFrom(null, 'm'),
    fc.array(fc.oneof(fc.nat(3), fc.uint8Array({ minLength: 8, maxLength: 8 })), { maxLength: 2 }),
    fc.array(
      // Ops are positional: action, obj, key, elemId, insert, datatype, value, pred.
      fc.tuple(
        fc.constantFrom('set', 'makeMap', 'makeList', 'makeText', 'del', 'inc', 'mark', 'nope', undefined),
        fc.oneof(id, fc.constant(undefined)),
        fc.oneof(fc.string({ maxLength: 8 }), fc.constant(undefined)),
        fc.oneof(id, fc.constant(undefined)),
        fc.oneof(fc.boolean(), fc.constant(undefined)),
        fc.constantFrom('int', 'uint', 'float64', 'counter', 'timestamp', 'bytes', 'str', 'x', undefined),
        fc.oneof(
          fc.string(),
          fc.integer(),
          fc.double(),
          fc.boolean(),
          fc.constant(null),
          fc.constant(undefined),
        ),
        fc.oneof(fc.array(id, { maxLength: 2 }), fc.constant('x')),
      ),
      { maxLength: 4 },
    ),
  )

  it('turns random chunk data into a payload or a ChunkError', () => {
    const data = fc.oneof(
      fc.uint8Array({ maxLength: 4_000 }),
      // Compressed random structures: past the checksum and brotli, into the payload check.
      fc.anything({ maxDepth: 3 }).map((v) => {
        try {
          return new Uint8Array(brotliCompressSync(encodeValue(v)))
        } catch {
          return new Uint8Array(0)
        }
      }),
      fc
        .record({
          actors: fc.array(
            fc.record({
              a: fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), maxLength: 40 }),
              p: fc.string(),
              r: fc.string(),
              n: fc.string(),
            }),
            { maxLength: 3 },
          ),
          ax: fc.array(fc.constantFrom('c1'.repeat(16), 'ab'.repeat(8), 'zz'), { maxLength: 2 }),
          entries: fc.array(
            fc.oneof(
              fc.record({
                c: fc.string({ maxLength: 24 }),
                y: fc.string({ maxLength: 24 }),
                b: fc.uint8Array({ maxLength: 200 }),
              }),
              // Compact entries (protocol v2): plausible shapes with hostile values.
              fc.record({
                c: fc.constantFrom('TGHU1000019', 'bad'),
                y: fc.string({ maxLength: 24 }),
                k: fc.array(compactChange, { maxLength: 3 }),
              }),
            ),
            { maxLength: 3 },
          ),
        })
        .map((payload) => new Uint8Array(brotliCompressSync(encodeValue(payload)))),
    )
    fc.assert(
      fc.property(data, fc.boolean(), (bytes, goodSha) => {
        try {
          const payload = openChunk(chunkOf(bytes, goodSha))
          expect(Array.isArray(payload.entries)).toBe(true)
          // A payload that opens still holds untrusted entries: reading one fails only as ChunkError,
          // or as CompactError when it names a dependency this replica does not hold.
          for (const entry of payload.entries)
            try {
              const key = { vessel: VESSEL, voyage: entry.y, containerId: entry.c }
              readEntry(entry, key, payload.ax, () => undefined)
            } catch (err) {
              if (!(err instanceof CompactError)) expectClear(err, ChunkError)
            }
        } catch (err) {
          expectClear(err, ChunkError)
        }
      }),
      { numRuns: FUZZ_RUNS * 2 },
    )
    // Hostile compact entries reach Automerge's encoder: it must have refused them without a panic
    // that would leave the WebAssembly instance unusable for the next, honest session.
    const doc = A.change(A.init<{ n: number }>(), (d) => {
      d.n = 1
    })
    expect(A.load<{ n: number }>(A.save(doc)).n).toBe(1)
  })

  it('refuses a decompression bomb within the 8 MiB bound', () => {
    const bomb = new Uint8Array(brotliCompressSync(Buffer.alloc(9 * 1024 * 1024)))
    expect(bomb.length).toBeLessThan(1024 * 1024)
    let error: unknown
    try {
      openChunk(chunkOf(bomb, true))
    } catch (err) {
      error = err
    }
    expectClear(error, ChunkError)
  })
})

describe('fuzz: a live relay fed random frames', { timeout: 180_000 }, () => {
  let relay: Relay
  let dir: string
  let token: string
  beforeAll(async () => {
    dir = tempDir()
    relay = await createRelay({ dataDir: dir, port: 0, logger: pino({ level: 'silent' }) })
    token = relay.context.tokens.issue('vessel', VESSEL, 'vessel')
    seedRelay(relay.context, 5, randomBytes(16).toString('hex'))
  })
  afterAll(async () => {
    await relay.close()
    fs.rmSync(dir, { recursive: true, force: true })
  })

  /** Sends a valid hello, then `frames`; resolves with the close code (or 'open' if still open). */
  function feed(frames: Uint8Array[]): Promise<number | 'open'> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(relay.url.replace(/^http/, 'ws') + '/link', { perMessageDeflate: false })
      let settled = false
      const finish = (v: number | 'open') => {
        if (settled) return
        settled = true
        clearTimeout(timer)
        ws.terminate()
        resolve(v)
      }
      const timer = setTimeout(() => finish('open'), 1_500)
      ws.on('open', () => {
        ws.send(
          encodeFrame({ t: 'hello', v: PROTOCOL_VERSION, vessel: VESSEL, token, sync: null, pending: 1 }),
        )
        for (const f of frames) ws.send(f)
      })
      ws.on('close', (code) => finish(code))
      ws.on('error', (err) => (settled ? undefined : reject(err)))
    })
  }

  it('closes a session fed garbage with a named code and keeps serving', async () => {
    const frames = fc.array(
      fc.oneof(
        fc.uint8Array({ maxLength: 300 }),
        frameLike.map((f) => encodeValue(f)),
        fc.constantFrom(...VALID).map((f) => encodeFrame(f)),
      ),
      { minLength: 1, maxLength: 6 },
    )
    await fc.assert(
      fc.asyncProperty(frames, async (fs) => {
        const code = await feed(fs)
        if (code !== 'open') expect(code === 1000 || code === 1005 || CLOSE_CODES.has(code)).toBe(true)
      }),
      { numRuns: Math.max(20, Math.floor(FUZZ_RUNS / 10)) },
    )
    // Still serving: a real vessel syncs its manifest.
    const vessel = vesselSide(dir)
    try {
      const result = await syncOnce(vessel, relay.url.replace(/^http/, 'ws') + '/link', token)
      expect(result.stats.changesDown).toBeGreaterThan(0)
    } finally {
      vessel.db.close()
    }
    expect((await fetch(relay.url + '/healthz')).status).toBe(200)
  })
})
