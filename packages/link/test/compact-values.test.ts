import { describe, expect, it } from 'vitest'
import * as A from '@automerge/automerge'
import { ActorTable, compactEntry, expandEntry } from '../src/compact.ts'
import { packOps, unpackOps } from '../src/compact-values.ts'
import { encodeValue } from '../src/codec.ts'
import { newSigningKey, signEvidence, verifyEvidence } from '@tally/manifest'
import type { CompactOp } from '../src/compact.ts'

const TIME = 1_793_582_340 // a change's time, in seconds
const set = (value: unknown, datatype?: string): CompactOp => [
  'set',
  [0, 0, 0],
  'k',
  undefined,
  undefined,
  datatype,
  value,
  [],
]
const roundTrip = (ops: CompactOp[]) => unpackOps(packOps(ops, 0, TIME), 0, TIME)

/** A document's changes after its first, and what the short form needs to name the first. */
function afterFirstChange(doc: A.Doc<unknown>) {
  const all = A.getAllChanges(doc).map((c) => A.decodeChange(c))
  const short = { peerHas: new Set<string>(), history: () => all.map((c) => c.hash), change: () => undefined }
  return { changes: all.slice(1), short, first: all[0]!.hash }
}

describe('map runs', () => {
  it('send a new map and its keys as one op, and rebuild a reading and a signed finding byte for byte', () => {
    const key = { vessel: 'IMO9811000', voyage: '024E', containerId: 'TGHU1000007' }
    let doc = A.from<{ readings: unknown[]; evidence: unknown[] }>(
      { readings: [], evidence: [] },
      { actor: 'aa'.repeat(16) },
    )
    doc = A.change(doc, { time: TIME }, (d) => {
      d.readings.push({
        at: new A.ImmutableString(new Date(TIME * 1000).toISOString()),
        supplyC: -23.3,
        returnC: -25.1,
      })
    })
    doc = A.change(doc, { time: TIME + 60 }, (d) => {
      // As the manifest stores them: scalar strings, not text.
      const s = (v: string) => new A.ImmutableString(v)
      d.evidence.push({
        id: s('91446bc0-86bf-4c6c-bd48-d241bf4234f4'),
        kind: s('seal'),
        at: s(new Date((TIME + 60) * 1000).toISOString()),
        by: s('IMO9811000'),
        crew: s('bosun'),
        fact: s('{"sealIntact":true}'),
        supersedes: null,
        key: s('ab'.repeat(32)),
        sig: s('cd'.repeat(64)),
      })
    })
    const { changes, short, first } = afterFirstChange(doc)
    const without = compactEntry(key, changes, new ActorTable(), short, { short: true })!
    const actors = new ActorTable()
    const runs = compactEntry(key, changes, actors, short, { short: true, mapRuns: true })!
    // One op each: the reading's map and its three keys, the finding's map and its nine.
    expect(runs.k.map((c) => (c[6] as unknown[]).length)).toEqual([1, 1])
    expect(encodeValue(runs.k).length).toBeLessThan(encodeValue(without.k).length * 0.8)
    const rebuilt = expandEntry(key, runs.k, actors.actors, (p) => (first.startsWith(p) ? first : undefined))
    expect(rebuilt.map((r) => r.change.hash)).toEqual(changes.map((c) => c.hash))
  })
})

describe('derived evidence IDs', () => {
  const key = { vessel: 'IMO9811000', voyage: '024E', containerId: 'TGHU1000007' }
  const signer = newSigningKey()
  const at = new Date((TIME + 60) * 1000).toISOString()
  /** A document whose second change appends `entry` to its evidence, as the manifest stores it. */
  function withEvidence(entry: Record<string, string | null>) {
    let doc = A.from<{ evidence: unknown[] }>({ evidence: [] }, { actor: 'aa'.repeat(16) })
    doc = A.change(doc, { time: TIME + 60 }, (d) => {
      const s = (v: string | null) => (v === null ? null : new A.ImmutableString(v))
      d.evidence.push(Object.fromEntries(Object.entries(entry).map(([k, v]) => [k, s(v)])))
    })
    return afterFirstChange(doc)
  }
  const idDerived = (k: unknown) => JSON.stringify(k).includes('"id",12,null')
  const fact = { kind: 'seal', at, by: 'IMO9811000', crew: 'bosun', fact: { sealIntact: true } } as const

  it('leave out the ID of a signed finding the receiver derives, and rebuild it byte for byte', () => {
    const entry = signEvidence(key, signer, fact)
    expect(verifyEvidence(key, entry, entry.key)).toBe(true)
    const { changes, short, first } = withEvidence({ ...entry })
    const sent = compactEntry(key, changes, new ActorTable(), short, { short: true, mapRuns: true })!
    const actors = new ActorTable()
    const derived = compactEntry(key, changes, actors, short, {
      short: true,
      mapRuns: true,
      evidenceIds: true,
    })!
    expect(JSON.stringify(derived.k)).not.toContain(entry.id)
    expect(idDerived(derived.k)).toBe(true)
    expect(JSON.stringify(sent.k)).toContain(entry.id)
    // The UUID was about 37 bytes of CBOR; what stands for it is two.
    expect(encodeValue(derived.k).length).toBeLessThanOrEqual(encodeValue(sent.k).length - 30)
    const rebuilt = expandEntry(key, derived.k, actors.actors, (p) =>
      first.startsWith(p) ? first : undefined,
    )
    expect(rebuilt.map((r) => r.change.hash)).toEqual(changes.map((c) => c.hash))
  })

  it('send an ID that is not the derived one (a random UUID, another container) as it is', () => {
    for (const entry of [
      signEvidence(key, signer, { ...fact, id: '91446bc0-86bf-4c6c-bd48-d241bf4234f4' }),
      signEvidence({ ...key, containerId: 'MSCU1234565' }, signer, fact),
    ]) {
      const { changes, short } = withEvidence({ ...entry })
      const k = compactEntry(key, changes, new ActorTable(), short, {
        short: true,
        mapRuns: true,
        evidenceIds: true,
      })!.k
      expect(JSON.stringify(k)).toContain(entry.id)
      expect(idDerived(k)).toBe(false)
    }
  })

  it('refuse a derived ID in a map that is not an evidence entry, or a second one', () => {
    const run = (puts: unknown[]) => [[1, [3, 0, 0], undefined, '_head', true, [], puts]]
    const derive = () => undefined
    expect(() => unpackOps(run(['id', 12, null, 'kind', undefined, 'seal']), 0, TIME, derive)).toThrow(
      /derived ID/,
    )
    expect(() => unpackOps(run(['id', 12, null, 'id', 12, null]), 0, TIME, () => 'x')).toThrow(/derived ID/)
    expect(() => unpackOps(run(['key', 12, null]), 0, TIME, () => 'x')).toThrow(/derived ID/)
  })
})

