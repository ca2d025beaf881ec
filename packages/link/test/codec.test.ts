import { describe, expect, it } from 'vitest'
import { encode } from 'cbor-x'
import {
  CloseCode,
  decodeFrame,
  encodeFrame,
  FrameError,
  MAX_FRAME_BYTES,
  PROTOCOL_VERSION,
} from '../src/index.ts'
import type { LinkFrame } from '../src/index.ts'

const frames: LinkFrame[] = [
  { t: 'hello', v: PROTOCOL_VERSION, vessel: 'IMO9811000', token: 'tly_vessel_x', sync: null, pending: 3 },
  { t: 'welcome', v: PROTOCOL_VERSION, session: 's1', reconcile: false, budget: null },
  // The one-way keepalive offered and answered (docs/protocol.md, "Rounds").
  { t: 'hello', v: PROTOCOL_VERSION, vessel: 'IMO9811000', token: 'x', sync: null, pending: 0, h: 1 },
  { t: 'welcome', v: PROTOCOL_VERSION, session: 's1', reconcile: false, budget: null, h: 1 },
  { t: 'heads', data: new Uint8Array([1, 2, 3]) },
  { t: 'chunk', seq: 4, p: 0, sha: new Uint8Array(32), data: new Uint8Array(100) },
  {
    t: 'ack',
    seq: 4,
    ok: 10,
    rej: [{ c: 'CSQU3054383', h: 'ab'.repeat(32), reason: 'owned by shore', field: 'customs.status' }],
    miss: [],
  },
  { t: 'nack', seq: 4, reason: 'checksum mismatch' },
  { t: 'done', chunks: 5 },
  { t: 'fin', sync: 'token' },
  { t: 'error', code: 4401, message: 'bad token' },
]

const codeOf = (bytes: Uint8Array): number => {
  try {
    decodeFrame(bytes)
  } catch (err) {
    expect(err).toBeInstanceOf(FrameError)
    return (err as FrameError).closeCode
  }
  throw new Error('decoded')
}

describe('frame codec', () => {
  it.each(frames.map((f) => [f.t, f] as const))('round-trips %s', (_t, frame) => {
    expect(decodeFrame(encodeFrame(frame))).toEqual(frame)
  })

  it('refuses malformed input with BadFrame and never throws anything else', () => {
    expect(codeOf(new TextEncoder().encode('not cbor'))).toBe(CloseCode.BadFrame)
    expect(codeOf(encode(42))).toBe(CloseCode.BadFrame)
    expect(codeOf(encode({ t: 'launch' }))).toBe(CloseCode.BadFrame)
    expect(
      codeOf(encode({ t: 'hello', v: '1', vessel: 'IMO9811000', token: 'x', sync: null, pending: 0 })),
    ).toBe(CloseCode.BadFrame)
    expect(
      codeOf(encode({ t: 'chunk', seq: -1, p: 0, sha: new Uint8Array(32), data: new Uint8Array(1) })),
    ).toBe(CloseCode.BadFrame)
    expect(
      codeOf(encode({ t: 'chunk', seq: 1, p: 7, sha: new Uint8Array(32), data: new Uint8Array(1) })),
    ).toBe(CloseCode.BadFrame)
    expect(codeOf(encode({ t: 'ack', seq: 1, ok: 0, rej: [{ c: 1 }], miss: [] }))).toBe(CloseCode.BadFrame)
    expect(codeOf(new Uint8Array([0xa1]))).toBe(CloseCode.BadFrame) // truncated map
    expect(
      codeOf(encode({ t: 'hello', v: 3, vessel: 'IMO9811000', token: 'x', sync: null, pending: 0, h: true })),
    ).toBe(CloseCode.BadFrame)
    expect(codeOf(encode({ t: 'welcome', v: 3, session: 's', reconcile: false, budget: null, h: 2 }))).toBe(
      CloseCode.BadFrame,
    )
  })

  it('refuses an oversized frame with TooLarge before decoding it', () => {
    expect(codeOf(new Uint8Array(MAX_FRAME_BYTES + 1))).toBe(CloseCode.TooLarge)
  })

  it('refuses oversized fields', () => {
    expect(
      codeOf(
        encode({ t: 'hello', v: 1, vessel: 'IMO9811000', token: 'x'.repeat(201), sync: null, pending: 0 }),
      ),
    ).toBe(CloseCode.BadFrame)
  })
})
