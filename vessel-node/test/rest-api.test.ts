/**
 * The crew REST API against a real vessel node (port 0, temp SQLite file, no relay): auth, list with
 * filters and search over a few hundred containers, edits with authority and validation, readings,
 * proposals, history, and the error bodies of the contract.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ContainerView } from '@tally/manifest'
import { seedContainers, startTestNode } from './helpers.ts'
import type { SeededContainer, TestNode } from './helpers.ts'

const COUNT = 300
let t: TestNode
let seeded: SeededContainer[]

beforeAll(async () => {
  t = await startTestNode()
  seeded = seedContainers(t.node.store, t.node.registry, COUNT)
})
afterAll(async () => {
  await t?.close()
})

const json = async <T = any>(res: Response): Promise<T> => (await res.json()) as T

describe('authentication', () => {
  it('refuses a missing, unknown or revoked token with 401 UNAUTHORIZED', async () => {
    for (const token of [null, 'nonsense', 'tly_crew_' + 'x'.repeat(43)]) {
      const res = await t.api('/api/me', { token })
      expect(res.status).toBe(401)
      expect((await json(res)).error.code).toBe('UNAUTHORIZED')
    }
    const extra = t.node.tokens.issueWithRecord('crew', 'cadet', 'vessel')
    expect((await t.api('/api/me', { token: extra.token })).status).toBe(200)
    t.node.tokens.revoke(extra.record.id)
    expect((await t.api('/api/me', { token: extra.token })).status).toBe(401)
  })

  it('refuses a token of another kind', async () => {
    const vesselToken = t.node.tokens.issue('vessel', 'IMO9811000')
    expect((await t.api('/api/containers', { token: vesselToken })).status).toBe(401)
  })

  it('answers /api/me with the crew member and the vessel', async () => {
    expect(await json(await t.api('/api/me'))).toEqual({
      user: 'bosun',
      vessel: 'IMO9811000',
      role: 'vessel',
    })
  })

  it('serves /healthz without a token', async () => {
    const res = await fetch(`${t.node.url}/healthz`)
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ ok: true })
  })
})

describe('list, filters and search', () => {
  it('pages with limit 100 by default and reports the total', async () => {
    const page = await json(await t.api('/api/containers'))
    expect(page.total).toBe(COUNT)
    expect(page.items).toHaveLength(100)
    const first: ContainerView = page.items[0]
    expect(first.documentUrl).toMatch(/^automerge:/)
    expect(Object.keys(first)).toEqual(
      expect.arrayContaining([
        'containerId',
        'vessel',
        'voyage',
        'isoType',
        'cargo',
        'customs',
        'physical',
        'reefer',
        'notes',
        'proposals',
        'conflicts',
        'heads',
      ]),
    )
    const ids = page.items.map((v: ContainerView) => v.containerId)
    expect(ids).toEqual([...ids].sort())
    const next = await json(await t.api('/api/containers?limit=100&offset=100'))
    expect(next.items[0].containerId > ids[99]).toBe(true)
  })

  it('caps limit at 1000 and refuses bad values with 400 INVALID naming the parameter', async () => {
    expect((await json(await t.api('/api/containers?limit=5000'))).items).toHaveLength(COUNT)
    for (const [q, field] of [
      ['limit=-1', 'limit'],
      ['limit=ten', 'limit'],
      ['offset=1.5', 'offset'],
      ['state=SUNK', 'state'],
      ['reefer=maybe', 'reefer'],
      ['bay=12', 'bay'],
      ['customs=LOST', 'customs'],
      ['sort=weight', 'sort'],
    ]) {
      const res = await t.api(`/api/containers?${q}`)
      expect(res.status, q).toBe(400)
      const body = await json(res)
      expect(body.error.code).toBe('INVALID')
      expect(body.error.field).toBe(field)
    }
  })

  it('filters by reefer, dg, state, customs and bay', async () => {
    const count = async (q: string) => (await json(await t.api(`/api/containers?${q}&limit=1000`))).total
    expect(await count('reefer=true')).toBe(seeded.filter((c) => c.reefer).length)
    expect(await count('reefer=false')).toBe(seeded.filter((c) => !c.reefer).length)
    expect(await count('dg=true')).toBe(seeded.filter((c) => c.dg).length)
    expect(await count('customs=HELD')).toBe(seeded.filter((c) => c.held).length)
    expect(await count('state=LOADED')).toBe(seeded.filter((_, i) => i % 7 === 0).length)
    expect(await count('bay=003')).toBe(seeded.filter((c) => c.stowage.startsWith('003')).length)
    const reefersHeld = await json(await t.api('/api/containers?reefer=true&customs=held&limit=1000'))
    for (const v of reefersHeld.items as ContainerView[]) {
      expect(v.reefer).not.toBeNull()
      expect(v.customs.status).toBe('HELD')
    }
  })

  it('searches by container number, booking and stowage', async () => {
    const c = seeded[123]!
    const byId = await json(await t.api(`/api/containers?q=${c.containerId.slice(4, 10)}`))
    expect(byId.items.map((v: ContainerView) => v.containerId)).toContain(c.containerId)
    const byBooking = await json(await t.api(`/api/containers?q=${c.booking.toLowerCase()}`))
    expect(byBooking.total).toBe(seeded.filter((s) => s.booking === c.booking).length)
    const byStowage = await json(await t.api(`/api/containers?q=${c.stowage}`))
    expect(byStowage.items.every((v: ContainerView) => v.physical.stowage === c.stowage)).toBe(true)
    expect(byStowage.total).toBeGreaterThan(0)
  })

  it('sorts descending by stowage', async () => {
    const page = await json(await t.api('/api/containers?sort=-stowage&limit=50'))
    const stowages = page.items.map((v: ContainerView) => v.physical.stowage)
    expect(stowages).toEqual([...stowages].sort().reverse())
  })
})

describe('get and edit', () => {
  it('gets a view, and 404 NOT_FOUND for an unknown container', async () => {
    const c = seeded[5]!
    const view = await json<ContainerView>(await t.api(`/api/containers/${c.containerId}`))
    expect(view.containerId).toBe(c.containerId)
    expect(view.cargo.booking).toBe(c.booking)
    const res = await t.api('/api/containers/MSCU1234565')
    expect(res.status).toBe(404)
    expect((await json(res)).error.code).toBe('NOT_FOUND')
  })

  it('PATCH of a physical field answers with the view, durably', async () => {
    const c = seeded[7]!
    const res = await t.api(`/api/containers/${c.containerId}`, {
      method: 'PATCH',
      json: { physical: { condition: 'DAMAGED', damage: 'dent in the left door' } },
    })
    expect(res.status).toBe(200)
    const view = await json<ContainerView>(res)
    expect(view.physical.condition).toBe('DAMAGED')
    expect(view.physical.damage).toBe('dent in the left door')
    const listed = await json(await t.api('/api/containers?condition=DAMAGED'))
    expect(listed.items.map((v: ContainerView) => v.containerId)).toContain(c.containerId)
  })

  it('PATCH of a customs field is 403 FORBIDDEN_FIELD', async () => {
    const res = await t.api(`/api/containers/${seeded[8]!.containerId}`, {
      method: 'PATCH',
      json: { customs: { status: 'RELEASED' } },
    })
    expect(res.status).toBe(403)
    const body = await json(res)
    expect(body.error).toMatchObject({ code: 'FORBIDDEN_FIELD', field: 'customs.status' })
    expect(body.error.message).toMatch(/shore/)
  })

  it('PATCH with an invalid stowage is 400 naming physical.stowage', async () => {
    const res = await t.api(`/api/containers/${seeded[9]!.containerId}`, {
      method: 'PATCH',
      json: { physical: { stowage: '12' } },
    })
    expect(res.status).toBe(400)
    expect((await json(res)).error).toMatchObject({ code: 'INVALID', field: 'physical.stowage' })
  })

  it('refuses bodies that are not JSON objects, and bodies over 256 KB with 413', async () => {
    const id = seeded[9]!.containerId
    const bad = await t.api(`/api/containers/${id}`, {
      method: 'PATCH',
      body: '{"physical":',
      headers: { 'content-type': 'application/json' },
    })
    expect(bad.status).toBe(400)
    expect((await json(bad)).error.code).toBe('INVALID')
    const big = await t.api(`/api/containers/${id}`, {
      method: 'PATCH',
      json: { notes: 'x'.repeat(300 * 1024) },
    })
    expect(big.status).toBe(413)
    expect((await json(big)).error.code).toBe('PAYLOAD_TOO_LARGE')
  })

  it('POST readings answers 201 with the view; a dry box cannot take one', async () => {
    const reefer = seeded.find((c) => c.reefer)!
    const res = await t.api(`/api/containers/${reefer.containerId}/readings`, {
      method: 'POST',
      json: { at: '2025-03-01T06:00:00Z', supplyC: -18.2, returnC: -17.5 },
    })
    expect(res.status).toBe(201)
    const view = await json<ContainerView>(res)
    expect(view.reefer!.readings.at(-1)).toEqual({
      at: '2025-03-01T06:00:00Z',
      supplyC: -18.2,
      returnC: -17.5,
    })
    // The same reading sent again (a tablet replaying after a lost answer) is taken once.
    const again = await t.api(`/api/containers/${reefer.containerId}/readings`, {
      method: 'POST',
      json: { at: '2025-03-01T06:00:00Z', supplyC: -18.2, returnC: -17.5 },
    })
    expect(again.status).toBe(201)
    expect((await json<ContainerView>(again)).reefer!.readings).toHaveLength(view.reefer!.readings.length)
    const dry = seeded.find((c) => !c.reefer)!
    const refused = await t.api(`/api/containers/${dry.containerId}/readings`, {
      method: 'POST',
      json: { at: '2025-03-01T06:00:00Z', supplyC: 1, returnC: 2 },
    })
    expect(refused.status).toBe(400)
    const badTemp = await t.api(`/api/containers/${reefer.containerId}/readings`, {
      method: 'POST',
      json: { at: '2025-03-01T07:00:00Z', supplyC: 400, returnC: 2 },
    })
    expect(badTemp.status).toBe(400)
    expect((await json(badTemp)).error.field).toMatch(/^reefer\.readings/)
  })

  it('proposes a shore-owned value; refuses a decision the vessel does not own', async () => {
    const c = seeded[11]!
    const res = await t.api(`/api/containers/${c.containerId}/proposals`, {
      method: 'POST',
      json: { field: 'cargo.vgmKg', value: 15_000, reason: 'weighed on board' },
    })
    expect(res.status).toBe(201)
    const view = await json<ContainerView>(res)
    const proposal = view.proposals.at(-1)!
    expect(proposal).toMatchObject({ field: 'cargo.vgmKg', value: 15_000, by: 'IMO9811000', status: 'OPEN' })
    const own = await t.api(`/api/containers/${c.containerId}/proposals`, {
      method: 'POST',
      json: { field: 'physical.condition', value: 'DAMAGED' },
    })
    expect(own.status).toBe(400)
    const decide = await t.api(`/api/containers/${c.containerId}/proposals/${proposal.id}`, {
      method: 'POST',
      json: { decision: 'ACCEPTED' },
    })
    expect(decide.status).toBe(403)
    const bad = await t.api(`/api/containers/${c.containerId}/proposals/${proposal.id}`, {
      method: 'POST',
      json: { decision: 'MAYBE' },
    })
    expect(bad.status).toBe(400)
  })

  it('history names principals and crew, oldest first', async () => {
    const c = seeded[13]!
    await t.api(`/api/containers/${c.containerId}`, {
      method: 'PATCH',
      json: { physical: { sealIntact: false, observedSeal: 'ABC1234' } },
    })
    const history = await json<any[]>(await t.api(`/api/containers/${c.containerId}/history`))
    const booking = history.find((h) => h.field === 'cargo.booking')
    expect(booking).toMatchObject({ principal: 'user:planner', role: 'shore', from: null, to: c.booking })
    const seal = history.find((h) => h.field === 'physical.sealIntact')
    expect(seal).toMatchObject({
      principal: 'IMO9811000',
      role: 'vessel',
      name: 'bosun',
      from: true,
      to: false,
    })
    expect(seal.change).toMatch(/^[0-9a-f]{64}$/)
    for (const h of history) expect(h.principal).not.toMatch(/^[0-9a-f]{32}$/)
  })

  it('answers unknown API paths with a contract 404', async () => {
    const res = await t.api('/api/nothing-here')
    expect(res.status).toBe(404)
    expect((await json(res)).error.code).toBe('NOT_FOUND')
  })

  it('serves the crew UI or a page saying it is not built, with an SPA fallback', async () => {
    const res = await fetch(`${t.node.url}/containers/ABCU1234560`)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/html/)
  })
})
