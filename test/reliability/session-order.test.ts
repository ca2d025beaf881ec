/**
 * Delivery order at the protocol level, without sockets: the two session engines exchange frames
 * through queues this test controls, so chunks can arrive twice or out of order deterministically.
 * Whatever the order, nothing is lost: the replicas converge within a few sessions.
 */
import { afterEach, describe, expect, it } from 'vitest'
import fs from 'node:fs'
import path from 'node:path'
import { randomBytes } from 'node:crypto'
import { decodeFrame, openChunk, RelayLinkSession, VesselLinkSession } from '@tally/link'
import type { LinkFrame } from '@tally/link'
import {
  headsEqual,
  openSide,
  relayLinkReplica,
  seedRelay,
  startRelay,
  syncOnce,
  tempDir,
  VESSEL,
  vesselDay,
  vesselSide,
} from '../link/fixtures.ts'

const N = 60
const cleanups: (() => Promise<unknown> | unknown)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

async function setup() {
  const dir = tempDir()
  cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }))
  const server = await startRelay(dir)
  seedRelay(server, N, randomBytes(16).toString('hex'))
  const vessel = vesselSide(dir)
  await syncOnce(vessel, server.url, server.token)
  await server.close()
  const relay = openSide(path.join(dir, 'relay.sqlite'))
  cleanups.push(
    () => relay.db.close(),
    () => vessel.db.close(),
  )
  // Two days: a critical chunk (damage), a normal one (lashing checks) and routine readings.
  for (let day = 0; day < 2; day++) vesselDay(vessel, N, day)
  const relayReplica = relayLinkReplica(relay)
  return { relay, relayReplica, vessel }
}

type Order = (frames: LinkFrame[]) => LinkFrame[]
/** The vessel's frames of the last session, as the relay received them. */
const seen: LinkFrame[] = []

/**
 * One session where the vessel's chunk frames reach the relay in the order `order` gives them
 * (everything else flows in order). Resolves with the vessel's outcome.
 */
async function session(
  s: Awaited<ReturnType<typeof setup>>,
  order: Order,
  helloVersion?: number,
): Promise<'complete' | string> {
  const toRelay: Uint8Array[] = []
  const toVessel: Uint8Array[] = []
  const relay = new RelayLinkSession(
    s.relayReplica,
    { send: (b) => toVessel.push(b), close: () => undefined },
    { session: 'test', cursorsTrusted: true, budget: null, newSyncToken: () => 'test-sync' },
  )
  const vessel = new VesselLinkSession(
    s.vessel.replica,
    { send: (b) => toRelay.push(b), close: () => undefined },
    { vessel: VESSEL, token: 'unused', sync: 'test-sync' },
  )
  let outcome: string | undefined
  seen.length = 0
  vessel.on('complete', () => (outcome ??= 'complete'))
  vessel.on('failed', (e) => (outcome ??= e.message))
  vessel.open()
  const hello = decodeFrame(toRelay.shift()!)
  if (hello.t !== 'hello') throw new Error('expected hello')
  if (helloVersion !== undefined) hello.v = helloVersion
  relay.start(hello)
  // Bounded: each round delivers everything queued, vessel's chunks in the order under test.
  // Planning yields to the event loop, so an empty round waits a little before calling it stalled.
  let quiet = 0
  for (let round = 0; round < 1000 && outcome === undefined; round++) {
    if (toRelay.length === 0 && toVessel.length === 0) {
      if (++quiet > 200) outcome = 'stalled'
      await new Promise((resolve) => setTimeout(resolve, 10))
      continue
    }
    quiet = 0
    const up = toRelay.splice(0).map((b) => decodeFrame(b))
    seen.push(...up)
    const chunks = order(up.filter((f) => f.t === 'chunk'))
    const others = up.filter((f) => f.t !== 'chunk')
    // A `done` travels after the chunks unless the order function moved chunks past it on purpose.
    for (const f of [...chunks.filter((c: any) => !c.late), ...others, ...chunks.filter((c: any) => c.late)])
      relay.receive(f, 0)
    for (const b of toVessel.splice(0)) vessel.receive(decodeFrame(b), b.length)
  }
  return outcome ?? 'no outcome'
}

describe('chunk delivery order', { timeout: 120_000 }, () => {
  it('converges when the vessel’s chunks arrive in reverse order', async () => {
    const s = await setup()
    const outcomes: string[] = []
    for (let i = 0; i < 5 && !headsEqual(s.relay, s.vessel, N); i++)
      outcomes.push(await session(s, (c) => [...c].reverse()))
    expect(headsEqual(s.relay, s.vessel, N)).toBe(true)
    expect(s.relay.deadLetters.counts().open).toBe(0)
    console.log('[reliability] reversed: ' + JSON.stringify(outcomes))
    expect(outcomes.length).toBeLessThanOrEqual(3)
  })

  it('syncs a vessel that speaks protocol version 1 with bundles', async () => {
    const s = await setup()
    expect(await session(s, (c) => c, 1)).toBe('complete')
    const chunks = seen.filter((f) => f.t === 'chunk')
    expect(chunks.length).toBeGreaterThan(0)
    for (const c of chunks) for (const e of openChunk(c).entries) expect(e.b).toBeInstanceOf(Uint8Array)
    expect(headsEqual(s.relay, s.vessel, N)).toBe(true)
  })

  it('converges when every chunk arrives twice', async () => {
    const s = await setup()
    const outcomes: string[] = []
    for (let i = 0; i < 5 && !headsEqual(s.relay, s.vessel, N); i++)
      outcomes.push(await session(s, (c) => c.flatMap((x) => [x, x])))
    expect(headsEqual(s.relay, s.vessel, N)).toBe(true)
    expect(s.relay.deadLetters.counts().open).toBe(0)
  })

  // A receiver counts distinct seqs, so a duplicate that arrives before `done`, with a genuine
  // chunk still behind `done`, does not make the relay finish early.
  it('completes in one session when a duplicate arrives before done and a chunk after it', async () => {
    const s = await setup()
    const outcome = await session(s, (c) =>
      c.length < 2 ? c : [c[0]!, c[0]!, ...c.slice(1, -1), Object.assign({}, c.at(-1)!, { late: true })],
    )
    console.log('[reliability] early-done outcome: ' + outcome)
    expect(outcome).toBe('complete')
  })
})
