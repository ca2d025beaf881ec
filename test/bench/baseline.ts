/**
 * The baselines `npm run bench` reports beside Tally's own link (docs/benchmarks.md): what one voyage day of
 * the standard workload costs as raw Automerge changes, as bundles, as plain JSON, through
 * automerge-repo's stock WebSocket sync, and how long 2,000 documents take to load from SQLite.
 */
import { reserveWasmHeap } from '@tally/voyage-sim'
import { prepareDay } from './baseline-workload.ts'
import { repoWebSocketBaseline } from './baseline-repo-ws.ts'
import { sizeBaselines } from './baseline-sizes.ts'
import { sqliteLoadBaseline } from './baseline-sqlite.ts'
import type { BenchOptions, BenchRow } from './report.ts'
import { timedMs } from './report.ts'

export interface BaselineOptions extends Partial<BenchOptions> {
  /** How long the WebSocket sync may take before it is reported as not converged. Default 120 s. */
  wsTimeoutMs?: number
  /** Runs of the SQLite load, whose median is reported. Default 3. */
  sqliteRuns?: number
  /** WebAssembly heap reserved up front (see reserveWasmHeap). Default 512 MB; 0 for none. */
  reserveHeapMb?: number
}

export const BASELINE_DEFAULTS = {
  seed: 1,
  containers: 2_000,
  day: 1,
  wsTimeoutMs: 120_000,
  sqliteRuns: 3,
  reserveHeapMb: 512,
}

export async function runBaselines(options: BaselineOptions = {}): Promise<BenchRow[]> {
  const opts = {
    ...BASELINE_DEFAULTS,
    log: (line: string) => process.stderr.write(`[baseline] ${line}\n`),
    ...options,
  }
  const reserve = await timedMs(() => reserveWasmHeap(opts.reserveHeapMb))
  const workload = await prepareDay(opts)
  const rows: BenchRow[] = [
    {
      section: 'workload',
      metric: 'reserve WebAssembly heap',
      value: Math.round(reserve.ms),
      unit: 'ms',
      note: `${opts.reserveHeapMb} MB up front, so heap growth does not trigger a GC per 64 KB`,
    },
    {
      section: 'workload',
      metric: 'build voyage',
      value: Math.round(workload.buildMs),
      unit: 'ms',
      note: `${opts.containers} containers, seed ${opts.seed}, day ${opts.day} measured after ${opts.day} synced day(s)`,
    },
    {
      section: 'workload',
      metric: 'extract day and free documents',
      value: Math.round(workload.extractMs),
      unit: 'ms',
      note: 'common states, day changes, bundles, end-of-day saves',
    },
  ]
  opts.log('sizes: raw changes, bundles, JSON floor')
  rows.push(...sizeBaselines(workload))
  rows.push(...(await repoWebSocketBaseline(workload, { ...opts, timeoutMs: opts.wsTimeoutMs })))
  rows.push(...(await sqliteLoadBaseline(workload, { ...opts, runs: opts.sqliteRuns })))
  return rows
}
