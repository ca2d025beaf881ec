import path from 'node:path'
import type Database from 'better-sqlite3'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import {
  dailyBillOf,
  formatKb,
  openTallyDatabase,
  projectDailyBill,
  SessionLog,
  sumDailyBills,
} from '../src/index.ts'
import { makeTempDir, quietLogger } from './helpers.ts'

const at = (iso: string) => new Date(iso)

describe('projectDailyBill', () => {
  it('projects the rest of the UTC day at the rate so far and prices it', () => {
    const bill = projectDailyBill({
      bytesUp: 30_000,
      bytesDown: 11_000,
      now: at('2026-12-04T12:00:00Z'),
      usdPerMb: 10,
    })
    expect(bill).toMatchObject({
      day: '2026-12-04',
      bytes: 41_000,
      projectedBytes: 82_000,
      costUsd: 0.41,
      projectedCostUsd: 0.82,
      dayFraction: 0.5,
      summary: 'today 41 KB so far, about 82 KB by 24:00, $0.82',
    })
  })

  it('takes the first hour of the day as one hour, so an early session does not project to megabytes', () => {
    const bill = projectDailyBill({
      bytesUp: 5_000,
      bytesDown: 0,
      now: at('2026-12-04T00:06:00Z'),
      usdPerMb: 10,
    })
    // 5 KB per hour for the 23.9 hours left: not 5 KB per 6 minutes (1.2 MB).
    expect(bill.projectedBytes).toBe(Math.round(5_000 + 5_000 * 23.9))
    expect(bill.summary).toBe('today 5.0 KB so far, about 125 KB by 24:00, $1.25')
  })

  it('projects nothing more at the end of the day, and zero for a quiet day', () => {
    expect(
      projectDailyBill({ bytesUp: 80_000, bytesDown: 0, now: at('2026-12-04T23:59:59.999Z'), usdPerMb: 10 })
        .projectedBytes,
    ).toBe(80_000)
    expect(
      projectDailyBill({ bytesUp: 0, bytesDown: 0, now: at('2026-12-04T00:00:00Z'), usdPerMb: 10 }),
    ).toMatchObject({
      projectedBytes: 0,
      summary: 'today 0.0 KB so far, about 0.0 KB by 24:00, $0.00',
    })
  })

  it('uses the configured price', () => {
    const bill = projectDailyBill({
      bytesUp: 1_000_000,
      bytesDown: 0,
      now: at('2026-12-04T18:00:00Z'),
      usdPerMb: 4,
    })
    expect(bill.projectedCostUsd).toBeCloseTo(5.33, 2)
    expect(bill.summary).toBe('today 1,000 KB so far, about 1,333 KB by 24:00, $5.33')
  })

  it('refuses negative or non-finite input with a clear error', () => {
    const now = at('2026-12-04T12:00:00Z')
    expect(() => projectDailyBill({ bytesUp: -1, bytesDown: 0, now, usdPerMb: 10 })).toThrow(
      /bytesUp must be/,
    )
    expect(() => projectDailyBill({ bytesUp: 0, bytesDown: NaN, now, usdPerMb: 10 })).toThrow(/bytesDown/)
    expect(() => projectDailyBill({ bytesUp: 0, bytesDown: 0, now, usdPerMb: -2 })).toThrow(/usdPerMb/)
    expect(() => projectDailyBill({ bytesUp: 0, bytesDown: 0, now: new Date('nope'), usdPerMb: 10 })).toThrow(
      /valid date/,
    )
  })

  it('formats KB the same way everywhere', () => {
    expect(formatKb(590)).toBe('0.6 KB')
    expect(formatKb(9_949)).toBe('9.9 KB')
    expect(formatKb(79_310)).toBe('79 KB')
    expect(formatKb(3_290_000)).toBe('3,290 KB')
  })
})

describe('dailyBillOf (real SQLite session log)', () => {
  let db: Database.Database
  let cleanup: () => void
  beforeEach(() => {
    const tmp = makeTempDir()
    cleanup = tmp.cleanup
    db = openTallyDatabase(path.join(tmp.dir, 'tally.sqlite'), { logger: quietLogger() })
  })
  afterEach(() => {
    db.close()
    cleanup()
  })

  it("counts today's sessions and bytes by hour, and leaves yesterday and other peers out", () => {
    const log = new SessionLog(db)
    const session = (peer: string, startedAt: string, up: number, down: number) => {
      const id = log.start(peer, { startedAt })
      log.add(id, { bytesUp: up, bytesDown: down })
      log.finish(id, { state: 'complete' })
    }
    session('relay', '2026-12-03T23:59:00.000Z', 50_000, 0)
    session('relay', '2026-12-04T01:10:00.000Z', 10_000, 2_000)
    session('relay', '2026-12-04T01:50:00.000Z', 5_000, 1_000)
    session('relay', '2026-12-04T05:00:00.000Z', 3_000, 0)
    session('IMO9811000', '2026-12-04T05:00:00.000Z', 99_000, 0)
    const bill = dailyBillOf(log, 'relay', at('2026-12-04T06:00:00Z'), 10)
    expect(bill).toMatchObject({
      bytesUp: 18_000,
      bytesDown: 3_000,
      bytes: 21_000,
      sessions: 3,
      connections: 3,
    })
    expect(bill.projectedBytes).toBe(84_000)
    expect(bill.hourly).toHaveLength(24)
    expect(bill.hourly[1]).toEqual({ hour: 1, bytesUp: 15_000, bytesDown: 3_000 })
    expect(bill.hourly[5]).toEqual({ hour: 5, bytesUp: 3_000, bytesDown: 0 })
    expect(bill.hourly[23]).toEqual({ hour: 23, bytesUp: 0, bytesDown: 0 })

    const fleet = sumDailyBills(
      [bill, dailyBillOf(log, 'IMO9811000', at('2026-12-04T06:00:00Z'), 10)],
      at('2026-12-04T06:00:00Z'),
      10,
    )
    expect(fleet).toMatchObject({ bytes: 120_000, projectedBytes: 480_000, sessions: 4 })
    expect(fleet.hourly[5]).toEqual({ hour: 5, bytesUp: 102_000, bytesDown: 0 })
  })
})
