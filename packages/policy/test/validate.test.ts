import * as A from '@automerge/automerge'
import { describe, expect, it } from 'vitest'
import { addProposal, toStored } from '@tally/manifest'
import {
  decisionError,
  GENESIS_PRINCIPAL,
  identityFromGenesis,
  policyStateFromDoc,
  RELAY_PRINCIPAL,
  systemPrincipal,
  validate,
  validateChanges,
} from '../src/index.ts'
import {
  ALICE,
  ALICE_ACTOR,
  AT,
  BOSUN,
  BOSUN_ACTOR,
  CAROL_ACTOR,
  edit,
  genesis,
  IDENTITY,
  readingChanges,
  registry,
  s,
  VESSEL,
} from './helpers.ts'

describe('validate', () => {
  it('names the principal of an accepted change and gives its priority', () => {
    const before = genesis()
    const { changes } = edit(before, BOSUN_ACTOR, (d) => void (d.physical.condition = s('DAMAGED')))
    expect(validate(before, changes, registry(), VESSEL)).toEqual([
      { hash: changes[0]!.hash, accepted: true, principal: BOSUN, priority: 'critical' },
    ])
  })

  it('accepts the genesis change as the genesis principal and learns the container from it', () => {
    const changes = A.getAllChanges(genesis()).map((c) => A.decodeChange(c))
    expect(identityFromGenesis(changes[0]!)).toEqual(IDENTITY)
    const [decision] = validate(A.init(), changes, registry(), ALICE)
    expect(decision).toMatchObject({ accepted: true, principal: GENESIS_PRINCIPAL })
  })

  it('refuses everything for an empty document when the batch does not start with a genesis', () => {
    const { changes } = edit(genesis(), ALICE_ACTOR, (d) => void (d.cargo.pod = s('USLAX')))
    expect(validate(A.init(), changes, registry(), ALICE)[0]).toMatchObject({
      accepted: false,
      reason: expect.stringMatching(/unknown container/),
    })
  })

  it('refuses a change whose ops name an object the document does not have', () => {
    const before = genesis()
    const withDg = edit(before, ALICE_ACTOR, (d) => {
      d.cargo.dg = toStored({ unNumber: '1203', imoClass: '3', packingGroup: '2' })
    })
    const dgEdit = edit(withDg.doc, ALICE_ACTOR, (d) => void (d.cargo.dg!.packingGroup = '3' as never))
    // The second change alone, out of causal order: its object is unknown to the document.
    expect(validate(before, dgEdit.changes, registry(), ALICE)[0]).toMatchObject({
      accepted: false,
      code: 'INVALID',
      reason: expect.stringMatching(/unknown object/),
    })
    // In causal order both pass (nested edits of an existing object are validated key by key).
    const both = [...withDg.changes, ...dgEdit.changes]
    expect(validate(before, both, registry(), ALICE).map((d) => d.accepted)).toEqual([true, false])
    const fixed = edit(withDg.doc, ALICE_ACTOR, (d) => void (d.cargo.dg!.packingGroup = s('3') as never))
    expect(
      validate(before, [...withDg.changes, ...fixed.changes], registry(), ALICE).map((d) => d.accepted),
    ).toEqual([true, true])
  })

  it('turns a refusal into the HTTP contract’s error', () => {
    const before = genesis()
    const { changes } = edit(before, ALICE_ACTOR, (d) => void (d.physical.condition = s('DAMAGED')))
    const [decision] = validate(before, changes, registry(), ALICE)
    expect(decisionError(decision!)!.toJSON()).toEqual({
      error: {
        code: 'FORBIDDEN_FIELD',
        field: 'physical.condition',
        message: 'physical.condition is owned by vessel; the shore role cannot write it',
      },
    })
    const ok = edit(before, ALICE_ACTOR, (d) => void (d.cargo.pod = s('USLAX')))
    expect(decisionError(validate(before, ok.changes, registry(), ALICE)[0]!)).toBeUndefined()
  })

  it('gives a duplicate in one batch the same decision', () => {
    const before = genesis()
    const { changes } = edit(before, ALICE_ACTOR, (d) => void (d.cargo.pod = s('USLAX')))
    const decisions = validate(before, [changes[0]!, changes[0]!], registry(), ALICE)
    expect(decisions.map((d) => d.accepted)).toEqual([true, true])
  })

  it('uses the sender’s current role: a user re-roled to customs loses cargo', () => {
    const before = genesis()
    const { changes } = edit(before, ALICE_ACTOR, (d) => void (d.cargo.pod = s('USLAX')))
    const demoted = { ...ALICE, role: 'customs' as const }
    expect(validate(before, changes, registry(), demoted)[0]).toMatchObject({
      accepted: false,
      field: 'cargo.pod',
    })
  })

  it('a changed field that is deleted rather than set to null is refused', () => {
    const before = genesis()
    const { changes } = edit(before, ALICE_ACTOR, (d) => void delete (d.cargo as any).pod)
    expect(validate(before, changes, registry(), ALICE)[0]).toMatchObject({
      accepted: false,
      field: 'cargo.pod',
    })
  })

  it('replacing or deleting a whole section is a root write and refused', () => {
    const before = genesis()
    const nulled = edit(before, BOSUN_ACTOR, (d) => void (d.reefer = null))
    expect(validate(before, nulled.changes, registry(), VESSEL)[0]).toMatchObject({
      accepted: false,
      code: 'FORBIDDEN_FIELD',
      field: 'reefer',
    })
    const deleted = edit(before, ALICE_ACTOR, (d) => void delete (d as any).customs)
    expect(validate(before, deleted.changes, registry(), ALICE)[0]).toMatchObject({
      accepted: false,
      field: 'customs',
    })
  })
})

