/**
 * The authority acceptance suite (docs/architecture.md): every role × every section, allowed and refused, plus
 * forged actor bindings. Any path by which changes enter a replica (the relay's link ingest, its
 * /sync and REST API, the vessel's ingest) runs it through a small adapter, the way automerge-repo's
 * storage adapters run `runStorageAdapterTests`.
 *
 * Import it from `@tally/policy/suite` in a test file; it is kept out of the package index because
 * it imports vitest.
 */
import * as A from '@automerge/automerge'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createContainerDoc, genesisActor, toStored } from '@tally/manifest'
import type { ContainerDoc, Role } from '@tally/manifest'
import type { Principal } from './principals.ts'
import {
  AT,
  BINDINGS,
  BOB,
  IMO,
  nextKey,
  OTHER_CREW,
  proposal,
  resolveProposal,
  ROLES,
  s,
  SECTIONS,
  seeded,
  SENDERS,
  UNBOUND_ACTOR,
  write,
} from './suite-fixtures.ts'
import type { Doc, Edit } from './suite-fixtures.ts'

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

export interface AuthoritySuiteOptions {
  /**
   * The path admits a batch whole or not at all (a local edit, a dead-letter retry): a change the
   * suite expects accepted is expected refused when another change of its batch is refused.
   */
  atomic?: boolean
}

export function runAuthoritySuite(
  name: string,
  makeIngest: () => AuthorityIngest | Promise<AuthorityIngest>,
  options: AuthoritySuiteOptions = {},
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
      if (options.atomic && expected.some((e) => e !== true))
        expected = expected.map((e) => (e === true ? false : e))
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
            const field = typeof c.field === 'string' ? c.field : c.field(role)
            await single(role, c.edit(role), allowed ? true : field)
          })
        }
    })

    describe('reefer readings are append-only', () => {
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
      it('a hold needs a reason in the same change', async () => {
        await single('customs', (d) => void (d.customs.status = s('HELD')), 'customs.holdReason')
        await single(
          'customs',
          (d) => {
            d.customs.status = s('HELD')
            d.customs.holdReason = s('  ')
          },
          'customs.holdReason',
        )
        await single(
          'shore',
          (d) => {
            d.customs.status = s('HELD')
            d.customs.holdReason = s('Seal number mismatch')
          },
          true,
        )
      })
      it('HS codes are checked item by item', async () => {
        await single('customs', (d) => void d.customs.hsCodes.push(s('847130')), true)
        await single('customs', (d) => void d.customs.hsCodes.push(s('84')), 'customs.hsCodes')
      })
    })

    describe('proposals', () => {
      it('shore accepts the vessel’s cargo proposal by writing the field', async () => {
        await single(
          'shore',
          (d) => {
            d.cargo.pod = s('USOAK')
            resolveProposal(0, 'ACCEPTED', 'user:alice')(d)
          },
          true,
        )
      })
      it('vessel accepts the shore’s stowage proposal', async () => {
        await single(
          'vessel',
          (d) => {
            d.physical.stowage = s('0120482')
            resolveProposal(1, 'ACCEPTED', IMO)(d)
          },
          true,
        )
      })
      it('only the owner may decline: vessel may not resolve its own cargo proposal', async () => {
        await single('vessel', resolveProposal(0, 'DECLINED', IMO), 'cargo.pod')
      })
      it('customs may not resolve a cargo proposal', async () => {
        await single('customs', resolveProposal(0, 'DECLINED', 'user:carol'), 'cargo.pod')
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
