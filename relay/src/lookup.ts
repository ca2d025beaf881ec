/**
 * Finds a container's document from the URL's vessel and container number. A document is keyed by
 * (vessel, voyage, container), and URLs name no voyage: the container's newest voyage on that vessel
 * is meant, unless `?voyage=` picks another.
 */
import { invalid, TallyError } from '@tally/manifest'
import type { ContainerStore } from '@tally/replica'

/** The document ID, or 404 NOT_FOUND. */
export function findContainer(
  store: ContainerStore,
  vessel: string,
  containerId: string,
  voyage?: unknown,
): string {
  if (voyage !== undefined && (typeof voyage !== 'string' || !/^[A-Z0-9]{1,10}$/.test(voyage)))
    throw invalid('voyage', 'must be 1–10 letters or digits')
  // The container's first document on the vessel is its oldest voyage: the newest one is meant.
  const docId = store.index.findDocId(vessel, containerId, {
    newest: 'created',
    voyage: (voyage as string | undefined) ?? null,
  })
  if (!docId) throw new TallyError('NOT_FOUND', `no container ${containerId} on ${vessel}`, 'containerId')
  return docId
}
