import * as A from '@automerge/automerge'
import { describe, expect, it } from 'vitest'
import { applyPatch, conflictsOf, documentUrlFor, parseOpId, toView } from '../src/index.ts'
import type { ContainerDoc, PrincipalOf } from '../src/index.ts'
import { KEY, reeferDoc } from './helpers.ts'

const BOSUN = '0a'.repeat(16)
const MATE = '0b'.repeat(16)
const NAMES: Record<string, string> = { [BOSUN]: 'bosun@IMO9811000', [MATE]: 'mate@IMO9811000' }
const principalOf: PrincipalOf = (actor) => NAMES[actor]
const T1 = Date.parse('2026-11-22T10:00:00Z') / 1000
const T2 = Date.parse('2026-11-22T10:05:00Z') / 1000

/** Two vessel replicas of one container, forked from the same state. */
function twoReplicas(): [A.Doc<ContainerDoc>, A.Doc<ContainerDoc>] {
  const base = applyPatch(reeferDoc('0c'.repeat(16)), { physical: { state: 'ON_BOARD' } }, 'vessel')
  return [A.clone(base, { actor: BOSUN as A.ActorId }), A.clone(base, { actor: MATE as A.ActorId })]
}

describe('toView', () => {
  it('has the shape of the docs/api.md view', () => {
    const doc = reeferDoc()
    const view = toView(doc)
    for (const key of [
      'containerId',
      'documentUrl',
      'vessel',
      'voyage',
      'isoType',
      'cargo',
      'customs',
      'physical',
      'reefer',
      'notes',
      'proposals',
      'conflicts',
      'heads',
    ])
      expect(view, key).toHaveProperty(key)
    expect(view.documentUrl).toBe(documentUrlFor(KEY))
    expect(view.heads).toEqual(A.getHeads(doc))
    expect(view.conflicts).toEqual([])
    expect(typeof view.notes).toBe('string')
    // Plain JSON: no ImmutableString or proxies leak out.
    expect(JSON.parse(JSON.stringify(view))).toEqual(view)
    expect(typeof view.physical.state).toBe('string')
  })
})

