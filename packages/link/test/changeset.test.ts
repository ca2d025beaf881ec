import { describe, expect, it } from 'vitest'
import * as A from '@automerge/automerge'
import { brotliCompressSync } from 'node:zlib'
import { applyPatch, appendReading, createContainerDoc, withCheckDigit } from '@tally/manifest'
import {
  advanceHeads,
  changeHash,
  changeInfoIn,
  ChunkError,
  ChunkPacker,
  CompactError,
  openChunk,
  packChunks,
  planDocument,
  planOutbox,
  readEntry,
  sha256,
} from '../src/index.ts'
import { encodeValue } from '../src/codec.ts'
import type { ChunkPayload, PayloadEntry } from '../src/index.ts'

const key = (i: number) => ({
  vessel: 'IMO9811000',
  voyage: '024E',
  containerId: withCheckDigit('TGHU' + String(100000 + i)),
})
const crew = 'c1'.repeat(16)

/** Applies an opened entry to a replica's document, resolving compact dependencies in its history. */
function applyEntry<T>(doc: A.Doc<T>, e: PayloadEntry, payload: ChunkPayload): A.Doc<T> {
  const history = A.getChangesMetaSince(doc, [])
  const hashes = history.map((m) => m.hash)
  const k = { vessel: key(0).vessel, voyage: e.y, containerId: e.c }
  // A prefix of 8 bytes, or shorter on a compressed connection: the one change it names.
  const resolve = (p: string) => {
    const found = hashes.filter((h) => h.startsWith(p))
    return found.length === 1 ? found[0] : undefined
  }
  // Derived counters follow from the dependencies' own.
  const info = (hash: string) => {
    const m = history.find((c) => c.hash === hash)
    return m && { actor: m.actor, seq: m.seq, maxOp: m.maxOp }
  }
  const { bytes } = readEntry(e, k, payload.ax, resolve, info)
  return A.loadIncremental(doc, Buffer.concat(bytes))
}

function reeferWithDay(i: number, damage: boolean) {
  const base = createContainerDoc(key(i), '45R1', crew)
  let doc = base
  for (let h = 0; h < 24; h++)
    doc = appendReading(
      doc,
      { at: `2026-11-01T${String(h).padStart(2, '0')}:00:00Z`, supplyC: 4 + (h % 5) / 10, returnC: 5.1 },
      'vessel',
    )
  if (damage) doc = applyPatch(doc, { physical: { condition: 'DAMAGED', damage: 'dent' } }, 'vessel')
  for (let h = 0; h < 3; h++)
    doc = appendReading(doc, { at: `2026-11-02T0${h}:00:00Z`, supplyC: 4.2, returnC: 5.2 }, 'vessel')
  return { base, doc }
}

describe.each([
  ['compact (v2)', true],
  ['bundles (v1)', false],
])('change sets, %s', (_name, compact) => {
  it('puts a critical change and its dependencies in the first chunk, and routine readings last', () => {
    const docs = [0, 1, 2].map((i) => ({ i, ...reeferWithDay(i, i === 1) }))
    const plans = docs.flatMap(({ i, base, doc }) =>
      planDocument({ key: key(i), isoType: '45R1', doc, since: A.getHeads(base) }),
    )
    const chunks = packChunks(plans, () => undefined, 0, { compact })
    expect(chunks[0]!.priority).toBe(0)
    expect(chunks.map((c) => c.priority)).toEqual([...chunks.map((c) => c.priority)].sort())
    // The critical entry is causally closed: it applies on its own to the common base.
    const first = openChunk(chunks[0]!.frame)
    const entry = first.entries[0]!
    expect(entry.k !== undefined).toBe(compact)
    const applied = applyEntry(A.clone(docs[1]!.base), entry, first)
    expect(A.getMissingDeps(applied, [])).toEqual([])
    expect(String(applied.physical.condition)).toBe('DAMAGED')
    // Everything together converges to the sender's heads.
    let all = A.clone(docs[1]!.base)
    for (const c of chunks) {
      const payload = openChunk(c.frame)
      for (const e of payload.entries) if (e.c === key(1).containerId) all = applyEntry(all, e, payload)
    }
    expect(A.getHeads(all).sort()).toEqual(A.getHeads(docs[1]!.doc).sort())
  })
})

