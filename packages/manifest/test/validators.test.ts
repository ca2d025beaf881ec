import { describe, expect, it } from 'vitest'
import { FIELDS, fieldSpec, validators as V } from '../src/index.ts'

const ok = (check: V.Validator, value: unknown) => expect(check(value), JSON.stringify(value)).toBeNull()
const bad = (check: V.Validator, value: unknown, message?: RegExp) => {
  const problem = check(value)
  expect(problem, JSON.stringify(value)).not.toBeNull()
  if (message) expect(problem).toMatch(message)
}

describe('UN/LOCODE', () => {
  it.each(['CNSHA', 'USLAX', 'DEHAM', 'NLRTM', 'GB2LD', 'US9ZZ', 'AE234'])('accepts %s', (v) =>
    ok(V.unLocode, v),
  )
  it.each(['CN0SH', 'CN1SH', 'CNSH1', 'cnsha', 'CnSHA', 'C1SHA', '12SHA', 'CNSH', 'CN-SHA', ''])(
    'refuses %j',
    (v) => bad(V.unLocode, v),
  )
  it('refuses an oversize code and a non-string', () => {
    bad(V.unLocode, 'CNSHAX', /at most 5/)
    bad(V.unLocode, 12345, /must be a string/)
    bad(V.unLocode, null, /must be a string/)
  })
})

describe('stowage BBBRRTT', () => {
  it.each(['0120482', '0010002', '0130382', '0110078', '0110080', '0110098', '0120098'])('accepts %s', (v) =>
    ok(V.stowage, v),
  )
  it('refuses bay 000', () => bad(V.stowage, '0000482', /bay/))
  it.each(['0120481', '0120483', '0120499', '0120400'])('refuses odd or zero tier %s', (v) =>
    bad(V.stowage, v, /tier/),
  )
  it.each(['012048', '01204820', 'A120482', '012 0482', '', 120482])('refuses the shape %j', (v) =>
    bad(V.stowage, v, /7 digits/),
  )
})

describe('ISO size-type', () => {
  it.each(['22G1', '42G1', '45G1', '45R1', '22T6', 'L5G1', '22GP'])('accepts %s', (v) => ok(V.isoSizeType, v))
  it.each(['45r1', '4G1', '45R12', '95G1', '0RG1', '', '4 R1'])('refuses %j', (v) => bad(V.isoSizeType, v))
})

describe('IMDG class', () => {
  it.each([
    '1.1A',
    '1.4S',
    '1.3C',
    '1.6N',
    '2.1',
    '2.3',
    '3',
    '4.1',
    '4.3',
    '5.1',
    '5.2',
    '6.1',
    '6.2',
    '7',
    '8',
    '9',
  ])('accepts %s', (v) => ok(V.imoClass, v))
  it.each(['1.1I', '1.1M', '1.7', '1', '2', '2.4', '4', '5.3', '10', '0', '1.1a', ' 3', '3.0', 'CLASS3'])(
    'refuses %j',
    (v) => bad(V.imoClass, v),
  )
})

describe('UN number', () => {
  it.each(['1203', '0004', '3480'])('accepts %s', (v) => ok(V.unNumber, v))
  it.each(['123', '12345', 'UN1203', '12a3', 1203])('refuses %j', (v) => bad(V.unNumber, v))
})

describe('temperatures', () => {
  it('set points are -40…30 °C inclusive', () => {
    ok(V.setpointC, -40)
    ok(V.setpointC, 30)
    ok(V.setpointC, -18.5)
    bad(V.setpointC, -40.01, /between -40 and 30/)
    bad(V.setpointC, 30.01, /between -40 and 30/)
  })
  it('air temperatures are -60…60 °C inclusive', () => {
    ok(V.airTemperatureC, -60)
    ok(V.airTemperatureC, 60)
    bad(V.airTemperatureC, -60.5)
    bad(V.airTemperatureC, 61)
  })
  it.each([Number.NaN, Number.POSITIVE_INFINITY, '5', null, true])('refuses the non-number %j', (v) =>
    bad(V.setpointC, v, /must be a number/),
  )
})

describe('ISO times', () => {
  it.each([
    '2026-11-22T10:00:00Z',
    '2026-11-22T10:00Z',
    '2026-11-22T10:00:00.123Z',
    '2026-11-22T10:00:00.123456Z',
    '2028-02-29T00:00:00Z',
  ])('accepts %s', (v) => ok(V.isoTime, v))
  it.each([
    '2026-11-22T10:00:00+01:00',
    '2026-11-22T10:00:00',
    '2026-11-22',
    '2026-13-01T00:00:00Z',
    '2026-02-30T00:00:00Z',
    '2026-02-29T00:00:00Z',
    '2026-04-31T00:00:00Z',
    '2026-11-22T24:00:00Z',
    '2026-11-22T10:60:00Z',
    '22/11/2026 10:00',
    '2026-11-22T10:00:00.1234567Z',
    '',
    0,
    null,
  ])('refuses %j', (v) => bad(V.isoTime, v, /ISO 8601/))
  it('refuses an oversize string', () => bad(V.isoTime, `2026-11-22T10:00:00.${'1'.repeat(40)}Z`))
})