describe('conflicts', () => {
  it('lists both concurrent values of physical.condition with principal, time and one winner', () => {
    // condition has two values; base it on DAMAGED so each replica really writes a new value.
    const [bosun, mate] = twoReplicas()
    const a = applyPatch(bosun, { physical: { condition: 'DAMAGED', damage: 'dent' } }, 'vessel', T1)
    const b = applyPatch(mate, { physical: { condition: 'DAMAGED', damage: 'hole in roof' } }, 'vessel', T2)
    const merged = A.merge(A.clone(a), b)
    const view = toView(merged, principalOf)
    expect(view.conflicts.map((c) => c.field).sort()).toEqual(['physical.condition', 'physical.damage'])
    const condition = view.conflicts.find((c) => c.field === 'physical.condition')!
    expect(condition.values).toHaveLength(2)
    expect(condition.values.map((v) => v.principal).sort()).toEqual(['bosun@IMO9811000', 'mate@IMO9811000'])
    const damage = view.conflicts.find((c) => c.field === 'physical.damage')!
    expect(damage.values).toEqual(
      expect.arrayContaining([
        {
          value: 'dent',
          principal: 'bosun@IMO9811000',
          at: '2026-11-22T10:00:00.000Z',
          winner: expect.any(Boolean),
        },
        {
          value: 'hole in roof',
          principal: 'mate@IMO9811000',
          at: '2026-11-22T10:05:00.000Z',
          winner: expect.any(Boolean),
        },
      ]),
    )
    for (const conflict of view.conflicts) {
      const winners = conflict.values.filter((v) => v.winner)
      expect(winners, conflict.field).toHaveLength(1)
      const key = conflict.field.split('.')[1] as 'condition' | 'damage'
      expect(winners[0]!.value).toBe(view.physical[key])
    }
    // The other replica merging the other way sees the same conflicts and the same winners.
    expect(toView(A.merge(A.clone(b), a), principalOf).conflicts).toEqual(view.conflicts)
  })

  it('a conflict with OK and DAMAGED shows both', () => {
    const base = applyPatch(reeferDoc('0c'.repeat(16)), { physical: { condition: 'DAMAGED' } }, 'vessel')
    const a = applyPatch(
      A.clone(base, { actor: BOSUN as A.ActorId }),
      { physical: { condition: 'OK' } },
      'vessel',
      T1,
    )
    const b = applyPatch(
      A.clone(applyPatch(base, { physical: { condition: 'OK' } }, 'vessel'), { actor: MATE as A.ActorId }),
      { physical: { condition: 'DAMAGED' } },
      'vessel',
      T2,
    )
    const view = toView(A.merge(A.clone(a), b), principalOf)
    const values = view.conflicts.find((c) => c.field === 'physical.condition')!.values
    expect(values.map((v) => v.value).sort()).toEqual(['DAMAGED', 'OK'])
    expect(values.filter((v) => v.winner).map((v) => v.value)).toEqual([view.physical.condition])
  })

  it('lists concurrent stowage values and names an unknown actor by its ID', () => {
    const [bosun, mate] = twoReplicas()
    const a = applyPatch(bosun, { physical: { stowage: '0120482' } }, 'vessel', T1)
    const b = applyPatch(mate, { physical: { stowage: '0140282' } }, 'vessel', T2)
    const merged = A.merge(A.clone(a), b)
    const [conflict] = conflictsOf(merged, (actor) => (actor === BOSUN ? 'bosun@IMO9811000' : undefined))
    expect(conflict!.field).toBe('physical.stowage')
    const byValue = Object.fromEntries(conflict!.values.map((v) => [v.value, v]))
    expect(byValue['0120482']!.principal).toBe('bosun@IMO9811000')
    expect(byValue['0140282']!.principal).toBe(MATE)
    expect(conflict!.values.filter((v) => v.winner).map((v) => v.value)).toEqual([
      toView(merged).physical.stowage,
    ])
  })

  it('the winner is the value Automerge shows, whichever actor sorts higher', () => {
    // Swap which actor writes which value: the winner must follow Automerge, not our guess.
    for (const [first, second] of [
      [BOSUN, MATE],
      [MATE, BOSUN],
    ]) {
      const base = reeferDoc('0c'.repeat(16))
      const x = applyPatch(
        A.clone(base, { actor: first as A.ActorId }),
        { physical: { stowage: '0120482' } },
        'vessel',
        T1,
      )
      const y = applyPatch(
        A.clone(base, { actor: second as A.ActorId }),
        { physical: { stowage: '0140282' } },
        'vessel',
        T1,
      )
      const merged = A.merge(A.clone(x), y)
      const values = conflictsOf(merged, principalOf)[0]!.values
      expect(values.filter((v) => v.winner).map((v) => v.value)).toEqual([String(merged.physical.stowage)])
    }
  })

  it('writing the field again with the chosen value clears the conflict', () => {
    const [bosun, mate] = twoReplicas()
    const a = applyPatch(bosun, { physical: { stowage: '0120482' } }, 'vessel', T1)
    const b = applyPatch(mate, { physical: { stowage: '0140282' } }, 'vessel', T2)
    const merged = A.merge(A.clone(a), b)
    const loser = conflictsOf(merged)[0]!.values.find((v) => !v.winner)!.value
    const resolved = applyPatch(merged, { physical: { stowage: loser } }, 'vessel', T2 + 60)
    expect(A.getHeads(resolved)).not.toEqual(A.getHeads(merged))
    const view = toView(resolved, principalOf)
    expect(view.conflicts).toEqual([])
    expect(view.physical.stowage).toBe(loser)
    // History keeps every version.
    // (A.getConflicts ignores a view's heads, so read each version instead.)
    expect(String(A.view(resolved, A.getHeads(a)).physical.stowage)).toBe('0120482')
    expect(String(A.view(resolved, A.getHeads(b)).physical.stowage)).toBe('0140282')
  })

  it('resolving with the winning value also clears it', () => {
    const [bosun, mate] = twoReplicas()
    const merged = A.merge(
      applyPatch(bosun, { physical: { stowage: '0120482' } }, 'vessel', T1),
      applyPatch(mate, { physical: { stowage: '0140282' } }, 'vessel', T2),
    )
    const winner = String(merged.physical.stowage)
    expect(toView(applyPatch(merged, { physical: { stowage: winner } }, 'vessel')).conflicts).toEqual([])
  })

  it('ignores sequential writes', () => {
    let doc = applyPatch(reeferDoc(BOSUN), { physical: { condition: 'DAMAGED' } }, 'vessel')
    doc = applyPatch(A.clone(doc, { actor: MATE as A.ActorId }), { physical: { condition: 'OK' } }, 'vessel')
    expect(toView(doc).conflicts).toEqual([])
  })

  it('parses op IDs', () => {
    expect(parseOpId(`12@${BOSUN}`)).toEqual({ counter: 12, actor: BOSUN })
  })
})
