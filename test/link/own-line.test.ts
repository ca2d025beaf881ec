/**
 * Own-line dependencies (docs/protocol.md, "Own-line dependencies"): on a lean connection, an edit
 * that depends only on the same actor's previous edit, which the peer acknowledged, names it by
 * OWN_LINE instead of hash bytes. Real replicas on SQLite on both sides; chunks packed as on a lean
 * connection and ingested through the one admission path. The receiver must rebuild exactly what
 * the sender holds, or store nothing and ask for the document again.
 */
import { afterEach, describe, expect, it } from 'vitest'
import fs from 'node:fs'
import path from 'node:path'
import { randomBytes } from 'node:crypto'
import { addEvidence, applyPatch, documentIdFor, evidenceOf, newSigningKey } from '@tally/manifest'
import {
  APPENDIX,
  ChunkPacker,
  NO_LEAN_FORMS,
  OWN_LINE,
  openChunk,
  planDocument,
  readEntry,
} from '@tally/link'
import type { ChunkPayload, IngestResult, PlannedChunk } from '@tally/link'
import type { SqliteLinkReplica } from '@tally/replica'
import { evidenceForEdit } from '../../vessel-node/src/evidence-signer.ts'
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

const N = 3
const cleanups: (() => Promise<unknown> | unknown)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

type Replica = SqliteLinkReplica

/** Everything `from` has for its peer, packed as on a lean connection (OWN_LINE on or off). */
function chunksOf(from: Replica, ownLine = true): PlannedChunk[] {
  const plans = from.outgoing().flatMap((d) => planDocument(d))
  const packer = new ChunkPacker(plans, (a) => from.bindingOf(a))
  packer.useRawChunks(true)
  packer.useLean(true)
  packer.useLeanForms({ ...NO_LEAN_FORMS, ownLine })
  const out: PlannedChunk[] = []
  for (let c = packer.next(); c; c = packer.next()) out.push(c)
  return out
}

const payloadsOf = (chunks: PlannedChunk[]) => chunks.map((c) => openChunk(c.frame, { shortSha: true }))

function sync(
  from: Replica,
  to: Replica,
  ownLine = true,
): { payloads: ChunkPayload[]; results: IngestResult[] } {
  const chunks = chunksOf(from, ownLine)
  const payloads = payloadsOf(chunks)
  const results = payloads.map((p) => to.ingest(p))
  chunks.forEach((c, i) => from.acknowledged(c.entries, results[i]!.missing))
  return { payloads, results }
}

const ownLineDeps = (payloads: ChunkPayload[]) =>
  payloads
    .flatMap((p) => p.entries.flatMap((e) => (e.k ?? []).flatMap((c) => c[5])))
    .filter((d) => d === OWN_LINE)

function setup() {
  const dir = tempDir()
  cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }))
  const relay = openSide(path.join(dir, 'relay.sqlite'))
  const vessel = vesselSide(dir)
  cleanups.push(
    () => relay.db.close(),
    () => vessel.db.close(),
  )
  seedRelay(relay, N, randomBytes(16).toString('hex'))
  const relayReplica = relayLinkReplica(relay)
  // The documents reach the vessel, and a first crew edit each reaches the relay: from here on, the
  // vessel's edits depend on an acknowledged edit of its own.
  sync(relayReplica, vessel.replica)
  const edit = (round: number, time: number) => {
    for (let i = 0; i < N; i++)
      vessel.store.edit(documentIdFor(keyOf(i)), vessel.actor, (d) =>
        applyPatch(d, { physical: { condition: 'DAMAGED', damage: `dent ${round}` } }, 'vessel', time),
      )
  }
  edit(0, 1_000)
  sync(vessel.replica, relayReplica)
  return { relay, vessel, relayReplica, edit }
}

