/**
 * Lean rounds (docs/protocol.md, "Lean rounds"), on the real relay link and the real vessel
 * connection over loopback: a later round's welcome names the round by number, fin carries no token
 * (the token is the session's ID), chunk checksums are 8 bytes, frames of one tick share a message,
 * and both sides converge. A vessel
 * that does not offer them gets every frame in full, as before.
 */
import { afterEach, describe, expect, it, vi } from 'vitest'
import fs from 'node:fs'
import { randomBytes } from 'node:crypto'
import { documentIdFor, applyPatch } from '@tally/manifest'
import { decodeFrame, FrameStream, openChunk } from '@tally/link'
import type { LinkFrame } from '@tally/link'
import { RelayConnection } from '../../vessel-node/src/link-client.ts'
import {
  headsEqual,
  keyOf,
  logger,
  roundOn,
  seedRelay,
  startRelay,
  tempDir,
  VESSEL,
  vesselSide,
} from './fixtures.ts'

const N = 40
const cleanups: (() => Promise<unknown> | unknown)[] = []
afterEach(async () => {
  vi.restoreAllMocks()
  for (const c of cleanups.splice(0).reverse()) await c()
})

/** Three rounds on one connection, with edits on both sides between them; every frame sent, decoded. */
async function threeRounds(lean: boolean) {
  const dir = tempDir()
  cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }))
  const relay = await startRelay(dir)
  cleanups.push(() => relay.close())
  const shore = randomBytes(16).toString('hex')
  seedRelay(relay, N, shore)
  const vessel = vesselSide(dir)
  cleanups.push(() => vessel.db.close())
  const frames: LinkFrame[] = []
  const encode = FrameStream.prototype.encode
  const encodeMany = FrameStream.prototype.encodeMany
  let messages = 0
  vi.spyOn(FrameStream.prototype, 'encode').mockImplementation(function (this: FrameStream, frame) {
    frames.push(decodeFrame(frame))
    messages++
    return encode.call(this, frame)
  })
  vi.spyOn(FrameStream.prototype, 'encodeMany').mockImplementation(function (this: FrameStream, many) {
    frames.push(...many.map((f) => decodeFrame(f)))
    messages++
    return encodeMany.call(this, many)
  })
  const connection = new RelayConnection({ url: relay.url, logger, keepaliveS: 3600, lean })
  cleanups.push(() => connection.close())
  await connection.ready()
  const welcomes: string[] = []
  const tokens: string[] = []
  for (let round = 0; round < 3; round++) {
    if (round > 0) {
      // Later than the seed by whole seconds, so an edit that depends on its actor's earlier,
      // acknowledged one may name it by OWN_LINE (never within the same second).
      const time = Math.floor(Date.now() / 1000) + 10 * round
      vessel.store.edit(documentIdFor(keyOf(round)), vessel.actor, (d) =>
        applyPatch(d, { physical: { condition: 'DAMAGED', damage: `dent ${round}` } }, 'vessel', time),
      )
      relay.store.edit(documentIdFor(keyOf(round + 10)), shore, (d) =>
        applyPatch(d, { customs: { status: 'HELD', holdReason: `x-ray ${round}` } }, 'shore', time),
      )
    }
    const r = await roundOn(connection, vessel, relay.url, relay.token, {
      onWelcome: (id) => welcomes.push(id),
    })
    tokens.push(r.sync)
  }
  const sessionIds = relay.sessions.list({ peer: VESSEL, limit: 10 }).map((s: { id: string }) => s.id)
  const converged = headsEqual(relay, vessel, N)
  return {
    frames,
    messages,
    welcomes,
    tokens,
    sessionIds,
    converged,
    relayToken: relay.cursors.getSyncToken(VESSEL),
  }
}

const ofType = <T extends LinkFrame['t']>(frames: LinkFrame[], t: T) =>
  frames.filter((f): f is Extract<LinkFrame, { t: T }> => f.t === t)

