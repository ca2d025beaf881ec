/**
 * Loading 2,000 container documents from SQLite through automerge-repo: the vessel's end-of-day
 * documents are saved through `SqliteStorageAdapter` by a Repo, then a fresh Repo on a fresh
 * connection finds them all. Median of several runs; the file stays in the OS page cache between
 * runs, as it would on a vessel node restarting.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import * as A from '@automerge/automerge'
import { Repo } from '@automerge/automerge-repo'
import type { DocumentId, PeerId } from '@automerge/automerge-repo'
import { documentIdFor } from '@tally/manifest'
import { SqliteStorageAdapter } from '@tally/storage-sqlite'
import type { DayWorkload } from './baseline-workload.ts'
import type { BenchOptions, BenchRow } from './report.ts'
import { median, timedMs } from './report.ts'

export async function sqliteLoadBaseline(
  w: DayWorkload,
  opts: BenchOptions & { runs: number },
): Promise<BenchRow[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tally-bench-sqlite-'))
  const file = path.join(dir, 'vessel.sqlite')
  const docs = [...w.docs.vessel].map(([containerId, doc]) => ({
    id: documentIdFor({ vessel: w.voyage.vessel, voyage: w.voyage.voyage, containerId }),
    bytes: A.save(doc),
  }))
  const section = 'sqlite load'
  try {
    opts.log(`sqlite: saving ${docs.length} documents through SqliteStorageAdapter`)
    const save = await timedMs(async () => {
      const storage = new SqliteStorageAdapter(file)
      const repo = new Repo({ storage, network: [], peerId: 'writer' as PeerId })
      for (const d of docs) repo.import(d.bytes, { docId: d.id }).doneLoading()
      await repo.flush()
      await repo.shutdown()
      storage.close()
    })
    const loadRuns: number[] = []
    const decodeRuns: number[] = []
    for (let run = 0; run < opts.runs; run++) {
      opts.log(`sqlite: load run ${run + 1}/${opts.runs}`)
      const load = await timedMs(async () => {
        const storage = new SqliteStorageAdapter(file)
        const repo = new Repo({ storage, network: [], peerId: `reader-${run}` as PeerId })
        const handles = await Promise.all(docs.map((d) => repo.find(d.id as DocumentId)))
        const heads = handles.filter((h) => h.heads().length > 0).length
        await repo.shutdown()
        storage.close()
        return heads
      })
      if (load.result !== docs.length) throw new Error(`loaded ${load.result} of ${docs.length} documents`)
      loadRuns.push(load.ms)
      decodeRuns.push((await timedMs(() => docs.forEach((d) => A.free(A.load(d.bytes))))).ms)
    }
    const fileBytes = ['', '-wal']
      .map((suffix) => (fs.existsSync(file + suffix) ? fs.statSync(file + suffix).size : 0))
      .reduce((a, b) => a + b, 0)
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
        note: `median of ${opts.runs}: ${loadRuns.map((ms) => Math.round(ms)).join(', ')} ms; fresh Repo and connection each`,
      },
      {
        section,
        metric: `A.load of ${docs.length} saved docs`,
        value: Math.round(median(decodeRuns)),
        unit: 'ms',
        note: `median of ${opts.runs}; in memory, no storage (decode floor)`,
      },
    ]
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
}