describe('planning while sending', () => {
  const outgoing = (i: number, damage: boolean, mayBeCritical?: boolean) => {
    const { base, doc } = reeferWithDay(i, damage)
    return { key: key(i), isoType: '45R1', doc, since: A.getHeads(base), mayBeCritical }
  }

  it('holds a chunk until every higher priority is complete, and a part-full one until its own is', () => {
    const packer = new ChunkPacker([], () => undefined, 0, { complete: false })
    const plans = [outgoing(0, false), outgoing(1, true)].flatMap(planDocument)
    // A damage report (critical, with the readings it builds on) and readings (routine).
    expect(plans.map((p) => p.priority).sort()).toEqual([0, 2, 2])
    packer.add(plans.filter((p) => p.priority > 0))
    // Routine entries are planned, but a critical or normal one may still come.
    expect(packer.next()).toBeUndefined()
    packer.add(plans.filter((p) => p.priority === 0))
    expect(packer.next()).toBeUndefined() // the critical class is not complete: more may come
    packer.complete(1)
    expect(packer.next()?.priority).toBe(0)
    // Routine waits until normal is complete, and a part-full chunk until routine is too.
    expect(packer.next()).toBeUndefined()
    packer.complete(2)
    expect(packer.next()).toBeUndefined()
    expect(packer.done).toBe(false)
    packer.complete(3)
    expect(packer.next()?.priority).toBe(2)
    expect(packer.next()).toBeUndefined()
    expect(packer.done).toBe(true)
  })

  it('completes the critical class after the documents that may hold one, before planning the rest', async () => {
    const docs = [outgoing(5, true, true), outgoing(6, false, false), outgoing(7, false, false)]
    const events: string[] = []
    await planOutbox(
      docs,
      {
        add: (plans) => plans.forEach((p) => events.push(`${p.key.containerId}:${p.priority}`)),
        complete: (priority) => events.push(`complete ${priority}`),
      },
      { hinted: true },
    )
    const firstOther = events.findIndex((e) => e.startsWith(key(6).containerId))
    expect(events.indexOf('complete 1')).toBeGreaterThan(events.indexOf(`${key(5).containerId}:0`))
    expect(events.indexOf('complete 1')).toBeLessThan(firstOther)
    expect(events.at(-1)).toBe('complete 3')
  })

  it('without hints completes nothing until every document is planned', async () => {
    const docs = [outgoing(5, true, true), outgoing(6, false, false)]
    const events: string[] = []
    await planOutbox(docs, {
      add: (plans) => plans.forEach((p) => events.push(`plan ${p.priority}`)),
      complete: (priority) => events.push(`complete ${priority}`),
    })
    expect(events.filter((e) => e.startsWith('complete'))).toEqual(['complete 3'])
    expect(events.at(-1)).toBe('complete 3')
  })
})

