/**
 * Tokens, budgets and alerts of the operator tools against a real relay: revocation cuts off an open
 * vessel link and a user's open socket at once; the budget reaches the vessel in the welcome frame;
 * alert rules fire and resolve, show on the dashboard API and reach a local webhook receiver.
 */
import { afterEach, describe, expect, it } from 'vitest'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { randomBytes } from 'node:crypto'
import * as A from '@automerge/automerge'
import { WebSocket, WebSocketServer } from 'ws'
import { applyPatch, documentIdFor } from '@tally/manifest'
import { decodeFrame, encodeFrame, PROTOCOL_VERSION } from '@tally/link'
import type { LinkFrame } from '@tally/link'
import { keyOf } from '../../test/link/fixtures.ts'
import type { AlertNotification } from '../src/ops/index.ts'
import { startOpsRelay, VESSEL } from './ops-fixtures.ts'
import type { OpsRelay } from './ops-fixtures.ts'

const SOCKET_TIMEOUT_MS = 10_000
const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

async function relayUnderTest(o: Parameters<typeof startOpsRelay>[0] = {}): Promise<OpsRelay> {
  const t = await startOpsRelay(o)
  cleanups.push(() => t.close())
  return t
}

/** Opens a link, says hello and stays silent: the session stays open. Resolves with the welcome. */
function openLink(t: OpsRelay): Promise<{ ws: WebSocket; welcome: LinkFrame; closed: Promise<number> }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(t.linkUrl)
    const timer = setTimeout(() => reject(new Error('no welcome')), SOCKET_TIMEOUT_MS)
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
        }),
      ),
    )
    ws.on('message', (data) => {
      const frame = decodeFrame(data as Buffer)
      if (frame.t === 'welcome') {
        clearTimeout(timer)
        resolve({ ws, welcome: frame, closed })
      }
    })
    ws.on('error', reject)
  })
}

