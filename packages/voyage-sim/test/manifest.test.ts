import { describe, expect, it } from 'vitest'
import { fieldSpec, isValidContainerId } from '@tally/manifest'
import { parseStowage, seedManifest } from '../src/index.ts'
import type { BookingEntry } from '../src/index.ts'

const manifest = seedManifest({ seed: 1, vessel: 'IMO9811000', voyage: '024E', containers: 2_000 })

/** Every catalogued field of a booking entry, with its value, as `[path, value]`. */
function fieldsOf(entry: BookingEntry): [string, unknown][] {
  const out: [string, unknown][] = [
    ['containerId', entry.containerId],
    ['isoType', entry.isoType],
    ['voyage', entry.voyage],
  ]
  for (const section of ['cargo', 'customs', 'physical'] as const)
    for (const [key, value] of Object.entries(entry[section])) out.push([`${section}.${key}`, value])
  return out
}

describe('seedManifest', () => {
  it('is deterministic for a seed and differs between seeds', () => {
    expect(seedManifest({ seed: 1, containers: 2_000 })).toEqual(manifest)
    const other = seedManifest({ seed: 2, containers: 2_000 })
    expect(other.map((e) => e.containerId)).not.toEqual(manifest.map((e) => e.containerId))
  })

  it('books 2,000 boxes with valid, unique ISO 6346 numbers', () => {
    expect(manifest).toHaveLength(2_000)
    expect(manifest.every((e) => isValidContainerId(e.containerId))).toBe(true)
    expect(new Set(manifest.map((e) => e.containerId)).size).toBe(2_000)
    const owners = new Set(manifest.map((e) => e.containerId.slice(0, 4)))
    expect(owners.size).toBeGreaterThan(15)
  })

  it('has exactly 10 % reefers and 3 % dangerous goods, and a mix of dry types and tanks', () => {
    const count = (test: (e: BookingEntry) => boolean) => manifest.filter(test).length
    expect(count((e) => e.isoType === '45R1')).toBe(200)
    expect(count((e) => e.cargo.reeferSetpointC !== null)).toBe(200)
    expect(count((e) => e.isoType === '45R1' && e.cargo.reeferSetpointC === null)).toBe(0)
    expect(count((e) => e.cargo.dg !== null)).toBe(60)
    for (const type of ['22G1', '42G1', '45G1']) expect(count((e) => e.isoType === type)).toBeGreaterThan(200)
    expect(count((e) => e.isoType === '22T6')).toBeGreaterThan(20)
  })

  it('passes the field catalog validators for every value', () => {
    const problems: string[] = []
    for (const entry of manifest) {
      for (const [path, value] of fieldsOf(entry)) {
        const spec = fieldSpec(path)
        if (spec?.path !== path) problems.push(`${path} is not in the catalog`)
        const problem = spec?.validate(value)
        if (problem) problems.push(`${entry.containerId} ${path}=${JSON.stringify(value)}: ${problem}`)
      }
      if (entry.customs.status !== 'PENDING' || entry.physical.state !== 'PLANNED' || entry.voyage !== '024E')
        problems.push(`${entry.containerId} does not start PENDING/PLANNED on 024E`)
    }
    expect(problems).toEqual([])
  })

  it('stows every box in its own slot, spread over bays, rows and tiers', () => {
    const slots = manifest.map((e) => e.physical.stowage)
    expect(new Set(slots).size).toBe(2_000)
    const parsed = slots.map(parseStowage)
    expect(new Set(parsed.map((p) => p.bay)).size).toBeGreaterThan(40)
    expect(new Set(parsed.map((p) => p.row)).size).toBeGreaterThan(10)
    expect(new Set(parsed.map((p) => p.tier)).size).toBeGreaterThan(4)
    // 20-foot boxes in odd bays, 40-foot boxes in even bays.
    const misplaced = manifest.filter(
      (entry, i) => parsed[i]!.bay % 2 !== (entry.isoType.startsWith('2') ? 1 : 0),
    )
    expect(misplaced).toEqual([])
    // Reefers on deck, where the plugs are.
    expect(manifest.filter((entry, i) => entry.isoType === '45R1' && parsed[i]!.tier < 80)).toEqual([])
  })

  it('scales down for small workloads and refuses impossible ones', () => {
    const small = seedManifest({ seed: 5, containers: 50 })
    expect(small).toHaveLength(50)
    expect(small.filter((e) => e.isoType === '45R1')).toHaveLength(5)
    expect(() => seedManifest({ seed: 1, containers: 0 })).toThrow(RangeError)
    expect(() => seedManifest({ seed: 1, containers: 10_000 })).toThrow(RangeError)
  })
})
