/**
 * What the operator sees of a vessel's link and the alerts that matter, against a real relay:
 * the link states under protocol version 3 (in a session now, connected and idle between rounds,
 * reachable with its last contact, no contact for longer than its window; keepalives count), the
 * expected window derived from the sync interval a vessel reports in its hello, failed attempts the
 * vessel reports that never reached the relay counted in the failure rate, the budget and
 * dead-letter alerts with since-when and what to do, thresholds set from the API in the form's units,
 * and every settings and threshold change in the audit trail.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import { documentIdFor } from '@tally/manifest'
import { decodeFrame, encodeFrame, PROTOCOL_VERSION } from '@tally/link'
import { keyOf } from '../../test/link/fixtures.ts'
import { checkVessel, DEFAULT_THRESHOLDS } from '../src/ops/alerts.ts'
import { startOpsRelay, VESSEL } from './ops-fixtures.ts'
import type { OpsRelay } from './ops-fixtures.ts'

const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

async function relayUnderTest(containers = 5): Promise<OpsRelay> {
  const t = await startOpsRelay({ containers })
  cleanups.push(() => t.close())
  return t
}

/**
 * Says hello (with optional report fields) as a version 3 vessel would, and keeps the connection
 * open. With `pending` above 0 the relay waits for the vessel's chunks, so the first session stays
 * open until {@link finishRound} sends the vessel's `done`.
 */
function openLink(t: OpsRelay, report: { failed?: number; interval?: number; pending?: number } = {}) {
  return new Promise<{ ws: WebSocket; closed: Promise<number>; frames: string[] }>((resolve, reject) => {
    const ws = new WebSocket(t.linkUrl)
    const frames: string[] = []
    const timer = setTimeout(() => reject(new Error('no welcome')), 10_000)
    const closed = new Promise<number>((r) => ws.on('close', (code) => r(code)))
    ws.on('open', () =>
      ws.send(
        encodeFrame({
          t: 'hello',
          v: PROTOCOL_VERSION,
          vessel: VESSEL,
          token: t.tokens.vessel,
          sync: null,
          pending: 0,
          ...report,
        }),
      ),
    )
    ws.on('message', (data) => {
      const frame = decodeFrame(data as Buffer)
      frames.push(frame.t)
      if (frame.t === 'welcome') {
        clearTimeout(timer)
        resolve({ ws, closed, frames })
      }
    })
    ws.on('error', reject)
  })
}

/** The vessel has nothing (more) to send in this session: the relay answers with its fin. */
function finishRound(link: { ws: WebSocket }): void {
  link.ws.send(encodeFrame({ t: 'done', chunks: 0 }))
}

const vesselOps = async (t: OpsRelay) =>
  (await t.api('GET', '/api/ops/overview')).body.vessels.find((v: any) => v.imo === VESSEL)

/** The relay records a closed connection's session after the socket's close event: wait for it (bounded). */
async function settled(t: OpsRelay, ok: (v: any) => boolean): Promise<void> {
  const deadline = Date.now() + 5_000
  while (Date.now() < deadline && !ok(await vesselOps(t))) await new Promise((r) => setTimeout(r, 50))
}

