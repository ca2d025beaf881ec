import { describe, expect, it } from 'vitest'
import { brotliCompressSync } from 'node:zlib'
import {
  CloseCode,
  decodeFrame,
  encodeFrame,
  FrameError,
  FrameStream,
  MAX_FRAME_BYTES,
  STREAM_MAX_FRAME_BYTES,
} from '../src/index.ts'
import type { LinkFrame } from '../src/index.ts'

/** The one frame a message holds. */
const one = (s: FrameStream, message: Uint8Array) => {
  const frames = s.decodeAll(message)
  expect(frames).toHaveLength(1)
  return frames[0]!
}

const pair = () => {
  const vessel = new FrameStream()
  const relay = new FrameStream()
  vessel.start()
  relay.start()
  return { vessel, relay }
}

describe('compression on the connection', () => {
  it('passes frames through unchanged until started', () => {
    const s = new FrameStream()
    const bytes = encodeFrame({ t: 'done', chunks: 3 })
    expect(s.encode(bytes)).toBe(bytes)
    expect(one(s, bytes)).toBe(bytes)
  })

  it('decodes every frame as it arrives, and repeated frames cost a few bytes once seen', () => {
    const { vessel, relay } = pair()
    const frames: LinkFrame[] = Array.from({ length: 50 }, (_, i) => ({
      t: 'ack',
      seq: i,
      ok: 40,
      rej: [],
      miss: [],
    }))
    const sizes = frames.map((f) => {
      const wire = vessel.encode(encodeFrame(f))
      expect(decodeFrame(one(relay, wire))).toEqual(f)
      return wire.length
    })
    // The first ack teaches the context its shape; the rest are a handful of bytes each.
    expect(Math.max(...sizes.slice(10))).toBeLessThan(encodeFrame(frames[10]!).length / 2)
  })

  it('refuses a message that inflates past the frame limit, bounded, with 4413', () => {
    const { relay } = pair()
    const bomb = brotliCompressSync(Buffer.alloc(MAX_FRAME_BYTES * 8))
    const err = (() => {
      try {
        one(relay, Buffer.concat([Buffer.of(1), bomb]))
      } catch (e) {
        return e
      }
    })()
    expect(err).toBeInstanceOf(FrameError)
    expect((err as FrameError).closeCode).toBe(CloseCode.TooLarge)
  })

  it('refuses bytes that are not a compressed frame with 4400', () => {
    const { relay } = pair()
    expect(() => one(relay, Buffer.from('\x01not brotli at all, just text that goes on'))).toThrow(FrameError)
  })
})

describe('large frames beside the stream', () => {
  it('sends a frame over the limit as it is, behind a marker byte, and keeps the stream in step', () => {
    const { vessel, relay } = pair()
    const big = encodeFrame({ t: 'heads', data: Buffer.alloc(STREAM_MAX_FRAME_BYTES + 1, 7) })
    const wire = vessel.encode(big)
    expect(wire.length).toBe(big.length + 1)
    expect(Buffer.compare(Buffer.from(one(relay, wire)), Buffer.from(big))).toBe(0)
    const small = encodeFrame({ t: 'done', chunks: 1 })
    expect(decodeFrame(one(relay, vessel.encode(small)))).toEqual({ t: 'done', chunks: 1 })
    expect(() => one(relay, Buffer.of(9, 1, 2))).toThrow(FrameError)
  })
})

describe('several frames in one message', () => {
  it('gives back each frame, in order', () => {
    const { vessel, relay } = pair()
    const frames: LinkFrame[] = [
      { t: 'ack', seq: 0, ok: 3, rej: [], miss: [] },
      { t: 'done', chunks: 1 },
      { t: 'fin' },
    ]
    const message = vessel.encodeMany(frames.map((f) => encodeFrame(f)))
    expect(relay.decodeAll(message).map((f) => decodeFrame(f))).toEqual(frames)
  })

  it.each([
    ['a length past the end', [5, 0xa0, 0xa0], /past the end/],
    ['a zero length', [1, 0xa0, 0], /past the end/],
    ['a single frame', [1, 0xa0], /fewer than two/],
    ['a length that never ends', [0x80, 0x80, 0x80, 0x80], /malformed frame length/],
  ])('refuses %s with 4400', (_name, content, message) => {
    const { relay } = pair()
    // A first message of the peer's stream: 2, then brotli of the lengths and frames as given.
    const wire = Buffer.concat([Buffer.of(2), brotliCompressSync(Uint8Array.from(content as number[]))])
    let error: unknown
    try {
      relay.decodeAll(wire)
    } catch (err) {
      error = err
    }
    expect(error).toBeInstanceOf(FrameError)
    expect((error as FrameError).message).toMatch(message as RegExp)
    expect((error as FrameError).closeCode).toBe(CloseCode.BadFrame)
  })
})
