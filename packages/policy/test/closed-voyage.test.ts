import * as A from '@automerge/automerge'
import { describe, expect, it } from 'vitest'
import { genesisDoc } from '@tally/manifest'
import { policyStateFromDoc, validateChanges } from '../src/index.ts'
import {
  ALICE,
  ALICE_ACTOR,
  BOSUN_ACTOR,
  edit,
  genesis,
  IDENTITY,
  KEY,
  registry,
  s,
  VESSEL,
} from './helpers.ts'

const CLOSED_AT = '2026-12-01T00:00:00.000Z'

describe('a closed voyage', () => {
  it('refuses every new change, whoever sends it, with the reason', () => {
    const before = genesis()
    const crew = edit(before, BOSUN_ACTOR, (d) => void (d.physical.condition = s('DAMAGED'))).changes
    const shore = edit(before, ALICE_ACTOR, (d) => void (d.cargo.booking = s('BK1'))).changes
    for (const [changes, sender] of [
      [crew, VESSEL],
      [shore, ALICE],
    ] as const) {
      const state = policyStateFromDoc(before, IDENTITY)
      const [decision] = validateChanges(
        { ...state, registry: registry(), sender, voyageClosedAt: CLOSED_AT, alreadyStored: () => false },
        changes,
      )
      expect(decision).toMatchObject({
        accepted: false,
        code: 'FORBIDDEN',
        reason: `voyage 024E of IMO9811000 was closed at ${CLOSED_AT}; its documents are read-only`,
      })
    }
  })

  it('accepts replays of changes the replica already holds, and refuses a new container', () => {
    const before = genesis()
    const { doc, changes } = edit(before, BOSUN_ACTOR, (d) => void (d.physical.condition = s('DAMAGED')))
    const state = policyStateFromDoc(before, IDENTITY)
    const stored = (hash: string) => A.hasHeads(doc, [hash])
    const [replay] = validateChanges(
      { ...state, registry: registry(), sender: VESSEL, voyageClosedAt: CLOSED_AT, alreadyStored: stored },
      changes,
    )
    expect(replay!.accepted).toBe(true)
    const fresh = { ...KEY, containerId: 'MWCU6059784' }
    const genesisChange = A.decodeChange(A.getAllChanges(genesisDoc(fresh, '22G1'))[0]!)
    const [created] = validateChanges(
      {
        ...policyStateFromDoc(A.init(), { ...fresh, isoType: '22G1' }),
        registry: registry(),
        sender: VESSEL,
        voyageClosedAt: CLOSED_AT,
        alreadyStored: () => false,
      },
      [genesisChange],
    )
    expect(created!.accepted).toBe(false)
  })
})