describe('lean rounds', { timeout: 120_000 }, () => {
  it('names later rounds by number, leaves the token out of fin and sends 8-byte checksums', async () => {
    const r = await threeRounds(true)
    expect(r.converged).toBe(true)
    const welcomes = ofType(r.frames, 'welcome')
    const [first] = r.welcomes
    expect(welcomes.map((w) => [w.session, w.n, w.k, w.o, w.m, w.e])).toEqual([
      [first, undefined, 2, 1, 1, 1],
      [undefined, 1, undefined, undefined, undefined, undefined],
      [undefined, 2, undefined, undefined, undefined, undefined],
    ])
    // The later rounds' edits depend on the vessel's own acknowledged ones: no hash bytes for those.
    const chunks = ofType(r.frames, 'chunk')
    const payloads = chunks.map((c) => openChunk(c, { shortSha: true }))
    expect(payloads.some((p) => p.o !== undefined)).toBe(true)
    expect(r.welcomes).toEqual([first, `${first}.1`, `${first}.2`])
    expect(r.sessionIds).toEqual(expect.arrayContaining(r.welcomes))
    expect(ofType(r.frames, 'fin').every((f) => f.sync === undefined)).toBe(true)
    expect(r.tokens).toEqual(r.welcomes)
    expect(r.relayToken).toBe(r.tokens.at(-1))
    expect(chunks.length).toBeGreaterThanOrEqual(4)
    expect(chunks.every((c) => c.sha.length === 8)).toBe(true)
    // Frames of one tick leave as one message (an ack and fin, a chunk and done).
    expect(r.messages).toBeLessThan(r.frames.length - 3)
  })

  it('sends every frame in full to a vessel that does not offer them', async () => {
    const r = await threeRounds(false)
    expect(r.converged).toBe(true)
    const welcomes = ofType(r.frames, 'welcome')
    expect(welcomes).toHaveLength(3)
    expect(
      welcomes.every(
        (w) =>
          typeof w.session === 'string' &&
          w.n === undefined &&
          w.k === undefined &&
          w.o === undefined &&
          w.m === undefined &&
          w.e === undefined,
      ),
    ).toBe(true)
    expect(ofType(r.frames, 'fin').every((f) => typeof f.sync === 'string' && f.sync !== '')).toBe(true)
    expect(new Set(r.tokens).size).toBe(3)
    expect(r.tokens.some((t) => r.welcomes.includes(t))).toBe(false)
    expect(ofType(r.frames, 'chunk').every((c) => c.sha.length === 32)).toBe(true)
    expect(r.messages).toBe(r.frames.length)
  })
})

describe('between rounds', { timeout: 60_000 }, () => {
  it('keeps a quiet connection open past the round idle limit, until the keepalive says otherwise', async () => {
    const dir = tempDir()
    cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }))
    // A round may go 300 ms without a frame; a quiet connection waits for the keepalive (an hour).
    const relay = await startRelay(dir, 0, { roundIdleMs: 300 })
    cleanups.push(() => relay.close())
    seedRelay(relay, 5, randomBytes(16).toString('hex'))
    const vessel = vesselSide(dir)
    cleanups.push(() => vessel.db.close())
    const connection = new RelayConnection({ url: relay.url, logger, keepaliveS: 3600 })
    cleanups.push(() => connection.close())
    await connection.ready()
    const round = () => roundOn(connection, vessel, relay.url, relay.token)
    await round()
    // A round that ends on the vessel's chunk: the relay's ack and fin are the last frames of it.
    vessel.store.edit(documentIdFor(keyOf(1)), vessel.actor, (d) =>
      applyPatch(d, { physical: { condition: 'DAMAGED', damage: 'dent' } }, 'vessel'),
    )
    await round()
    // Nothing follows for a while: longer than a round may idle, far shorter than the keepalive.
    await new Promise((r) => setTimeout(r, 1_500))
    expect(connection.isOpen).toBe(true)
    await round()
    expect(headsEqual(relay, vessel, 5)).toBe(true)
  })
})
