/**
 * The authority acceptance suite (design §3): every role × every section, allowed and refused, plus
 * forged actor bindings. Any path by which changes enter a replica (the relay's link ingest, its
 * /sync and REST API, the vessel's ingest) runs it through a small adapter, the way automerge-repo's
 * storage adapters run `runStorageAdapterTests`.
 *
 * Import it from `@tally/policy/suite` in a test file; it is kept out of the package index because
 * it imports vitest.
 */
import * as A from '@automerge/automerge'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createContainerDoc, genesisActor, toStored, withCheckDigit } from '@tally/manifest'
import type { ContainerDoc, Role } from '@tally/manifest'
import { crewPrincipal, userPrincipal, vesselPrincipal } from './principals.ts'
import type { Principal } from './principals.ts'

export interface IngestResult {
  accepted: string[]
  refused: { hash: string; reason: string; field?: string }[]
}

export interface AuthorityIngest {
  /** Binds an actor in the registry this ingest path consults (the relay: its `actors` table). */
  bind(actor: string, principal: Principal): void | Promise<void>
  /**
   * Stores `before` as the container's current state if it holds changes the ingest lacks (trusted
   * set-up; `before` may be an empty document), then submits `changes` as sent by `sender`.
   */
  submit(sender: Principal, before: A.Doc<ContainerDoc>, changes: Uint8Array[]): Promise<IngestResult>
  close?(): void | Promise<void>
}

const IMO = 'IMO9811000'
const OTHER_IMO = 'IMO9811001'
const T = Date.parse('2026-11-22T10:00:00Z') / 1000
const AT = '2026-11-22T10:00:00Z'

/** Who sends and which bound actor writes, per role. */
const SENDERS: Record<Role, { sender: Principal; actor: string }> = {
  vessel: { sender: vesselPrincipal(IMO), actor: 'a1'.repeat(16) },
  shore: { sender: userPrincipal('alice', 'shore'), actor: 'a2'.repeat(16) },
  customs: { sender: userPrincipal('carol', 'customs'), actor: 'a3'.repeat(16) },
  ops: { sender: userPrincipal('oscar', 'ops'), actor: 'a4'.repeat(16) },
}
const BOB = { sender: userPrincipal('bob', 'shore'), actor: 'a5'.repeat(16) }
const OTHER_CREW = { sender: vesselPrincipal(OTHER_IMO), actor: 'a6'.repeat(16) }
const UNBOUND_ACTOR = 'a7'.repeat(16)
const BINDINGS: [string, Principal][] = [
  [SENDERS.vessel.actor, crewPrincipal(IMO, 'bosun')],
  [SENDERS.shore.actor, SENDERS.shore.sender],
  [SENDERS.customs.actor, SENDERS.customs.sender],
  [SENDERS.ops.actor, SENDERS.ops.sender],
  [BOB.actor, BOB.sender],
  [OTHER_CREW.actor, crewPrincipal(OTHER_IMO, 'bosun')],
]
const ROLES: Role[] = ['vessel', 'shore', 'customs', 'ops']

type Doc = A.Doc<ContainerDoc>
type Edit = (d: ContainerDoc) => void
const s = (v: string) => new A.ImmutableString(v)

let serial = 0
/** A fresh reefer container per case, so stateful ingest paths never see one twice. */
function nextKey() {
  serial++
  return {
    vessel: IMO,
    voyage: '024E',
    containerId: withCheckDigit(`TALU${String(serial).padStart(6, '0')}`),
  }
}

/** `doc` with one change by `actor`, and that change. */
function write(doc: Doc, actor: string, edit: Edit): { doc: Doc; change: Uint8Array } {
  const after = A.change(A.clone(doc, { actor: actor as A.ActorId }), { time: T }, edit)
  const changes = A.getChanges(doc, after)
  if (changes.length !== 1) throw new Error('an edit must make exactly one change')
  return { doc: after, change: changes[0]! }
}

