import * as A from '@automerge/automerge'
import { describe, expect, it } from 'vitest'
import {
  addEvidence,
  addPhoto,
  appendixChange,
  newSigningKey,
  signEvidence,
  toBase64,
  toPlain,
  toStored,
  verifyEvidence,
  withAppendix,
} from '@tally/manifest'
import type { PhotoInput } from '@tally/manifest'
import { validate } from '../src/index.ts'
import {
  ALICE,
  ALICE_ACTOR,
  AT,
  BOSUN,
  BOSUN_ACTOR,
  genesis,
  IDENTITY,
  KEY,
  registry,
  VESSEL,
} from './helpers.ts'
import type { Doc } from './helpers.ts'

const thumb = new Uint8Array(2_000).map((_, i) => (i * 31) % 251)
const photo = (id: string): PhotoInput => ({
  id,
  sha256: 'ab'.repeat(32),
  bytes: 2_100_000,
  mime: 'image/jpeg',
  at: AT,
  caption: 'dent on the door',
  thumb,
  thumbMime: 'image/webp',
})

function changesOf(before: Doc, actor: string, fn: (d: Doc) => Doc) {
  const after = fn(A.clone(before, { actor: actor as A.ActorId }))
  return { doc: after, changes: A.getChanges(before, after).map((c) => A.decodeChange(c)) }
}

describe('photos in the document', () => {
  it('adds both lists with one deterministic change, the same wherever it is made', () => {
    const a = withAppendix(genesis())
    const b = withAppendix(A.clone(genesis(), { actor: BOSUN_ACTOR as A.ActorId }))
    expect(A.getHeads(a)).toEqual(A.getHeads(b))
    expect(A.getHeads(a)).toEqual([appendixChange(KEY, IDENTITY.isoType).hash])
  })

  it('accepts the vessel’s own photo, critical, with the lists it needs', () => {
    const { changes } = changesOf(genesis(), BOSUN_ACTOR, (d) =>
      addPhoto(d, photo('p1'), VESSEL.id, 'vessel'),
    )
    const decisions = validate(genesis(), changes, registry(), VESSEL)
    // The empty lists are normal; the photo is critical, and takes them along as its dependency.
    expect(decisions.map((d) => [d.accepted, d.priority])).toEqual([
      [true, 'normal'],
      [true, 'critical'],
    ])
    expect(decisions[1]!.principal).toEqual(BOSUN)
  })

  it('refuses a forged photo entry from shore (a photo naming the vessel as its taker)', () => {
    const base = withAppendix(genesis())
    const forged = changesOf(base, ALICE_ACTOR, (d) => addPhoto(d, photo('p2'), VESSEL.id, 'shore'))
    expect(validate(base, forged.changes, registry(), ALICE)[0]).toMatchObject({
      accepted: false,
      code: 'FORBIDDEN_FIELD',
      field: 'photos.by',
    })
    // Its own photo is fine.
    const own = changesOf(base, ALICE_ACTOR, (d) => addPhoto(d, photo('p3'), ALICE.id, 'shore'))
    expect(validate(base, own.changes, registry(), ALICE)[0]).toMatchObject({ accepted: true })
  })

  it('refuses edits and removals of a stored photo, and a thumbnail that does not match its hash', () => {
    const withPhoto = changesOf(genesis(), BOSUN_ACTOR, (d) =>
      addPhoto(d, photo('p1'), VESSEL.id, 'vessel'),
    ).doc
    const edited = changesOf(withPhoto, BOSUN_ACTOR, (d) =>
      A.change(d, (x) => void (x.photos![0]!.caption = toStored('nothing to see'))),
    )
    expect(validate(withPhoto, edited.changes, registry(), VESSEL)[0]).toMatchObject({
      accepted: false,
      reason: expect.stringMatching(/append-only/),
    })
    const removed = changesOf(withPhoto, BOSUN_ACTOR, (d) => A.change(d, (x) => void x.photos!.splice(0, 1)))
    expect(validate(withPhoto, removed.changes, registry(), VESSEL)[0]).toMatchObject({ accepted: false })
    const stored = toPlain(withPhoto.photos![0]) as Record<string, unknown>
    const swapped = changesOf(withPhoto, BOSUN_ACTOR, (d) =>
      A.change(d, (x) => {
        x.photos!.push(toStored({ ...stored, id: 'p9', thumb: toBase64(new Uint8Array([1, 2, 3])) }))
      }),
    )
    expect(validate(withPhoto, swapped.changes, registry(), VESSEL)[0]).toMatchObject({
      accepted: false,
      field: 'photos.thumbBytes',
    })
  })

  it('lets only the vessel record evidence, signed, and verifies the signature', () => {
    const signer = newSigningKey()
    const entry = signEvidence(KEY, signer, {
      id: 'e1',
      kind: 'damage',
      at: AT,
      by: VESSEL.id,
      crew: 'bosun',
      fact: { condition: 'DAMAGED', damage: 'dent' },
    })
    expect(verifyEvidence(KEY, entry, entry.key)).toBe(true)
    expect(verifyEvidence(KEY, { ...entry, fact: entry.fact.replace('dent', 'dint') }, entry.key)).toBe(false)
    const ok = changesOf(genesis(), BOSUN_ACTOR, (d) => addEvidence(d, [entry], 'vessel'))
    expect(validate(genesis(), ok.changes, registry(), VESSEL).every((d) => d.accepted)).toBe(true)
    const base = withAppendix(genesis())
    const forged = changesOf(base, ALICE_ACTOR, (d) =>
      A.change(d, (x) => void x.evidence!.push(toStored(entry))),
    )
    expect(validate(base, forged.changes, registry(), ALICE)[0]).toMatchObject({
      accepted: false,
      code: 'FORBIDDEN_FIELD',
    })
  })
})
