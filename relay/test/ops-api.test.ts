/**
 * The operator API (`/api/ops`) and `/metrics` against a real relay with a real vessel link: access
 * by role, the fleet figures after real sessions, per-vessel Prometheus series, dead letters
 * (inspect, retry after a policy change, discard with an audited reason), and settings.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { randomBytes } from 'node:crypto'
import * as A from '@automerge/automerge'
import { applyPatch, documentIdFor } from '@tally/manifest'
import { keyOf } from '../../test/link/fixtures.ts'
import { startOpsRelay, VESSEL } from './ops-fixtures.ts'
import type { OpsRelay } from './ops-fixtures.ts'

const cleanups: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

async function relayUnderTest(containers = 30): Promise<OpsRelay> {
  const t = await startOpsRelay({ containers })
  cleanups.push(() => t.close())
  return t
}

describe('ops API', { timeout: 60_000 }, () => {
  it('is for ops tokens only, and serves the dashboard page with a strict CSP', async () => {
    const t = await relayUnderTest(1)
    expect((await t.api('GET', '/api/ops/overview', { token: null })).status).toBe(401)
    const shore = await t.api('GET', '/api/ops/overview', { token: t.tokens.shore })
    expect(shore.status).toBe(403)
    expect(shore.body.error.message).toMatch(/ops token/)
    expect((await t.api('GET', '/api/ops/overview')).status).toBe(200)
    const page = await fetch(t.relay.url + '/ops')
    expect(page.status).toBe(200)
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'")
    expect(await page.text()).toContain('/ops/ops.js')
    const script = await fetch(t.relay.url + '/ops/ops.js')
    expect(script.headers.get('content-type')).toMatch(/javascript/)
    expect((await fetch(t.relay.url + '/ops/nope.js')).status).toBe(404)
  })

  it('shows each vessel with last sync, lag, pending by priority, traffic, failure rate and metrics', async () => {
    const t = await relayUnderTest()
    const first = await t.sync()
    expect(first.stats.changesDown).toBeGreaterThan(0)
    // A shore change waits for the vessel: one critical customs hold and one normal edit.
    const shoreActor = randomBytes(16).toString('hex')
    t.relay.context.registry.bind({
      actor: shoreActor,
      principal: 'user:clerk',
      kind: 'user',
      role: 'shore',
      name: 'clerk',
    })
    t.relay.store.edit(documentIdFor(keyOf(1)), shoreActor, (d) =>
      applyPatch(d, { customs: { status: 'HELD', holdReason: 'inspection' } }, 'shore'),
    )
    t.relay.store.edit(documentIdFor(keyOf(2)), shoreActor, (d) =>
      applyPatch(d, { cargo: { shipper: 'ACME' } }, 'shore'),
    )
    const { body } = await t.api('GET', '/api/ops/overview')
    const v = body.vessels.find((x: any) => x.imo === VESSEL)
    expect(v.name).toBe('Tally Express')
    expect(v.lastSyncAt).toBeTruthy()
    expect(v.lagSeconds).toBeGreaterThanOrEqual(0)
    expect(v.pendingToVessel).toMatchObject({ critical: 1, normal: 1, routine: 0, docs: 2 })
    expect(v.today.bytesDown).toBeGreaterThan(1000)
    expect(v.today.costUsd).toBeGreaterThan(0)
    expect(v.sessions24h).toEqual({ complete: 1, failed: 0 })
    expect(v.failureRate).toBe(0)
    expect(v.budget).toMatchObject({ dailyBytes: null, criticalOnly: false })

    const detail = await t.api('GET', `/api/ops/vessels/${VESSEL}`)
    expect(detail.body.sessions).toHaveLength(1)
    expect(detail.body.sessions[0].durationMs).toBeGreaterThanOrEqual(0)
    expect(detail.body.perDay[0].bytesDown).toBeGreaterThan(0)
    expect((await t.api('GET', '/api/ops/vessels/IMO1234567')).status).toBe(404)

    const metrics = (await t.api('GET', '/metrics')).body as string
    expect(metrics).toMatch(new RegExp(`sync_lag_seconds\\{vessel="${VESSEL}"\\} \\d+`))
    expect(metrics).toContain(`sync_failure_rate{vessel="${VESSEL}"} 0`)
    expect(metrics).toContain(`conflict_rate{vessel="${VESSEL}"} 0`)
    expect(metrics).toContain(`queue_depth{vessel="${VESSEL}",direction="to_vessel",priority="critical"} 1`)
    expect(metrics).toMatch(new RegExp(`payload_size_bytes_count\\{vessel="${VESSEL}",direction="down"\\} 1`))
    expect(metrics).toMatch(
      new RegExp(`sync_duration_seconds_count\\{vessel="${VESSEL}",outcome="complete"\\} 1`),
    )
    expect(metrics).toContain(`dead_letters{vessel="${VESSEL}",status="open"} 0`)
    expect(metrics).toContain('process_resident_memory_bytes')
  })

  it('inspects a refused change, keeps it refused on retry, and discards it with an audited reason', async () => {
    const t = await relayUnderTest()
    await t.sync()
    const vessel = t.vessel()
    // The vessel writes a customs field: not its section, so the relay refuses it.
    const docId = documentIdFor(keyOf(4))
    vessel.store.edit(docId, vessel.actor, (d) => applyPatch(d, { customs: { status: 'RELEASED' } }, 'shore'))
    const result = await t.sync()
    expect(result.stats.rejected).toBe(1)

    const list = await t.api('GET', '/api/ops/dead-letters?status=open')
    expect(list.body.counts.open).toBe(1)
    const item = list.body.items[0]
    expect(item).toMatchObject({
      principal: VESSEL,
      vessel: VESSEL,
      containerId: keyOf(4).containerId,
      field: 'customs.status',
    })
    const detail = (await t.api('GET', `/api/ops/dead-letters/${item.id}`)).body
    expect(detail.decoded.kind).toBe('change')
    expect(detail.decoded.changes[0]).toMatchObject({ author: VESSEL, fields: ['customs.status'] })
    expect(detail.decoded.changes[0].touched[0]).toMatchObject({
      field: 'customs.status',
      action: 'set',
      value: 'RELEASED',
    })

    const retry = await t.api('POST', `/api/ops/dead-letters/${item.id}/retry`)
    expect(retry.status).toBe(409)
    expect(retry.body.error.message).toMatch(/policy still refuses/)
    expect(retry.body.error.field).toBe('customs.status')

    const noReason = await t.api('POST', `/api/ops/dead-letters/${item.id}/discard`, {
      body: { reason: ' ' },
    })
    expect(noReason.status).toBe(400)
    expect(noReason.body.error.field).toBe('reason')
    const discarded = await t.api('POST', `/api/ops/dead-letters/${item.id}/discard`, {
      body: { reason: 'customs belongs to the shore; crew told to raise a proposal' },
    })
    expect(discarded.body).toMatchObject({ status: 'discarded', resolvedBy: 'user:olga' })
    expect(
      (await t.api('POST', `/api/ops/dead-letters/${item.id}/discard`, { body: { reason: 'again' } })).status,
    ).toBe(409)
    const audit = (await t.api('GET', '/api/ops/audit')).body
    expect(audit[0]).toMatchObject({
      principal: 'user:olga',
      action: 'dead_letter.discard',
      subject: `dead-letter:${item.id}`,
    })
    expect(audit[0].to.note).toMatch(/proposal/)
    // The refused value never entered the relay's document.
    expect(t.relay.store.view(docId)!.customs.status).toBe('PENDING')
  })

  it('applies a dead letter on retry once policy accepts it (an actor binding fixed by ops)', async () => {
    const t = await relayUnderTest()
    await t.sync()
    const vessel = t.vessel()
    // A crew actor whose binding was lost: the relay cannot tell who wrote the damage report.
    const stray = randomBytes(16).toString('hex')
    const docId = documentIdFor(keyOf(5))
    const after = vessel.store.edit(docId, stray, (d) =>
      applyPatch(d, { physical: { condition: 'DAMAGED', damage: 'crushed corner' } }, 'vessel'),
    )
    const hash = A.getHeads(after)[0]!
    expect((await t.sync()).stats.rejected).toBe(1)
    const [item] = (await t.api('GET', '/api/ops/dead-letters?status=open')).body.items
    expect(item.reason).toMatch(/not bound/)
    expect((await t.api('POST', `/api/ops/dead-letters/${item.id}/retry`)).status).toBe(409)

    t.relay.context.registry.bind({
      actor: stray,
      principal: VESSEL,
      kind: 'vessel',
      role: 'vessel',
      name: 'bosun',
    })
    const retry = await t.api('POST', `/api/ops/dead-letters/${item.id}/retry`)
    expect(retry.status).toBe(200)
    expect(retry.body).toMatchObject({
      outcome: 'applied',
      letter: { status: 'retried', resolvedBy: 'user:olga' },
    })
    expect(A.hasHeads(t.relay.store.load(docId)!, [hash])).toBe(true)
    expect(t.relay.store.view(docId)!.physical.condition).toBe('DAMAGED')
    // The next session is still clean both ways, and the replicas agree.
    await t.sync()
    expect(A.getHeads(t.relay.store.load(docId)!).sort()).toEqual(
      A.getHeads(vessel.store.load(docId)!).sort(),
    )
  })

  it('stores vessel settings and refuses bad ones by field', async () => {
    const t = await relayUnderTest(1)
    const ok = await t.api('PUT', `/api/ops/vessels/${VESSEL}/settings`, {
      body: { dailyBudgetBytes: 2_000_000, expectedWindowS: 6 * 3600 },
    })
    expect(ok.body).toMatchObject({
      dailyBudgetBytes: 2_000_000,
      expectedWindowS: 21_600,
      updatedBy: 'user:olga',
    })
    const bad = await t.api('PUT', `/api/ops/vessels/${VESSEL}/settings`, { body: { dailyBudgetBytes: -1 } })
    expect(bad.status).toBe(400)
    expect(bad.body.error.field).toBe('dailyBudgetBytes')
    const unknown = await t.api('PUT', `/api/ops/vessels/${VESSEL}/settings`, { body: { colour: 'red' } })
    expect(unknown.body.error.field).toBe('colour')
    const v = (await t.api('GET', '/api/ops/overview')).body.vessels[0]
    expect(v.expectedWindowS).toBe(21_600)
    expect(v.budget.dailyBytes).toBe(2_000_000)
  })

  it('stores a vessel’s link pacing (windows, keepalive), refuses bad values by field, and clears it', async () => {
    const t = await relayUnderTest(1)
    const pacing = { criticalS: 5, normalS: 300, routineS: 1800, keepaliveS: 120 }
    const ok = await t.api('PUT', `/api/ops/vessels/${VESSEL}/settings`, { body: { linkPacing: pacing } })
    expect(ok.status).toBe(200)
    expect(ok.body.linkPacing).toEqual(pacing)
    expect((await t.api('GET', `/api/ops/vessels/${VESSEL}`)).body.settings.linkPacing).toEqual(pacing)
    const bad = await t.api('PUT', `/api/ops/vessels/${VESSEL}/settings`, {
      body: { linkPacing: { ...pacing, normalS: -1 } },
    })
    expect(bad.status).toBe(400)
    expect(bad.body.error.field).toBe('linkPacing.normalS')
    const noKeepalive = await t.api('PUT', `/api/ops/vessels/${VESSEL}/settings`, {
      body: { linkPacing: { ...pacing, keepaliveS: 0 } },
    })
    expect(noKeepalive.body.error.field).toBe('linkPacing.keepaliveS')
    const cleared = await t.api('PUT', `/api/ops/vessels/${VESSEL}/settings`, { body: { linkPacing: null } })
    expect(cleared.body.linkPacing).toBeNull()
  })
})
