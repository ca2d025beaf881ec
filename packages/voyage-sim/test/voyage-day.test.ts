import { describe, expect, it } from 'vitest'
import { fieldSpec, READING_SHAPE, validators } from '@tally/manifest'
import { dayStartMs, DAY_MS, eventsAsJson, seedManifest, voyageDay } from '../src/index.ts'
import type { PatchEvent, VoyageEvent } from '../src/index.ts'

const SEED = 11
const manifest = seedManifest({ seed: SEED, containers: 2_000 })
const byId = new Map(manifest.map((e) => [e.containerId, e]))
const days = new Map<number, VoyageEvent[]>([0, 1, 20].map((d) => [d, voyageDay(manifest, d, SEED)]))

const count = <T>(events: T[], test: (e: T) => boolean) => events.filter(test).length
const patches = (events: VoyageEvent[], side: 'vessel' | 'shore') =>
  events.filter((e): e is PatchEvent => e.kind === 'patch' && e.side === side)

describe('voyageDay', () => {
  it('is deterministic for (manifest, day, seed)', () => {
    expect(voyageDay(manifest, 1, SEED)).toEqual(days.get(1))
    expect(eventsAsJson(voyageDay(manifest, 1, SEED + 1))).not.toEqual(eventsAsJson(days.get(1)!))
    expect(eventsAsJson(days.get(0)!)).not.toEqual(eventsAsJson(days.get(1)!))
  })

  it.each([0, 1, 20])('day %i has the standard counts', (day) => {
    const events = days.get(day)!
    expect(count(events, (e) => e.kind === 'reading')).toBe(4_800)
    expect(patches(events, 'vessel')).toHaveLength(600)
    expect(patches(events, 'shore')).toHaveLength(400)
    expect(count(events, (e) => e.kind === 'notes')).toBe(50)
    expect(events).toHaveLength(5_850)
    const vessel = patches(events, 'vessel')
    const damage = count(vessel, (e) => e.patch.physical?.condition === 'DAMAGED')
    expect(damage).toBeGreaterThanOrEqual(8)
    expect(damage).toBeLessThanOrEqual(12)
    const alarms = count(vessel, (e) => e.patch.reefer?.alarm != null)
    expect(alarms).toBeGreaterThanOrEqual(3)
    expect(alarms).toBeLessThanOrEqual(7)
    const holds = count(patches(events, 'shore'), (e) => e.patch.customs?.status === 'HELD')
    expect(holds).toBeGreaterThanOrEqual(2)
    expect(holds).toBeLessThanOrEqual(4)
  })

  it('reads every reefer once an hour, at one decimal, near its set point', () => {
    const readings = days.get(1)!.filter((e) => e.kind === 'reading')
    const perBox = new Map<string, number>()
    for (const r of readings) {
      perBox.set(r.containerId, (perBox.get(r.containerId) ?? 0) + 1)
      expect(Math.round(r.supplyC * 10) / 10).toBe(r.supplyC)
      expect(Math.round(r.returnC * 10) / 10).toBe(r.returnC)
      const setpoint = byId.get(r.containerId)!.cargo.reeferSetpointC!
      expect(Math.abs(r.supplyC - setpoint)).toBeLessThan(10)
    }
    expect(perBox.size).toBe(200)
    expect([...perBox.values()].every((n) => n === 24)).toBe(true)
  })

  it('loads boxes on day 0 only', () => {
    const states = (day: number) =>
      count(patches(days.get(day)!, 'vessel'), (e) => e.patch.physical?.state != null)
    expect(states(0)).toBe(200)
    expect(states(1)).toBe(0)
  })

  it('keeps every event inside its day, in time order, on a booked box', () => {
    const problems: string[] = []
    for (const [day, events] of days) {
      const start = dayStartMs(day)
      let previous = ''
      for (const e of events) {
        const t = Date.parse(e.at)
        if (t < start || t >= start + DAY_MS) problems.push(`${e.at} is not on day ${day}`)
        if (e.at < previous) problems.push(`${e.at} after ${previous}`)
        previous = e.at
        if (!byId.has(e.containerId)) problems.push(`${e.containerId} is not booked`)
      }
    }
    expect(problems).toEqual([])
  })

  it('generates only values the field catalog accepts', () => {
    const reading = validators.objectOf(READING_SHAPE, 'reading')
    const problems: string[] = []
    const check = (what: string, problem: string | null) => {
      if (problem) problems.push(`${what}: ${problem}`)
    }
    for (const events of days.values()) {
      for (const e of events) {
        check(e.at, validators.isoTime(e.at))
        if (e.kind === 'reading') {
          check('reading', reading({ at: e.at, supplyC: e.supplyC, returnC: e.returnC }))
          if (byId.get(e.containerId)!.isoType !== '45R1') problems.push(`reading for dry ${e.containerId}`)
        } else if (e.kind === 'notes') {
          check('notes', fieldSpec('notes')!.validate(e.insert))
        } else {
          const allowed = e.side === 'vessel' ? ['physical', 'reefer'] : ['customs']
          for (const [section, fields] of Object.entries(e.patch)) {
            if (!allowed.includes(section)) problems.push(`${e.side} writes ${section}`)
            for (const [key, value] of Object.entries(fields as object)) {
              const spec = fieldSpec(`${section}.${key}`)
              if (spec?.path !== `${section}.${key}`) problems.push(`unknown field ${section}.${key}`)
              else check(`${section}.${key}=${JSON.stringify(value)}`, spec.validate(value))
            }
          }
        }
      }
    }
    expect(problems).toEqual([])
  })

  it('never asks customs for a change that is already there', () => {
    // Replaying the customs state across the days keeps every update a real edit.
    const status = new Map(manifest.map((e) => [e.containerId, 'PENDING']))
    for (let day = 0; day < 4; day++) {
      for (const e of patches(voyageDay(manifest, day, SEED), 'shore')) {
        const next = e.patch.customs!.status
        if (next === undefined) continue
        expect(next).not.toBe(status.get(e.containerId))
        status.set(e.containerId, next)
      }
    }
  })
})
