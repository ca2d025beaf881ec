/**
 * Schema 1 of the container document (docs/architecture.md): the stored Automerge shape and the plain JSON
 * view the HTTP API and the UIs use. Scalar strings are stored as ImmutableString because a plain
 * string is a collaborative Text in Automerge 3 and costs one op per character on the wire.
 */
import type { ImmutableString } from '@automerge/automerge'
import type { CUSTOMS_STATUSES, PHYSICAL_STATES, CONDITIONS } from './catalog.ts'
import type { EvidenceEntry, PhotoEntry, PhotoView } from './photos.ts'

export const SCHEMA_VERSION = 1

export type CustomsStatus = (typeof CUSTOMS_STATUSES)[number]
export type PhysicalState = (typeof PHYSICAL_STATES)[number]
export type Condition = (typeof CONDITIONS)[number]

export interface DangerousGoods {
  unNumber: string
  imoClass: string
  packingGroup: '1' | '2' | '3' | null
}
export interface ReeferAlarm {
  code: string
  at: string
  note: string | null
}
export interface ReeferReading {
  at: string
  supplyC: number
  returnC: number
}

export interface Cargo {
  booking: string | null
  billOfLading: string | null
  shipper: string | null
  consignee: string | null
  pol: string | null
  pod: string | null
  vgmKg: number | null
  declaredSeal: string | null
  dg: DangerousGoods | null
  reeferSetpointC: number | null
}
export interface Customs {
  status: CustomsStatus
  declaration: string | null
  hsCodes: string[]
  holdReason: string | null
}
export interface Physical {
  state: PhysicalState
  stowage: string | null
  condition: Condition
  damage: string | null
  sealIntact: boolean
  observedSeal: string | null
  lashingCheckedAt: string | null
  lastInspectedAt: string | null
  dgIncident: string | null
  /** When and where the box was discharged; absent until it is (not part of the genesis). */
  dischargedAt?: string | null
  dischargePort?: string | null
}
export interface Reefer {
  actualSetpointC: number | null
  alarm: ReeferAlarm | null
  readings: ReeferReading[]
}
export type ProposalStatus = 'OPEN' | 'ACCEPTED' | 'DECLINED'
export interface Proposal {
  id: string
  at: string
  /** The proposer's principal, e.g. `IMO9811000` or `user:alice`. */
  by: string
  field: string
  value: unknown
  reason: string | null
  status: ProposalStatus
  resolvedBy: string | null
  resolvedAt: string | null
}

/** The stored document: the view's shape with ImmutableString in place of scalar strings. */
export type Stored<T> = T extends string
  ? ImmutableString
  : T extends (infer U)[]
    ? Stored<U>[]
    : T extends object
      ? { [K in keyof T]: Stored<T[K]> }
      : T

export interface ContainerData {
  schema: number
  containerId: string
  vessel: string
  voyage: string
  isoType: string
  cargo: Cargo
  customs: Customs
  physical: Physical
  reefer: Reefer | null
  proposals: Proposal[]
}

/**
 * The Automerge document. `notes` is collaborative text, so it stays a plain string. `photos` and
 * `evidence` are absent until the first photo or signed fact (photos.ts, `appendixChange`).
 */
export type ContainerDoc = Stored<ContainerData> & {
  notes: string
  photos?: Stored<PhotoEntry>[]
  evidence?: Stored<EvidenceEntry>[]
}

export interface ConflictValue {
  value: unknown
  principal: string
  at: string | null
  winner: boolean
}
export interface Conflict {
  field: string
  values: ConflictValue[]
}

/** The container view of the HTTP contract (docs/api.md). */
export interface ContainerView extends ContainerData {
  documentUrl: string
  /** Photos without their thumbnail bytes, with where the full photo is (docs/photos.md). */
  photos: PhotoView[]
  notes: string
  conflicts: Conflict[]
  heads: string[]
}

export type EditableSection = 'cargo' | 'customs' | 'physical' | 'reefer'

/** A partial view, as PATCH takes it: `{"physical": {"condition": "DAMAGED"}}`. */
export interface ContainerPatch {
  cargo?: Partial<Cargo>
  customs?: Partial<Customs>
  physical?: Partial<Physical>
  reefer?: Partial<Omit<Reefer, 'readings'>>
  notes?: string
  [other: string]: unknown
}
