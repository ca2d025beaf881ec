/**
 * A box the crew meet that is not on the manifest (a short-notice load, a number mistyped ashore):
 * `POST /api/containers {containerId, isoType, physical?, voyage?}`. The document is the same one
 * the shore would create for (vessel, voyage, containerId): same ID, byte-identical genesis, so a box
 * registered aboard and booked ashore while apart is one container when they meet. The crew's
 * initial physical values follow as the crew member's own change; ON_BOARD unless they say otherwise.
 *
 * Also here: marking a box DISCHARGED records where (the port the vessel is in) and when.
 */
import type * as A from '@automerge/automerge'
import {
  checkIdentity,
  currentPortCall,
  documentIdFor,
  genesisDoc,
  invalid,
  iso6346Problem,
  normalizeContainerId,
  planPatch,
  suggestContainerIds,
  TallyError,
  applyPatch,
  toPlain,
} from '@tally/manifest'
import type { ContainerDoc, ContainerPatch } from '@tally/manifest'
import { closedVoyageRefusal } from '@tally/policy'
import type { ContainerStore } from '@tally/replica'
import type { CrewEditor } from './crew-editor.ts'
import type { VesselVoyages } from './voyages.ts'

const BODY_KEYS = new Set(['containerId', 'isoType', 'physical', 'voyage'])

export interface RegisterDeps {
  store: ContainerStore
  /** Crew edits through policy (crew-editor.ts). */
  editor: CrewEditor
  vessel: string
  voyages: VesselVoyages
  guard: <T>(operation: string, fn: () => T) => T
}

/** The container number as typed, checked; a typo is refused with the nearest valid numbers. */
export function checkedContainerId(input: unknown): string {
  if (typeof input !== 'string' || input.trim() === '')
    throw invalid('containerId', 'is required, e.g. CSQU3054383')
  const id = normalizeContainerId(input)
  const problem = iso6346Problem(id)
  if (!problem) return id
  const suggestions = suggestContainerIds(id)
  throw new TallyError(
    'INVALID',
    `containerId: ${problem}` + (suggestions.length > 0 ? `; did you mean ${suggestions.join(' or ')}?` : ''),
    'containerId',
    { suggestions },
  )
}

/** Validates and creates the document; returns its ID. */
export function registerAboard(d: RegisterDeps, body: unknown, actorOf: () => string): string {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw invalid('body', 'must be a JSON object {containerId, isoType, physical?}')
  const b = body as Record<string, unknown>
  for (const key of Object.keys(b)) if (!BODY_KEYS.has(key)) throw invalid(key, 'is not a known field')
  const containerId = checkedContainerId(b.containerId)
  const voyage = b.voyage === undefined ? d.voyages.current() : b.voyage
  if (voyage === undefined)
    throw new TallyError(
      'CONFLICT',
      'no current voyage is known aboard yet; sync with the shore first',
      'voyage',
    )
  const isoType = typeof b.isoType === 'string' ? b.isoType.trim().toUpperCase() : b.isoType
  const key = { vessel: d.vessel, voyage: voyage as string, containerId }
  checkIdentity({ ...key, isoType: isoType as string })
  const closedAt = d.voyages.closedAt(key.voyage)
  if (closedAt) throw new TallyError('FORBIDDEN', closedVoyageRefusal(key, closedAt).reason, 'voyage')
  const docId = documentIdFor(key)
  if (d.store.row(docId))
    throw new TallyError(
      'CONFLICT',
      `${containerId} is already on voyage ${key.voyage}; open it from the list`,
      'containerId',
      { containerId },
    )
  if (
    b.physical !== undefined &&
    (typeof b.physical !== 'object' || b.physical === null || Array.isArray(b.physical))
  )
    throw invalid('physical', 'must be an object')
  const physical: ContainerPatch = { physical: { state: 'ON_BOARD', ...(b.physical as object | undefined) } }
  // Everything is checked against the genesis before anything is written.
  const genesis = genesisDoc(key, isoType as string)
  planPatch(genesis, physical, 'vessel')
  const actor = actorOf()
  d.guard('register the container', () =>
    d.store.db.transaction(() => {
      d.store.create(key, isoType as string)
      d.editor.edit(docId, actor, (doc) => applyPatch(doc, physical, 'vessel'))
    })(),
  )
  return docId
}

/**
 * A patch that sets `physical.state` to DISCHARGED also records when and where, unless it says so
 * itself: the port the vessel is in, else the box's port of discharge.
 */
export function withDischargeRecord(
  doc: A.Doc<ContainerDoc>,
  patch: unknown,
  voyages: VesselVoyages,
): unknown {
  const physical = (patch as ContainerPatch | null)?.physical
  if (!physical || typeof physical !== 'object' || physical.state !== 'DISCHARGED') return patch
  if (toPlain(doc.physical?.state) === 'DISCHARGED') return patch
  const voyage = toPlain(doc.voyage) as string
  const inPort = currentPortCall(voyages.record(voyage)?.portCalls ?? [])
  const port = inPort?.inPort ? inPort.call.locode : ((toPlain(doc.cargo?.pod) as string | null) ?? null)
  return {
    ...(patch as object),
    physical: {
      dischargedAt: new Date().toISOString(),
      dischargePort: port,
      ...physical,
    },
  }
}
