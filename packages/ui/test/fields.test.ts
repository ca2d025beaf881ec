import { describe, expect, it } from 'vitest'
import {
  alarmsFromHistory,
  badgesOf,
  formatPrincipal,
  formatState,
  formatValue,
  fromDraft,
  fromObjectDraft,
  lastEditorOf,
  timeInputToIso,
  isoToTimeInput,
  problemOf,
  proposableFields,
  toDraft,
  validateField,
  validatePatch,
} from '../src/index.ts'
import type { HistoryEntry } from '../src/index.ts'
import { makeView } from './fixtures.ts'

describe('drafts and validation', () => {
  it('turns input text into values, with empty text as null where the field allows it', () => {
    expect(fromDraft('physical.stowage', '')).toBeNull()
    expect(fromDraft('physical.stowage', ' 0120482 ')).toBe('0120482')
    expect(fromDraft('reefer.actualSetpointC', '-18,5')).toBe(-18.5)
    expect(fromDraft('reefer.actualSetpointC', '')).toBeNull()
    expect(Number.isNaN(fromDraft('reefer.actualSetpointC', 'cold'))).toBe(true)
    expect(fromDraft('physical.sealIntact', 'false')).toBe(false)
    expect(fromDraft('customs.hsCodes', '080390, 940360')).toEqual(['080390', '940360'])
    expect(fromDraft('physical.lashingCheckedAt', '2026-11-22T10:04')).toBe('2026-11-22T10:04:00.000Z')
    expect(timeInputToIso('')).toBeNull()
  })

  it('shows stowage and times in the app’s own words, and reads them back', () => {
    expect(toDraft('physical.stowage', '0010484')).toBe('001 04 84')
    expect(fromDraft('physical.stowage', '001 04 84')).toBe('0010484')
    expect(isoToTimeInput('2026-12-04T20:15:00Z', 2026)).toBe('4 Dec 20:15 UTC')
    expect(isoToTimeInput('2025-12-04T08:05:00Z', 2026)).toBe('4 Dec 2025 08:05 UTC')
    expect(timeInputToIso('4 Dec 20:15 UTC', 2026)).toBe('2026-12-04T20:15:00.000Z')
    expect(timeInputToIso('4 dec 2025 8:05', 2026)).toBe('2025-12-04T08:05:00.000Z')
    expect(timeInputToIso('2026-11-22T10:04:00Z')).toBe('2026-11-22T10:04:00.000Z')
    // Impossible times stay as typed, so validation says what is wrong.
    expect(timeInputToIso('31 Feb 10:00', 2026)).toBe('31 Feb 10:00')
    expect(timeInputToIso('4 Dec 25:00', 2026)).toBe('4 Dec 25:00')
    expect(validateField('physical.lashingCheckedAt', timeInputToIso('yesterday'))?.problem).toMatch(
      /4 Dec 20:15/,
    )
    const now = new Date().toISOString().slice(0, 16)
    expect(fromDraft('physical.lashingCheckedAt', toDraft('physical.lashingCheckedAt', `${now}:00Z`))).toBe(
      `${now}:00.000Z`,
    )
  })

  it('reads object fields from their sub-inputs', () => {
    expect(fromObjectDraft('reefer.alarm', { code: 'HIGH_TEMP', at: '22 Nov 2026 10:00', note: '' })).toEqual(
      {
        code: 'HIGH_TEMP',
        at: '2026-11-22T10:00:00.000Z',
        note: null,
      },
    )
    expect(fromObjectDraft('cargo.dg', null)).toBeNull()
  })

  it('refuses bad values with the catalog validators, naming the field', () => {
    expect(validateField('physical.stowage', '12345')).toEqual({
      field: 'physical.stowage',
      label: 'Stowage',
      problem: 'must be 7 digits BBBRRTT, e.g. 0120482',
    })
    expect(validateField('reefer.actualSetpointC', NaN)?.problem).toBe('must be a number')
    expect(validateField('cargo.dg', { unNumber: '12', imoClass: '3', packingGroup: null })?.problem).toMatch(
      /^UN number must be a 4-digit UN number/,
    )
    expect(validateField('physical.stowage', '0120482')).toBeNull()
  })

  it('checks authority as the server does: the crew cannot write customs', () => {
    const view = makeView()
    expect(validatePatch(view, { physical: { condition: 'DAMAGED' } }, 'vessel')).toBeNull()
    const refused = validatePatch(view, { customs: { status: 'RELEASED' } }, 'vessel')
    expect(refused?.field).toBe('customs.status')
    expect(refused?.problem).toMatch(/owned by shore/)
    expect(
      validatePatch(makeView({ reefer: null }), { reefer: { actualSetpointC: 4 } }, 'vessel')?.problem,
    ).toMatch(/not a reefer/)
  })

  it('lists the fields a role may propose: the other side’s, never readings', () => {
    const crew = proposableFields('vessel')
    expect(crew).toContain('customs.status')
    expect(crew).toContain('cargo.reeferSetpointC')
    expect(crew).not.toContain('physical.stowage')
    expect(proposableFields('shore')).toContain('physical.stowage')
    expect(proposableFields('shore')).not.toContain('reefer.readings')
  })
})

