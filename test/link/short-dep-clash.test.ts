/**
 * A short dependency that clashes (docs/protocol.md, "Short dependencies"): the relay names a
 * change the vessel holds by a 2-byte prefix that one of the vessel's own unsent changes shares.
 * The vessel answers `miss` and the relay starts the document over; whatever order the vessel's
 * chunk and the relay's acknowledgement cross in, both sides must converge with true cursors.
 */
import { afterEach, describe, expect, it } from 'vitest'
import fs from 'node:fs'
import path from 'node:path'
import { randomBytes } from 'node:crypto'
import * as A from '@automerge/automerge'
import { appendReading, applyPatch, documentIdFor } from '@tally/manifest'
import {
  changeHash,
  ChunkPacker,
  decodeFrame,
  openChunk,
  planDocument,
  RelayLinkSession,
  VesselLinkSession,
} from '@tally/link'
import type { IngestResult, PlannedChunk } from '@tally/link'
import type { SqliteLinkReplica } from '@tally/replica'
import {
  headsEqual,
  keyOf,
  openSide,
  relayLinkReplica,
  seedRelay,
  tempDir,
  VESSEL,
  vesselSide,
} from './fixtures.ts'

const cleanups: (() => Promise<unknown> | unknown)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

type Replica = SqliteLinkReplica

/** Plans and packs everything `from` has for its peer, on a connection with short dependencies. */
function chunksOf(from: Replica): PlannedChunk[] {
  const plans = from.outgoing().flatMap((d) => planDocument(d))
  const packer = new ChunkPacker(plans, (a) => from.bindingOf(a))
  packer.useRawChunks(true)
  const out: PlannedChunk[] = []
  for (let c = packer.next(); c; c = packer.next()) out.push(c)
  return out
}

function deliver(chunks: PlannedChunk[], to: Replica): IngestResult[] {
  return chunks.map((c) => to.ingest(openChunk(c.frame)))
}

function ack(from: Replica, chunks: PlannedChunk[], results: IngestResult[]): void {
  chunks.forEach((c, i) => from.acknowledged(c.entries, results[i]!.missing))
}

function setup() {
  const dir = tempDir()
  cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }))
  const relay = openSide(path.join(dir, 'relay.sqlite'))
  const vessel = vesselSide(dir)
  cleanups.push(
    () => relay.db.close(),
    () => vessel.db.close(),
  )
  const shore = randomBytes(16).toString('hex')
  seedRelay(relay, 1, shore)
  const relayReplica = relayLinkReplica(relay)
  return { relay, vessel, relayReplica, shore }
}

/**
 * Gives the vessel a reading of its own, not yet sent, whose hash starts with the 2-byte prefix of
 * `dep`: the same reading at other times until one matches (about 65,000 tries).
 */
function clashingReading(s: ReturnType<typeof setup>, dep: string, at: string): void {
  const docId = documentIdFor(keyOf(0))
  const mine = appendReading(
    A.clone(s.vessel.store.load(docId)!, { actor: s.vessel.actor as A.ActorId }),
    { at, supplyC: 4, returnC: 5 },
    'vessel',
  )
  const template = A.decodeChange(A.getLastLocalChange(mine)!)
  for (let t = 1; t < 2_000_000; t++) {
    const bytes = A.encodeChange({ ...template, time: template.time + t })
    if (!changeHash(bytes).startsWith(dep.slice(0, 4))) continue
    s.vessel.store.applyRemote(docId, keyOf(0), [bytes])
    return
  }
  throw new Error('no clashing change found')
}

/** One session in order: each side's chunks reach the other, then the acks come back. */
function session(s: ReturnType<typeof setup>): void {
  const down = chunksOf(s.relayReplica)
  const up = chunksOf(s.vessel.replica)
  const downResults = deliver(down, s.vessel.replica)
  const upResults = deliver(up, s.relayReplica)
  ack(s.relayReplica, down, downResults)
  ack(s.vessel.replica, up, upResults)
}

describe('a short dependency that clashes with the receiver’s own change', { timeout: 120_000 }, () => {
  for (const order of ['ack before chunk', 'chunk before ack'] as const)
    it(`converges when the relay gets the miss ${order === 'ack before chunk' ? 'before' : 'after'} the vessel’s chunk`, () => {
      const s = setup()
      const docId = documentIdFor(keyOf(0))
      const key = keyOf(0)
      session(s)
      // D: a shore change the vessel receives and acknowledges.
      s.relay.store.edit(docId, s.shore, (d) =>
        applyPatch(d, { customs: { status: 'HELD', holdReason: 'x' } }, 'shore'),
      )
      session(s)
      expect(headsEqual(s.relay, s.vessel, 1)).toBe(true)
      const [dep] = A.getHeads(s.relay.store.load(docId)!)
      // V: the vessel's own change on D, made (by its time) to start with D's 2-byte prefix.
      clashingReading(s, dep!, '2026-11-01T00:00:00Z')
      // S: a shore change on D, which the relay names by D's 2-byte prefix.
      s.relay.store.edit(docId, s.shore, (d) => applyPatch(d, { customs: { status: 'RELEASED' } }, 'shore'))
      const down = chunksOf(s.relayReplica)
      const up = chunksOf(s.vessel.replica)
      const downResults = deliver(down, s.vessel.replica)
      expect(downResults.flatMap((r) => r.missing)).toEqual([key.containerId])
      if (order === 'ack before chunk') {
        ack(s.relayReplica, down, downResults)
        ack(s.vessel.replica, up, deliver(up, s.relayReplica))
      } else {
        const upResults = deliver(up, s.relayReplica)
        ack(s.relayReplica, down, downResults)
        ack(s.vessel.replica, up, upResults)
      }
      // The vessel edits on while the document comes again: the relay's copy echoes the vessel's
      // clashing change without the reading built on it.
      s.vessel.store.edit(docId, s.vessel.actor, (d) =>
        appendReading(d, { at: '2026-11-01T11:00:00Z', supplyC: 4, returnC: 5 }, 'vessel'),
      )
      session(s)
      session(s)
      // The rows as sessions left them (lists and the fleet bench read them), before any load.
      const rows = [s.relay, s.vessel].map((side) => [...JSON.parse(side.store.row(docId)!.heads)].sort())
      expect(headsEqual(s.relay, s.vessel, 1)).toBe(true)
      expect(rows).toEqual([0, 1].map(() => [...A.getHeads(s.relay.store.load(docId)!)].sort()))
      expect(s.relayReplica.pendingCount()).toBe(0)
      expect(s.vessel.replica.pendingCount()).toBe(0)
      const relayHeads = [...A.getHeads(s.relay.store.load(docId)!)].sort()
      expect([...(s.vessel.cursors.getHeads('relay', docId) ?? [])].sort()).toEqual(relayHeads)
      expect([...(s.relay.cursors.getHeads(VESSEL, docId) ?? [])].sort()).toEqual(relayHeads)
      expect(s.relayReplica.pendingCount()).toBe(0)
    })
})

