// Smoke test of the benchmark baselines on a 50-container workload: every section runs and reports
// plausible numbers. The full 2,000-container run is `npm run bench`, not part of `npm test`.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runBaselines } from './bench/baseline.ts'
import { runDailyBill } from './bench/daily-bill.ts'
import { DOCUMENTED } from './bench/daily-bill-rows.ts'
import { formatTable } from './bench/report.ts'

describe('runBaselines (50 containers)', () => {
  it('measures sizes, automerge-repo sync and SQLite load', { timeout: 180_000 }, async () => {
    const rows = await runBaselines({
      containers: 50,
      day: 1,
      sqliteRuns: 1,
      reserveHeapMb: 0,
      wsTimeoutMs: 60_000,
      log: () => {},
    })
    const value = (section: string, metric: string) => {
      const row = rows.find((r) => r.section === section && r.metric === metric)
      expect(row, `${section} / ${metric}\n${formatTable(rows)}`).toBeDefined()
      return row!.value as number
    }
    for (const row of rows) expect(row.value, `${row.section} / ${row.metric}: ${row.note}`).not.toBeNull()

    expect(value('workload', 'vessel: changes')).toBe(value('workload', 'vessel: events'))
    expect(value('workload', 'shore: changes')).toBe(value('workload', 'shore: events'))
    const raw = value('raw changes', 'both sides: changes, brotli')
    expect(raw).toBeLessThan(value('raw changes', 'both sides: changes'))
    expect(value('saveBundle', 'both sides: bundles, brotli')).toBeLessThan(raw)
    expect(value('json floor', 'both sides: events JSON, brotli')).toBeLessThan(raw)

    expect(value('repo ws sync', 'wall time to identical heads')).toBeGreaterThan(0)
    expect(value('repo ws sync', 'bytes up (vessel → relay)')).toBeGreaterThan(
      value('raw changes', 'vessel: changes') / 2,
    )
    expect(value('repo ws sync', 'messages down')).toBeGreaterThan(0)
    expect(value('sqlite load', 'load 50 docs via Repo.find')).toBeGreaterThan(0)
  })
})

// Smoke test of the daily-bill section: real processes over the simulated link for a 45-second
// window of a 1,000-container voyage day (fewer boxes would have no customs hold all day). It checks that the harness works and reports sane numbers,
// not the product's targets (the 10-minute run on 2,000 containers is `npm run bench`).
describe('runDailyBill (1,000 containers, 45 s window)', () => {
  const knobs = { DAILY_BILL_MINUTES: '0.75', DAILY_BILL_DRAIN_MINUTES: '1.5', DAILY_BILL_TLS: '0' }
  const saved = Object.fromEntries(Object.keys(knobs).map((k) => [k, process.env[k]]))
  beforeAll(() => Object.assign(process.env, knobs))
  afterAll(() => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k]
      else process.env[k] = v
    }
  })

  it(
    'measures bytes, connections, sessions and latencies, and compares them',
    { timeout: 420_000 },
    async () => {
      const rows = await runDailyBill({ seed: 1, containers: 1000, day: 1, log: () => {} })
      const table = formatTable(rows)
      const value = (metric: string) => {
        const row = rows.find((r) => r.section === 'daily bill' && r.metric === metric)
        expect(row, `${metric}\n${table}`).toBeDefined()
        return row!.value
      }
      expect(
        rows.find((r) => r.metric === 'FAILED'),
        table,
      ).toBeUndefined()
      expect(value('TLS off: window replayed in real time')).toBe(0.75)
      const up = value('TLS off: bytes up per day') as number
      const down = value('TLS off: bytes down per day') as number
      expect(up, table).toBeGreaterThan(0)
      expect(down, table).toBeGreaterThan(0)
      expect(value('TLS off: bytes per day')).toBe(up + down)
      // The whole-day model carried over to the real processes by their ratio on this window.
      const level = rows.find(
        (r) => r.metric === "TLS off: bytes per day, the whole-day model at this run's level",
      )
      expect(level?.value, table).toBeGreaterThan(0)
      expect(level!.note).toMatch(/the model's day [\d,]+ B \(the whole-day model, run here\) × [\d.]+/)
      // 45 s scaled to a day is ×1,920: whatever moved, the day is a whole multiple of small counts.
      expect(value('TLS off: TCP connections per day') as number).toBeGreaterThanOrEqual(0)
      expect(value('TLS off: sessions per day') as number).toBeGreaterThanOrEqual(0)
      // A critical edit each way is always in the window; both must have arrived, within the run.
      const critical = value('TLS off: critical latency, max')
      expect(typeof critical, table).toBe('number')
      expect(critical as number).toBeGreaterThan(0)
      expect(critical as number).toBeLessThan(45 + 90 + 5)
      expect(rows.find((r) => r.metric === 'TLS off: critical latency, median')!.note).toMatch(
        /ship→shore 1 .*shore→ship 1/,
      )
      expect(value('TLS on')).toBeNull()
      // Neither section ran here: the rows carry the figures docs/benchmarks.md documents.
      expect(value('compare: one voyage day in one session')).toBe(DOCUMENTED.oneSessionDay)
      expect(value('compare: stock automerge-repo, one session')).toBe(DOCUMENTED.stockRepoOneSession)
    },
  )
})
