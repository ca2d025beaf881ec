import { afterEach, describe, expect, it } from 'vitest'
import fs from 'node:fs'
import path from 'node:path'
import { pino } from 'pino'
import { WebSocket, WebSocketServer } from 'ws'
import { CloseCode, decodeFrame, encodeFrame, PROTOCOL_VERSION } from '@tally/link'
import type { LinkFrame } from '@tally/link'
import { createRelay, REVOCATION_CHECK_MS } from '../src/app.ts'
import { startTestRelay, tempDir, VESSEL } from './helpers.ts'
import type { TestRelay } from './helpers.ts'

/** Bound on waiting for a socket event. */
const SOCKET_TIMEOUT_MS = 10_000

const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

async function relayUnderTest(): Promise<TestRelay> {
  const t = await startTestRelay()
  cleanups.push(() => t.close())
  return t
}

function wsUrl(t: TestRelay, pathname: string): string {
  return t.relay.url.replace(/^http/, 'ws') + pathname
}

/** Opens a link socket, sends a hello and collects frames until the socket closes. */
function hello(
  t: TestRelay,
  frame: { v?: number; vessel?: string; token: string },
): Promise<{ code: number; reason: string; frames: LinkFrame[] }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(wsUrl(t, '/link'))
    const frames: LinkFrame[] = []
    const timer = setTimeout(() => {
      ws.terminate()
      reject(new Error('link socket did not close in time'))
    }, SOCKET_TIMEOUT_MS)
    ws.on('open', () => {
      const hello = {
        t: 'hello',
        v: frame.v ?? PROTOCOL_VERSION,
        vessel: frame.vessel ?? VESSEL,
        token: frame.token,
        sync: null,
        pending: 0,
      }
      ws.send(encodeFrame(hello as LinkFrame))
    })
    ws.on('message', (data) => {
      const decoded = decodeFrame(data as Buffer)
      frames.push(decoded)
      // An idle vessel has nothing to send: it says done at once, the relay ends with fin.
      if (decoded.t === 'welcome') ws.send(encodeFrame({ t: 'done', chunks: 0 }))
      if (decoded.t === 'fin') ws.close(CloseCode.Normal, 'done')
    })
    ws.on('close', (code, reason) => {
      clearTimeout(timer)
      resolve({ code, reason: reason.toString(), frames })
    })
    ws.on('error', (err) => {
      clearTimeout(timer)
      reject(err)
    })
  })
}

