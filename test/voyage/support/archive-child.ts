/**
 * Archives one closed voyage of a vessel node's data directory, as the running node does, and
 * reports each step on stdout. With PAUSE_AT=written|removed it stops at that step (so a parent can
 * kill -9 it exactly there); otherwise it runs to the end.
 *
 * Usage: node --import tsx archive-child.ts DATA_DIR VESSEL VOYAGE
 */
import pino from 'pino'
import { ContainerStore } from '@tally/replica'
import { CursorStore, openTallyDatabase, VoyageStore } from '@tally/storage-sqlite'
import { databasePath } from '../../../vessel-node/src/data-dir.ts'
import { RELAY_PEER } from '../../../vessel-node/src/sync-engine.ts'
import { VoyageArchiver } from '../../../vessel-node/src/voyage-archive.ts'

const [dataDir, vessel, voyage] = process.argv.slice(2) as [string, string, string]
const db = openTallyDatabase(databasePath(dataDir))
const archiver = new VoyageArchiver({
  dataDir,
  vessel,
  store: new ContainerStore(db),
  voyages: new VoyageStore(db),
  cursors: new CursorStore(db),
  peer: RELAY_PEER,
  logger: pino({ level: 'silent' }),
  step: (name) => {
    process.stdout.write(`step ${name}\n`)
    // Blocks this thread (nothing else runs here): the parent kills it while it waits.
    if (process.env.PAUSE_AT === name) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 60_000)
  },
})
process.stdout.write('started\n')
const outcome = archiver.archive(voyage)
process.stdout.write(`done ${JSON.stringify(outcome)}\n`)
db.close()