describe('change sets', () => {
  it('rebuilds compact changes byte for byte, including text, messages and a genesis', () => {
    let doc = createContainerDoc(key(20), '45R1', crew)
    doc = applyPatch(doc, { notes: 'Lashing checked at bay 14; ok' }, 'vessel')
    doc = A.change(doc, { message: 'crew note', time: 1_795_000_000 }, (d: any) => {
      A.splice(d, ['notes'], 0, 5, 'Lash')
    })
    const chunks = packChunks(
      planDocument({ key: key(20), isoType: '45R1', doc, since: [] }),
      () => undefined,
    )
    let rebuilt = A.init<any>()
    for (const c of chunks) {
      const payload = openChunk(c.frame)
      for (const e of payload.entries) {
        expect(e.k).toBeDefined()
        rebuilt = applyEntry(rebuilt, e, payload)
      }
    }
    expect(A.getHeads(rebuilt).sort()).toEqual(A.getHeads(doc).sort())
    expect(String(rebuilt.notes)).toBe(String(doc.notes))
  })

  it('is smaller on the wire than bundles for a day of small edits to many containers', () => {
    const plans = Array.from({ length: 40 }, (_, i) => reeferWithDay(30 + i, i % 7 === 0)).flatMap(
      ({ base, doc }, i) => planDocument({ key: key(30 + i), isoType: '45R1', doc, since: A.getHeads(base) }),
    )
    const wire = (compact: boolean) =>
      packChunks(plans, () => undefined, 0, { compact }).reduce((n, c) => n + c.frame.data.length, 0)
    expect(wire(true)).toBeLessThan(wire(false) * 0.9)
  })

  it('says a dependency is missing, rather than corrupt, when the receiver lacks it', () => {
    const { base, doc } = reeferWithDay(8, false)
    const [chunk] = packChunks(
      planDocument({ key: key(8), isoType: '45R1', doc, since: A.getHeads(base) }),
      () => undefined,
    )
    const payload = openChunk(chunk!.frame)
    const e = payload.entries[0]!
    const k = { vessel: key(0).vessel, voyage: e.y, containerId: e.c }
    expect(() => readEntry(e, k, payload.ax, () => undefined)).toThrow(CompactError)
    // An actor reference past the table is malformed, found before any change is rebuilt.
    const bad = { ...payload, entries: [{ ...e, k: e.k!.map((c) => [7, ...c.slice(1)]) }] }
    const data = brotliCompressSync(encodeValue(bad))
    expect(() => openChunk({ ...chunk!.frame, data, sha: sha256(data) })).toThrow(/malformed/)
  })

  it('advances cursors to the heads each entry brings the peer to', () => {
    const { base, doc } = reeferWithDay(7, true)
    const plans = planDocument({ key: key(7), isoType: '45R1', doc, since: A.getHeads(base) })
    const last = plans.at(-1)!
    expect(advanceHeads(last.fromHeads, last.changes).sort()).toEqual(A.getHeads(doc).sort())
  })

  it('sends nothing for a document the peer already has', () => {
    const { doc } = reeferWithDay(3, false)
    expect(planDocument({ key: key(3), isoType: '45R1', doc, since: A.getHeads(doc) })).toEqual([])
  })

  it('refuses a chunk whose checksum, compression or payload is wrong', () => {
    const { base, doc } = reeferWithDay(4, false)
    const [chunk] = packChunks(
      planDocument({ key: key(4), isoType: '45R1', doc, since: A.getHeads(base) }),
      () => undefined,
    )
    const corrupt = { ...chunk!.frame, data: chunk!.frame.data.slice() }
    corrupt.data[10]! ^= 0xff
    expect(() => openChunk(corrupt)).toThrow(/checksum/)
    const garbage = new Uint8Array([1, 2, 3, 4])
    expect(() => openChunk({ ...chunk!.frame, data: garbage, sha: sha256(garbage) })).toThrow(ChunkError)
    const wrongShape = brotliCompressSync(encodeValue({ entries: 'nope' }))
    expect(() => openChunk({ ...chunk!.frame, data: wrongShape, sha: sha256(wrongShape) })).toThrow(
      /malformed/,
    )
    expect(() =>
      readEntry({ c: 'x', y: 'y', b: new Uint8Array([0x85, 0x6f, 0x4a, 0x83, 1, 2, 3]) }, key(4)),
    ).toThrow(ChunkError)
  })
})

