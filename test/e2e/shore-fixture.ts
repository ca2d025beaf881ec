/**
 * The world the shore UI's end-to-end tests run in: the shore UI built with Vite (production
 * bundle), a real relay (createRelay, in process, so it can be stopped and started again on the same
 * port and data directory), a booked voyage, a real vessel node whose link windows the test opens,
 * and Chromium (Debian's, through playwright-core).
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { pino } from 'pino'
import { build } from 'vite'
import { chromium } from 'playwright-core'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { appendReading, documentIdFor, withCheckDigit } from '@tally/manifest'
import { SessionLog } from '@tally/storage-sqlite'
import { createRelay } from '../../relay/src/app.ts'
import type { Relay } from '../../relay/src/app.ts'
import { createVesselNode } from '../../vessel-node/src/app.ts'
import type { VesselNode } from '../../vessel-node/src/app.ts'

export const ROOT = path.resolve(import.meta.dirname, '../..')
export const VESSEL = 'IMO9811000'
export const VOYAGE = '024E'
export const CHROMIUM = '/usr/bin/chromium'
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
]
/** Debian's chromium may still be installing when the suite starts. */
export const CHROMIUM_WAIT_MS = 5 * 60_000
/** Containers booked on the voyage; every tenth is a reefer. */
const CONTAINERS = 24

export const containerNo = (n: number): string => withCheckDigit(`TSTU${String(n).padStart(6, '0')}`)
export const docIdOf = (n: number): string =>
  documentIdFor({ vessel: VESSEL, voyage: VOYAGE, containerId: containerNo(n) })

export interface ShoreUser {
  name: string
  role: 'shore' | 'customs' | 'ops'
  token: string
}

export interface ShoreWorld {
  relay: Relay
  vessel: VesselNode
  browser: Browser
  users: { alice: ShoreUser; carl: ShoreUser; olga: ShoreUser }
  /** `http://127.0.0.1:PORT/` */
  baseUrl: string
  /** Stops the relay (its sockets close as "going away"); the browsers go offline. */
  stopRelay(): Promise<void>
  /** Starts the relay again on the same port and data directory. */
  startRelay(): Promise<void>
  /** One link window between the vessel node and the relay, awaited to its end. */
  linkWindow(): Promise<void>
  /**
   * A browser context, signed in as `user` when given (token and identity in localStorage, as after
   * a sign-in), closed with the world.
   */
  signedIn(
    user: ShoreUser | null,
    viewport?: { width: number; height: number },
  ): Promise<{ context: BrowserContext; page: Page }>
  api(method: string, urlPath: string, body?: unknown, token?: string): Promise<{ status: number; body: any }>
  close(): Promise<void>
}

async function waitForChromium(): Promise<void> {
  const deadline = Date.now() + CHROMIUM_WAIT_MS
  while (!fs.existsSync(CHROMIUM)) {
    if (Date.now() > deadline) throw new Error(`${CHROMIUM} did not appear within ${CHROMIUM_WAIT_MS} ms`)
    await new Promise((r) => setTimeout(r, 2_000))
  }
}

/** Builds the production bundle of the shore UI into a temp directory. */
export async function buildShoreUi(outDir: string): Promise<void> {
  // Vitest sets NODE_ENV=test, which would give a development bundle; users get the production one.
  const nodeEnv = process.env.NODE_ENV
  process.env.NODE_ENV = 'production'
  try {
    await build({
      configFile: path.join(ROOT, 'shore-ui/vite.config.ts'),
      logLevel: 'warn',
      build: { outDir, emptyOutDir: true },
    })
  } finally {
    process.env.NODE_ENV = nodeEnv
  }
}

function booking(n: number, owner = 'TSTU') {
  const reefer = n % 10 === 0
  return {
    containerId: withCheckDigit(`${owner}${String(n).padStart(6, '0')}`),
    isoType: reefer ? '45R1' : n % 3 === 0 ? '42G1' : '22G1',
    voyage: VOYAGE,
    cargo: {
      booking: `BK${String(240000 + n)}`,
      billOfLading: `TLYBL${String(8800 + n)}`,
      shipper: ['Hanjin Electronics', 'Busan Textiles', 'Ulsan Motors'][n % 3],
      consignee: ['Pacific Imports LLC', 'West Coast Retail', 'LA Auto Parts'][n % 3],
      pol: 'KRPUS',
      pod: 'USLAX',
      vgmKg: 18_000 + n * 137,
      ...(reefer ? { reeferSetpointC: -18 } : {}),
    },
    customs: { status: 'PENDING', hsCodes: ['847130'], declaration: `US-AMS-${String(50000 + n)}` },
    physical: { state: 'LOADED', stowage: `${String(10 + (n % 30)).padStart(3, '0')}0${n % 4}82` },
  }
}