describe('words', () => {
  it('formats values for people', () => {
    expect(formatState('ON_BOARD')).toBe('On board')
    expect(formatState('OK')).toBe('OK')
    expect(formatValue(false, 'physical.sealIntact')).toBe('Broken')
    expect(formatValue('HELD', 'customs.status')).toBe('Held')
    expect(formatValue('0120482', 'physical.stowage')).toBe('012 04 82')
    expect(formatValue(-18, 'cargo.reeferSetpointC')).toBe('-18.0 °C')
    expect(formatValue({ unNumber: '1203', imoClass: '3', packingGroup: '2' }, 'cargo.dg')).toBe(
      'UN 1203, class 3, PG 2',
    )
    expect(formatPrincipal('user:alice')).toBe('alice')
    expect(formatPrincipal('IMO9811000')).toBe('vessel IMO9811000')
  })

  it('shows errors as one line of words, never a stack', () => {
    const err = new Error('boom\n    at foo (x.js:1:1)')
    expect(problemOf(err)).toEqual({ message: 'boom', field: undefined, code: undefined })
    expect(problemOf({ error: { code: 'INVALID', field: 'physical.stowage', message: 'bad' } })).toEqual({
      message: 'bad',
      field: 'physical.stowage',
      code: 'INVALID',
    })
    expect(problemOf(undefined).message).toMatch(/went wrong/)
  })

  it('gives badges for the critical states', () => {
    const view = makeView({
      physical: { ...makeView().physical, condition: 'DAMAGED', sealIntact: false },
      customs: { status: 'HELD', declaration: null, hsCodes: [], holdReason: 'docs' },
      reefer: {
        actualSetpointC: -18,
        alarm: { code: 'HIGH_TEMP', at: '2026-11-20T00:00:00Z', note: null },
        readings: [],
      },
      cargo: { ...makeView().cargo, dg: { unNumber: '1203', imoClass: '3', packingGroup: null } },
      conflicts: [{ field: 'physical.stowage', values: [] }],
    })
    expect(badgesOf(view).map((b) => b.kind)).toEqual([
      'damaged',
      'seal-broken',
      'alarm',
      'held',
      'conflict',
      'dg',
      'reefer',
    ])
    expect(badgesOf(makeView({ reefer: null })).map((b) => b.kind)).toEqual([])
  })
})

describe('history', () => {
  const history: HistoryEntry[] = [
    {
      at: '2026-11-19T10:00:00Z',
      principal: 'user:alice',
      role: 'shore',
      field: 'customs.status',
      from: null,
      to: 'PENDING',
    },
    {
      at: '2026-11-20T05:00:00Z',
      principal: 'IMO9811000',
      role: 'vessel',
      field: 'reefer.alarm',
      from: null,
      to: { code: 'HIGH_TEMP', at: '2026-11-20T04:58:00Z', note: null },
    },
    {
      at: '2026-11-20T09:00:00Z',
      principal: 'IMO9811000',
      role: 'vessel',
      field: 'reefer.alarm',
      from: {},
      to: null,
    },
    {
      at: '2026-11-21T09:00:00Z',
      principal: 'user:carlos',
      role: 'customs',
      field: 'customs.holdReason',
      from: null,
      to: 'x',
    },
  ]

  it('finds the last editor of a section', () => {
    expect(lastEditorOf(history, 'customs')).toEqual({
      principal: 'user:carlos',
      at: '2026-11-21T09:00:00Z',
      role: 'customs',
    })
    expect(lastEditorOf(history, 'physical')).toBeNull()
  })

  it('turns alarm writes into spans, adding the current alarm', () => {
    const current = { code: 'POWER_LOSS', at: '2026-11-22T00:00:00Z', note: null }
    expect(alarmsFromHistory(history, current)).toEqual([
      { at: '2026-11-20T04:58:00Z', code: 'HIGH_TEMP', note: null, clearedAt: '2026-11-20T09:00:00Z' },
      { at: '2026-11-22T00:00:00Z', code: 'POWER_LOSS', note: null, clearedAt: null },
    ])
  })
})