describe('own-line dependencies', { timeout: 60_000 }, () => {
  it('names an acknowledged edit of the same actor by OWN_LINE, proves it with 4 bytes a chunk, and converges', () => {
    const s = setup()
    s.edit(1, 2_000)
    const { payloads, results } = sync(s.vessel.replica, s.relayReplica)
    expect(ownLineDeps(payloads)).toHaveLength(N)
    expect(payloads.every((p) => p.o?.length === 4)).toBe(true)
    // No hash bytes at all for these dependencies.
    const prefixes = payloads.flatMap((p) => p.entries.flatMap((e) => (e.k ?? []).flatMap((c) => c[5])))
    expect(prefixes.filter((d) => d instanceof Uint8Array)).toEqual([])
    expect(results.every((r) => r.missing.length === 0 && r.rejected.length === 0)).toBe(true)
    expect(headsEqual(s.relay, s.vessel, N)).toBe(true)
    // A receiver that never agreed to OWN_LINE says the entry is corrupt rather than guessing.
    const entry = payloads[0]!.entries[0]!
    expect(() => readEntry(entry, { ...keyOf(0), containerId: entry.c }, payloads[0]!.ax)).toThrow(
      /own-line dependency on a connection that did not agree to it/,
    )
  })

  it('sends the appendix of a first signed finding as one number, and the relay derives it', () => {
    const s = setup()
    const signer = newSigningKey()
    for (let i = 0; i < N; i++) {
      const key = keyOf(i)
      s.vessel.store.edit(documentIdFor(key), s.vessel.actor, (d) => {
        const after = applyPatch(d, { physical: { condition: 'DAMAGED', damage: 'hole' } }, 'vessel', 2_000)
        const recorder = { vessel: VESSEL, crew: 'bosun', signer, now: '1970-01-01T00:33:20Z' }
        return addEvidence(after, evidenceForEdit(d, after, key, recorder), 'vessel', 2_000)
      })
    }
    const { payloads, results } = sync(s.vessel.replica, s.relayReplica)
    const changes = payloads.flatMap((p) => p.entries.flatMap((e) => e.k ?? []))
    expect(changes.filter((c) => c[6] === APPENDIX)).toHaveLength(N)
    expect(results.every((r) => r.missing.length === 0 && r.rejected.length === 0)).toBe(true)
    expect(headsEqual(s.relay, s.vessel, N)).toBe(true)
    expect(evidenceOf(s.relay.store.load(documentIdFor(keyOf(0)))!)).toHaveLength(1)
  })

  it('rebuilds the same changes when a chunk comes again after its ack was lost', () => {
    const s = setup()
    s.edit(1, 2_000)
    const chunks = chunksOf(s.vessel.replica)
    const first = payloadsOf(chunks).map((p) => s.relayReplica.ingest(p))
    expect(first.every((r) => r.missing.length === 0)).toBe(true)
    // The ack never arrived: the vessel plans the same edits again, and the relay holds them already.
    const again = sync(s.vessel.replica, s.relayReplica)
    expect(ownLineDeps(again.payloads)).toHaveLength(N)
    expect(again.results.every((r) => r.missing.length === 0 && r.rejected.length === 0)).toBe(true)
    expect(headsEqual(s.relay, s.vessel, N)).toBe(true)
  })

  it('stores nothing and asks for the documents again when the changes do not give the check', () => {
    const s = setup()
    s.edit(1, 2_000)
    const before = [...Array(N).keys()].map((i) => s.relay.store.row(documentIdFor(keyOf(i)))!.heads)
    const chunks = chunksOf(s.vessel.replica)
    const payloads = payloadsOf(chunks)
    for (const p of payloads) p.o = Uint8Array.from(p.o!, (b) => b ^ 0xff)
    const results = payloads.map((p) => s.relayReplica.ingest(p))
    expect(results.flatMap((r) => r.missing).sort()).toEqual(
      [...Array(N).keys()].map((i) => keyOf(i).containerId).sort(),
    )
    expect([...Array(N).keys()].map((i) => s.relay.store.row(documentIdFor(keyOf(i)))!.heads)).toEqual(before)
    // The vessel starts those documents over from their genesis, and both sides converge.
    chunks.forEach((c, i) => s.vessel.replica.acknowledged(c.entries, results[i]!.missing))
    sync(s.vessel.replica, s.relayReplica)
    expect(headsEqual(s.relay, s.vessel, N)).toBe(true)
  })

  it('keeps hash bytes where a later edit of the line is older than the edit (a clock set back)', () => {
    const s = setup()
    s.edit(1, 3_000)
    s.edit(2, 2_500)
    const { payloads, results } = sync(s.vessel.replica, s.relayReplica)
    expect(ownLineDeps(payloads)).toEqual([])
    expect(results.every((r) => r.missing.length === 0)).toBe(true)
    expect(headsEqual(s.relay, s.vessel, N)).toBe(true)
  })

  it('keeps hash bytes for an edit in the same second as the one before, and on connections without it', () => {
    const s = setup()
    s.edit(1, 1_000)
    const sameSecond = sync(s.vessel.replica, s.relayReplica)
    expect(ownLineDeps(sameSecond.payloads)).toEqual([])
    s.edit(2, 4_000)
    const off = sync(s.vessel.replica, s.relayReplica, false)
    expect(ownLineDeps(off.payloads)).toEqual([])
    expect(off.payloads.every((p) => p.o === undefined)).toBe(true)
    expect(headsEqual(s.relay, s.vessel, N)).toBe(true)
  })
})
