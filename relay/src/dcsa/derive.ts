/**
 * DCSA Track & Trace 2.2 events from a container's history (the mapping is documented in
 * docs/integrations.md). Every Automerge change is one recorded fact; the events it gives are read
 * from the values the change wrote, as of that change, so concurrent writes elsewhere never blur
 * them. An event's ID is derived from the change hash and the event code, so the same fact has the
 * same `eventID` on every call and on every relay.
 */
import * as A from '@automerge/automerge'
import { genesisActor, stableUuid, toPlain } from '@tally/manifest'
import type { ContainerDoc } from '@tally/manifest'
import type { NewDcsaEvent } from '@tally/storage-sqlite'

/** The DCSA version the events follow; sent as `API-Version`. */
export const DCSA_TNT_VERSION = '2.2.0'

/** Physical states in which a box is aboard: reaching one of them from another state is a LOAD. */
const ABOARD = new Set(['LOADED', 'ON_BOARD'])
/** Fields whose write records a seal or damage inspection. */
const INSPECTION_FIELDS = new Set(['condition', 'damage', 'sealIntact', 'lastInspectedAt'])
/** DCSA's `sealNumber` is at most 15 characters; Tally accepts up to 20. */
const MAX_DCSA_SEAL = 15

type Backend = ReturnType<typeof A.getBackend>

/** A DCSA event's ID: the same fact always gets the same ID (a UUID from SHA-256). */
export const stableEventId = stableUuid

/** The plain value of `obj[key]` as of `heads`, or null. */
function valueAt(backend: Backend, obj: string | null, key: string, heads: string[]): unknown {
  if (!obj || heads.length === 0) return null
  try {
    const found = backend.getWithType(obj, key, heads)
    return found ? toPlain(found[1]) : null
  } catch {
    return null
  }
}

const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null)

/**
 * The events of the changes after `since` (every change when null) and up to `until` (every change
 * when absent), in causal order. `until` is the document's heads when a write was admitted, so the
 * feed can follow admission order across documents. `now` stands in for a change that carries no
 * time of its own.
 */
