/** A plain container view for component tests, as the HTTP API returns it. */
import type { ContainerView } from '@tally/manifest'

export function makeView(overrides: Partial<ContainerView> = {}): ContainerView {
  return {
    schema: 1,
    containerId: 'CSQU3054383',
    documentUrl: 'automerge:2j9knpCseyhnK8izDmLpGP5WMdZQ',
    photos: [],
    vessel: 'IMO9811000',
    voyage: '024E',
    isoType: '45R1',
    cargo: {
      booking: 'BK123',
      billOfLading: 'BL123',
      shipper: 'Fresh Fruit Co',
      consignee: 'Market Ltd',
      pol: 'CNSHA',
      pod: 'USLAX',
      vgmKg: 24000,
      declaredSeal: 'SEAL123',
      dg: null,
      reeferSetpointC: -18,
    },
    customs: { status: 'PENDING', declaration: null, hsCodes: ['080390'], holdReason: null },
    physical: {
      state: 'ON_BOARD',
      stowage: '0120482',
      condition: 'OK',
      damage: null,
      sealIntact: true,
      observedSeal: null,
      lashingCheckedAt: null,
      lastInspectedAt: null,
      dgIncident: null,
    },
    reefer: {
      actualSetpointC: -18,
      alarm: null,
      readings: [
        { at: '2026-11-20T00:00:00Z', supplyC: -18.2, returnC: -16.1 },
        { at: '2026-11-20T01:00:00Z', supplyC: -18.0, returnC: -16.0 },
        { at: '2026-11-20T02:00:00Z', supplyC: -17.6, returnC: -15.8 },
      ],
    },
    notes: '',
    proposals: [],
    conflicts: [],
    heads: ['abc'],
    ...overrides,
  }
}
