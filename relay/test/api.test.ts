import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { booking, containerNo, startTestRelay, VESSEL } from './helpers.ts'
import type { TestRelay } from './helpers.ts'

let t: TestRelay
beforeAll(async () => {
  t = await startTestRelay()
})
afterAll(async () => {
  await t?.close()
})

const containers = `/api/vessels/${VESSEL}/containers`

describe('authentication', () => {
  it('answers /healthz without a token', async () => {
    expect(await t.api('GET', '/healthz', { token: null })).toEqual({ status: 200, body: { ok: true } })
  })

  it('refuses a missing, unknown or revoked token with 401 UNAUTHORIZED', async () => {
    for (const token of [null, 'tly_user_nonsense', '']) {
      const res = await t.api('GET', '/api/me', { token })
      expect(res.status).toBe(401)
      expect(res.body.error.code).toBe('UNAUTHORIZED')
    }
    const { token, record } = t.relay.context.tokens.issueWithRecord('user', 'temp', 'shore')
    expect((await t.api('GET', '/api/me', { token })).status).toBe(200)
    t.relay.context.tokens.revoke(record.id)
    expect((await t.api('GET', '/api/me', { token })).status).toBe(401)
    expect((await t.api('GET', containers, { token })).status).toBe(401)
  })

  it('refuses a vessel token on the REST API', async () => {
    const token = t.relay.context.tokens.issue('vessel', VESSEL, 'vessel')
    expect((await t.api('GET', '/api/me', { token })).status).toBe(401)
  })

  it('names the user and role in /api/me', async () => {
    const res = await t.api('GET', '/api/me', { token: t.tokens.customs })
    expect(res.body).toMatchObject({ user: 'carl', role: 'customs' })
  })
})

describe('bulk creation', () => {
  it('creates containers once per containerId (idempotent)', async () => {
    const items = [1, 2, 3, 4, 5].map((n) => booking(n))
    expect(await t.api('POST', containers, { body: items })).toEqual({ status: 201, body: { created: 5 } })
    const again = [...items, booking(6)]
    expect(await t.api('POST', containers, { body: again })).toEqual({ status: 201, body: { created: 1 } })
    const view = (await t.api('GET', `${containers}/${containerNo(2)}`)).body
    expect(view).toMatchObject({
      containerId: containerNo(2),
      vessel: VESSEL,
      voyage: '024E',
      cargo: { booking: 'BK000002', pod: 'USLAX' },
      physical: { state: 'PLANNED', stowage: booking(2).physical.stowage },
    })
    expect(view.documentUrl).toMatch(/^automerge:/)
  })

  it('refuses a bad container number naming the field, and writes nothing', async () => {
    const items = [booking(20), booking(21, { containerId: 'CSQU3045383' })]
    const res = await t.api('POST', containers, { body: items })
    expect(res.status).toBe(400)
    expect(res.body.error).toMatchObject({ code: 'INVALID', field: 'containerId' })
    expect(res.body.error.message).toContain('item 1')
    expect((await t.api('GET', `${containers}/${containerNo(20)}`)).status).toBe(404)
  })

  it('refuses bad field values naming the field', async () => {
    const res = await t.api('POST', containers, { body: [booking(22, { cargo: { pod: 'Los Angeles' } })] })
    expect(res.status).toBe(400)
    expect(res.body.error).toMatchObject({ code: 'INVALID', field: 'cargo.pod' })
    const stow = await t.api('POST', containers, { body: [booking(23, { physical: { stowage: '12' } })] })
    expect(stow.body.error).toMatchObject({ code: 'INVALID', field: 'physical.stowage' })
    // The booking list is parsed by the zod schema /api/openapi.json describes it with.
    const unknown = await t.api('POST', containers, { body: [booking(27, { cargo: { colour: 'red' } })] })
    expect(unknown.body.error).toMatchObject({ code: 'INVALID', field: 'cargo.colour' })
    expect(unknown.body.error.message).toMatch(/^item 0 \(\w+\): cargo\.colour: is not a known field$/)
    const extra = await t.api('POST', containers, { body: [{ ...booking(28), colour: 'red' }] })
    expect(extra.body.error).toMatchObject({ code: 'INVALID', field: 'colour' })
    const missing = await t.api('POST', containers, {
      body: [{ containerId: containerNo(29), voyage: '024E' }],
    })
    expect(missing.body.error).toMatchObject({ code: 'INVALID', field: 'isoType' })
    expect(missing.body.error.message).toContain('is required')
  })

  it('lets a customs user set customs only', async () => {
    const cargo = await t.api('POST', containers, { token: t.tokens.customs, body: [booking(24)] })
    expect(cargo.status).toBe(403)
    expect(cargo.body.error.code).toBe('FORBIDDEN_FIELD')
    const ok = await t.api('POST', containers, {
      token: t.tokens.customs,
      body: [
        {
          containerId: containerNo(25),
          isoType: '22G1',
          voyage: '024E',
          customs: { status: 'HELD', holdReason: 'Documents missing' },
        },
      ],
    })
    expect(ok).toEqual({ status: 201, body: { created: 1 } })
    // A hold without a reason is refused here too, naming the field.
    const noReason = await t.api('POST', containers, {
      token: t.tokens.customs,
      body: [{ containerId: containerNo(26), isoType: '22G1', voyage: '024E', customs: { status: 'HELD' } }],
    })
    expect(noReason.status).toBe(400)
    expect(noReason.body.error).toMatchObject({ code: 'INVALID', field: 'customs.holdReason' })
  })

  it('refuses a body that is not an array, and more than 5,000 items', async () => {
    expect((await t.api('POST', containers, { body: { containerId: 'x' } })).body.error.code).toBe('INVALID')
    const many = Array.from({ length: 5_001 }, () => ({}))
    expect((await t.api('POST', containers, { body: many })).status).toBe(413)
  })

  it('answers 413 PAYLOAD_TOO_LARGE for a body over 1 MB', async () => {
    const huge = JSON.stringify([booking(30, { cargo: { shipper: 'x'.repeat(1_100_000) } })])
    const res = await t.api('POST', containers, { rawBody: huge })
    expect(res.status).toBe(413)
    expect(res.body.error.code).toBe('PAYLOAD_TOO_LARGE')
  })

  it('answers 400 INVALID for malformed JSON', async () => {
    const res = await t.api('POST', containers, { rawBody: '[{"containerId":' })
    expect(res.status).toBe(400)
    expect(res.body.error.code).toBe('INVALID')
  })
})