describe('/link upgrade', () => {
  it('closes with 4401 for a bad token, naming the reason', async () => {
    const t = await relayUnderTest()
    const closed = await hello(t, { token: 'tly_vessel_not-a-real-token' })
    expect(closed.code).toBe(4401)
    expect(closed.reason).toMatch(/token/)
    expect(closed.frames).toEqual([])
  })

  it('closes with 4401 for a user token or another vessel’s token', async () => {
    const t = await relayUnderTest()
    expect((await hello(t, { token: t.tokens.shore })).code).toBe(4401)
    const other = t.relay.context.tokens.issue('vessel', 'IMO9999990', 'vessel')
    expect((await hello(t, { token: other })).code).toBe(4401)
  })

  it('closes with 4406 for a protocol version mismatch', async () => {
    const t = await relayUnderTest()
    const token = t.relay.context.tokens.issue('vessel', VESSEL, 'vessel')
    const closed = await hello(t, { token, v: PROTOCOL_VERSION + 1 })
    expect(closed.code).toBe(4406)
    expect(closed.reason).toMatch(/version/)
  })

  it('welcomes a vessel with a valid token and records the session', async () => {
    const t = await relayUnderTest()
    t.relay.context.vessels.add(VESSEL, 'MV Test')
    const token = t.relay.context.tokens.issue('vessel', VESSEL, 'vessel')
    const closed = await hello(t, { token })
    expect(closed.frames[0]).toMatchObject({ t: 'welcome', v: PROTOCOL_VERSION })
    expect(closed.frames.map((f) => f.t)).toContain('fin')
    const deadline = Date.now() + SOCKET_TIMEOUT_MS
    while (!t.relay.context.sessions.lastComplete(VESSEL) && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20))
    const fleet = await t.api('GET', '/api/vessels')
    const vessel = fleet.body.find((v: { imo: string }) => v.imo === VESSEL)
    expect(vessel).toMatchObject({ name: 'MV Test', pendingChanges: 0, linkUp: false })
    expect(vessel.lastSyncAt).not.toBeNull()
    expect(vessel.today.bytesUp).toBeGreaterThan(0)
  })

  it('cuts off an open link once its vessel token is revoked (from any process)', async () => {
    const t = await relayUnderTest()
    const { token, record } = t.relay.context.tokens.issueWithRecord('vessel', VESSEL, 'vessel')
    const ws = new WebSocket(wsUrl(t, '/link'))
    const closed = new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('link was not cut off')), REVOCATION_CHECK_MS * 3)
      ws.on('close', (code) => {
        clearTimeout(timer)
        resolve(code)
      })
    })
    const welcomed = new Promise<void>((resolve) => ws.once('message', () => resolve()))
    ws.on('open', () => {
      // The vessel says it has changes to send, so the session stays open waiting for them.
      const frame = { t: 'hello', v: PROTOCOL_VERSION, vessel: VESSEL, token, sync: null, pending: 3 }
      ws.send(encodeFrame(frame as LinkFrame))
    })
    await welcomed
    expect(t.relay.linkServer.active.has(VESSEL)).toBe(true)
    t.relay.context.tokens.revoke(record.id)
    expect(await closed).toBe(CloseCode.Unauthorized)
  }, 30_000)

  it('refuses upgrades on unknown paths, and routes plugged-in paths', async () => {
    const t = await relayUnderTest()
    const refused = await new Promise<string>((resolve) => {
      const ws = new WebSocket(wsUrl(t, '/nowhere'))
      ws.on('error', (err) => resolve(err.message))
      ws.on('open', () => resolve('opened'))
    })
    expect(refused).toMatch(/404/)

    // The /sync endpoint is another component's: it plugs in through upgradeHandlers.
    const wss = new WebSocketServer({ noServer: true })
    cleanups.push(() => wss.close())
    t.relay.upgradeHandlers.set('/sync', (req, socket, head) =>
      wss.handleUpgrade(req, socket, head, (ws) => ws.send('hello from sync')),
    )
    const greeting = await new Promise<string>((resolve, reject) => {
      const ws = new WebSocket(wsUrl(t, '/sync?token=x'))
      ws.on('message', (data) => {
        resolve(data.toString())
        ws.close()
      })
      ws.on('error', reject)
    })
    expect(greeting).toBe('hello from sync')
  })
})

describe('shore UI', () => {
  it('serves the built app with a client-side route fallback, and keeps API 404s', async () => {
    const { dir, cleanup } = tempDir()
    cleanups.push(cleanup)
    const ui = path.join(dir, 'dist')
    fs.mkdirSync(path.join(ui, 'assets'), { recursive: true })
    fs.writeFileSync(path.join(ui, 'index.html'), '<!doctype html><title>Shore app</title>')
    fs.writeFileSync(path.join(ui, 'assets', 'app.js'), 'console.log(1)')
    const relay = await createRelay({
      dataDir: path.join(dir, 'data'),
      logger: pino({ level: 'silent' }),
      shoreUiDir: ui,
    })
    cleanups.push(() => relay.close())
    const get = (p: string) => fetch(relay.url + p, { headers: { accept: 'text/html' } })
    expect(await (await get('/')).text()).toContain('Shore app')
    expect(await (await get('/vessels/IMO9811000')).text()).toContain('Shore app')
    expect(await (await get('/assets/app.js')).text()).toContain('console.log')
    expect((await get('/api/unknown')).status).toBe(401)
  })

  it('says so when the shore UI is not built', async () => {
    const { dir, cleanup } = tempDir()
    cleanups.push(cleanup)
    const relay = await createRelay({
      dataDir: dir,
      logger: pino({ level: 'silent' }),
      shoreUiDir: path.join(dir, 'none'),
    })
    cleanups.push(() => relay.close())
    const page = await (await fetch(relay.url + '/')).text()
    expect(page).toContain('shore UI is not built')
  })
})
