/**
 * The daily bill on the operator tools, against a real relay after a real link session: each
 * vessel's bytes today and the projected day in `/api/ops/overview` and `/api/ops/vessels/:imo`,
 * the fleet's sum, and the `projected_bill` alert, which fires when the projected day exceeds the
 * vessel's daily budget and resolves when the budget is raised.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { startOpsRelay, VESSEL } from './ops-fixtures.ts'
import type { OpsRelay } from './ops-fixtures.ts'

const SUMMARY = /^today [\d.,]+ KB so far, about [\d.,]+ KB by 24:00, \$\d+\.\d\d$/
let t: OpsRelay | undefined
afterEach(async () => {
  await t?.close()
  t = undefined
})

describe("ops: today's bill and the projected day", { timeout: 60_000 }, () => {
  it('shows the bill per vessel and fleet-wide, and alerts when the projected day exceeds the budget', async () => {
    t = await startOpsRelay({ containers: 12 })
    await t.sync()
    const overview = (await t.api('GET', '/api/ops/overview')).body
    const v = overview.vessels.find((x: any) => x.imo === VESSEL)
    const bill = v.dailyBill
    expect(bill.day).toBe(new Date().toISOString().slice(0, 10))
    expect(bill.bytes).toBe(v.today.bytesUp + v.today.bytesDown)
    expect(bill.bytes).toBe(v.budget.spentBytes)
    expect(bill.bytes).toBeGreaterThan(1000)
    expect(bill.sessions).toBeGreaterThanOrEqual(1)
    expect(bill.connections).toBe(bill.sessions)
    expect(bill.projectedBytes).toBeGreaterThanOrEqual(bill.bytes)
    expect(bill.projectedCostUsd).toBeCloseTo((bill.projectedBytes / 1e6) * overview.costPerMb, 2)
    expect(bill.summary).toMatch(SUMMARY)
    expect(overview.fleetBill).toMatchObject({ bytes: bill.bytes, sessions: bill.sessions })
    expect(overview.fleetBill.summary).toMatch(SUMMARY)
    expect((await t.api('GET', `/api/ops/vessels/${VESSEL}`)).body.dailyBill).toMatchObject({
      bytes: bill.bytes,
      projectedBytes: expect.any(Number),
    })

    // No budget: nothing to exceed.
    expect(t.relay.ops.evaluateAlerts().fired.map((a) => a.kind)).not.toContain('projected_bill')
    const budget = Math.max(1, Math.floor(bill.projectedBytes / 2))
    await t.api('PUT', `/api/ops/vessels/${VESSEL}/settings`, { body: { dailyBudgetBytes: budget } })
    const fired = t.relay.ops.evaluateAlerts().fired.find((a) => a.kind === 'projected_bill')
    expect(fired).toMatchObject({ vessel: VESSEL, threshold: budget, state: 'firing' })
    expect(fired!.value).toBeGreaterThan(budget)
    expect(fired!.message).toMatch(
      /^IMO9811000: today .* KB so far, about .* by 24:00, \$.*, above its daily budget of/,
    )
    expect((await t.api('GET', '/api/ops/overview')).body.vessels[0].alerts).toContain('projected_bill')

    await t.api('PUT', `/api/ops/vessels/${VESSEL}/settings`, { body: { dailyBudgetBytes: 1e11 } })
    expect(t.relay.ops.evaluateAlerts().resolved.map((a) => a.kind)).toContain('projected_bill')
  })
})
