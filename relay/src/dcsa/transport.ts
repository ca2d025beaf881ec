/**
 * DCSA `TransportEvent`s (ARRI, DEPA) from a voyage's port calls (docs/integrations.md): an actual
 * arrival or departure (`ata`, `atd`) is `ACT`, an expected arrival (`eta`, before the vessel has
 * arrived) is `EST`. Tally records no expected departure, so there is no `DEPA`/`EST`.
 *
 * An event's ID is derived from the vessel, voyage, call, code, classifier and time, so the same fact
 * has the same `eventID` on every derivation and every relay, and a new estimate is a new event.
 */
import type { NewDcsaEvent, PortCallRow } from '@tally/storage-sqlite'
import { stableEventId } from './derive.ts'

/** The `docId` column of a voyage's transport events: they belong to no container document. */
export const voyageFeedId = (vessel: string, voyage: string): string => `voyage:${vessel}/${voyage}`

interface VoyagePortCalls {
  vessel: string
  voyage: string
  portCalls: readonly PortCallRow[]
}

/**
 * The transport events of a voyage as its port calls stand now. `now` is the creation time of an
 * estimate: Tally keeps when an ETA was given no more than the ETA itself, so the relay stamps the
 * time it first derived it (stored once; a later derivation of the same estimate is a no-op).
 */
export function deriveTransportEvents(
  v: VoyagePortCalls,
  now: () => string = () => new Date().toISOString(),
): NewDcsaEvent[] {
  const imo = v.vessel.replace(/^IMO/, '')
  const seen = new Map<string, number>()
  const out: NewDcsaEvent[] = []
  v.portCalls.forEach((call, i) => {
    // The nth call at the same port, so reordering other calls keeps this call's IDs.
    const nth = (seen.get(call.locode) ?? 0) + 1
    seen.set(call.locode, nth)
    const transportCall = {
      transportCallID: `${v.vessel}-${v.voyage}-${call.locode}${nth > 1 ? `-${nth}` : ''}`,
      carrierVoyageNumber: v.voyage,
      exportVoyageNumber: v.voyage,
      transportCallSequenceNumber: i + 1,
      UNLocationCode: call.locode,
      modeOfTransport: 'VESSEL',
      location: { UNLocationCode: call.locode },
      vessel: { vesselIMONumber: imo },
    }
    const event = (code: 'ARRI' | 'DEPA', classifier: 'ACT' | 'EST', at: string): NewDcsaEvent => {
      const eventId = stableEventId(
        `tally/dcsa/transport/${v.vessel}/${v.voyage}/${call.locode}/${nth}/${code}/${classifier}/${at}`,
      )
      const createdAt = classifier === 'ACT' ? at : now()
      return {
        eventId,
        docId: voyageFeedId(v.vessel, v.voyage),
        vessel: v.vessel,
        // Transport events concern the vessel, not one container; the column stays empty.
        equipmentReference: '',
        eventType: 'TRANSPORT',
        typeCode: code,
        documentTypeCode: null,
        carrierBookingReference: null,
        transportDocumentReference: null,
        createdAt,
        body: {
          eventID: eventId,
          eventCreatedDateTime: createdAt,
          eventDateTime: at,
          eventType: 'TRANSPORT',
          eventClassifierCode: classifier,
          transportEventTypeCode: code,
          transportCall,
        },
      }
    }
    if (call.ata) out.push(event('ARRI', 'ACT', call.ata))
    else if (call.eta) out.push(event('ARRI', 'EST', call.eta))
    if (call.atd) out.push(event('DEPA', 'ACT', call.atd))
  })
  return out
}
