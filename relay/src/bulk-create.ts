/**
 * Bulk manifest creation (`POST /api/vessels/:imo/containers`, docs/architecture.md and §8): the shore creates
 * a voyage's documents from its booking list. Every item is validated before anything is written,
 * and the first problem is refused with an error naming the field. Creation is idempotent per
 * container: an existing document is left as it is, so posting the same list twice creates nothing.
 */
import { setImmediate as yieldToEventLoop } from 'node:timers/promises'
import * as A from '@automerge/automerge'
import { z } from 'zod'
import {
  applyPatch,
  documentIdFor,
  fieldSpec,
  genesisDoc,
  invalid,
  isReeferType,
  parseWith,
  planPatch,
  sectionSchema,
  TallyError,
} from '@tally/manifest'
import type { ContainerDoc, ContainerKey, ContainerPatch, ShoreRole } from '@tally/manifest'
import type { ContainerStore } from '@tally/replica'
import type { VoyageStore } from '@tally/storage-sqlite'
import type { RelayUser } from './auth.ts'
import type { DiskGuard } from './disk-full.ts'
import type { ContainerEditor } from './editor.ts'

/** Most containers one request may create; a voyage has about 2,000. */
export const MAX_BULK_ITEMS = 5_000
/** Containers written per SQLite transaction; the event loop runs between batches. */
const WRITE_BATCH = 50

const identity = (name: 'containerId' | 'vessel' | 'voyage' | 'isoType') => fieldSpec(name)!.validate.schema

/**
 * One entry of a booking list, as the route validates it and `/api/openapi.json` describes it. The
 * sections are the field catalog's schemas; authority (which role may set which section) is
 * checked after, by the policy's `planPatch`.
 */
export const bookingItemSchema = z
  .strictObject({
    containerId: identity('containerId'),
    isoType: identity('isoType'),
    voyage: identity('voyage'),
    vessel: identity('vessel').optional().meta({ description: 'The URL’s vessel, if given' }),
    cargo: sectionSchema('cargo').nullish(),
    customs: sectionSchema('customs').nullish(),
    physical: sectionSchema('physical')
      .nullish()
      .meta({ description: 'Initial values only (planned stowage, state PLANNED); shore role' }),
  })
  .meta({ id: 'BookingItem' })

/** The body of `POST /api/vessels/:imo/containers`. */
export const bookingListSchema = z.array(bookingItemSchema).max(MAX_BULK_ITEMS).meta({ id: 'BookingList' })

/** A validated booking entry, ready to write. */
export interface PlannedContainer {
  key: ContainerKey
  isoType: string
  /** Cargo and customs values, written as the calling user. */
  shore: ContainerPatch | null
  /** Initial physical values, written by the vessel's planning actor. */
  physical: ContainerPatch | null
}

// planPatch reads only the sections (and whether the container is a reefer), so one genesis of
// each kind stands in for every container; building a genesis per item would double the cost.
const templates = new Map<boolean, A.Doc<ContainerDoc>>()
function templateFor(isoType: string): A.Doc<ContainerDoc> {
  const reefer = isReeferType(isoType)
  let doc = templates.get(reefer)
  if (!doc) {
    const key = { vessel: 'IMO0000000', voyage: 'TEMPLATE', containerId: 'CSQU3054383' }
    doc = genesisDoc(key, reefer ? '45R1' : '22G1')
    templates.set(reefer, doc)
  }
  return doc
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v)

function hasKeys(v: unknown): boolean {
  return isObject(v) && Object.keys(v).length > 0
}

/**
 * Validates a booking list for vessel `imo` as a user of `role`. Throws a TallyError naming the
 * field (the message also names the item) at the first problem.
 */
