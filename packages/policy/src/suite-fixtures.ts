/**
 * Principals, documents and one representative write per section for the authority acceptance
 * suite (suite.ts). Plain data and Automerge only, so it can be read without vitest.
 */
import * as A from '@automerge/automerge'
import { createContainerDoc, toStored, withCheckDigit } from '@tally/manifest'
import type { ContainerDoc, Role } from '@tally/manifest'
import { crewPrincipal, userPrincipal, vesselPrincipal } from './principals.ts'
import type { Principal } from './principals.ts'

export const IMO = 'IMO9811000'
const OTHER_IMO = 'IMO9811001'
const T = Date.parse('2026-11-22T10:00:00Z') / 1000
export const AT = '2026-11-22T10:00:00Z'

/** Who sends and which bound actor writes, per role. */
export const SENDERS: Record<Role, { sender: Principal; actor: string }> = {
  vessel: { sender: vesselPrincipal(IMO), actor: 'a1'.repeat(16) },
  shore: { sender: userPrincipal('alice', 'shore'), actor: 'a2'.repeat(16) },
  customs: { sender: userPrincipal('carol', 'customs'), actor: 'a3'.repeat(16) },
  ops: { sender: userPrincipal('oscar', 'ops'), actor: 'a4'.repeat(16) },
}
export const BOB = { sender: userPrincipal('bob', 'shore'), actor: 'a5'.repeat(16) }
export const OTHER_CREW = { sender: vesselPrincipal(OTHER_IMO), actor: 'a6'.repeat(16) }
export const UNBOUND_ACTOR = 'a7'.repeat(16)
export const BINDINGS: [string, Principal][] = [
  [SENDERS.vessel.actor, crewPrincipal(IMO, 'bosun')],
  [SENDERS.shore.actor, SENDERS.shore.sender],
  [SENDERS.customs.actor, SENDERS.customs.sender],
  [SENDERS.ops.actor, SENDERS.ops.sender],
  [BOB.actor, BOB.sender],
  [OTHER_CREW.actor, crewPrincipal(OTHER_IMO, 'bosun')],
]
export const ROLES: Role[] = ['vessel', 'shore', 'customs', 'ops']

export type Doc = A.Doc<ContainerDoc>
export type Edit = (d: ContainerDoc) => void
export const s = (v: string) => new A.ImmutableString(v)

let serial = 0
/** A fresh reefer container per case, so stateful ingest paths never see one twice. */
export function nextKey() {
  serial++
  return {
    vessel: IMO,
    voyage: '024E',
    containerId: withCheckDigit(`TALU${String(serial).padStart(6, '0')}`),
  }
}

/** `doc` with one change by `actor`, and that change. */
export function write(doc: Doc, actor: string, edit: Edit): { doc: Doc; change: Uint8Array } {
  const after = A.change(A.clone(doc, { actor: actor as A.ActorId }), { time: T }, edit)
  const changes = A.getChanges(doc, after)
  if (changes.length !== 1) throw new Error('an edit must make exactly one change')
  return { doc: after, change: changes[0]! }
}

export const proposal = (id: string, field: string, value: unknown) =>
  toStored({
    id,
    at: AT,
    by: 'x',
    field,
    value,
    reason: null,
    status: 'OPEN',
    resolvedBy: null,
    resolvedAt: null,
  })

/**
 * A container with history: on board, one reading, a vessel proposal for cargo.pod (p-vessel) and a
 * shore proposal for physical.stowage (p-shore), all by bound actors.
 */
export function seeded(): Doc {
  let doc: Doc = createContainerDoc(nextKey(), '45R1')
  doc = write(doc, SENDERS.vessel.actor, (d) => {
    d.physical.state = s('ON_BOARD')
    d.reefer!.readings.push(toStored({ at: AT, supplyC: -18, returnC: -17 }))
    d.proposals.push(proposal('p-vessel', 'cargo.pod', 'USOAK'))
  }).doc
  doc = write(doc, SENDERS.shore.actor, (d) => {
    d.cargo.pod = s('USLAX')
    d.proposals.push(proposal('p-shore', 'physical.stowage', '0120482'))
  }).doc
  return doc
}

export interface SectionCase {
  /** The field a refusal must name (per role where it differs). */
  field: string | ((role: Role) => string)
  allowed: Role[]
  edit: (role: Role) => Edit
}

/** One representative write per section; `field` is what a refusal must name. */
export const SECTIONS: Record<string, SectionCase> = {
  identity: { field: 'voyage', allowed: [], edit: () => (d) => void (d.voyage = s('025W')) },
  cargo: { field: 'cargo.pod', allowed: ['shore'], edit: () => (d) => void (d.cargo.pod = s('USOAK')) },
  customs: {
    field: 'customs.status',
    allowed: ['shore', 'customs'],
    edit: () => (d) => {
      d.customs.status = s('HELD')
      d.customs.holdReason = s('Documents missing')
    },
  },
  physical: {
    field: 'physical.condition',
    allowed: ['vessel'],
    edit: () => (d) => void (d.physical.condition = s('DAMAGED')),
  },
  reefer: {
    field: 'reefer.actualSetpointC',
    allowed: ['vessel'],
    edit: () => (d) => void (d.reefer!.actualSetpointC = -20),
  },
  'reefer.readings (append)': {
    field: 'reefer.readings',
    allowed: ['vessel'],
    edit: () => (d) => void d.reefer!.readings.push(toStored({ at: AT, supplyC: -18.5, returnC: -17 })),
  },
  notes: {
    field: 'notes',
    allowed: ['vessel', 'shore', 'customs'],
    edit: () => (d) => void A.splice(d, ['notes'], 0, 0, 'check lashing'),
  },
  proposals: {
    field: 'proposals',
    allowed: ['vessel', 'shore', 'customs'],
    edit: (role) => (d) =>
      void d.proposals.push(
        role === 'vessel'
          ? proposal('p-new', 'cargo.consignee', 'ACME')
          : proposal('p-new', 'physical.damage', 'dent'),
      ),
  },
  'reefer.readings (edit)': {
    field: 'reefer.readings',
    allowed: [],
    edit: () => (d) => void (d.reefer!.readings[0]!.supplyC = 4),
  },
  'reefer.readings (delete)': {
    field: 'reefer.readings',
    allowed: [],
    edit: () => (d) => void d.reefer!.readings.splice(0, 1),
  },
  'proposals (resolve the vessel’s cargo.pod proposal)': {
    field: (role) => (role === 'ops' ? 'proposals' : 'cargo.pod'),
    allowed: ['shore'],
    edit: () => resolveProposal(0, 'DECLINED'),
  },
  'proposals (resolve the shore’s physical.stowage proposal)': {
    field: (role) => (role === 'ops' ? 'proposals' : 'physical.stowage'),
    allowed: ['vessel'],
    edit: () => resolveProposal(1, 'DECLINED'),
  },
}

/** Resolves the seeded proposal at `index` (0: the vessel's, 1: the shore's). */
export function resolveProposal(index: number, status: 'ACCEPTED' | 'DECLINED', by = 'someone'): Edit {
  return (d) => {
    const p = d.proposals[index]!
    p.status = s(status) as never
    p.resolvedBy = s(by) as never
    p.resolvedAt = s(AT) as never
  }
}
