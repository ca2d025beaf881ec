import { describe, expect, it } from 'vitest'
import { applyPatch, appendReading, createContainerDoc, withCheckDigit } from '@tally/manifest'
import { packChunks, planDocument } from '../src/index.ts'
import { BudgetGate, chunkWireBytes, withinBudget } from '../src/budget.ts'

const crew = 'c1'.repeat(16)
const key = (i: number) => ({
  vessel: 'IMO9811000',
  voyage: '024E',
  containerId: withCheckDigit('TGHU' + String(200000 + i)),
})

/** A plan with one critical chunk (damage reports) and several normal and routine chunks. */
function plan() {
  const entries = []
  for (let i = 0; i < 60; i++) {
    const base = createContainerDoc(key(i), '45R1', crew)
    let doc = applyPatch(
      base,
      {
        physical: {
          stowage: `0${String(10 + (i % 40)).padStart(2, '0')}0${i % 2}82`,
          lashingCheckedAt: '2026-11-01T06:00:00Z',
        },
      },
      'vessel',
    )
    if (i % 20 === 0)
      doc = applyPatch(doc, { physical: { condition: 'DAMAGED', damage: `dent ${i}` } }, 'vessel')
    // Readings last, so they are routine entries of their own (not dependencies of a normal change).
    for (let h = 0; h < 24; h++)
      doc = appendReading(
        doc,
        {
          at: `2026-11-01T${String(h).padStart(2, '0')}:00:00Z`,
          supplyC: 4 + ((i * h) % 7) / 10,
          returnC: 5 + (h % 3) / 10,
        },
        'vessel',
      )
    entries.push(...planDocument({ key: key(i), isoType: '45R1', doc, since: [] }))
  }
  return packChunks(entries, () => undefined)
}

describe('withinBudget', () => {
  const chunks = plan()
  const total = chunks.reduce((n, c) => n + chunkWireBytes(c), 0)

  it('sends everything without a budget or with enough of it', () => {
    expect(chunks.map((c) => c.priority)).toContain(2)
    expect(withinBudget(chunks, null)).toMatchObject({ send: chunks, deferred: [], limited: false })
    expect(withinBudget(chunks, total + 1).limited).toBe(false)
  })

  it('sends only critical chunks once the budget is spent, keeping seq contiguous', () => {
    const split = withinBudget(chunks, 0)
    expect(split.limited).toBe(true)
    expect(split.send.length).toBeGreaterThan(0)
    expect(split.send.every((c) => c.priority === 0)).toBe(true)
    expect(split.send.map((c) => c.seq)).toEqual(split.send.map((_, i) => i))
    expect(split.deferredChanges[0]).toBe(0)
    expect(split.deferredChanges[1] + split.deferredChanges[2]).toBe(
      chunks.filter((c) => c.priority !== 0).reduce((n, c) => n + c.changeCount, 0),
    )
  })

  it('fills a partial budget in priority order and never lets a lower class overtake', () => {
    const critical = chunks.filter((c) => c.priority === 0).reduce((n, c) => n + chunkWireBytes(c), 0)
    const firstNormal = chunks.find((c) => c.priority === 1)!
    const split = withinBudget(chunks, critical + chunkWireBytes(firstNormal))
    expect(split.send.at(-1)).toBe(firstNormal)
    expect(split.deferred[0]!.seq).toBe(firstNormal.seq + 1)
    expect(split.sendBytes).toBeLessThanOrEqual(critical + chunkWireBytes(firstNormal))
  })

  it('refuses a plan whose critical chunks do not come first', () => {
    const shuffled = [...chunks].reverse()
    expect(() => withinBudget(shuffled, 0)).toThrow(/critical chunks first/)
  })
})

describe('BudgetGate', () => {
  const chunks = plan()

  it('admits what withinBudget sends, chunk by chunk, and stays closed after the first refusal', () => {
    for (const budget of [null, 0, 20_000, 60_000, 10_000_000]) {
      const gate = new BudgetGate(budget)
      const admitted: number[] = []
      for (const c of chunks) {
        if (!gate.admit(c)) break
        admitted.push(c.seq)
      }
      const split = withinBudget(chunks, budget)
      expect(admitted).toEqual(split.send.map((c) => c.seq))
      expect(gate.limited).toBe(split.limited)
      if (gate.limited) expect(gate.admit(chunks.at(-1)!)).toBe(false)
    }
  })
})
