/**
 * Voyages over time on a vessel node's SQLite file: ten consecutive voyages of 2,000 containers,
 * each booked ashore (seeded manifest), loaded aboard into its slot, read hourly for a day if a
 * reefer, and discharged with its record, then closed. Three files receive every voyage the way a
 * replica stores it (the booked document, then each crew change as its own chunk):
 * - `kept`: a vessel that keeps every voyage (no archiving);
 * - `archived`: a vessel that archives each closed voyage through the vessel node's own archiver
 *   (file per voyage in DATA/archive, rows removed, VACUUM), timed;
 * - `relay`: the relay, whose own close (in-sync check against the vessel's acknowledgements, then
 *   compaction of every document to one snapshot) is timed.
 *
 * The documents are built through Automerge's backend handle, checked against the manifest's own
 * changes (test/bench/voyage-docs.ts), and stored through the storage API in one transaction per
 * voyage and file: the figures are the files' sizes and the close and archive paths, not how long
 * 2,000 boxes take to arrive. A day of readings per reefer, not 21: the figure to read is that the
 * archived file stays flat while the other grows by a voyage each time.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import * as A from '@automerge/automerge'
import pino from 'pino'
import { documentIdFor } from '@tally/manifest'
import type { ContainerDoc } from '@tally/manifest'
import { ContainerStore } from '@tally/replica'
import { CursorStore, DeadLetterStore, openTallyDatabase, VoyageStore } from '@tally/storage-sqlite'
import { reserveWasmHeap } from '@tally/voyage-sim'
import { closeVoyage } from '../../relay/src/voyage-lifecycle.ts'
import type { RelayContext } from '../../relay/src/context.ts'
import { VesselRegistry } from '../../relay/src/vessels.ts'
import { databasePath } from '../../vessel-node/src/data-dir.ts'
import { RELAY_PEER } from '../../vessel-node/src/sync-engine.ts'
import { VoyageArchiver } from '../../vessel-node/src/voyage-archive.ts'
import { median } from './report.ts'
import { READINGS_PER_REEFER, voyageDocs } from './voyage-docs.ts'
import type { FinishedContainer } from './voyage-docs.ts'
import type { BenchOptions, BenchRow } from './report.ts'

const SECTION = 'voyages'
const VESSEL = 'IMO9811000'
const VOYAGES = 10
/** Documents each store keeps loaded: the vessel node's own setting (vessel-node/src/app.ts). */
const CACHE_SIZE = 500
/**
 * WebAssembly heap reserved before the first voyage: V8 collects garbage on every growth of it, so
 * building and storing thousands of documents would otherwise take quadratic time (reserveWasmHeap).
 */
const RESERVE_HEAP_MB = 512

interface Side {
  dir: string
  db: ReturnType<typeof openTallyDatabase>
  store: ContainerStore
  voyages: VoyageStore
  cursors: CursorStore
}

function open(root: string, name: string): Side {
  const dir = path.join(root, name)
  fs.mkdirSync(dir, { recursive: true })
  const db = openTallyDatabase(databasePath(dir), { synchronous: 'NORMAL' })
  return {
    dir,
    db,
    store: new ContainerStore(db, { cacheSize: CACHE_SIZE }),
    voyages: new VoyageStore(db),
    cursors: new CursorStore(db),
  }
}

/** The database file with its WAL, after a checkpoint so the WAL holds nothing stale. */
function fileBytes(side: Side): number {
  side.db.pragma('wal_checkpoint(TRUNCATE)')
  return ['', '-wal'].reduce((n, s) => {
    const f = databasePath(side.dir) + s
    return n + (fs.existsSync(f) ? fs.statSync(f).size : 0)
  }, 0)
}

/**
 * Stores a voyage's documents as a replica holds them once everything is synced: the booked
 * document, then the crew's changes, each its own chunk. `peer` acknowledged every document
 * (the relay's cursors aboard, the vessel's on the relay).
 */
function load(side: Side, voyage: string, docs: Map<string, FinishedContainer>, peer: string): void {
  side.db.transaction(() => {
    for (const [containerId, finished] of docs) {
      const key = { vessel: VESSEL, voyage, containerId }
      const docId = documentIdFor(key)
      side.store.put(key, A.load<ContainerDoc>(finished.booked))
      side.store.applyRemote(docId, key, finished.crewChanges)
      side.cursors.setHeads(peer, docId, finished.heads)
    }
  })()
}

const MB = (bytes: number): string => `${(bytes / 1e6).toFixed(1)} MB`