describe('short dependencies and derived counters (compressing connections)', () => {
  const { base, doc } = reeferWithDay(60, true)
  const plans = planDocument({ key: key(60), isoType: '45R1', doc, since: A.getHeads(base) })

  const packShort = () => {
    const packer = new ChunkPacker(plans, () => undefined)
    packer.useRawChunks(true)
    const chunks = []
    for (let c = packer.next(); c; c = packer.next()) chunks.push(c)
    return chunks
  }
  /** A receiver holding `base` and maybe more: what it resolves prefixes and counters against. */
  const receive = (held: A.Doc<unknown>) => {
    let replica = held
    for (const c of packShort()) {
      const payload = openChunk(c.frame)
      for (const e of payload.entries) {
        const history = () => A.getChangesMetaSince(replica, []).map((m) => m.hash)
        const resolve = (p: string) => {
          const m = history().filter((h) => h.startsWith(p))
          return m.length === 1 ? m[0] : undefined
        }
        const k = { vessel: key(0).vessel, voyage: e.y, containerId: e.c }
        const info = (h: string) => changeInfoIn(replica, h)
        const { bytes } = readEntry(e, k, payload.ax, resolve, info)
        replica = A.loadIncremental(replica, Buffer.concat(bytes))
      }
    }
    return replica
  }

  it('sends small chunks as plain CBOR, a dependency the peer holds in 2 bytes, and counters as 0', () => {
    const chunks = packShort()
    expect(chunks.every((c) => c.frame.z === 0)).toBe(true)
    const changes = chunks.flatMap((c) => openChunk(c.frame).entries.flatMap((e) => e.k ?? []))
    const outside = changes.flatMap((c) => c[5]).filter((d): d is Uint8Array => d instanceof Uint8Array)
    // What the peer acknowledged (the base) goes in 2 bytes; a change of an earlier entry of this
    // session, not acknowledged yet, keeps the full 8.
    expect(outside.filter((d) => d.length === 2).length).toBeGreaterThan(0)
    expect(outside.every((d) => d.length === 2 || d.length === 8)).toBe(true)
    // startOp follows from the dependencies always; seq once the crew's own change is among them.
    expect(changes.every((c) => c[2] === 0)).toBe(true)
    expect(changes.filter((c) => c[1] === 0).length).toBeGreaterThan(changes.length - 3)
  })

  it('rebuilds every change byte for byte at a receiver that holds the dependencies', () => {
    const rebuilt = receive(A.clone(base))
    expect(A.getHeads(rebuilt).sort()).toEqual(A.getHeads(doc).sort())
  })

  it('reports a prefix two changes of the receiver share as missing, never resolving it wrongly', () => {
    const dep = A.getHeads(base)[0]!
    const prefix = dep.slice(0, 4)
    // A change of the receiver's own, unknown to the sender, that starts like the dependency:
    // the same edit at another time until its hash does. Everything here is deterministic, and
    // time 129,489 was found once by searching from 0 (65,000 tries on average for 2 bytes).
    const own = A.change(A.clone(base, { actor: 'ee'.repeat(16) }), { time: 0 }, (d: any) => {
      d.notes = 'receiver only'
    })
    const template = A.decodeChange(A.getLastLocalChange(own)!)
    let held: A.Doc<any> = base
    let clash: string | undefined
    for (let t = 129_489; t < 129_489 + 1_000 && !clash; t++) {
      const bytes = A.encodeChange({ ...template, time: t })
      if (changeHash(bytes).startsWith(prefix)) {
        clash = changeHash(bytes)
        ;[held] = A.applyChanges(A.clone(base), [bytes])
      }
    }
    expect(clash).toBeDefined()
    expect(() => receive(held)).toThrow(CompactError)
  })
})