describe('catalog validators', () => {
  const check = (path: string) => fieldSpec(path)!.validate

  it('every field in the catalog has a validator, and its zod schema accepts what it accepts', () => {
    const samples = [
      null,
      'x',
      'CNSHA',
      '0120482',
      12,
      -18.5,
      true,
      [],
      ['847130'],
      { a: 1 },
      '2026-11-22T10:00:00Z',
    ]
    for (const f of FIELDS) {
      expect(typeof f.validate, f.path).toBe('function')
      for (const v of samples)
        expect(f.validate.schema.safeParse(v).success, `${f.path} ${JSON.stringify(v)}`).toBe(
          f.validate(v) === null,
        )
    }
  })

  it('limits free text to 2,000 characters and identifiers to their DCSA lengths', () => {
    ok(check('cargo.shipper'), 'x'.repeat(2000))
    bad(check('cargo.shipper'), 'x'.repeat(2001), /at most 2000/)
    ok(check('cargo.booking'), 'B'.repeat(35))
    bad(check('cargo.booking'), 'B'.repeat(36), /at most 35/)
    bad(check('cargo.billOfLading'), 'B'.repeat(21), /at most 20/)
    ok(check('notes'), 'n'.repeat(100_000))
    bad(check('notes'), 'n'.repeat(100_001))
  })

  it('nullable fields take null; required ones do not', () => {
    ok(check('cargo.pol'), null)
    ok(check('cargo.dg'), null)
    bad(check('customs.status'), null)
    bad(check('physical.sealIntact'), null)
  })

  it('refuses wrong types', () => {
    bad(check('cargo.vgmKg'), '12000', /number/)
    bad(check('cargo.vgmKg'), 0, /between 1 and 60000/)
    bad(check('cargo.vgmKg'), 60_001)
    bad(check('physical.sealIntact'), 'true', /true or false/)
    bad(check('customs.hsCodes'), '847130', /list/)
    bad(check('customs.status'), 'held', /one of/)
    bad(check('physical.state'), 1)
    bad(check('cargo.pol'), { code: 'CNSHA' })
  })

  it('checks lists item by item and by length', () => {
    ok(check('customs.hsCodes'), [])
    ok(check('customs.hsCodes'), ['847130', '8471300000'])
    bad(check('customs.hsCodes'), ['84713'], /item 0/)
    bad(check('customs.hsCodes'), ['847130', 847130], /item 1/)
    bad(
      check('customs.hsCodes'),
      Array.from({ length: 21 }, () => '847130'),
      /at most 20/,
    )
  })

  it('checks objects key by key and names unknown keys', () => {
    const dg = check('cargo.dg')
    ok(dg, { unNumber: '1203', imoClass: '3', packingGroup: '2' })
    ok(dg, { unNumber: '0004', imoClass: '1.1D', packingGroup: null })
    bad(dg, { unNumber: '1203', imoClass: '3', packingGroup: '4' }, /cargo\.dg\.packingGroup/)
    bad(dg, { unNumber: '1203' }, /cargo\.dg\.imoClass/)
    bad(
      dg,
      { unNumber: '1203', imoClass: '3', packingGroup: '2', flash: 23 },
      /cargo\.dg\.flash is not a known/,
    )
    bad(dg, ['1203'], /must be an object/)
    const alarm = check('reefer.alarm')
    ok(alarm, { code: 'HIGH_TEMP', at: '2026-11-22T10:00:00Z', note: null })
    bad(alarm, { code: 'HIGH TEMP', at: '2026-11-22T10:00:00Z', note: null }, /reefer\.alarm\.code/)
    const reading = check('reefer.readings')
    ok(reading, { at: '2026-11-22T10:00:00Z', supplyC: -18, returnC: -17.5 })
    bad(reading, { at: '2026-11-22T10:00:00Z', supplyC: -18 }, /reading\.returnC/)
  })

  it('seal numbers are 3–20 letters, digits or dashes', () => {
    ok(V.sealNumber, 'ML-123456')
    bad(V.sealNumber, 'AB')
    bad(V.sealNumber, 'S'.repeat(21))
    bad(V.sealNumber, 'AB 123')
  })

  it('validates the fixed fields', () => {
    ok(check('vessel'), 'IMO9811000')
    bad(check('vessel'), 'IMO981100')
    bad(check('vessel'), '9811000')
    ok(check('voyage'), '024E')
    bad(check('voyage'), '024e')
    bad(check('voyage'), 'V'.repeat(11))
    ok(check('containerId'), 'CSQU3054383')
    bad(check('containerId'), 'CSQU3045383', /expected 1/)
  })
})