/**
 * One session through the real session engines, frames exchanged in memory: each round delivers
 * everything queued, to the relay first or to the vessel first (the two orders a crossing takes).
 */
async function engineSession(s: ReturnType<typeof setup>, relayFirst: boolean): Promise<string> {
  const toRelay: Uint8Array[] = []
  const toVessel: Uint8Array[] = []
  const relay = new RelayLinkSession(
    s.relayReplica,
    { send: (b) => toVessel.push(b), close: () => undefined },
    {
      session: 'test',
      cursorsTrusted: true,
      budget: null,
      newSyncToken: () => 'test-sync',
      compression: 'offer',
    },
  )
  const vessel = new VesselLinkSession(
    s.vessel.replica,
    { send: (b) => toRelay.push(b), close: () => undefined },
    { vessel: VESSEL, token: 'unused', sync: 'test-sync' },
    undefined,
    { compress: true, lean: false },
  )
  let outcome: string | undefined
  vessel.on('complete', () => (outcome ??= 'complete'))
  vessel.on('failed', (e) => (outcome ??= e.message))
  vessel.open()
  const hello = decodeFrame(toRelay.shift()!)
  if (hello.t !== 'hello') throw new Error('expected hello')
  relay.start(hello)
  let quiet = 0
  for (let round = 0; round < 1000 && outcome === undefined; round++) {
    if (toRelay.length === 0 && toVessel.length === 0) {
      if (++quiet > 100) outcome = 'stalled'
      await new Promise((resolve) => setTimeout(resolve, 5))
      continue
    }
    quiet = 0
    const up = () => {
      for (const b of toRelay.splice(0)) relay.receive(decodeFrame(b), b.length)
    }
    const down = () => {
      for (const b of toVessel.splice(0)) vessel.receive(decodeFrame(b), b.length)
    }
    if (relayFirst) {
      up()
      down()
    } else {
      down()
      up()
    }
  }
  return outcome ?? 'no outcome'
}

describe('a clashing short dependency through the session engines', { timeout: 120_000 }, () => {
  for (const relayFirst of [true, false])
    it(`converges with frames delivered to the ${relayFirst ? 'relay' : 'vessel'} first`, async () => {
      const s = setup()
      const docId = documentIdFor(keyOf(0))
      const reading = (h: number) =>
        s.vessel.store.edit(docId, s.vessel.actor, (d) =>
          appendReading(
            d,
            { at: new Date(Date.UTC(2026, 10, 1, h)).toISOString(), supplyC: 4, returnC: 5 },
            'vessel',
          ),
        )
      await engineSession(s, relayFirst)
      for (let h = 0; h < 5; h++) reading(h)
      await engineSession(s, relayFirst)
      s.relay.store.edit(docId, s.shore, (d) =>
        applyPatch(d, { customs: { status: 'HELD', holdReason: 'x' } }, 'shore'),
      )
      await engineSession(s, relayFirst)
      expect(headsEqual(s.relay, s.vessel, 1)).toBe(true)
      const [dep] = A.getHeads(s.relay.store.load(docId)!)
      clashingReading(s, dep!, '2026-11-01T10:00:00Z')
      s.relay.store.edit(docId, s.shore, (d) => applyPatch(d, { customs: { status: 'RELEASED' } }, 'shore'))
      for (let i = 0; i < 6; i++) {
        if (i < 3) reading(20 + i)
        expect(await engineSession(s, relayFirst)).toBe('complete')
      }
      // The rows (what lists and the fleet bench read) before anything loads the documents.
      const rows = [s.relay, s.vessel].map((side) => [...JSON.parse(side.store.row(docId)!.heads)].sort())
      const relayHeads = [...A.getHeads(s.relay.store.load(docId)!)].sort()
      const vesselHeads = [...A.getHeads(s.vessel.store.load(docId)!)].sort()
      expect(rows).toEqual([relayHeads, relayHeads])
      expect(vesselHeads).toEqual(relayHeads)
      expect([...(s.vessel.cursors.getHeads('relay', docId) ?? [])].sort()).toEqual(relayHeads)
      expect([...(s.relay.cursors.getHeads(VESSEL, docId) ?? [])].sort()).toEqual(relayHeads)
      expect(s.relayReplica.pendingCount()).toBe(0)
    })
})