describe('container views and edits', () => {
  it('PATCHes customs as a customs user', async () => {
    const res = await t.api('PATCH', `${containers}/${containerNo(3)}`, {
      token: t.tokens.customs,
      body: { customs: { status: 'HELD', holdReason: 'documents missing' } },
    })
    expect(res.status).toBe(200)
    expect(res.body.customs).toMatchObject({ status: 'HELD', holdReason: 'documents missing' })
    const noReason = await t.api('PATCH', `${containers}/${containerNo(4)}`, {
      token: t.tokens.customs,
      body: { customs: { status: 'HELD' } },
    })
    expect(noReason.status).toBe(400)
    expect(noReason.body.error).toMatchObject({ code: 'INVALID', field: 'customs.holdReason' })
  })

  it('refuses physical from shore with 403 FORBIDDEN_FIELD, and cargo from customs', async () => {
    const res = await t.api('PATCH', `${containers}/${containerNo(3)}`, {
      body: { physical: { condition: 'DAMAGED' } },
    })
    expect(res.status).toBe(403)
    expect(res.body.error).toMatchObject({ code: 'FORBIDDEN_FIELD', field: 'physical.condition' })
    const cargo = await t.api('PATCH', `${containers}/${containerNo(3)}`, {
      token: t.tokens.customs,
      body: { cargo: { pod: 'NLRTM' } },
    })
    expect(cargo.body.error).toMatchObject({ code: 'FORBIDDEN_FIELD', field: 'cargo.pod' })
    const view = (await t.api('GET', `${containers}/${containerNo(3)}`)).body
    expect(view.physical.condition).toBe('OK')
    expect(view.cargo.pod).toBe('USLAX')
  })

  it('refuses an invalid value with 400 naming the field', async () => {
    const res = await t.api('PATCH', `${containers}/${containerNo(3)}`, { body: { cargo: { vgmKg: -5 } } })
    expect(res.status).toBe(400)
    expect(res.body.error).toMatchObject({ code: 'INVALID', field: 'cargo.vgmKg' })
  })

  it('answers 400 for a malformed container number and 404 for an unknown one', async () => {
    const bad = await t.api('GET', `${containers}/CSQU3045383`)
    expect(bad.status).toBe(400)
    expect(bad.body.error).toMatchObject({ code: 'INVALID', field: 'containerId' })
    const unknown = await t.api('GET', `${containers}/${containerNo(999)}`)
    expect(unknown.status).toBe(404)
    expect(unknown.body.error.code).toBe('NOT_FOUND')
    expect((await t.api('PATCH', `${containers}/${containerNo(999)}`, { body: {} })).status).toBe(404)
    expect((await t.api('GET', `/api/vessels/IMO12/containers`)).body.error).toMatchObject({ field: 'imo' })
  })

  it('records history with principals and values', async () => {
    const res = await t.api('GET', `${containers}/${containerNo(3)}/history`)
    expect(res.status).toBe(200)
    const fields = res.body.map((e: { field: string }) => e.field)
    expect(fields).toEqual(expect.arrayContaining(['cargo.booking', 'physical.stowage', 'customs.status']))
    const hold = res.body.find(
      (e: { field: string; to: unknown }) => e.field === 'customs.status' && e.to === 'HELD',
    )
    expect(hold).toMatchObject({ principal: 'carl', role: 'customs', from: 'PENDING', to: 'HELD' })
    expect(hold.change).toMatch(/^[0-9a-f]{64}$/)
    expect(Date.parse(hold.at)).not.toBeNaN()
    // Planned stowage was written on the vessel's behalf by the planning actor.
    const stow = res.body.find((e: { field: string }) => e.field === 'physical.stowage')
    expect(stow).toMatchObject({ principal: 'planning@relay', role: 'vessel' })
  })

  it('creates and declines a proposal', async () => {
    const created = await t.api('POST', `${containers}/${containerNo(4)}/proposals`, {
      body: { field: 'physical.stowage', value: '0120482', reason: 'restow' },
    })
    expect(created.status).toBe(201)
    const proposal = created.body.proposals[0]
    expect(proposal).toMatchObject({ by: 'user:alice', field: 'physical.stowage', status: 'OPEN' })
    // Only the owner (the vessel) may decide a physical proposal.
    const decided = await t.api('POST', `${containers}/${containerNo(4)}/proposals/${proposal.id}`, {
      body: { decision: 'DECLINED' },
    })
    expect(decided.status).toBe(403)
    // The bodies are parsed by the zod schemas /api/openapi.json describes them with.
    const noField = await t.api('POST', `${containers}/${containerNo(4)}/proposals`, { body: { value: 1 } })
    expect(noField.body.error).toMatchObject({ code: 'INVALID', field: 'proposal.field' })
    const longReason = await t.api('POST', `${containers}/${containerNo(4)}/proposals`, {
      body: { field: 'physical.stowage', value: '0120482', reason: 'r'.repeat(2001) },
    })
    expect(longReason.body.error).toMatchObject({ code: 'INVALID', field: 'proposal.reason' })
    const maybe = await t.api('POST', `${containers}/${containerNo(4)}/proposals/${proposal.id}`, {
      body: { decision: 'MAYBE' },
    })
    expect(maybe.body.error).toMatchObject({
      code: 'INVALID',
      field: 'decision',
      message: 'decision: must be ACCEPTED or DECLINED',
    })
  })
})

