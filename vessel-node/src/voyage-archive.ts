/**
 * Archiving a closed voyage aboard (docs/architecture.md, "Voyages"). Once the relay has closed a
 * voyage and acknowledged every one of its documents, the vessel writes them to one file in
 * `DATA/archive/` (CBOR: the voyage record and each container's saved Automerge document, which any
 * Automerge can load), removes them from the live database, and runs VACUUM so the disk space
 * comes back.
 *
 * Order makes it safe against kill -9: the file is written beside its final name, fsynced and
 * renamed, and read back before anything is deleted; the deletion and the "archived" mark are one
 * transaction. A crash before that transaction leaves the voyage live (the next run writes the same
 * file again); after it, the voyage is archived. Nothing is ever half-archived.
 */
import {
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  statSync,
  writeSync,
} from 'node:fs'
import { join } from 'node:path'
import * as A from '@automerge/automerge'
import type { Logger } from 'pino'
import { decodeValue, encodeValue, sameHeads } from '@tally/link'
import { TallyError, toView } from '@tally/manifest'
import type { ContainerDoc, ContainerView, PortCall, PrincipalOf } from '@tally/manifest'
import type { ContainerStore } from '@tally/replica'
import { shrinkDatabase } from '@tally/storage-sqlite'
import type { CursorStore, StoredVoyage, VoyageStore } from '@tally/storage-sqlite'
import { databasePath } from './data-dir.ts'

export const ARCHIVE_DIR = 'archive'
const FORMAT = 'tally-voyage-archive'
const FORMAT_VERSION = 1

/** What an archive file holds. */
export interface VoyageArchive {
  format: typeof FORMAT
  version: number
  vessel: string
  voyage: string
  closedAt: string | null
  portCalls: PortCall[]
  archivedAt: string
  /** [containerId, saved Automerge document] */
  containers: [string, Uint8Array][]
}

export interface ArchiveOutcome {
  voyage: string
  archived: boolean
  /** Documents whose changes the relay has not acknowledged yet (nothing is pruned until it has). */
  waitingFor: number
  containers: number
  file: string | null
  /** Database file size before and after (bytes), when archived. */
  dbBytesBefore?: number
  dbBytesAfter?: number
  ms?: number
}

export interface VoyageArchiverOptions {
  dataDir: string
  vessel: string
  store: ContainerStore
  voyages: VoyageStore
  cursors: CursorStore
  /** The cursor namespace of the relay. */
  peer: string
  logger: Logger
  /** Documents removed from the live database: caches built on them must go too. */
  onRemoved?: (docIds: string[]) => void
  /** Test hook for kill -9 tests: called between the steps, by name. */
  step?: (name: 'written' | 'removed') => void
}

/** Archive files are named after the vessel and voyage, both restricted to letters and digits. */
export const archiveFileName = (vessel: string, voyage: string): string => `${vessel}-${voyage}.tally`

export function readArchive(file: string): VoyageArchive {
  const value = decodeValue(readFileSync(file)) as VoyageArchive
  if (value?.format !== FORMAT || !Array.isArray(value.containers))
    throw new Error(`${file} is not a Tally voyage archive`)
  return value
}

export class VoyageArchiver {
  constructor(private readonly o: VoyageArchiverOptions) {}

  private dbBytes(): number {
    const path = databasePath(this.o.dataDir)
    let total = 0
    for (const suffix of ['', '-wal']) {
      try {
        total += statSync(path + suffix).size
      } catch {
        // No WAL file right now.
      }
    }
    return total
  }

  /** Closed voyages whose documents are still in the live database. */
  closedLive(): StoredVoyage[] {
    return this.o.voyages.list(this.o.vessel).filter((v) => v.status === 'CLOSED' && v.archivedAt === null)
  }

  /** Archives every closed voyage the relay has fully acknowledged. */
  archiveReady(): ArchiveOutcome[] {
    return this.closedLive().map((v) => this.archive(v.voyage))
  }

