import { describe, expect, it } from 'vitest'
import * as A from '@automerge/automerge'
import { brotliCompressSync } from 'node:zlib'
import { applyPatch, appendReading, createContainerDoc, withCheckDigit } from '@tally/manifest'
import {
  advanceHeads,
  ChunkError,
  openChunk,
  packChunks,
  planDocument,
  readEntry,
  sha256,
} from '../src/index.ts'
import { encodeValue } from '../src/codec.ts'

const key = (i: number) => ({
  vessel: 'IMO9811000',
  voyage: '024E',
  containerId: withCheckDigit('TGHU' + String(100000 + i)),
})
const crew = 'c1'.repeat(16)

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

describe('change sets', () => {
  it('puts a critical change and its dependencies in the first chunk, and routine readings last', () => {
    const docs = [0, 1, 2].map((i) => ({ i, ...reeferWithDay(i, i === 1) }))
    const plans = docs.flatMap(({ i, base, doc }) =>
      planDocument({ key: key(i), isoType: '45R1', doc, since: A.getHeads(base) }),
    )
    const chunks = packChunks(plans, () => undefined)
    expect(chunks[0]!.priority).toBe(0)
    expect(chunks.map((c) => c.priority)).toEqual([...chunks.map((c) => c.priority)].sort())
    // The critical entry is causally closed: it applies on its own to the common base.
    const first = openChunk(chunks[0]!.frame)
    const entry = first.entries[0]!
    const applied = A.loadIncremental(A.clone(docs[1]!.base), entry.b)
    expect(A.getMissingDeps(applied, [])).toEqual([])
    expect(String(applied.physical.condition)).toBe('DAMAGED')
    // Everything together converges to the sender's heads.
    let all = A.clone(docs[1]!.base)
    for (const c of chunks)
      for (const e of openChunk(c.frame).entries)
        if (e.c === key(1).containerId) all = A.loadIncremental(all, e.b)
    expect(A.getHeads(all).sort()).toEqual(A.getHeads(docs[1]!.doc).sort())
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
    expect(() => readEntry(new Uint8Array([0x85, 0x6f, 0x4a, 0x83, 1, 2, 3]))).toThrow(ChunkError)
  })
})