export async function startShoreWorld(): Promise<ShoreWorld> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tally-shore-e2e-'))
  const uiDir = path.join(dir, 'ui')
  const relayDir = path.join(dir, 'relay')
  await buildShoreUi(uiDir)
  // TALLY_E2E_LOG=warn shows the relay's own account of a failing run.
  const logger = pino({ level: process.env.TALLY_E2E_LOG ?? 'silent' })
  let relay = await createRelay({ dataDir: relayDir, port: 0, logger, shoreUiDir: uiDir })
  const port = relay.port
  const baseUrl = `${relay.url}/`
  const issue = (name: string, role: ShoreUser['role']): ShoreUser => ({
    name,
    role,
    token: relay.context.tokens.issue('user', name, role),
  })
  const users = { alice: issue('alice', 'shore'), carl: issue('carl', 'customs'), olga: issue('olga', 'ops') }
  const api: ShoreWorld['api'] = async (method, urlPath, body, token = users.alice.token) => {
    const res = await fetch(`${relay.url}${urlPath}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    })
    const text = await res.text()
    return { status: res.status, body: text ? JSON.parse(text) : null }
  }

  relay.context.vessels.add(VESSEL, 'MV Tally Aurora')
  relay.context.vessels.add('IMO9700001', 'MV Northern Star')
  const booked = await api(
    'POST',
    `/api/vessels/${VESSEL}/containers`,
    Array.from({ length: CONTAINERS }, (_, i) => booking(i + 1)),
  )
  if (booked.status !== 201) throw new Error(`booking failed: ${JSON.stringify(booked.body)}`)
  // A second vessel, whose last link window closed seven hours ago (for a fleet with some history).
  const other = await api(
    'POST',
    '/api/vessels/IMO9700001/containers',
    Array.from({ length: 9 }, (_, i) => booking(i + 1, 'NSRU')),
  )
  if (other.status !== 201) throw new Error(`booking failed: ${JSON.stringify(other.body)}`)
  const sevenHoursAgo = () => new Date(Date.now() - 7 * 3_600_000)
  const past = new SessionLog(relay.db, { clock: sevenHoursAgo })
  const session = past.start('IMO9700001')
  past.add(session, {
    bytesUp: 46_210,
    bytesDown: 11_874,
    chunksUp: 3,
    chunksDown: 1,
    changesUp: 612,
    changesDown: 40,
  })
  past.finish(session, { state: 'complete' })
  // A day of reefer readings on container 10, written as the vessel would (seed data).
  const start = Date.parse('2026-03-02T00:00:00Z')
  relay.context.editor.asPlanning(docIdOf(10), VESSEL, (doc) => {
    let d = doc
    for (let h = 0; h < 24; h++)
      d = appendReading(
        d,
        {
          at: new Date(start + h * 3_600_000).toISOString(),
          supplyC: -18.6 + Math.sin(h / 3) * 0.4,
          returnC: -17.2 + Math.sin(h / 3 + 1) * 0.5,
        },
        'vessel',
      )
    return d
  })

  const vesselDir = path.join(dir, 'vessel')
  const vessel = await createVesselNode({
    dataDir: vesselDir,
    port: 0,
    relayUrl: `ws://127.0.0.1:${port}/link`,
    vessel: VESSEL,
    token: relay.context.tokens.issue('vessel', VESSEL, 'vessel'),
    engine: { startDelayMs: 3_600_000, intervalMs: 3_600_000, debounceMs: 3_600_000, maxWaitMs: 3_600_000 },
  })
  const linkWindow = async () => {
    vessel.engine.syncNow()
    await vessel.engine.settled()
    const error = vessel.engine.snapshot().lastError
    if (error) throw new Error(`link window failed: ${error}`)
  }
  await linkWindow() // the manifest goes aboard; the fleet view has a last sync

  await waitForChromium()
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS })
  const contexts: BrowserContext[] = []
  let running = true

  return {
    get relay() {
      return relay
    },
    vessel,
    browser,
    users,
    baseUrl,
    async stopRelay() {
      await relay.close()
      running = false
    },
    async startRelay() {
      relay = await createRelay({ dataDir: relayDir, port, logger, shoreUiDir: uiDir })
      running = true
    },
    linkWindow,
    async signedIn(user, viewport = { width: 1280, height: 900 }) {
      const context = await browser.newContext({ viewport })
      contexts.push(context)
      if (user)
        await context.addInitScript(
          ({ token, me }) => {
            if (!localStorage.getItem('tally.shore.token')) {
              localStorage.setItem('tally.shore.token', token)
              localStorage.setItem('tally.shore.me', JSON.stringify(me))
            }
          },
          { token: user.token, me: { user: user.name, role: user.role, principal: `user:${user.name}` } },
        )
      return { context, page: await context.newPage() }
    },
    api,
    async close() {
      for (const c of contexts) await c.close().catch(() => undefined)
      await browser.close().catch(() => undefined)
      await vessel.close().catch(() => undefined)
      if (running) await relay.close().catch(() => undefined)
      fs.rmSync(dir, { recursive: true, force: true })
    },
  }
}
