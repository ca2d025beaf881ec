/**
 * `npm run bench`: runs every benchmark section, prints one aligned table and writes
 * bench-results/latest.json. A section is a module exporting an async function that returns rows;
 * add new sections to SECTIONS.
 *
 * Flags: --containers N, --day D, --seed S, --only NAME[,NAME]. The daily-bill section's knobs are
 * environment variables (test/bench/daily-bill.ts).
 */
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { runBaselines } from './baseline.ts'
import { runLinkBenchmarks } from './link-bench.ts'
import { runIngestBenchmarks } from './link-ingest.ts'
import { runFleetOnPostgres } from './fleet-pg.ts'
import { runCrewBenchmarks } from './crew-bench.ts'
import { runShoreBenchmarks } from './shore-bench.ts'
import { runDailyBill } from './daily-bill.ts'
import { runPhotoBenchmarks } from './photos-bench.ts'
import { runVoyageBenchmarks } from './voyage-bench.ts'
import { runDailyBillDay } from './daily-bill-model.ts'
import type { BenchOptions, BenchRow } from './report.ts'
import { formatTable, writeResults } from './report.ts'

interface Section {
  name: string
  /** `earlier`: the rows of the sections that ran before it in this run. */
  run: (opts: BenchOptions, earlier: readonly BenchRow[]) => Promise<BenchRow[]>
}

const SECTIONS: Section[] = [
  { name: 'baseline', run: runBaselines },
  { name: 'link', run: runLinkBenchmarks },
  { name: 'ingest', run: runIngestBenchmarks },
  { name: 'fleet-pg', run: runFleetOnPostgres },
  { name: 'crew', run: runCrewBenchmarks },
  { name: 'shore', run: runShoreBenchmarks },
  { name: 'photos', run: runPhotoBenchmarks },
  { name: 'voyages', run: runVoyageBenchmarks },
  { name: 'daily-bill-day', run: runDailyBillDay },
  // Last: it reuses the link and baseline sections' figures from the same run.
  { name: 'daily-bill', run: runDailyBill },
]

const RESULTS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bench-results/latest.json')

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      containers: { type: 'string', default: '2000' },
      day: { type: 'string', default: '1' },
      seed: { type: 'string', default: '1' },
      only: { type: 'string' },
    },
  })
  const opts: BenchOptions = {
    containers: Number(values.containers),
    day: Number(values.day),
    seed: Number(values.seed),
    log: (line) => process.stderr.write(`${line}\n`),
  }
  const only = values.only?.split(',')
  const rows: BenchRow[] = []
  const started = performance.now()
  for (const section of SECTIONS) {
    if (only && !only.includes(section.name)) continue
    const t0 = performance.now()
    opts.log(`== ${section.name}`)
    try {
      rows.push(...(await section.run(opts, rows)))
    } catch (err) {
      rows.push({ section: section.name, metric: 'FAILED', value: null, unit: '', note: String(err) })
      process.exitCode = 1
    }
    opts.log(`== ${section.name} done in ${((performance.now() - t0) / 1000).toFixed(1)} s`)
  }
  const wallS = (performance.now() - started) / 1000
  console.log(formatTable(rows))
  // Other processes on the machine skew the timings; the load average says by how much.
  const load = os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')
  console.log(
    `\n${rows.length} rows in ${wallS.toFixed(1)} s on ${os.cpus().length} CPUs (load average ${load}); ` +
      `written to ${path.relative(process.cwd(), RESULTS)}`,
  )
  writeResults(RESULTS, rows, {
    options: { ...opts, log: undefined },
    wallSeconds: wallS,
    node: process.version,
    cpus: os.cpus().length,
    loadAverage: os.loadavg(),
  })
}

await main()