describe('link states and the alerts that matter', { timeout: 90_000 }, () => {
  it('tells a round from an idle connection, then reachable with its last contact, then no contact beyond the expected window', async () => {
    // No containers: the relay has nothing to send, so a session ends as soon as the vessel is done.
    const t = await relayUnderTest(0)
    expect((await vesselOps(t)).link).toEqual({
      state: 'never',
      lastSessionAt: null,
      lastContactAt: null,
      connectedSince: null,
    })
    // A vessel with changes to send: its first session runs until it says it is done.
    const open = await openLink(t, { interval: 600, pending: 1 })
    const during = await vesselOps(t)
    expect(during.link.state).toBe('in_session')
    expect(during.link.connectedSince).not.toBeNull()
    // The expected window derives from the sync interval the vessel reported: twice 10 min.
    expect(during).toMatchObject({ expectedWindowS: 1200, expectedWindowSource: 'vessel' })

    // The session ends with its fin; the connection stays open and idle: connected, not in a session.
    finishRound(open)
    await settled(t, (v) => v.link.state !== 'in_session')
    const idle = await vesselOps(t)
    expect(idle.link.state).toBe('connected')
    expect(idle.link.lastSessionAt).toBe(idle.lastSyncAt)
    expect(idle.lagSeconds).toBe(0)
    expect(open.frames).toContain('fin')

    // A keepalive ping is contact: the last contact moves past the last session.
    await new Promise((r) => setTimeout(r, 30))
    const pinged = new Promise<void>((r) => open.ws.once('pong', () => r()))
    open.ws.ping()
    await pinged
    t.relay.ops.fleet.invalidate()
    const afterPing = await vesselOps(t)
    expect(Date.parse(afterPing.link.lastContactAt)).toBeGreaterThan(Date.parse(afterPing.lastSyncAt))

    // So is the one-way keepalive, an unsolicited pong that nothing answers (docs/protocol.md, "Rounds").
    await new Promise((r) => setTimeout(r, 30))
    open.ws.pong()
    let afterPong = afterPing
    for (let i = 0; i < 100 && afterPong.link.lastContactAt === afterPing.link.lastContactAt; i++) {
      await new Promise((r) => setTimeout(r, 20))
      t.relay.ops.fleet.invalidate()
      afterPong = await vesselOps(t)
    }
    expect(Date.parse(afterPong.link.lastContactAt)).toBeGreaterThan(Date.parse(afterPing.link.lastContactAt))

    // The connection closes: reachable, with the last session and the later keepalive.
    open.ws.close()
    await open.closed
    await settled(t, (v) => v.link.state !== 'connected')
    const after = await vesselOps(t)
    expect(after.link).toMatchObject({
      state: 'reachable',
      lastSessionAt: after.lastSyncAt,
      lastContactAt: afterPong.link.lastContactAt,
      connectedSince: null,
    })
    // 21 minutes after the keepalive, with nothing heard since: longer than the 20 min window.
    const at = new Date(Date.parse(after.link.lastContactAt) + 21 * 60_000)
    const later = t.relay.ops.fleet.snapshot(0, at).find((v) => v.imo === VESSEL)!
    expect(later.link.state).toBe('no_contact')
    // The lag counts from the keepalive (the vessel was in sync while its connection lived), and the
    // lag alert says so.
    expect(later.lagSeconds).toBe(21 * 60)
    const lag = checkVessel(later, { ...DEFAULT_THRESHOLDS, lagGraceS: 0 }, at).get('lag')!
    expect(lag.message).toMatch(
      /nothing heard since \d\d:\d\d UTC \(\d+\.\d h ago; last session at \d\d:\d\d/,
    )
    expect(lag.since).toBe(after.link.lastContactAt)
    // 19 minutes after it: still reachable.
    const sooner = new Date(Date.parse(after.link.lastContactAt) + 19 * 60_000)
    expect(t.relay.ops.fleet.snapshot(0, sooner).find((v) => v.imo === VESSEL)!.link.state).toBe('reachable')
    // The operator's own window wins over the vessel's interval.
    await t.api('PUT', `/api/ops/vessels/${VESSEL}/settings`, { body: { expectedWindowS: 7200 } })
    expect(await vesselOps(t)).toMatchObject({ expectedWindowS: 7200, expectedWindowSource: 'operator' })
  })

  it('counts the failed attempts a vessel reports at its next hello in the failure rate, once', async () => {
    const t = await relayUnderTest()
    await t.sync()
    // One attempt reached the relay and failed there; the vessel then failed 11 more times out of reach.
    const dropped = await openLink(t)
    dropped.ws.terminate()
    await dropped.closed
    await settled(t, (v) => v.sessions24h.failed >= 1 && v.link.connectedSince === null)
    // Back, with a sync token the relay does not hold: its session reconciles and waits for the
    // vessel's heads, which never come; the vessel hangs up.
    const back = await openLink(t, { failed: 12, interval: 60 })
    back.ws.close()
    await back.closed
    await settled(t, (v) => v.sessions24h.failed >= 2 && v.link.connectedSince === null)
    const v = await vesselOps(t)
    expect(v.unreachedAttempts24h).toBe(11)
    // Sessions only (a version 3 connection's own row is not an attempt): 1 complete, 2 failed at
    // the relay (the drop and this silent session), 11 never reached it.
    expect(v.sessions24h).toEqual({ complete: 1, failed: 2 })
    expect(v.failureRate).toBeCloseTo(13 / 14)
    const { fired } = t.relay.ops.evaluateAlerts()
    const alert = fired.find((a) => a.kind === 'failure_rate')!
    expect(alert.message).toMatch(
      /13 of 14 link attempts failed in 24 h \(11 of them never reached the relay/,
    )
    expect(alert.action).toMatch(/satellite link/)
  })

  it('alerts on a spent budget with changes held back and on waiting dead letters, with since when and what to do', async () => {
    const t = await relayUnderTest(5)
    // A session that moved a few bytes, then a budget smaller than that: spent for today.
    const once = await openLink(t)
    once.ws.close()
    await once.closed
    await t.api('PUT', `/api/ops/vessels/${VESSEL}/settings`, { body: { dailyBudgetBytes: 1 } })
    t.relay.context.deadLetters.add({
      principal: VESSEL,
      docId: documentIdFor(keyOf(2)),
      changeHash: 'ab'.repeat(32),
      reason: 'customs is decided ashore',
      field: 'customs.status',
      bytes: null,
    })
    t.relay.ops.fleet.invalidate()
    const { fired } = t.relay.ops.evaluateAlerts()
    const budget = fired.find((a) => a.kind === 'budget')!
    expect(budget.message).toMatch(
      /IMO9811000: daily budget of 0\.00 MB spent; \d+ changes? for the vessel held back until 00:00 UTC/,
    )
    expect(budget.action).toMatch(/raise the daily budget/)
    const letters = fired.find((a) => a.kind === 'dead_letters')!
    expect(letters.message).toMatch(/IMO9811000: 1 dead letter waiting, the oldest since \d\d:\d\d UTC/)
    expect(Date.parse(letters.since)).toBeLessThanOrEqual(Date.parse(letters.startedAt))
    expect(letters.action).toMatch(/Dead letters/)
    const overview = (await t.api('GET', '/api/ops/overview')).body
    // (A 1-byte budget also makes the day's projection exceed it: projected_bill fires beside them.)
    expect(overview.alerts.active.map((a: any) => a.kind)).toEqual(
      expect.arrayContaining(['budget', 'dead_letters']),
    )
    expect(overview.alerts.active[0]).toHaveProperty('action')

    // Raising the dead-letter threshold from the API resolves that alert; the change is audited.
    const saved = await t.api('PUT', '/api/ops/alerts/thresholds', { body: { deadLetters: 5 } })
    expect(saved.status).toBe(200)
    expect(saved.body.deadLetters).toBe(5)
    const still = (await t.api('GET', '/api/ops/alerts')).body.active.map((a: any) => a.kind)
    expect(still).toContain('budget')
    expect(still).not.toContain('dead_letters')
    const audit = (await t.api('GET', '/api/ops/audit')).body
    expect(audit[0]).toMatchObject({
      action: 'thresholds.update',
      principal: 'user:olga',
      subject: 'alerts',
      from: { deadLetters: 1 },
      to: { deadLetters: 5 },
    })
    expect(audit[1]).toMatchObject({
      action: 'settings.update',
      subject: `vessel:${VESSEL}`,
      from: { dailyBudgetBytes: null },
      to: { dailyBudgetBytes: 1 },
    })
  })

  it('refuses bad settings and thresholds in the form’s units and names, by field', async () => {
    const t = await relayUnderTest(1)
    const cases: [string, unknown, string, RegExp][] = [
      [
        `/api/ops/vessels/${VESSEL}/settings`,
        { expectedWindowS: 30 },
        'expectedWindowS',
        /^Expected window must be at least 1 minute$/,
      ],
      [
        `/api/ops/vessels/${VESSEL}/settings`,
        { expectedWindowS: 1e9 },
        'expectedWindowS',
        /^Expected window must be at most 60 days/,
      ],
      [
        `/api/ops/vessels/${VESSEL}/settings`,
        { dailyBudgetBytes: -1 },
        'dailyBudgetBytes',
        /^Daily budget must be at least 0 MB$/,
      ],
      [
        `/api/ops/vessels/${VESSEL}/settings`,
        { dailyBudgetBytes: 'lots' },
        'dailyBudgetBytes',
        /^Daily budget must be a number of MB/,
      ],
      ['/api/ops/alerts/thresholds', { lagGraceS: -60 }, 'lagGraceS', /^Grace must be at least 0 minutes$/],
      [
        '/api/ops/alerts/thresholds',
        { failureRate: 1.5 },
        'failureRate',
        /^Failure rate must be at most 100 %$/,
      ],
      [
        '/api/ops/alerts/thresholds',
        { minSessions: 2.5 },
        'minSessions',
        /^Minimum attempts must be a whole number of attempts$/,
      ],
      ['/api/ops/alerts/thresholds', { colour: 1 }, 'colour', /not an alert threshold/],
    ]
    for (const [url, body, field, message] of cases) {
      const res = await t.api('PUT', url, { body })
      expect(res.status, JSON.stringify(body)).toBe(400)
      expect(res.body.error.field).toBe(field)
      expect(res.body.error.message).toMatch(message)
    }
    expect(
      (await t.api('PUT', '/api/ops/alerts/thresholds', { token: t.tokens.shore, body: {} })).status,
    ).toBe(403)
    expect((await t.api('GET', '/api/ops/audit')).body).toEqual([])
  })
})
