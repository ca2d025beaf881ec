/**
 * Relay ingest: validated, durable changes per second, and the ingesting process's peak RSS. Each
 * measurement prepares a backlog in one child process and ingests it in a fresh one (see
 * link-ingest-child.ts), three times; the median is reported.
 */
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { ROOT } from '../support/processes.ts'
import { startPgCluster } from '../support/postgres-cluster.ts'
import type { BenchOptions, BenchRow } from './report.ts'
import { median } from './report.ts'

const CHILD = path.join(ROOT, 'test/bench/link-ingest-child.ts')
const RUNS = 3
/** Runs on PostgreSQL: each needs a fresh database loaded with the relay's state first. */
const PG_RUNS = Number(process.env.BENCH_PG_RUNS ?? 1)

function child(args: string[]): any {
  const out = execFileSync(process.execPath, ['--import', 'tsx', CHILD, ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  return JSON.parse(out.trim().split('\n').at(-1)!)
}

export async function runIngestBenchmarks(opts: BenchOptions): Promise<BenchRow[]> {
  const rows: BenchRow[] = []
  for (const days of [1, 21]) {
    if (days === 21 && process.env.BENCH_SKIP_21 === '1') continue
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tally-ingest-'))
    try {
      opts.log(`relay ingest: preparing the ${days}-day vessel backlog`)
      const prepared = child(['prepare', dir, String(opts.seed), String(opts.containers), String(days)])
      const pristine = path.join(dir, 'pristine.sqlite')
      fs.copyFileSync(path.join(dir, 'relay.sqlite'), pristine)
      const runs: { changes: number; ms: number; maxRssMb: number; rejected: number }[] = []
      for (let i = 0; i < RUNS; i++) {
        for (const ext of ['', '-wal', '-shm'])
          fs.rmSync(path.join(dir, 'relay.sqlite' + ext), { force: true })
        fs.copyFileSync(pristine, path.join(dir, 'relay.sqlite'))
        runs.push(child(['ingest', dir, prepared.vessel]))
        opts.log(`relay ingest run ${i + 1}: ${JSON.stringify(runs.at(-1))}`)
      }
      const rate = median(runs.map((r) => (r.changes / r.ms) * 1000))
      if (days === 21 && process.env.BENCH_SKIP_POSTGRES !== '1')
        rows.push(...(await ingestOnPostgres(dir, prepared, opts)))
      rows.push(
        {
          section: 'ingest',
          metric: `${days}-day backlog: validated durable changes/s`,
          value: Math.round(rate),
          unit: 'changes/s',
          note: `median of ${RUNS}; ${prepared.changes} changes in ${prepared.chunks} chunks; target ≥ 10,000`,
        },
        {
          section: 'ingest',
          metric: `${days}-day backlog: peak RSS of the ingesting process`,
          value: Math.round(median(runs.map((r) => r.maxRssMb))),
          unit: 'MB',
          note: 'process.resourceUsage().maxRSS',
        },
        {
          section: 'ingest',
          metric: `${days}-day backlog: refused changes`,
          value: runs[0]!.rejected,
          unit: '',
          note: 'policy refusals (0 expected)',
        },
      )
    } finally {
      fs.rmSync(dir, { recursive: true, force: true })
    }
  }
  return rows
}

/**
 * The same ingest with the relay's stores on PostgreSQL (a throwaway cluster on this machine, fsync
 * on, as a production server runs): each run gets a fresh database loaded with the relay's state.
 */
async function ingestOnPostgres(
  dir: string,
  prepared: { changes: number; chunks: number; vessel: string },
  opts: BenchOptions,
): Promise<BenchRow[]> {
  const cluster = await startPgCluster()
  try {
    const runs: { changes: number; ms: number; maxRssMb: number; rejected: number }[] = []
    for (let i = 0; i < PG_RUNS; i++) {
      const url = cluster.createDatabase(`ingest_${i}`)
      child(['load-pg', path.join(dir, 'pristine.sqlite'), url])
      runs.push(child(['ingest-pg', dir, prepared.vessel, url]))
      opts.log(`relay ingest on PostgreSQL run ${i + 1}: ${JSON.stringify(runs.at(-1))}`)
    }
    return [
      {
        section: 'ingest',
        metric: '21-day backlog on PostgreSQL: validated durable changes/s',
        value: Math.round(median(runs.map((r) => (r.changes / r.ms) * 1000))),
        unit: 'changes/s',
        note: `median of ${runs.length}; ${prepared.changes} changes in ${prepared.chunks} chunks; throwaway local cluster, fsync on`,
      },
      {
        section: 'ingest',
        metric: '21-day backlog on PostgreSQL: peak RSS of the ingesting process',
        value: Math.round(median(runs.map((r) => r.maxRssMb))),
        unit: 'MB',
        note: 'process.resourceUsage().maxRSS (the pg worker thread included)',
      },
      {
        section: 'ingest',
        metric: '21-day backlog on PostgreSQL: refused changes',
        value: runs[0]!.rejected,
        unit: '',
        note: 'policy refusals (0 expected)',
      },
    ]
  } finally {
    cluster.destroy()
  }
}
