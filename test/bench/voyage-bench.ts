/**
 * Voyages over time on a vessel node's SQLite file: ten consecutive voyages of 2,000 containers,
 * each booked (seeded manifest), stowed and loaded by the crew, with a day of hourly readings per
 * reefer and every box discharged, then closed. One file keeps every voyage (no archiving); the other
 * archives each closed voyage as the vessel node does (file per voyage, rows removed, VACUUM). Also
 * the time to close one voyage on the relay's side (in-sync check and compaction) and to archive it
 * aboard.
 *
 * The documents are smaller than a real voyage's (a day of readings, not 21): the figure to read is
 * the ratio, and that the archived file stays flat while the other grows.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import * as A from '@automerge/automerge'
import pino from 'pino'
import { applyPatch, documentIdFor, isReeferType } from '@tally/manifest'
import type { ContainerDoc } from '@tally/manifest'
import { ContainerStore } from '@tally/replica'
import { CursorStore, DeadLetterStore, openTallyDatabase, VoyageStore } from '@tally/storage-sqlite'
import { bookedDocs, seedManifest } from '@tally/voyage-sim'
import { closeVoyage } from '../../relay/src/voyage-lifecycle.ts'
import type { RelayContext } from '../../relay/src/context.ts'
import { VesselRegistry } from '../../relay/src/vessels.ts'
import { databasePath } from '../../vessel-node/src/data-dir.ts'
import { RELAY_PEER } from '../../vessel-node/src/sync-engine.ts'
import { VoyageArchiver } from '../../vessel-node/src/voyage-archive.ts'
import { median } from './report.ts'
import type { BenchOptions, BenchRow } from './report.ts'

const SECTION = 'voyages'
const VESSEL = 'IMO9811000'
const VOYAGES = 10
const READINGS_PER_REEFER = 24
const CREW_ACTOR = 'cd'.repeat(16)

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
    store: new ContainerStore(db),
    voyages: new VoyageStore(db),
    cursors: new CursorStore(db),
  }
}

const fileBytes = (side: Side): number =>
  ['', '-wal'].reduce((n, s) => {
    const f = databasePath(side.dir) + s
    return n + (fs.existsSync(f) ? fs.statSync(f).size : 0)
  }, 0)

/** One voyage's documents at the end of the voyage: booked, loaded, read, discharged. */
function voyageDocs(seed: number, voyage: string, containers: number): Map<string, A.Doc<ContainerDoc>> {
  const manifest = seedManifest({ seed, vessel: VESSEL, voyage, containers })
  const docs = bookedDocs(manifest, VESSEL)
  const out = new Map<string, A.Doc<ContainerDoc>>()
  const start = Date.parse('2026-11-01T00:00:00Z')
  let bay = 1
  for (const [id, booked] of docs) {
    let doc = A.clone(booked, { actor: CREW_ACTOR as A.ActorId })
    const stowage = `${String(bay).padStart(3, '0')}0482`
    bay = (bay % 79) + 2
    doc = applyPatch(doc, { physical: { state: 'ON_BOARD', stowage } }, 'vessel')
    if (isReeferType(String(doc.isoType)))
      doc = A.change(doc, (d) => {
        for (let h = 0; h < READINGS_PER_REEFER; h++)
          d.reefer!.readings.push({
            at: new A.ImmutableString(new Date(start + h * 3_600_000).toISOString()),
            supplyC: -18,
            returnC: -17.4,
          } as never)
      })
    doc = applyPatch(doc, { physical: { state: 'DISCHARGED' } }, 'vessel')
    out.set(id, doc)
  }
  return out
}

function load(side: Side, voyage: string, docs: Map<string, A.Doc<ContainerDoc>>): void {
  side.db.transaction(() => {
    for (const [containerId, doc] of docs) {
      const key = { vessel: VESSEL, voyage, containerId }
      side.store.put(key, doc)
      // Everything synced: the relay acknowledged every document.
      side.cursors.setHeads(RELAY_PEER, documentIdFor(key), A.getHeads(doc))
    }
  })()
}