describe('system principals', () => {
  const RELAY_ACTOR = 'c1'.repeat(16)
  const relayAuthor = systemPrincipal('relay')

  it('a system author may set initial values right after the genesis, and nothing later', () => {
    const reg = registry()
    reg.bind(RELAY_ACTOR, relayAuthor)
    const before = genesis()
    const initial = edit(before, RELAY_ACTOR, (d) => {
      d.cargo.pod = s('USLAX')
      d.physical.stowage = s('0120482')
    })
    // At the relay the sender is the relay itself; at a vessel, the forwarding relay.
    for (const sender of [relayAuthor, RELAY_PRINCIPAL])
      expect(validate(before, initial.changes, reg, sender)[0]).toMatchObject({
        accepted: true,
        principal: relayAuthor,
      })
    // A user cannot send the relay's changes as their own.
    expect(validate(before, initial.changes, reg, ALICE)[0]).toMatchObject({
      accepted: false,
      code: 'FORBIDDEN',
    })
    const later = edit(initial.doc, RELAY_ACTOR, (d) => void (d.physical.condition = s('DAMAGED')))
    expect(validate(initial.doc, later.changes, reg, RELAY_PRINCIPAL)[0]).toMatchObject({
      accepted: false,
      code: 'FORBIDDEN',
    })
    const notes = edit(before, RELAY_ACTOR, (d) => void A.splice(d, ['notes'], 0, 0, 'x'))
    expect(validate(before, notes.changes, reg, RELAY_PRINCIPAL)[0]).toMatchObject({
      accepted: false,
      field: 'notes',
    })
  })

  it('a forwarding system sender (the relay, at the vessel) is judged by each author’s own role', () => {
    const before = genesis()
    const shore = edit(before, ALICE_ACTOR, (d) => {
      d.customs.status = s('HELD')
      d.customs.holdReason = s('x-ray')
    })
    const forged = edit(shore.doc, ALICE_ACTOR, (d) => void (d.physical.condition = s('DAMAGED')))
    const unbound = edit(before, 'c2'.repeat(16), (d) => void (d.customs.status = s('RELEASED')))
    const decisions = validate(before, [...shore.changes, ...forged.changes], registry(), RELAY_PRINCIPAL)
    expect(decisions.map((d) => [d.accepted, d.principal?.name])).toEqual([
      [true, 'alice'],
      [false, 'alice'],
    ])
    expect(validate(before, unbound.changes, registry(), RELAY_PRINCIPAL)[0]).toMatchObject({
      accepted: false,
      code: 'FORBIDDEN',
      reason: expect.stringMatching(/not bound/),
    })
  })
})

