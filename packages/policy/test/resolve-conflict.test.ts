import { describe, expect, it } from 'vitest'
import * as A from '@automerge/automerge'
import { applyPatch, createContainerDoc, toView } from '@tally/manifest'
import { crewPrincipal, MemoryActorRegistry, validate, vesselPrincipal } from '../src/index.ts'

const key = { vessel: 'IMO9811000', voyage: '024E', containerId: 'CSQU3054383' }

describe('resolving a conflict by keeping the value that wins', () => {
  it.each([
    ['aa', 'bb'],
    ['bb', 'aa'],
  ])('clears the conflict and passes policy (actors %s/%s)', (x, y) => {
    const a = applyPatch(
      createContainerDoc(key, '45R1', x.repeat(16)),
      { physical: { stowage: '0120482' } },
      'vessel',
    )
    const b = applyPatch(
      createContainerDoc(key, '45R1', y.repeat(16)),
      { physical: { stowage: '0140282' } },
      'vessel',
    )
    const merged = A.merge(a, b)
    const winner = toView(merged).conflicts[0]!.values.find((v) => v.winner)!.value
    const resolved = applyPatch(
      A.clone(merged, { actor: 'ee'.repeat(16) as A.ActorId }),
      { physical: { stowage: winner } },
      'vessel',
    )
    expect(toView(resolved).conflicts).toEqual([])
    expect(String(resolved.physical.stowage)).toBe(winner)
    const registry = new MemoryActorRegistry([['ee'.repeat(16), crewPrincipal('IMO9811000', 'bosun')]])
    const decisions = validate(
      merged,
      A.getChanges(merged, resolved).map(A.decodeChange),
      registry,
      vesselPrincipal('IMO9811000'),
    )
    expect(decisions.every((d) => d.accepted)).toBe(true)
  })
})