export async function runVoyageBenchmarks(opts: BenchOptions): Promise<BenchRow[]> {
  const containers = opts.containers
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tally-bench-voyages-'))
  const logger = pino({ level: 'silent' })
  const kept = open(root, 'kept')
  const archived = open(root, 'archived')
  const archiver = new VoyageArchiver({
    dataDir: archived.dir,
    vessel: VESSEL,
    store: archived.store,
    voyages: archived.voyages,
    cursors: archived.cursors,
    peer: RELAY_PEER,
    logger,
  })
  // The relay's close, run on the file that keeps every voyage (it holds what a relay holds).
  const relayCtx = {
    store: kept.store,
    voyages: kept.voyages,
    cursors: kept.cursors,
    deadLetters: new DeadLetterStore(kept.db),
    vessels: new VesselRegistry(kept.db),
    logger,
  } as unknown as RelayContext
  // The relay's cursors are the vessel's acknowledgements: the same heads, under the vessel's name.
  const closeMs: number[] = []
  const archiveMs: number[] = []
  const sizes: { kept: number; archived: number }[] = []
  try {
    for (let v = 0; v < VOYAGES; v++) {
      const voyage = `${String(31 + v).padStart(3, '0')}E`
      const docs = voyageDocs(opts.seed + v, voyage, containers)
      load(kept, voyage, docs)
      load(archived, voyage, docs)
      kept.db.transaction(() => {
        for (const [containerId, doc] of docs)
          kept.cursors.setHeads(
            VESSEL,
            documentIdFor({ vessel: VESSEL, voyage, containerId }),
            A.getHeads(doc),
          )
      })()
      let t0 = performance.now()
      await closeVoyage(relayCtx, VESSEL, voyage)
      closeMs.push(performance.now() - t0)
      const closed = kept.voyages.get(VESSEL, voyage)!
      archived.voyages.put({ ...closed })
      t0 = performance.now()
      const outcome = archiver.archive(voyage)
      archiveMs.push(performance.now() - t0)
      if (!outcome.archived) throw new Error(`voyage ${voyage} was not archived: ${JSON.stringify(outcome)}`)
      kept.db.pragma('wal_checkpoint(TRUNCATE)')
      sizes.push({ kept: fileBytes(kept), archived: fileBytes(archived) })
      opts.log(
        `voyage ${v + 1}/${VOYAGES}: kept ${(sizes.at(-1)!.kept / 1e6).toFixed(1)} MB, archived ${(sizes.at(-1)!.archived / 1e6).toFixed(1)} MB`,
      )
    }
    const archiveFiles = fs
      .readdirSync(path.join(archived.dir, 'archive'))
      .reduce((n, f) => n + fs.statSync(path.join(archived.dir, 'archive', f)).size, 0)
    const last = sizes.at(-1)!
    const note = `${VOYAGES} voyages × ${containers.toLocaleString('en-US')} containers, ${READINGS_PER_REEFER} readings per reefer`
    return [
      {
        section: SECTION,
        metric: 'vessel DB after 10 voyages, no archiving',
        value: last.kept / 1e6,
        unit: 'MB',
        note,
      },
      {
        section: SECTION,
        metric: 'vessel DB after 10 voyages, archived',
        value: last.archived / 1e6,
        unit: 'MB',
        note: 'live database after each closed voyage went to its archive file and VACUUM',
      },
      {
        section: SECTION,
        metric: 'archive files, 10 voyages',
        value: archiveFiles / 1e6,
        unit: 'MB',
        note: 'one CBOR file per voyage in DATA/archive, each document saved by Automerge',
      },
      {
        section: SECTION,
        metric: 'close one voyage (relay)',
        value: Math.round(median(closeMs)),
        unit: 'ms',
        note: `median of ${VOYAGES}: in-sync check of ${containers.toLocaleString('en-US')} documents and compaction`,
      },
      {
        section: SECTION,
        metric: 'archive one voyage (vessel)',
        value: Math.round(median(archiveMs)),
        unit: 'ms',
        note: `median of ${VOYAGES}: file written and read back, rows removed, VACUUM`,
      },
    ]
  } finally {
    kept.db.close()
    archived.db.close()
    fs.rmSync(root, { recursive: true, force: true })
  }
}
