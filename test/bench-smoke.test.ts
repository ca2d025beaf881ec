// Smoke test of the benchmark baselines on a 50-container workload: every section runs and reports
// plausible numbers. The full 2,000-container run is `npm run bench`, not part of `npm test`.
import { describe, expect, it } from 'vitest'
import { runBaselines } from './bench/baseline.ts'
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