  /** Archives one closed voyage if every document is acknowledged; otherwise says how many wait. */
  archive(voyage: string): ArchiveOutcome {
    const { store, voyages, cursors, vessel, peer, logger } = this.o
    const record = voyages.get(vessel, voyage)
    if (!record || record.status !== 'CLOSED')
      throw new TallyError('CONFLICT', `voyage ${voyage} is not closed; only a closed voyage is archived`)
    if (record.archivedAt !== null && record.archiveFile !== null)
      // Done before (a crash may have come between the removal and VACUUM): never write it again,
      // the live database no longer holds what the file holds.
      return {
        voyage,
        archived: true,
        waitingFor: 0,
        containers: 0,
        file: join(this.o.dataDir, ARCHIVE_DIR, record.archiveFile),
      }
    const rows = store.index.voyageRows(vessel, voyage)
    const waitingFor = rows.filter(
      (r) => !sameHeads(JSON.parse(r.heads) as string[], cursors.getHeads(peer, r.doc_id) ?? []),
    ).length
    const outcome: ArchiveOutcome = {
      voyage,
      archived: false,
      waitingFor,
      containers: rows.length,
      file: null,
    }
    if (waitingFor > 0) return outcome
    const started = performance.now()
    const dbBytesBefore = this.dbBytes()
    const dir = join(this.o.dataDir, ARCHIVE_DIR)
    const file = join(dir, archiveFileName(vessel, voyage))
    const archive: VoyageArchive = {
      format: FORMAT,
      version: FORMAT_VERSION,
      vessel,
      voyage,
      closedAt: record.closedAt,
      portCalls: record.portCalls,
      archivedAt: new Date().toISOString(),
      containers: rows.map((r) => [r.container_id, A.save(store.load(r.doc_id)!)]),
    }
    mkdirSync(dir, { recursive: true })
    writeDurably(file, encodeValue(archive))
    // Read back before deleting anything: the file must hold every document, each loadable.
    const check = readArchive(file)
    if (check.containers.length !== rows.length) throw new Error(`archive ${file} is incomplete`)
    for (const [, bytes] of check.containers) A.load(bytes)
    this.o.step?.('written')
    const docIds = rows.map((r) => r.doc_id)
    store.db.transaction(() => {
      store.remove(docIds)
      for (const docId of docIds) cursors.deleteHeads(peer, docId)
      voyages.markArchived(vessel, voyage, archiveFileName(vessel, voyage))
    })()
    this.o.onRemoved?.(docIds)
    this.o.step?.('removed')
    // Give the pages back to the file system: the live database shrinks by the voyage's size.
    shrinkDatabase(store.db)
    const done: ArchiveOutcome = {
      ...outcome,
      archived: true,
      file,
      dbBytesBefore,
      dbBytesAfter: this.dbBytes(),
      ms: Math.round(performance.now() - started),
    }
    logger.info(done, 'voyage archived')
    return done
  }

  /** The views of an archived voyage's containers, read from its file (read-only). */
  archivedViews(voyage: string, principalOf?: PrincipalOf): ContainerView[] {
    const record = this.o.voyages.get(this.o.vessel, voyage)
    if (!record?.archiveFile)
      throw new TallyError('NOT_FOUND', `voyage ${voyage} has no archive aboard`, 'voyage')
    const archive = readArchive(join(this.o.dataDir, ARCHIVE_DIR, record.archiveFile))
    return archive.containers.map(([, bytes]) => toView(A.load<ContainerDoc>(bytes), principalOf))
  }
}

/** Writes `data` to `file` so that the file is either absent, or complete and on disk. */
function writeDurably(file: string, data: Uint8Array): void {
  const tmp = `${file}.tmp`
  const fd = openSync(tmp, 'w')
  try {
    let off = 0
    while (off < data.length) off += writeSync(fd, data, off, data.length - off)
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
  renameSync(tmp, file)
  const dirFd = openSync(join(file, '..'), 'r')
  try {
    fsyncSync(dirFd)
  } finally {
    closeSync(dirFd)
  }
}
