/**
 * Loading 2,000 container documents from SQLite through automerge-repo: the vessel's end-of-day
 * documents are saved through `SqliteStorageAdapter` by a Repo, then a fresh process (as a vessel
 * node starting) opens a Repo on the file and finds them all. Median of several runs; the file stays
 * in the OS page cache between runs, as it would for a restart. The load runs in a child process
 * because this one has built and freed thousands of documents, and its heap would skew the timing.
 */
import { execFile } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import * as A from '@automerge/automerge'
import { Repo } from '@automerge/automerge-repo'
import type { PeerId } from '@automerge/automerge-repo'
import { documentIdFor } from '@tally/manifest'
import { SqliteStorageAdapter } from '@tally/storage-sqlite'
import type { DayWorkload } from './baseline-workload.ts'
import type { BenchOptions, BenchRow } from './report.ts'
import { median, timedMs } from './report.ts'

const HERE = path.dirname(fileURLToPath(import.meta.url))
const CHILD = path.join(HERE, 'baseline-sqlite-child.ts')
const REPO_ROOT = path.resolve(HERE, '../..')
/** Let automerge-repo's timers and promises run between imports; see baseline-repo-ws.ts. */
const YIELD_EVERY = 50
const CHILD_TIMEOUT_MS = 10 * 60_000

const run = promisify(execFile)

async function loadInChild(file: string, idsFile: string): Promise<{ ms: number; loaded: number }> {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', CHILD, file, idsFile], {
    cwd: REPO_ROOT,
    timeout: CHILD_TIMEOUT_MS,
  })
  return JSON.parse(stdout.trim().split('\n').pop()!) as { ms: number; loaded: number }
}

export async function sqliteLoadBaseline(
  w: DayWorkload,
  opts: BenchOptions & { runs: number },
): Promise<BenchRow[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tally-bench-sqlite-'))
  const file = path.join(dir, 'vessel.sqlite')
  const idsFile = path.join(dir, 'ids.json')
  const docs = w.containers.map((c) => ({
    id: documentIdFor({ vessel: w.voyage.vessel, voyage: w.voyage.voyage, containerId: c.containerId }),
    bytes: c.vesselEnd,
  }))
  fs.writeFileSync(idsFile, JSON.stringify(docs.map((d) => d.id)))
  const section = 'sqlite load'
  try {
    opts.log(`sqlite: saving ${docs.length} documents through SqliteStorageAdapter`)
    const save = await timedMs(async () => {
      const storage = new SqliteStorageAdapter(file)
      const repo = new Repo({ storage, network: [], peerId: 'writer' as PeerId })
      for (const [i, d] of docs.entries()) {
        repo.import(d.bytes, { docId: d.id }).doneLoading()
        if (i % YIELD_EVERY === YIELD_EVERY - 1) await new Promise((resolve) => setImmediate(resolve))
      }
      await repo.flush()
      await repo.shutdown()
      storage.close()
    })
    const loadRuns: number[] = []
    const decodeRuns: number[] = []
    for (let i = 0; i < opts.runs; i++) {
      opts.log(`sqlite: load run ${i + 1}/${opts.runs} (fresh process)`)
      const load = await loadInChild(file, idsFile)
      if (load.loaded !== docs.length) throw new Error(`loaded ${load.loaded} of ${docs.length} documents`)
      loadRuns.push(load.ms)
      decodeRuns.push((await timedMs(() => docs.forEach((d) => A.free(A.load(d.bytes))))).ms)
    }
    const fileBytes = ['', '-wal']
      .map((suffix) => (fs.existsSync(file + suffix) ? fs.statSync(file + suffix).size : 0))
      .reduce((a, b) => a + b, 0)
    const ms = (values: number[]) => values.map((v) => Math.round(v)).join(', ')
    return [
      {
        section,
        metric: `save ${docs.length} docs via Repo`,
        value: Math.round(save.ms),
        unit: 'ms',
        note: 'synchronous=FULL, one run',
      },
      { section, metric: 'database size', value: fileBytes, unit: 'B', note: 'main file + WAL' },
      {
        section,
        metric: `load ${docs.length} docs via Repo.find`,
        value: Math.round(median(loadRuns)),
        unit: 'ms',
        note: `median of ${opts.runs} (${ms(loadRuns)}); fresh process each, open to all found`,
      },
      {
        section,
        metric: `A.load of ${docs.length} saved docs`,
        value: Math.round(median(decodeRuns)),
        unit: 'ms',
        note: `median of ${opts.runs} (${ms(decodeRuns)}); in memory, no storage (decode floor)`,
      },
    ]
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
}