describe('validateChanges with state kept between batches', () => {
  it('learns accepted objects, forgets refused ones and refuses dependants across batches', () => {
    const before = genesis()
    const state = policyStateFromDoc(before)
    const ctx = { ...state, registry: registry(), sender: VESSEL }
    const one = edit(
      before,
      BOSUN_ACTOR,
      (d) => void d.reefer!.readings.push(toStored({ at: AT, supplyC: 1, returnC: 2 })),
    )
    expect(validateChanges(ctx, one.changes)[0]!.accepted).toBe(true)
    // Next batch: editing that reading is an edit of a stored reading.
    const two = edit(one.doc, BOSUN_ACTOR, (d) => void (d.reefer!.readings[0]!.supplyC = 3))
    expect(validateChanges(ctx, two.changes)[0]).toMatchObject({ accepted: false, field: 'reefer.readings' })
    // A refused change's objects are forgotten, and what depends on it is refused in later batches.
    const bad = edit(
      one.doc,
      BOSUN_ACTOR,
      (d) => void d.reefer!.readings.push(toStored({ at: AT, supplyC: 99, returnC: 2 })),
    )
    expect(validateChanges(ctx, bad.changes)[0]!.accepted).toBe(false)
    const after = edit(bad.doc, BOSUN_ACTOR, (d) => void (d.physical.lashingCheckedAt = s(AT)))
    expect(validateChanges(ctx, after.changes)[0]).toMatchObject({
      accepted: false,
      reason: expect.stringMatching(/depends on refused change/),
    })
    expect(state.refused.size).toBe(3)
  })

  it('learns new proposals so a later batch can resolve them', () => {
    const before = genesis()
    const state = policyStateFromDoc(before)
    const proposed = addProposal(
      A.clone(before, { actor: BOSUN_ACTOR as A.ActorId }),
      { field: 'cargo.pod', value: 'USOAK' },
      'IMO9811000',
      'vessel',
      AT,
      'p1',
    )
    const proposal = A.getChanges(before, proposed).map((c) => A.decodeChange(c))
    expect(validateChanges({ ...state, registry: registry(), sender: VESSEL }, proposal)[0]!.accepted).toBe(
      true,
    )
    expect([...state.proposals.values()]).toEqual(['cargo.pod'])
    const declined = edit(proposed, CAROL_ACTOR, (d) => {
      d.proposals[0]!.status = s('DECLINED') as never
    })
    // Customs does not own cargo: refused. The shore does.
    expect(
      validateChanges(
        {
          ...state,
          registry: registry(),
          sender: { ...ALICE, id: 'user:carol', name: 'carol', role: 'customs' },
        },
        declined.changes,
      )[0],
    ).toMatchObject({ accepted: false, field: 'cargo.pod' })
    const accepted = edit(proposed, ALICE_ACTOR, (d) => {
      d.cargo.pod = s('USOAK')
      d.proposals[0]!.status = s('ACCEPTED') as never
    })
    expect(
      validateChanges({ ...state, registry: registry(), sender: ALICE }, accepted.changes)[0]!.accepted,
    ).toBe(true)
  })

  it('reads proposals stored in the document', () => {
    let doc = genesis()
    doc = addProposal(
      A.clone(doc, { actor: BOSUN_ACTOR as A.ActorId }),
      { field: 'cargo.pod', value: 'USOAK' },
      'IMO9811000',
      'vessel',
      AT,
      'p1',
    )
    const decline = edit(doc, ALICE_ACTOR, (d) => {
      d.proposals[0]!.status = s('DECLINED') as never
      d.proposals[0]!.resolvedBy = s('user:alice') as never
      d.proposals[0]!.resolvedAt = s(AT) as never
    })
    expect(validate(doc, decline.changes, registry(), ALICE)[0]!.accepted).toBe(true)
    const bad = edit(doc, ALICE_ACTOR, (d) => void (d.proposals[0]!.status = s('MAYBE') as never))
    expect(validate(doc, bad.changes, registry(), ALICE)[0]).toMatchObject({
      accepted: false,
      field: 'proposal.status',
    })
  })

  it('validates 5,000 reading changes (rate printed)', () => {
    const doc = genesis()
    const changes = readingChanges(doc, BOSUN_ACTOR, 5000)
    expect(changes[1]!.ops.map((op) => op.action)).toEqual(['makeMap', 'set', 'set', 'set'])
    const rates: number[] = []
    // The first pass includes the JIT warming up; a relay validates warm.
    for (let pass = 0; pass < 3; pass++) {
      const t0 = performance.now()
      const decisions = validateChanges(
        { ...policyStateFromDoc(doc), registry: registry(), sender: VESSEL },
        changes,
      )
      rates.push(Math.round(5000 / ((performance.now() - t0) / 1000)))
      expect(decisions.every((d) => d.accepted && d.priority === 'routine')).toBe(true)
    }
    console.log(`validateChanges, 5,000 reading changes: ${rates.join(', ')} changes/s (pass 1 cold)`)
  })
})