/** A local HTTP receiver that records JSON bodies; the first `failFirst` requests get 500. */
async function webhookReceiver(failFirst = 0) {
  const received: AlertNotification[] = []
  let requests = 0
  const server = http.createServer((req, res) => {
    let body = ''
    req.on('data', (d) => (body += d))
    req.on('end', () => {
      requests++
      if (requests <= failFirst) return res.writeHead(500).end()
      received.push(JSON.parse(body))
      res.writeHead(204).end()
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  cleanups.push(() => new Promise<void>((r) => server.close(() => r())))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    received,
    requests: () => requests,
  }
}

describe('ops tokens', { timeout: 60_000 }, () => {
  it('creates and revokes a user token; revocation closes REST and open sockets at once', async () => {
    const t = await relayUnderTest({ containers: 1 })
    // Another component's WebSocket endpoint (like /sync): ops cuts it off without its help.
    const wss = new WebSocketServer({ noServer: true })
    t.relay.upgradeHandlers.set('/sync', (req, socket, head) =>
      wss.handleUpgrade(req, socket, head, () => undefined),
    )
    cleanups.push(() => wss.close())
    const created = await t.api('POST', '/api/ops/tokens', {
      body: { kind: 'user', subject: 'bruno', role: 'customs' },
    })
    expect(created.status).toBe(201)
    expect(created.body.token).toMatch(/^tly_user_/)
    const token = created.body.token as string
    expect((await t.api('GET', '/api/me', { token })).body).toMatchObject({ user: 'bruno', role: 'customs' })
    const socket = new WebSocket(t.relay.url.replace(/^http/, 'ws') + `/sync?token=${token}`)
    await new Promise((r, j) => socket.once('open', r).once('error', j))
    const closed = new Promise<void>((r) => socket.once('close', () => r()))
    const listed = (await t.api('GET', '/api/ops/tokens')).body.find(
      (x: any) => x.id === created.body.record.id,
    )
    expect(listed.connected).toBe(1)

    const started = Date.now()
    const revoked = await t.api('POST', `/api/ops/tokens/${created.body.record.id}/revoke`)
    expect(revoked.body).toMatchObject({ disconnected: 1, record: { subject: 'bruno' } })
    await closed
    expect(Date.now() - started).toBeLessThan(2_000)
    expect((await t.api('GET', '/api/me', { token })).status).toBe(401)
    expect((await t.api('POST', `/api/ops/tokens/${created.body.record.id}/revoke`)).status).toBe(409)
    const audit = (await t.api('GET', '/api/ops/audit')).body.map((a: any) => a.action)
    expect(audit).toEqual(['token.revoke', 'token.create'])
  })

  it('cuts off a connected vessel when its token is revoked, and closes sockets of tokens revoked by the CLI', async () => {
    const t = await relayUnderTest({ containers: 1, ops: { revocationCheckMs: 100 } })
    const link = await openLink(t)
    const vesselToken = t.relay.context.tokens.list({ kind: 'vessel', subject: VESSEL })[0]!
    const revoked = await t.api('POST', `/api/ops/tokens/${vesselToken.id}/revoke`)
    expect(revoked.body.disconnected).toBe(1)
    expect(await link.closed).toBe(4401)

    const wss = new WebSocketServer({ noServer: true })
    t.relay.upgradeHandlers.set('/sync', (req, socket, head) =>
      wss.handleUpgrade(req, socket, head, () => undefined),
    )
    cleanups.push(() => wss.close())
    const socket = new WebSocket(t.relay.url.replace(/^http/, 'ws') + `/sync?token=${t.tokens.shore}`)
    await new Promise((r, j) => socket.once('open', r).once('error', j))
    const closed = new Promise<void>((r) => socket.once('close', () => r()))
    // Revoked out of process: straight in the database, as `relay revoke-token` does.
    const shoreToken = t.relay.context.tokens.list({ kind: 'user', subject: 'alice' })[0]!
    t.relay.context.tokens.revoke(shoreToken.id)
    await closed
  })

  it('creates a vessel token, registering the vessel, and refuses bad requests by field', async () => {
    const t = await relayUnderTest({ containers: 1 })
    const created = await t.api('POST', '/api/ops/tokens', {
      body: { kind: 'vessel', subject: 'IMO9811001', name: 'Tally Pioneer' },
    })
    expect(created.status).toBe(201)
    expect(t.relay.context.vessels.get('IMO9811001')?.name).toBe('Tally Pioneer')
    const bad = await t.api('POST', '/api/ops/tokens', { body: { kind: 'vessel', subject: 'IMO98' } })
    expect(bad.body.error.field).toBe('subject')
    const role = await t.api('POST', '/api/ops/tokens', {
      body: { kind: 'user', subject: 'x', role: 'admin' },
    })
    expect(role.body.error.field).toBe('role')
  })
})

describe('ops budgets', { timeout: 60_000 }, () => {
  it('sends the remaining daily budget in the welcome frame and shows when it is spent', async () => {
    const t = await relayUnderTest({ containers: 40 })
    const none = await openLink(t)
    expect((none.welcome as any).budget).toBeNull()
    none.ws.close()
    await none.closed
    await t.sync()
    const spent = (await t.api('GET', '/api/ops/overview')).body.vessels[0].budget.spentBytes
    expect(spent).toBeGreaterThan(1000)
    await t.api('PUT', `/api/ops/vessels/${VESSEL}/settings`, { body: { dailyBudgetBytes: spent + 5000 } })
    const some = await openLink(t)
    // The last connection's row may still gain its closing frames' bytes after the overview was read.
    expect((some.welcome as any).budget).toBeGreaterThan(4800)
    expect((some.welcome as any).budget).toBeLessThanOrEqual(5000)
    some.ws.close()
    await some.closed
    await t.api('PUT', `/api/ops/vessels/${VESSEL}/settings`, { body: { dailyBudgetBytes: 1000 } })
    const over = await openLink(t)
    expect((over.welcome as any).budget).toBe(0)
    over.ws.close()
    await over.closed
    const v = (await t.api('GET', '/api/ops/overview')).body.vessels[0]
    expect(v.budget).toMatchObject({ dailyBytes: 1000, remainingBytes: 0, criticalOnly: true })
    expect((await t.api('GET', '/metrics')).body).toContain(`budget_remaining_bytes{vessel="${VESSEL}"} 0`)
  })
})

describe('ops alerts', { timeout: 60_000 }, () => {
  it('fires lag, failure-rate and conflict alerts, shows them, posts them to the webhook and resolves them', async () => {
    const hook = await webhookReceiver(1)
    const t = await relayUnderTest({
      containers: 12,
      ops: { alertWebhook: hook.url, webhookRetryBaseMs: 20 },
    })
    await t.sync()
    // Failure rate: 10 failed sessions out of 11 ended in the last 24 h.
    const { sessions } = t.relay.context
    for (let i = 0; i < 10; i++)
      sessions.finish(sessions.start(VESSEL), { state: 'failed', error: 'link dropped' })
    // Conflicts: two shore users set the same field of 11 containers concurrently.
    const [alice, bob] = [randomBytes(16).toString('hex'), randomBytes(16).toString('hex')]
    for (const [actor, name] of [
      [alice, 'alice'],
      [bob, 'bob'],
    ] as const)
      t.relay.context.registry.bind({ actor, principal: `user:${name}`, kind: 'user', role: 'shore', name })
    for (let i = 1; i <= 11; i++) {
      const key = keyOf(i)
      const docId = documentIdFor(key)
      const base = t.relay.store.load(docId)!
      const theirs = applyPatch(
        A.clone(base, { actor: bob as A.ActorId }),
        { cargo: { shipper: 'BOB LINES' } },
        'shore',
      )
      t.relay.store.edit(docId, alice, (d) =>
        applyPatch(d, { cargo: { shipper: 'ALICE SHIPPING' } }, 'shore'),
      )
      t.relay.store.applyRemote(docId, key, [A.saveSince(theirs, A.getHeads(base))])
    }
    const overview = (await t.api('GET', '/api/ops/overview')).body.vessels[0]
    expect(overview.conflicts.lastHour).toBe(11)
    expect((await t.api('GET', '/metrics')).body).toContain(`conflict_rate{vessel="${VESSEL}"} 11`)

    const first = t.relay.ops.evaluateAlerts(new Date(Date.now() + 1_000))
    expect(first.fired.map((a) => a.kind).sort()).toEqual(['conflicts', 'failure_rate'])
    const active = (await t.api('GET', '/api/ops/alerts')).body.active
    expect(active.map((a: any) => a.kind).sort()).toEqual(['conflicts', 'failure_rate'])
    expect((await t.api('GET', '/api/ops/overview')).body.vessels[0].alerts.sort()).toEqual([
      'conflicts',
      'failure_rate',
    ])
    // 26 h later the last sync is older than the 24 h window + 1 h grace, and the failures and
    // conflicts have left their windows.
    const later = t.relay.ops.evaluateAlerts(new Date(Date.now() + 26 * 3_600_000))
    expect(later.fired.map((a) => a.kind)).toEqual(['lag'])
    expect(later.resolved.map((a) => a.kind).sort()).toEqual(['conflicts', 'failure_rate'])
    expect((await t.api('GET', '/api/ops/alerts')).body.recent).toHaveLength(3)
    await t.relay.ops.webhook!.flush()
    expect(hook.requests()).toBe(6) // one 500, retried
    const seen = hook.received.map((n) => `${n.status} ${n.alert.kind}`)
    expect(seen.sort()).toEqual([
      'firing conflicts',
      'firing failure_rate',
      'firing lag',
      'resolved conflicts',
      'resolved failure_rate',
    ])
    const lagNote = hook.received.find((n) => n.alert.kind === 'lag')!
    expect(lagNote.relay).toBe(t.relay.url)
    expect(lagNote.text).toMatch(
      /\[FIRING\] lag IMO9811000: IMO9811000: no successful session since .* expected every 24 h \(\+1 h grace\) — Open the vessel/,
    )
    expect(lagNote.alert).toMatchObject({
      since: expect.any(String),
      action: expect.stringMatching(/expected window/),
    })
    expect(Date.parse(lagNote.alert.since)).toBeLessThan(Date.parse(lagNote.alert.startedAt))
  })
})