describe('lean chunks', () => {
  it('put their entries in time order, and genesis objects by absolute counter', () => {
    // Documents planned in one order, their new readings written in another across the hour.
    const docs = [0, 1, 2, 3, 4].map((i) => {
      const base = createContainerDoc(key(90 + i), '45R1', crew)
      const minute = [40, 5, 55, 20, 30][i]!
      const doc = A.change(base, { time: 1_795_000_000 + minute * 60 }, (d: any) => {
        d.reefer.readings.push({ at: '2026-11-02T14:00:00Z', supplyC: 4, returnC: 5 })
      })
      return { i, base, doc }
    })
    const plans = docs.flatMap(({ i, base, doc }) =>
      planDocument({ key: key(90 + i), isoType: '45R1', doc, since: A.getHeads(base) }),
    )
    const pack = (lean: boolean) => {
      const packer = new ChunkPacker(plans, () => undefined)
      packer.useRawChunks(true)
      packer.useLean(lean)
      const payloads = []
      for (let c = packer.next(); c; c = packer.next()) payloads.push(openChunk(c.frame, { shortSha: lean }))
      return payloads
    }
    const firstTimes = (payloads: ChunkPayload[]) =>
      payloads.flatMap((p) => p.entries.map((e) => e.k![0]![3]))
    const lean = firstTimes(pack(true))
    expect(lean).toEqual([...lean].sort((a, b) => a - b))
    expect(firstTimes(pack(false))).not.toEqual(lean)
    // The readings list is a genesis object: the same [counter, -1] in every document.
    const lists = pack(true).flatMap((p) =>
      p.entries.map((e) => JSON.stringify((e.k![0]![6] as unknown[][])[0]![1])),
    )
    expect(new Set(lists).size).toBe(1)
    expect(JSON.parse(lists[0]!)).toEqual([expect.any(Number), -1])
  })
})

describe('a lean round', () => {
  it('packs normal and routine entries in one chunk, and critical ones in their own', () => {
    // Three reefers: a damage report (critical), a note (normal), readings on all three (routine).
    const docs = [0, 1, 2].map((i) => {
      const { base, doc } = reeferWithDay(i, i === 0)
      const noted = i === 1 ? applyPatch(doc, { physical: { damage: 'scuffed paint' } }, 'vessel') : doc
      return { i, base, doc: noted }
    })
    const plans = docs.flatMap(({ i, base, doc }) =>
      planDocument({ key: key(i), isoType: '45R1', doc, since: A.getHeads(base) }),
    )
    expect(new Set(plans.map((p) => p.priority))).toEqual(new Set([0, 1, 2]))
    const pack = (lean: boolean) => {
      const packer = new ChunkPacker(plans, () => undefined)
      packer.useRawChunks(true)
      packer.useLean(lean)
      packer.useSharedChunks(lean)
      const chunks = []
      for (let c = packer.next(); c; c = packer.next()) chunks.push(c)
      return chunks
    }
    const lean = pack(true)
    expect(lean.map((c) => c.priority)).toEqual([0, 1])
    expect(new Set(lean[1]!.entries.map((e) => e.priority))).toEqual(new Set([1, 2]))
    // Everything still arrives: each document converges to the sender's heads.
    for (const { i, base, doc } of docs) {
      let got = A.clone(base)
      for (const c of lean) {
        const payload = openChunk(c.frame, { shortSha: true })
        for (const e of payload.entries) if (e.c === key(i).containerId) got = applyEntry(got, e, payload)
      }
      expect(A.getHeads(got).sort()).toEqual(A.getHeads(doc).sort())
    }
    // Otherwise (no lean rounds, or a daily budget), a chunk per class.
    expect(pack(false).map((c) => c.priority)).toEqual([0, 1, 2])
  })
})

describe('chunk checksums', () => {
  it('takes an 8-byte checksum only on a lean connection', () => {
    const data = new Uint8Array([1, 2, 3])
    const full = sha256(data)
    const frame = {
      t: 'chunk' as const,
      seq: 0,
      p: 1 as const,
      sha: full.subarray(0, 8),
      data,
      z: 0 as const,
    }
    expect(() => openChunk(frame)).toThrow(/checksum of 8 bytes, not 32/)
    expect(() => openChunk(frame, { shortSha: true })).toThrow(/cannot decode chunk/)
    expect(() => openChunk({ ...frame, sha: full }, { shortSha: true })).toThrow(
      /checksum of 32 bytes, not 8/,
    )
    const bad = Uint8Array.from(full.subarray(0, 8))
    bad[0]! ^= 1
    expect(() => openChunk({ ...frame, sha: bad }, { shortSha: true })).toThrow(/checksum mismatch/)
  })
})