const proposal = (id: string, field: string, value: unknown) =>
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
function seeded(): Doc {
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

interface SectionCase {
  field: string
  allowed: Role[]
  edit: (role: Role) => Edit
}

/** One representative write per section; `field` is what a refusal must name. */
const SECTIONS: Record<string, SectionCase> = {
  identity: { field: 'voyage', allowed: [], edit: () => (d) => void (d.voyage = s('025W')) },
  cargo: { field: 'cargo.pod', allowed: ['shore'], edit: () => (d) => void (d.cargo.pod = s('USOAK')) },
  customs: {
    field: 'customs.status',
    allowed: ['shore', 'customs'],
    edit: () => (d) => void (d.customs.status = s('HELD')),
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
}

export function runAuthoritySuite(
  name: string,
  makeIngest: () => AuthorityIngest | Promise<AuthorityIngest>,
): void {
  describe(`authority suite: ${name}`, () => {
    let ingest: AuthorityIngest
    beforeAll(async () => {
      ingest = await makeIngest()
      for (const [actor, principal] of BINDINGS) await ingest.bind(actor, principal)
    })
    afterAll(async () => {
      await ingest?.close?.()
    })

    /** Submits changes and checks each: `true` accepted, a string refused naming that field, `false` refused. */
    async function expectDecisions(
      sender: Principal,
      before: Doc,
      changes: Uint8Array[],
      expected: (boolean | string)[],
    ): Promise<IngestResult> {
      const result = await ingest.submit(sender, before, changes)
      changes.forEach((bytes, i) => {
        const hash = A.decodeChange(bytes).hash
        const want = expected[i]
        const refusal = result.refused.find((r) => r.hash === hash)
        if (want === true) {
          expect(refusal, `change ${i} should be accepted`).toBeUndefined()
          expect(result.accepted, `change ${i} should be accepted`).toContain(hash)
        } else {
          expect(result.accepted, `change ${i} should be refused`).not.toContain(hash)
          expect(refusal, `change ${i} should be refused`).toBeDefined()
          expect(refusal!.reason.length).toBeGreaterThan(0)
          if (typeof want === 'string') expect(refusal!.field, `change ${i} refusal field`).toBe(want)
        }
      })
      return result
    }

    async function single(
      role: Role | typeof BOB,
      edit: Edit,
      expected: boolean | string,
      before = seeded(),
    ) {
      const { sender, actor } = typeof role === 'string' ? SENDERS[role] : role
      await expectDecisions(sender, before, [write(before, actor, edit).change], [expected])
    }

    describe('every role × every section', () => {
      for (const [section, c] of Object.entries(SECTIONS))
        for (const role of ROLES) {
          const allowed = c.allowed.includes(role)
          it(`${role} ${allowed ? 'may' : 'may not'} write ${section}`, async () => {
            await single(role, c.edit(role), allowed ? true : c.field)
          })
        }
    })

    describe('reefer readings are append-only', () => {
      it('vessel may not edit a stored reading', async () => {
        await single('vessel', (d) => void (d.reefer!.readings[0]!.supplyC = 4), 'reefer.readings')
      })
      it('vessel may not delete a stored reading', async () => {
        await single('vessel', (d) => void d.reefer!.readings.splice(0, 1), 'reefer.readings')
      })
      it('vessel may not replace the readings list', async () => {
        await single('vessel', (d) => void (d.reefer!.readings = []), 'reefer.readings')
      })
      it('a reading appended in a batch cannot be edited later in the same batch', async () => {
        const before = seeded()
        const first = write(
          before,
          SENDERS.vessel.actor,
          SECTIONS['reefer.readings (append)']!.edit('vessel'),
        )
        const second = write(
          first.doc,
          SENDERS.vessel.actor,
          (d) => void (d.reefer!.readings[1]!.returnC = 30),
        )
        await expectDecisions(
          SENDERS.vessel.sender,
          before,
          [first.change, second.change],
          [true, 'reefer.readings'],
        )
      })
      it('shore may not edit a stored reading either', async () => {
        await single('shore', (d) => void (d.reefer!.readings[0]!.supplyC = 4), 'reefer.readings')
      })
    })

    describe('values are validated', () => {
      it('an invalid stowage is refused, naming the field', async () => {
        await single('vessel', (d) => void (d.physical.stowage = s('0120481')), 'physical.stowage')
      })
      it('an invalid reading is refused', async () => {
        await single(
          'vessel',
          (d) => void d.reefer!.readings.push(toStored({ at: AT, supplyC: 99, returnC: -17 })),
          'reefer.readings.supplyC',
        )
      })
      it('an unknown field is refused', async () => {
        await single('vessel', (d) => void ((d.physical as any).colour = s('red')), 'physical.colour')
      })
      it('a valid dangerous-goods object is accepted and an invalid one refused', async () => {
        const dg = (unNumber: string) => (d: ContainerDoc) =>
          void (d.cargo.dg = toStored({ unNumber, imoClass: '3', packingGroup: '2' }))
        await single('shore', dg('1203'), true)
        await single('shore', dg('12'), 'cargo.dg')
      })
      it('a plain (collaborative text) string where an immutable string belongs is refused', async () => {
        await single('shore', (d) => void ((d.cargo as any).pod = 'USOAK'), 'cargo.pod')
      })
      it('HS codes are checked item by item', async () => {
        await single('customs', (d) => void d.customs.hsCodes.push(s('847130')), true)
        await single('customs', (d) => void d.customs.hsCodes.push(s('84')), 'customs.hsCodes')
      })
    })

    describe('proposals', () => {
      const resolve = (index: number, status: string, by: string) => (d: ContainerDoc) => {
        const p = d.proposals[index]!
        p.status = s(status) as never
        p.resolvedBy = s(by) as never
        p.resolvedAt = s(AT) as never
      }
      it('shore accepts the vessel’s cargo proposal by writing the field', async () => {
        await single(
          'shore',
          (d) => {
            d.cargo.pod = s('USOAK')
            resolve(0, 'ACCEPTED', 'user:alice')(d)
          },
          true,
        )
      })
      it('vessel accepts the shore’s stowage proposal', async () => {
        await single(
          'vessel',
          (d) => {
            d.physical.stowage = s('0120482')
            resolve(1, 'ACCEPTED', IMO)(d)
          },
          true,
        )
      })
      it('only the owner may decline: vessel may not resolve its own cargo proposal', async () => {
        await single('vessel', resolve(0, 'DECLINED', IMO), 'cargo.pod')
      })
      it('customs may not resolve a cargo proposal', async () => {
        await single('customs', resolve(0, 'DECLINED', 'user:carol'), 'cargo.pod')
      })
      it('a stored proposal’s value cannot be edited', async () => {
        await single('shore', (d) => void (d.proposals[0]!.value = s('NLRTM')), 'proposals')
      })
      it('a stored proposal cannot be deleted', async () => {
        await single('shore', (d) => void d.proposals.splice(0, 1), 'proposals')
      })
      it('proposing a field of one’s own side is refused', async () => {
        await single(
          'shore',
          (d) => void d.proposals.push(proposal('p-own', 'cargo.pod', 'USOAK')),
          'proposal.field',
        )
      })
      it('a proposal with an invalid value is refused', async () => {
        await single(
          'vessel',
          (d) => void d.proposals.push(proposal('p-bad', 'cargo.pod', 'nowhere')),
          'proposal.value',
        )
      })
    })

    describe('forged actor bindings', () => {
      const setCargo: Edit = (d) => void (d.cargo.pod = s('USOAK'))
      it('an actor bound to another user is refused', async () => {
        const before = seeded()
        await expectDecisions(
          BOB.sender,
          before,
          [write(before, SENDERS.shore.actor, setCargo).change],
          [false],
        )
      })
      it('a user’s actor sent by a vessel is refused', async () => {
        const before = seeded()
        await expectDecisions(
          SENDERS.vessel.sender,
          before,
          [write(before, SENDERS.shore.actor, setCargo).change],
          [false],
        )
      })
      it('a crew actor sent by another vessel is refused', async () => {
        const before = seeded()
        const change = write(before, SENDERS.vessel.actor, SECTIONS.physical!.edit('vessel')).change
        await expectDecisions(OTHER_CREW.sender, before, [change], [false])
      })
      it('another vessel’s crew actor sent by this vessel is refused', async () => {
        const before = seeded()
        const change = write(before, OTHER_CREW.actor, SECTIONS.physical!.edit('vessel')).change
        await expectDecisions(SENDERS.vessel.sender, before, [change], [false])
      })
      it('an unbound actor is refused', async () => {
        const before = seeded()
        await expectDecisions(
          SENDERS.shore.sender,
          before,
          [write(before, UNBOUND_ACTOR, setCargo).change],
          [false],
        )
      })
      it('the genesis actor is refused for anything but the genesis change', async () => {
        const before = seeded()
        const key = { vessel: IMO, voyage: '024E', containerId: String(before.containerId) }
        await expectDecisions(
          SENDERS.shore.sender,
          before,
          [write(before, genesisActor(key), setCargo).change],
          [false],
        )
      })
      it('the genesis change itself is accepted from any sender', async () => {
        const genesis = A.getAllChanges(createContainerDoc(nextKey(), '45R1'))
        await expectDecisions(SENDERS.vessel.sender, A.init<ContainerDoc>(), genesis, [true])
        await expectDecisions(SENDERS.shore.sender, A.init<ContainerDoc>(), genesis, [true])
      })
      it('a change that depends on a refused change is refused', async () => {
        const before = seeded()
        const bad = write(before, SENDERS.shore.actor, SECTIONS.physical!.edit('shore'))
        const good = write(bad.doc, SENDERS.shore.actor, setCargo)
        await expectDecisions(
          SENDERS.shore.sender,
          before,
          [bad.change, good.change],
          ['physical.condition', false],
        )
      })
      it('a change the ingest already stores is accepted again from anyone (a replay)', async () => {
        const before = seeded()
        const edit = write(before, SENDERS.vessel.actor, SECTIONS.physical!.edit('vessel'))
        await expectDecisions(SENDERS.vessel.sender, before, [edit.change], [true])
        // `before` lacks the change: only the ingest's own store can know it.
        await expectDecisions(SENDERS.shore.sender, before, [edit.change], [true])
      })
    })
  })
}