export function deriveEvents(
  docId: string,
  doc: A.Doc<ContainerDoc>,
  since: string[] | null,
  now: () => string = () => new Date().toISOString(),
  until?: string[],
): NewDcsaEvent[] {
  const key = {
    vessel: toPlain(doc.vessel) as string,
    voyage: toPlain(doc.voyage) as string,
    containerId: toPlain(doc.containerId) as string,
  }
  const isoType = toPlain(doc.isoType) as string
  const ids = {
    physical: A.getObjectId(doc, 'physical'),
    customs: A.getObjectId(doc, 'customs'),
    cargo: A.getObjectId(doc, 'cargo'),
  }
  let changes: Uint8Array[]
  try {
    changes = since ? A.getChangesSince(doc, since) : A.getAllChanges(doc)
  } catch {
    // Heads the document does not know (it was replaced): derive all; stored IDs are skipped.
    changes = A.getAllChanges(doc)
  }
  let later = new Set<string>()
  if (until) {
    try {
      later = new Set(A.getChangesMetaSince(doc, until).map((c) => c.hash))
    } catch {
      // Heads the document does not know: everything it holds is due now.
    }
  }
  const genesis = genesisActor(key)
  const backend = A.getBackend(doc)
  const out: NewDcsaEvent[] = []
  for (const bytes of changes) {
    const change = A.decodeChange(bytes)
    if (change.actor === genesis || later.has(change.hash)) continue
    const written = { physical: new Set<string>(), customs: new Set<string>() }
    for (const op of change.ops as { obj: string; key?: string }[]) {
      if (op.key === undefined) continue
      if (op.obj === ids.physical) written.physical.add(op.key)
      else if (op.obj === ids.customs) written.customs.add(op.key)
    }
    if (written.physical.size === 0 && written.customs.size === 0) continue

    const after = [change.hash]
    const before = change.deps
    const at = change.time > 0 ? new Date(change.time * 1000).toISOString() : now()
    const cargo = (k: string) => str(valueAt(backend, ids.cargo, k, after))
    const physical = (k: string, heads: string[]) => valueAt(backend, ids.physical, k, heads)
    const booking = cargo('booking')
    const billOfLading = cargo('billOfLading')
    const base = {
      docId,
      vessel: key.vessel,
      equipmentReference: key.containerId,
      carrierBookingReference: booking,
      transportDocumentReference: billOfLading,
      createdAt: at,
    }

    const equipment = (code: string, port: string | null): NewDcsaEvent => {
      const observed = str(physical('observedSeal', after))
      const seal = observed ?? cargo('declaredSeal')
      const eventId = stableEventId(`tally/dcsa/${change.hash}/${code}`)
      const body: Record<string, unknown> = {
        eventID: eventId,
        eventCreatedDateTime: at,
        eventDateTime: at,
        eventType: 'EQUIPMENT',
        eventClassifierCode: 'ACT',
        equipmentEventTypeCode: code,
        equipmentReference: key.containerId,
        ISOEquipmentCode: isoType,
        emptyIndicatorCode: booking ? 'LADEN' : 'EMPTY',
      }
      if (port) {
        body.eventLocation = { UNLocationCode: port }
        body.transportCall = {
          transportCallID: `${key.vessel}-${key.voyage}-${port}`,
          carrierVoyageNumber: key.voyage,
          exportVoyageNumber: key.voyage,
          UNLocationCode: port,
          modeOfTransport: 'VESSEL',
          vessel: { vesselIMONumber: key.vessel.replace(/^IMO/, '') },
        }
      }
      // The seal type is not recorded in Tally; ISO 17712 bolt seals are the norm on containers.
      if (seal && seal.length <= MAX_DCSA_SEAL)
        body.seals = [{ sealNumber: seal, ...(observed ? {} : { sealSource: 'SHI' }), sealType: 'BLT' }]
      return {
        ...base,
        eventId,
        eventType: 'EQUIPMENT',
        typeCode: code,
        documentTypeCode: null,
        body,
      }
    }

    if (written.physical.has('state')) {
      const from = physical('state', before)
      const to = physical('state', after)
      if (typeof to === 'string' && ABOARD.has(to) && !(typeof from === 'string' && ABOARD.has(from)))
        out.push(equipment('LOAD', cargo('pol')))
      else if (to === 'DISCHARGED' && from !== 'DISCHARGED') out.push(equipment('DISC', cargo('pod')))
    }
    if ([...written.physical].some((k) => INSPECTION_FIELDS.has(k))) out.push(equipment('INSP', null))
    if (written.physical.has('observedSeal')) {
      const from = str(physical('observedSeal', before))
      const to = str(physical('observedSeal', after))
      // A new seal: a number other than the one seen before, or (none seen yet) than the declared one.
      if (to && to !== from && (from !== null || to !== cargo('declaredSeal')))
        out.push(equipment('RSEA', null))
    }
    if (written.customs.has('status')) {
      const from = valueAt(backend, ids.customs, 'status', before)
      const to = valueAt(backend, ids.customs, 'status', after)
      const code =
        to === 'HELD' && from !== 'HELD' ? 'HOLD' : to === 'RELEASED' && from !== 'RELEASED' ? 'RELS' : null
      if (code) {
        const eventId = stableEventId(`tally/dcsa/${change.hash}/${code}`)
        const declaration = str(valueAt(backend, ids.customs, 'declaration', after))
        const reason = code === 'HOLD' ? str(valueAt(backend, ids.customs, 'holdReason', after)) : null
        out.push({
          ...base,
          eventId,
          eventType: 'SHIPMENT',
          typeCode: code,
          documentTypeCode: 'CUS',
          body: {
            eventID: eventId,
            eventCreatedDateTime: at,
            // DCSA: a shipment event's eventDateTime is its eventCreatedDateTime.
            eventDateTime: at,
            eventType: 'SHIPMENT',
            eventClassifierCode: 'ACT',
            shipmentEventTypeCode: code,
            documentTypeCode: 'CUS',
            documentID: declaration ?? billOfLading ?? key.containerId,
            ...(reason ? { reason } : {}),
            references: [{ referenceType: 'EQ', referenceValue: key.containerId }],
          },
        })
      }
    }
  }
  return out
}
