/**
 * DCSA subscriptions against a real HTTP receiver on 127.0.0.1: signed delivery in admission order,
 * filters, retries with backoff that survive a relay restart, and a failing callback shown to
 * operators (`/api/ops/subscriptions`, the `callback` alert).
 */
import { createHmac, randomBytes } from 'node:crypto'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { pino } from 'pino'
import { afterEach, describe, expect, it } from 'vitest'
import { createRelay } from '../src/app.ts'
import type { Relay } from '../src/app.ts'
import { booking, containerNo, tempDir, VESSEL } from './helpers.ts'

interface Received {
  headers: http.IncomingHttpHeaders
  raw: string
  events: any[]
}

/** A callback receiver; `failWith` set to a status makes it refuse every delivery with it. */
async function startReceiver() {
  const received: Received[] = []
  const state = { failWith: 0 as number, refused: 0 }
  const server = http.createServer((req, res) => {
    const parts: Buffer[] = []
    req.on('data', (c: Buffer) => parts.push(c))
    req.on('end', () => {
      if (state.failWith) {
        state.refused++
        res.writeHead(state.failWith).end()
        return
      }
      const raw = Buffer.concat(parts).toString('utf8')
      received.push({ headers: req.headers, raw, events: JSON.parse(raw) as any[] })
      res.writeHead(204).end()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/callback?broker=acme`
  return {
    url,
    received,
    state,
    events: () => received.flatMap((r) => r.events),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}

const closers: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close()
})

async function until(what: string, test: () => boolean, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs
  while (!test()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 25))
  }
}

async function start(dir: string): Promise<Relay> {
  return createRelay({
    dataDir: dir,
    logger: pino({ level: 'silent' }),
    dcsa: { delivery: { retryBaseMs: 40, retryMaxMs: 200, pollMs: 20 }, callbackAlertFailures: 2 },
  })
}

function client(relay: Relay, token: string) {
  return async (method: string, path: string, body?: unknown) => {
    const res = await fetch(relay.url + path, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    })
    const text = await res.text()
    return { status: res.status, body: text ? JSON.parse(text) : null }
  }
}

let holds = 0
/** A hold needs its reason in the same edit, so each hold gives a new one. */
const setStatus = (status: string) => ({
  customs: { status, ...(status === 'HELD' ? { holdReason: `x-ray ${++holds}` } : {}) },
})

describe('DCSA event subscriptions', () => {
  it('deliver matching events in order, signed with the shared secret, across a restart', async () => {
    const { dir, cleanup } = tempDir()
    closers.push(cleanup)
    const receiver = await startReceiver()
    closers.push(receiver.close)
    let relay = await start(dir)
    let relayClosed = false
    closers.push(() => (relayClosed ? undefined : relay.close()))
    const shore = relay.context.tokens.issue('user', 'alice', 'shore')
    const ops = relay.context.tokens.issue('user', 'olga', 'ops')
    let api = client(relay, shore)
    expect((await api('POST', `/api/vessels/${VESSEL}/containers`, [booking(1), booking(2)])).status).toBe(
      201,
    )

    const secret = randomBytes(32).toString('base64')
    const created = await api('POST', '/dcsa/tnt/v2/event-subscriptions', {
      callbackUrl: receiver.url,
      secret,
      filters: { eventType: ['SHIPMENT'], shipmentEventTypeCode: ['HOLD', 'RELS'] },
    })
    expect(created.status).toBe(201)
    expect(created.body).not.toHaveProperty('secret')
    const id = created.body.subscriptionID as string
    // DCSA's flat form is accepted too.
    const flat = await api('POST', '/dcsa/tnt/v2/event-subscriptions', {
      callbackUrl: receiver.url,
      secret,
      equipmentEventTypeCode: ['LOAD'],
    })
    expect(flat.body.filters).toEqual({ equipmentEventTypeCode: ['LOAD'] })

    const box = (n: number) => `/api/vessels/${VESSEL}/containers/${containerNo(n)}`
    for (const [n, status] of [
      [1, 'HELD'],
      [2, 'HELD'],
      [1, 'RELEASED'],
    ] as const)
      expect((await api('PATCH', box(n), setStatus(status))).status).toBe(200)
    await until('three events', () => receiver.events().length >= 3)
    const first = receiver.events()
    // Admission order across containers: the second container's hold came between the first's
    // hold and release, and is delivered there.
    expect(first.map((e) => [e.references[0].referenceValue, e.shipmentEventTypeCode])).toEqual([
      [containerNo(1), 'HOLD'],
      [containerNo(2), 'HOLD'],
      [containerNo(1), 'RELS'],
    ])
    for (const r of receiver.received) {
      const expected = `sha256=${createHmac('sha256', Buffer.from(secret, 'base64')).update(r.raw).digest('hex')}`
      expect(r.headers['notification-signature']).toBe(expected)
      expect(r.headers['subscription-id']).toBe(id)
      expect(r.headers['api-version']).toBe('2.2.0')
    }

    // The receiver goes down: deliveries fail, are retried with backoff, and operators see it.
    receiver.state.failWith = 503
    expect((await api('PATCH', box(2), setStatus('RELEASED'))).status).toBe(200)
    expect((await api('PATCH', box(2), setStatus('HELD'))).status).toBe(200)
    await until('retries', () => receiver.state.refused >= 3)
    const opsApi = client(relay, ops)
    const listed = (await opsApi('GET', '/api/ops/subscriptions')).body as any[]
    const failing = listed.find((s) => s.subscriptionID === id)
    expect(failing).toMatchObject({ owner: 'alice', lastError: 'callback answered HTTP 503' })
    expect(failing.attempts).toBeGreaterThanOrEqual(2)
    expect(failing.failingSince).not.toBeNull()
    // The dashboard's columns: the host only, the two undelivered events, past the alert threshold.
    expect(failing).toMatchObject({
      callbackHost: new URL(receiver.url).host,
      backlog: 2,
      state: 'alerting',
    })
    expect((await client(relay, shore)('GET', '/api/ops/subscriptions')).status).toBe(403)
    const { fired } = relay.ops.evaluateAlerts()
    expect(fired.map((a) => [a.kind, a.vessel])).toContainEqual(['callback', `subscription ${id}`])
    expect(fired.find((a) => a.kind === 'callback')!.message).toContain('HTTP 503')

    // The relay restarts while the callback is still down; nothing is lost or reordered.
    await relay.close()
    relayClosed = true
    receiver.state.failWith = 0
    relay = await start(dir)
    relayClosed = false
    api = client(relay, shore)
    expect((await api('PATCH', box(1), setStatus('HELD'))).status).toBe(200)
    // At least once: a batch may come again, with the same eventIDs; first arrivals keep the order.
    const unique = () => [...new Map(receiver.events().map((e) => [e.eventID, e])).values()]
    await until('all six events', () => unique().length >= 6)
    expect(
      unique()
        .slice(3)
        .map((e) => [e.references[0].referenceValue, e.shipmentEventTypeCode]),
    ).toEqual([
      [containerNo(2), 'RELS'],
      [containerNo(2), 'HOLD'],
      [containerNo(1), 'HOLD'],
    ])
    const { resolved } = relay.ops.evaluateAlerts()
    expect(resolved.map((a) => a.kind)).toContain('callback')
    const after = (await api('GET', `/dcsa/tnt/v2/event-subscriptions/${id}`)).body
    expect(after.delivery).toMatchObject({ attempts: 0, failingSince: null })
    expect(after.delivery.deliveredEvents).toBeGreaterThanOrEqual(6)

    // Only the owner sees or deletes it.
    const other = client(relay, relay.context.tokens.issue('user', 'bob', 'shore'))
    expect((await other('GET', `/dcsa/tnt/v2/event-subscriptions/${id}`)).status).toBe(404)
    expect((await api('DELETE', `/dcsa/tnt/v2/event-subscriptions/${id}`)).status).toBe(204)
    expect((await api('GET', '/dcsa/tnt/v2/event-subscriptions')).body).toHaveLength(1)
  }, 120_000)

  it('refuse a bad subscription by field', async () => {
    const { dir, cleanup } = tempDir()
    closers.push(cleanup)
    const relay = await start(dir)
    closers.push(() => relay.close())
    const api = client(relay, relay.context.tokens.issue('user', 'alice', 'shore'))
    const post = async (body: unknown) => (await api('POST', '/dcsa/tnt/v2/event-subscriptions', body)).body
    const secret = randomBytes(32).toString('base64')
    expect((await post({ callbackUrl: 'ftp://x', secret })).error.field).toBe('callbackUrl')
    expect((await post({ callbackUrl: 'http://127.0.0.1:1/', secret: 'c2hvcnQ=' })).error.field).toBe(
      'secret',
    )
    expect((await post({ callbackUrl: 'http://127.0.0.1:1/' })).error).toMatchObject({
      field: 'secret',
      message: 'secret: is required',
    })
    expect(
      (
        await post({
          callbackUrl: 'http://127.0.0.1:1/',
          secret,
          filters: { equipmentEventTypeCode: ['XXXX'] },
        })
      ).error.field,
    ).toBe('filters.equipmentEventTypeCode.0')
    expect((await post({ callbackUrl: 'http://127.0.0.1:1/', secret, colour: 'red' })).error.field).toBe(
      'colour',
    )
  })
})
