/**
 * Finds a container's document from the URL's vessel and container number. A document is keyed by
 * (vessel, voyage, container), and URLs name no voyage: the container's newest voyage on that vessel
 * is meant, unless `?voyage=` picks another.
 */
import type { SqlDatabase, SqlStatement } from '@tally/storage-sqlite'
import { invalid, TallyError } from '@tally/manifest'
import type { ContainerStore } from '@tally/replica'

const statements = new WeakMap<
  SqlDatabase,
  SqlStatement<[{ vessel: string; id: string; voyage: string | null }], { doc_id: string }>
>()

/** The document ID, or 404 NOT_FOUND. */
export function findContainer(
  store: ContainerStore,
  vessel: string,
  containerId: string,
  voyage?: unknown,
): string {
  if (voyage !== undefined && (typeof voyage !== 'string' || !/^[A-Z0-9]{1,10}$/.test(voyage)))
    throw invalid('voyage', 'must be 1–10 letters or digits')
  let stmt = statements.get(store.db)
  if (!stmt) {
    // Reads the replica's summary index directly: it has the (vessel, container_id) index this needs,
    // and rowid order is creation order, so the newest voyage comes first.
    stmt = store.db.prepare(
      `SELECT doc_id FROM containers WHERE vessel = @vessel AND container_id = @id AND (CAST(@voyage AS TEXT) IS NULL OR voyage = @voyage)
       ORDER BY rowid DESC LIMIT 1`,
    )
    statements.set(store.db, stmt)
  }
  const row = stmt.get({ vessel, id: containerId, voyage: (voyage as string | undefined) ?? null })
  if (!row) throw new TallyError('NOT_FOUND', `no container ${containerId} on ${vessel}`, 'containerId')
  return row.doc_id
}