export function planBooking(body: unknown, imo: string, role: ShoreRole): PlannedContainer[] {
  if (!Array.isArray(body)) throw invalid('body', 'must be a JSON array of containers')
  if (body.length > MAX_BULK_ITEMS)
    throw new TallyError('PAYLOAD_TOO_LARGE', `at most ${MAX_BULK_ITEMS} containers per request`, 'body')
  if (role === 'ops') throw new TallyError('FORBIDDEN', 'the ops role cannot create containers')
  return body.map((item, i) => {
    const label = `item ${i}${isObject(item) && typeof item.containerId === 'string' ? ` (${item.containerId})` : ''}`
    try {
      return planItem(item, imo, role)
    } catch (err) {
      if (!(err instanceof TallyError)) throw err
      throw new TallyError(err.code, `${label}: ${err.message}`, err.field)
    }
  })
}

function planItem(raw: unknown, imo: string, role: ShoreRole): PlannedContainer {
  if (!isObject(raw)) throw invalid('body', 'each container must be a JSON object')
  if (raw.vessel !== undefined && raw.vessel !== imo)
    throw invalid('vessel', `must be ${imo} (the URL's vessel) or absent`)
  // The URL's vessel stands in for an absent one, so a bad IMO in the URL is refused by name too.
  const item = parseWith(bookingItemSchema, { ...raw, vessel: imo })
  const key = { vessel: imo, voyage: item.voyage as string, containerId: item.containerId as string }
  const isoType = item.isoType as string
  const template = templateFor(isoType)
  const shore: ContainerPatch = {}
  for (const section of ['cargo', 'customs'] as const) if (item[section]) shore[section] = item[section]
  // Throws FORBIDDEN_FIELD for a section the role does not own (a customs user setting cargo).
  planPatch(template, shore, role)
  let physical: ContainerPatch | null = null
  if (item.physical) {
    if (hasKeys(item.physical)) {
      if (role !== 'shore')
        throw new TallyError(
          'FORBIDDEN_FIELD',
          `initial physical values are set by the shore role, not ${role}`,
          'physical',
        )
      physical = { physical: item.physical }
      planPatch(template, physical, 'vessel')
    }
  }
  return { key, isoType, shore: hasKeys(shore.cargo) || hasKeys(shore.customs) ? shore : null, physical }
}

export interface BulkCreateDeps {
  store: ContainerStore
  editor: ContainerEditor
  guard?: DiskGuard
  /** The voyage register: a booking opens its voyage there, and a closed voyage takes none. */
  voyages?: VoyageStore
}

/**
 * Writes a validated booking list: the deterministic genesis, then cargo and customs as the user,
 * then the initial physical values as the vessel's planning actor, each container in one
 * transaction with its neighbours. Returns how many documents were newly created.
 */
export async function createContainers(
  deps: BulkCreateDeps,
  planned: PlannedContainer[],
  user: RelayUser,
): Promise<number> {
  const { store, editor, voyages } = deps
  const booked = new Map(planned.map((p) => [`${p.key.vessel}/${p.key.voyage}`, p.key]))
  for (const { vessel, voyage } of booked.values()) {
    const closedAt = voyages?.closedAt(vessel, voyage)
    if (closedAt)
      throw new TallyError(
        'CONFLICT',
        `voyage ${voyage} of ${vessel} was closed at ${closedAt}; book these containers on an open voyage`,
        'voyage',
      )
  }
  for (const { vessel, voyage } of booked.values()) voyages?.ensure(vessel, voyage)
  let created = 0
  for (let start = 0; start < planned.length; start += WRITE_BATCH) {
    if (start > 0) await yieldToEventLoop()
    const batch = () => {
      let n = 0
      for (const item of planned.slice(start, start + WRITE_BATCH)) {
        if (!store.create(item.key, item.isoType)) continue
        n++
        const docId = documentIdFor(item.key)
        if (item.shore) editor.asUser(docId, user, (d) => applyPatch(d, item.shore, user.role))
        if (item.physical)
          editor.asPlanning(docId, item.key.vessel, (d) => applyPatch(d, item.physical, 'vessel'))
      }
      return n
    }
    // A full disk rolls the batch back; the guard prunes old session logs and runs it once more.
    const run = () => store.db.transaction(batch)()
    created += deps.guard ? deps.guard('store new containers', run) : run()
  }
  return created
}