describe('lists', () => {
  it('pages with limit and offset, and refuses a bad limit', async () => {
    const all = await t.api('GET', `${containers}?limit=1000`)
    expect(all.body.total).toBeGreaterThanOrEqual(6)
    const page = await t.api('GET', `${containers}?limit=2&offset=1`)
    expect(page.body.items).toHaveLength(2)
    expect(page.body.total).toBe(all.body.total)
    expect(page.body.items.map((v: { containerId: string }) => v.containerId)).toEqual(
      all.body.items.slice(1, 3).map((v: { containerId: string }) => v.containerId),
    )
    for (const q of ['limit=abc', 'limit=-1', 'offset=x']) {
      const res = await t.api('GET', `${containers}?${q}`)
      expect(res.status).toBe(400)
      expect(res.body.error).toMatchObject({ code: 'INVALID', field: q.split('=')[0] })
    }
  })

  it('filters by customs status and reefer, and searches across vessels', async () => {
    const held = await t.api('GET', `${containers}?customs=HELD`)
    expect(held.body.items.every((v: any) => v.customs.status === 'HELD')).toBe(true)
    expect(held.body.total).toBeGreaterThanOrEqual(2)
    const search = await t.api('GET', `/api/containers?q=${containerNo(2).slice(0, 8)}`)
    expect(search.body.items.map((v: any) => v.containerId)).toContain(containerNo(2))
    expect((await t.api('GET', `${containers}?reefer=maybe`)).status).toBe(400)
  })

  it('filters the shore list by seal, exception, POD and time, finds "damaged" by word, and sorts by any column', async () => {
    const before = new Date(Date.now() - 1_000).toISOString()
    const created = await t.api('POST', containers, {
      body: [
        booking(60, { physical: { state: 'LOADED', condition: 'DAMAGED', damage: 'Dented door' } }),
        booking(61, { physical: { state: 'LOADED', sealIntact: false, observedSeal: 'TAMPERED' } }),
        booking(62, { cargo: { booking: 'BK000062', pol: 'KRPUS', pod: 'NLRTM', vgmKg: 21_000 } }),
      ],
    })
    expect(created.status).toBe(201)
    const ids = (res: { body: { items: { containerId: string }[] } }) =>
      res.body.items.map((v) => v.containerId).sort()

    expect(ids(await t.api('GET', `/api/containers?q=damaged`))).toEqual([containerNo(60)])
    expect(ids(await t.api('GET', `/api/containers?q=Broken%20seal`))).toEqual([containerNo(61)])
    expect(ids(await t.api('GET', `${containers}?seal=broken`))).toEqual([containerNo(61)])
    expect(ids(await t.api('GET', `/api/containers?exception=true&since=${before}`))).toEqual([
      containerNo(60),
      containerNo(61),
    ])
    expect(ids(await t.api('GET', `/api/containers?pod=nlrtm`))).toEqual([containerNo(62)])
    const later = new Date(Date.now() + 60_000).toISOString()
    expect((await t.api('GET', `/api/containers?since=${later}`)).body.total).toBe(0)

    const byPod = await t.api('GET', `/api/containers?sort=-pod&limit=1`)
    expect(byPod.body.items[0].cargo.pod).toBe('USLAX')
    const byCustoms = await t.api('GET', `/api/containers?sort=-customs&limit=1000`)
    const statuses = byCustoms.body.items.map((v: any) => v.customs.status)
    expect(statuses).toEqual([...statuses].sort().reverse())
    // The query parameters that came before still work.
    expect((await t.api('GET', `/api/containers?customs=HELD&sort=stowage`)).status).toBe(200)
    for (const q of ['seal=torn', 'pod=LA', 'since=yesterday', 'exception=maybe', 'sort=colour']) {
      const res = await t.api('GET', `/api/containers?${q}`)
      expect(res.status, q).toBe(400)
      expect(res.body.error).toMatchObject({ code: 'INVALID', field: q.split('=')[0] })
    }
  })

  it('lists the fleet', async () => {
    const res = await t.api('GET', '/api/vessels')
    expect(res.status).toBe(200)
    expect(res.body).toContainEqual(
      expect.objectContaining({
        imo: VESSEL,
        lastSyncAt: null,
        lagSeconds: null,
        today: expect.objectContaining({ bytesUp: 0, bytesDown: 0, costUsd: 0 }),
        containers: expect.any(Number),
        pendingChanges: expect.any(Number),
      }),
    )
  })
})