export async function runVoyageBenchmarks(opts: BenchOptions): Promise<BenchRow[]> {
  const containers = opts.containers
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tally-bench-voyages-'))
  reserveWasmHeap(RESERVE_HEAP_MB)
  const logger = pino({ level: 'silent' })
  const kept = open(root, 'kept')
  const archived = open(root, 'archived')
  const relay = open(root, 'relay')
  const archiver = new VoyageArchiver({
    dataDir: archived.dir,
    vessel: VESSEL,
    store: archived.store,
    voyages: archived.voyages,
    cursors: archived.cursors,
    peer: RELAY_PEER,
    logger,
  })
  const relayCtx = {
    store: relay.store,
    voyages: relay.voyages,
    cursors: relay.cursors,
    deadLetters: new DeadLetterStore(relay.db),
    vessels: new VesselRegistry(relay.db),
    logger,
  } as unknown as RelayContext
  const closeMs: number[] = []
  const archiveMs: number[] = []
  const sizes: { kept: number; archived: number; relay: number }[] = []
  try {
    for (let v = 0; v < VOYAGES; v++) {
      const voyage = `${String(31 + v).padStart(3, '0')}E`
      const started = performance.now()
      const docs = voyageDocs({ seed: opts.seed + v, vessel: VESSEL, voyage, containers })
      load(kept, voyage, docs, RELAY_PEER)
      load(archived, voyage, docs, RELAY_PEER)
      load(relay, voyage, docs, VESSEL)
      const builtMs = performance.now() - started

      let t0 = performance.now()
      const closed = await closeVoyage(relayCtx, VESSEL, voyage)
      closeMs.push(performance.now() - t0)
      if (closed.status !== 'CLOSED') throw new Error(`voyage ${voyage} was not closed`)
      // The vessel learns the close at its next session; the record is what the welcome carries.
      archived.voyages.put({ ...relay.voyages.get(VESSEL, voyage)! })
      t0 = performance.now()
      const outcome = archiver.archive(voyage)
      archiveMs.push(performance.now() - t0)
      if (!outcome.archived) throw new Error(`voyage ${voyage} was not archived: ${JSON.stringify(outcome)}`)

      sizes.push({ kept: fileBytes(kept), archived: fileBytes(archived), relay: fileBytes(relay) })
      const s = sizes.at(-1)!
      opts.log(
        `voyage ${v + 1}/${VOYAGES}: kept ${MB(s.kept)}, archived ${MB(s.archived)}, relay ${MB(s.relay)}; ` +
          `close ${Math.round(closeMs.at(-1)!)} ms, archive ${Math.round(archiveMs.at(-1)!)} ms ` +
          `(documents built and stored in ${(builtMs / 1000).toFixed(1)} s)`,
      )
    }
    const archiveFiles = fs
      .readdirSync(path.join(archived.dir, 'archive'))
      .reduce((n, f) => n + fs.statSync(path.join(archived.dir, 'archive', f)).size, 0)
    const last = sizes.at(-1)!
    const n = containers.toLocaleString('en-US')
    const note = `${VOYAGES} voyages × ${n} containers, ${READINGS_PER_REEFER} readings per reefer`
    return [
      {
        section: SECTION,
        metric: `vessel DB after ${VOYAGES} voyages, no archiving`,
        value: last.kept / 1e6,
        unit: 'MB',
        note: `${note}; after voyage 1: ${MB(sizes[0]!.kept)}`,
      },
      {
        section: SECTION,
        metric: `vessel DB after ${VOYAGES} voyages, archived`,
        value: last.archived / 1e6,
        unit: 'MB',
        note: `live database after each closed voyage went to its archive file and VACUUM; after voyage 1: ${MB(sizes[0]!.archived)}`,
      },
      {
        section: SECTION,
        metric: `archive files, ${VOYAGES} voyages`,
        value: archiveFiles / 1e6,
        unit: 'MB',
        note: 'one CBOR file per voyage in DATA/archive, each document saved by Automerge',
      },
      {
        section: SECTION,
        metric: `relay DB after ${VOYAGES} closed voyages`,
        value: last.relay / 1e6,
        unit: 'MB',
        note: 'the relay keeps closed voyages, each document compacted to one snapshot',
      },
      {
        section: SECTION,
        metric: 'close one voyage (relay)',
        value: Math.round(median(closeMs)),
        unit: 'ms',
        note: `median of ${VOYAGES}: in-sync check of ${n} documents and compaction of each`,
      },
      {
        section: SECTION,
        metric: 'archive one voyage (vessel)',
        value: Math.round(median(archiveMs)),
        unit: 'ms',
        note: `median of ${VOYAGES}: ${n} documents to the file, read back, rows removed, VACUUM`,
      },
    ]
  } finally {
    for (const side of [kept, archived, relay]) side.db.close()
    fs.rmSync(root, { recursive: true, force: true })
  }
}