describe('short values', () => {
  it('sends a one-decimal temperature as a small integer and gives back the same float64', () => {
    const ops = [set(-23.3, 'float64'), set(0.1, 'float64'), set(-25, 'float64'), set(4.125, 'float64')]
    const packed = packOps(ops, 0, TIME)
    expect(packed.map((o) => [o[5], o[6]])).toEqual([
      [1, -233],
      [1, 1],
      [0, -25],
      [3, 4125],
    ])
    expect(roundTrip(ops)).toEqual(ops)
  })

  it('leaves values alone that have no exact short form', () => {
    const ops = [
      set(-0, 'float64'),
      set(Math.PI, 'float64'),
      set(1e-9, 'float64'),
      set(3e12, 'float64'),
      set(7, 'int'),
      set('RELEASED'),
      set('2026-13-45T99:00:00Z'),
    ]
    expect(packOps(ops, 0, TIME)).toEqual(ops)
    expect(Object.is(roundTrip(ops)[0]![6], -0)).toBe(true)
  })

  it('sends a timestamp string as seconds from the change time, with or without milliseconds', () => {
    const at = new Date(TIME * 1000).toISOString().replace('.000Z', 'Z')
    const later = new Date(TIME * 1000 + 90_250).toISOString()
    const ops = [set(at), set(later)]
    expect(packOps(ops, 0, TIME).map((o) => [o[5], o[6]])).toEqual([
      [10, 0],
      [11, 90_250],
    ])
    expect(roundTrip(ops)).toEqual(ops)
  })

  it('sends typed text as one run per stretch, and gives back one op per character', () => {
    // "Ab😀" typed into list [3,0,0] after element [-5,0,0]: each character follows the one before.
    const ops: CompactOp[] = [...'Ab😀'].map((ch, i) => [
      'set',
      [3, 0, 0],
      undefined,
      i === 0 ? [-5, 0, 0] : [i - 1, 0, 0],
      true,
      undefined,
      ch,
      [],
    ])
    const packed = packOps(ops, 0, TIME)
    expect(packed).toEqual([[0, [3, 0, 0], [-5, 0, 0], 'Ab😀']])
    expect(roundTrip(ops)).toEqual(ops)
  })

  it('refuses a malformed short form', () => {
    expect(() => unpackOps([[0, [3, 0, 0], [-5, 0, 0], '']], 0, TIME)).toThrow(/text run/)
    expect(() => unpackOps([[1, [3, 0, 0], undefined, '_head', true, [], ['at', 10]]], 0, TIME)).toThrow(
      /map run/,
    )
    expect(() => unpackOps([set(15, 42 as unknown as string)], 0, TIME)).toThrow(/value code/)
    expect(() => unpackOps([set(0.5, 1 as unknown as string)], 0, TIME)).toThrow(/not an integer/)
  })

  it('rebuilds a real reading and a real note byte for byte, and smaller than without', () => {
    const key = { vessel: 'IMO9811000', voyage: '024E', containerId: 'TGHU1000007' }
    let doc = A.from<{ readings: unknown[]; notes: string }>(
      { readings: [], notes: '' },
      { actor: 'aa'.repeat(16) },
    )
    doc = A.change(doc, { time: TIME }, (d) => {
      d.readings.push({ at: new Date(TIME * 1000).toISOString(), supplyC: -23.3, returnC: -25.1 })
    })
    doc = A.change(doc, { time: TIME + 60 }, (d) => {
      A.splice(d, ['notes'], 0, 0, 'Consignee asks for early pick-up')
    })
    const { changes, short, first } = afterFirstChange(doc)
    const plain = compactEntry(key, changes, new ActorTable(), short)!
    const actors = new ActorTable()
    const lean = compactEntry(key, changes, actors, short, { short: true })!
    expect(lean).toBeDefined()
    expect(encodeValue(lean.k).length).toBeLessThan(encodeValue(plain.k).length * 0.6)
    const rebuilt = expandEntry(key, lean.k, actors.actors, (p) => (first.startsWith(p) ? first : undefined))
    expect(rebuilt.map((r) => r.change.hash)).toEqual(changes.map((c) => c.hash))
  })
})
