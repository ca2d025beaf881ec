/**
 * The relay's side of a spent budget (docs/operations.md, "Budgets"), against a real relay and a real vessel
 * link: the relay sends the customs hold and holds the shore's routine paperwork back; the session
 * record, the dashboard's budget state and /metrics say so; raising the budget lets the rest go.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { randomBytes } from 'node:crypto'
import { applyPatch, documentIdFor } from '@tally/manifest'
import { keyOf } from '../../test/link/fixtures.ts'
import { startOpsRelay, VESSEL } from './ops-fixtures.ts'

const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

describe('a spent budget at the relay', { timeout: 60_000 }, () => {
  it('sends critical shore changes only, records the limited session and shows "critical only"', async () => {
    const t = await startOpsRelay({ containers: 30 })
    cleanups.push(() => t.close())
    await t.sync()
    const { store, registry } = t.relay.context
    const clerk = randomBytes(16).toString('hex')
    registry.bind({ actor: clerk, principal: 'user:clerk2', kind: 'user', role: 'shore', name: 'clerk2' })
    // A customs hold (critical) and a batch of shipper corrections (normal), random so they do
    // not compress into less than the budget.
    store.edit(documentIdFor(keyOf(4)), clerk, (d) =>
      applyPatch(d, { customs: { status: 'HELD', holdReason: 'inspection' } }, 'shore'),
    )
    for (let i = 10; i < 30; i++)
      store.edit(documentIdFor(keyOf(i)), clerk, (d) =>
        applyPatch(d, { cargo: { shipper: randomBytes(60).toString('hex') } }, 'shore'),
      )
    const spent = (await t.api('GET', '/api/ops/overview')).body.vessels[0].budget.spentBytes
    // Room for the session's own frames and the hold, not for the corrections.
    await t.api('PUT', `/api/ops/vessels/${VESSEL}/settings`, { body: { dailyBudgetBytes: spent + 2_000 } })

    const limited = await t.sync()
    expect(limited.budget).toMatchObject({ remainingBytes: 2_000, budgetLimited: false })
    const vessel = t.vessel()
    expect(String((vessel.store.load(documentIdFor(keyOf(4))) as any).customs.status)).toBe('HELD')
    expect(limited.stats.changesDown).toBe(1)
    const record = t.relay.context.sessions.list({ peer: VESSEL, limit: 1 })[0]!
    expect(record).toMatchObject({ state: 'complete', budgetLimited: true })

    const v = (await t.api('GET', `/api/ops/vessels/${VESSEL}`)).body
    expect(v.budget.remainingBytes).toBeGreaterThan(0)
    expect(v.budget).toMatchObject({ criticalOnly: true, limitedSessions: 1 })
    expect(v.sessions[0]).toMatchObject({ budgetLimited: true })
    const metrics = (await t.api('GET', '/metrics')).body as string
    expect(metrics).toContain(`budget_limited_sessions_total{vessel="${VESSEL}"} 1`)

    // An operator raises the budget: no longer "critical only", and the corrections go.
    await t.api('PUT', `/api/ops/vessels/${VESSEL}/settings`, { body: { dailyBudgetBytes: 100_000_000 } })
    expect((await t.api('GET', `/api/ops/vessels/${VESSEL}`)).body.budget).toMatchObject({
      criticalOnly: false,
      limitedSessions: 1,
    })
    const rest = await t.sync()
    expect(rest.stats.changesDown).toBe(20)
    expect(vessel.replica.pendingCount()).toBe(0)
  })
})