describe('metrics and unknown routes', () => {
  it('serves Prometheus metrics to an ops or scrape token only', async () => {
    const anonymous = await t.api('GET', '/metrics', { token: null })
    expect(anonymous.status).toBe(401)
    expect(anonymous.body.error.message).toMatch(/ops or scrape token/)
    expect((await t.api('GET', '/metrics', { token: 'tly_user_nope' })).status).toBe(401)
    const shore = await t.api('GET', '/metrics', { token: t.tokens.shore })
    expect(shore.status).toBe(403)
    expect(shore.body.error.message).toMatch(/role shore/)
    const scrape = t.relay.context.tokens.issue('user', 'prometheus', 'metrics')
    expect((await t.api('GET', '/metrics', { token: scrape })).status).toBe(200)
    // A scrape token reads /metrics and nothing else.
    expect((await t.api('GET', '/api/vessels', { token: scrape })).status).toBe(401)
    const res = await t.api('GET', '/metrics', { token: t.tokens.ops })
    expect(res.status).toBe(200)
    expect(res.body).toMatch(/^tally_containers \d+$/m)
    expect(res.body).toContain('process_cpu_user_seconds_total')
  })

  it('answers JSON 404 for an unknown API route', async () => {
    const res = await t.api('GET', '/api/nothing')
    expect(res.status).toBe(404)
    expect(res.body.error.code).toBe('NOT_FOUND')
  })

  it('serves a page at / saying the shore UI is not built, when it is not', async () => {
    const res = await t.api('GET', '/', { token: null })
    expect(res.status).toBe(200)
    expect(String(res.body)).toContain('Tally')
  })
})
