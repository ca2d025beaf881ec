/**
 * Relay ingest benchmark, run as child processes so peak RSS belongs to the ingest alone.
 *   prepare DIR SEED CONTAINERS DAYS: loads the cached voyage into DIR/{relay,vessel}.sqlite and writes
 *     the vessel's change set (chunk frames) to DIR/chunks.cbor.
 *   ingest DIR: opens DIR/relay.sqlite and ingests every chunk as the relay's link does (checksum,
 *     decompress, policy, durable commit); prints {changes, ms, maxRssMb} as JSON.
 *   load-pg FILE URL: copies the relay database FILE into the (empty) PostgreSQL database at URL.
 *   ingest-pg DIR VESSEL URL: the same ingest as `ingest`, with the relay's stores on PostgreSQL.
 */
import fs from 'node:fs'
import path from 'node:path'
import { Encoder } from 'cbor-x'
import { openChunk, packChunks, planDocument } from '@tally/link'
import { ContainerStore, SqliteLinkReplica, policyValidator } from '@tally/replica'
import { ActorRegistryStore, CursorStore, DeadLetterStore } from '@tally/storage-sqlite'
import { openPostgresDatabase } from '@tally/storage-postgres'
import { copySqliteToPostgres } from './sqlite-to-postgres.ts'
import { buildVoyage } from '@tally/voyage-sim'
import { cachedVoyage } from './voyage-cache.ts'
import { fastVoyage } from './fast-voyage.ts'
import { loadVoyage } from './link-fixture.ts'
import { logger, openSide, vesselReplica } from '../link/fixtures.ts'

const cbor = new Encoder({ useRecords: false, mapsAsObjects: true })
const [mode, dir, seed, containers, days] = process.argv.slice(2)

if (mode === 'prepare') {
  const d = Number(days)
  const v =
    d === 1
      ? cachedVoyage(
          { seed: Number(seed), containers: Number(containers), days: 2, syncedDays: 1 },
          console.error,
          buildVoyage,
        )
      : cachedVoyage(
          { seed: Number(seed), containers: Number(containers), days: d, syncedDays: 0 },
          console.error,
          fastVoyage,
        )
  const loaded = loadVoyage(v)
  const vessel = loaded.vessel
  const replica = vesselReplica(vessel, v.vessel)
  const chunks = packChunks(replica.outgoing().flatMap(planDocument), (a) => replica.bindingOf(a))
  fs.writeFileSync(path.join(dir!, 'chunks.cbor'), cbor.encode(chunks.map((c) => c.frame)))
  // Closing checkpoints the WAL, so each database is one self-contained file to copy.
  loaded.relay.db.close()
  loaded.vessel.db.close()
  for (const f of fs.readdirSync(loaded.dir))
    if (f.startsWith('relay.sqlite') || f.startsWith('vessel.sqlite'))
      fs.renameSync(path.join(loaded.dir, f), path.join(dir!, f))
  console.log(
    JSON.stringify({
      chunks: chunks.length,
      changes: chunks.reduce((n, c) => n + c.changeCount, 0),
      vessel: v.vessel,
    }),
  )
} else if (mode === 'load-pg') {
  const db = openPostgresDatabase(process.argv[4]!)
  const rows = copySqliteToPostgres(dir!, db)
  db.close()
  console.log(JSON.stringify({ rows }))
} else if (mode === 'ingest' || mode === 'ingest-pg') {
  const frames = cbor.decode(fs.readFileSync(path.join(dir!, 'chunks.cbor'))) as any[]
  const relay = mode === 'ingest' ? openSide(path.join(dir!, 'relay.sqlite')) : pgSide(process.argv[5]!)
  const vessel = process.argv[4]!
  const replica = new SqliteLinkReplica({
    store: relay.store,
    cursors: relay.cursors,
    registry: relay.registry,
    deadLetters: relay.deadLetters,
    peer: vessel,
    vessel,
    peerPrincipal: vessel,
    trustBinding: (b) => b.p === vessel,
    validate: policyValidator(relay.registry, { id: vessel, role: 'vessel' }),
    logger,
  })
  const start = performance.now()
  let changes = 0
  let rejected = 0
  for (const frame of frames) {
    const result = replica.ingest(openChunk(frame))
    changes += result.accepted
    rejected += result.rejected.length
  }
  const ms = performance.now() - start
  console.log(JSON.stringify({ changes, rejected, ms, maxRssMb: process.resourceUsage().maxRSS / 1024 }))
  relay.db.close()
}

/** The relay's stores the ingest uses, on PostgreSQL. */
function pgSide(url: string) {
  const db = openPostgresDatabase(url)
  const registry = new ActorRegistryStore(db)
  return {
    db,
    registry,
    store: new ContainerStore(db, { principalOf: (a) => registry.principalOf(a) }),
    cursors: new CursorStore(db),
    deadLetters: new DeadLetterStore(db),
  }
}
