/**
 * The customs clerk's list in Chromium: every container across vessels in pages, sortable columns,
 * the crew app's filters, a search word that finds a state ("damaged"), and the morning question
 * "which boxes came back damaged or with a broken seal today" answered in two clicks from the fleet
 * view, after a real link window brought the crew's reports ashore. The screenshot
 * docs/screenshots/shore-list-damaged-today.png comes from here (UPDATE_SCREENSHOTS=1).
 */
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { saveScreenshot } from './screenshots.ts'
import { CHROMIUM_WAIT_MS, containerNo, startShoreWorld, VESSEL } from './shore-fixture.ts'
import type { ShoreWorld } from './shore-fixture.ts'

const UI_TIMEOUT_MS = 15_000
const THIRD_VESSEL = 'IMO9700002'
const eventually = <T>(fn: () => T | Promise<T>) => expect.poll(fn, { timeout: UI_TIMEOUT_MS, interval: 100 })

describe('shore list in Chromium', () => {
  let world: ShoreWorld
  let page: Page
  const errors: string[] = []
  const rowIds = () =>
    page
      .getByTestId('container-row')
      .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-container-id')))

  beforeAll(async () => {
    world = await startShoreWorld()
    // A third vessel with 60 boxes, so the fleet has more than one page (24 + 9 + 60).
    world.relay.context.vessels.add(THIRD_VESSEL, 'MV Southern Cross')
    const booked = await world.api(
      'POST',
      `/api/vessels/${THIRD_VESSEL}/containers`,
      Array.from({ length: 60 }, (_, i) => ({
        containerId: containerNo(500 + i),
        isoType: '22G1',
        voyage: '031W',
        cargo: { booking: `BK${500 + i}`, pol: 'SGSIN', pod: i % 2 ? 'NLRTM' : 'DEHAM', vgmKg: 18_000 },
        customs: { status: 'PENDING', hsCodes: [] },
        physical: { state: 'LOADED', stowage: `${String(20 + (i % 10)).padStart(3, '0')}0${i % 2}82` },
      })),
    )
    expect(booked.status).toBe(201)
    // The crew aboard report a damaged box and a broken seal; the next link window brings them ashore.
    const crew = world.vessel.tokens.issue('crew', 'bosun', 'vessel')
    const report = async (n: number, physical: unknown) => {
      const res = await fetch(`${world.vessel.url}/api/containers/${containerNo(n)}`, {
        method: 'PATCH',
        headers: { authorization: `Bearer ${crew}`, 'content-type': 'application/json' },
        body: JSON.stringify({ physical }),
      })
      expect(res.status, await res.text()).toBe(200)
    }
    await report(4, { condition: 'DAMAGED', damage: 'Crushed corner post' })
    await report(7, { sealIntact: false, observedSeal: 'CUT' })
    await world.linkWindow()
    ;({ page } = await world.signedIn(world.users.carl))
    page.on('pageerror', (e) => errors.push(e.message))
  }, CHROMIUM_WAIT_MS + 120_000)
  afterAll(async () => {
    await world?.close()
  })

  it('answers "damaged or broken seal today" in two clicks from the fleet view', async () => {
    await page.goto(world.baseUrl)
    await page.getByTestId('fleet-table').waitFor({ timeout: UI_TIMEOUT_MS })
    await page.getByTestId('nav-search').click() // 1
    await page.getByTestId('preset-exceptions-today').click() // 2
    await eventually(async () => (await rowIds()).sort()).toEqual([containerNo(4), containerNo(7)].sort())
    expect(await page.getByTestId('preset-exceptions-today').getAttribute('aria-pressed')).toBe('true')
    await page.evaluate('window.scrollTo(0, 0)')
    await saveScreenshot(page, 'shore-list-damaged-today', { fullPage: true })
  })

  it('finds the damaged boxes by the word, and filters by seal, POD and vessel', async () => {
    await page.goto(`${world.baseUrl}#/search`)
    await page.getByTestId('search-q').fill('damaged')
    await eventually(rowIds).toEqual([containerNo(4)])
    await page.getByTestId('search-q').fill('')
    await page.getByTestId('filter-seal').selectOption('broken')
    await eventually(rowIds).toEqual([containerNo(7)])
    await page.getByTestId('filter-seal').selectOption('')
    await page.getByTestId('filter-pod').fill('NLRTM')
    await eventually(() => page.getByTestId('search-total').textContent()).toBe('30 found')
    await page.getByTestId('filter-vessel').selectOption(VESSEL)
    await eventually(() => page.getByTestId('search-total').textContent()).toBe('None found')
  })

  it('pages over every container across vessels, and sorts by a column both ways', async () => {
    await page.goto(`${world.baseUrl}#/search`)
    await eventually(() => page.getByTestId('search-total').textContent()).toBe('1–50 of 93')
    expect(await page.getByTestId('container-row').count()).toBe(50)
    await page.getByTestId('page-next').click()
    await eventually(() => page.getByTestId('search-total').textContent()).toBe('51–93 of 93')
    expect(await page.getByTestId('page-of').textContent()).toBe('Page 2 of 2')

    await page.getByTestId('sort-pod').click()
    // A new sort starts at the first page.
    await eventually(() => page.getByTestId('search-total').textContent()).toBe('1–50 of 93')
    const pod = () => page.locator('[data-testid=container-row] .tly-row__pod').first().textContent()
    await eventually(pod).toBe('DEHAM')
    await page.getByTestId('sort-pod').click()
    await eventually(pod).toBe('USLAX')
    expect(await page.getByTestId('sort-pod').getAttribute('data-sort')).toBe('descending')
  })

  it('says "connecting…" through a first connection slower than 3 s, never "offline"', async () => {
    const { page: slow } = await world.signedIn(world.users.alice)
    // Playwright routes a page's sockets, not a SharedWorker's: this tab goes without the tab hub
    // and opens its own socket, which is also the fallback of a browser without SharedWorker.
    await slow.addInitScript(() => Reflect.deleteProperty(window, 'SharedWorker'))
    slow.on('pageerror', (e) => errors.push(e.message))
    const states: string[] = []
    await slow.exposeFunction('recordState', (s: string) => states.push(s))
    // The socket opens, but the relay's first answer takes 6 s: a busy relay, twenty tabs at once.
    let openedAt = 0
    await slow.routeWebSocket(/\/sync/, (ws) => {
      openedAt ||= Date.now()
      const server = ws.connectToServer()
      ws.onMessage((m) => server.send(m))
      server.onMessage(async (m) => {
        const wait = openedAt + 6_000 - Date.now()
        if (wait > 0) await new Promise((r) => setTimeout(r, wait))
        ws.send(m)
      })
    })
    await slow.goto(`${world.baseUrl}#/search`)
    await slow.getByTestId('connection').waitFor()
    await slow.evaluate(() => {
      const badge = () => document.querySelector('[data-testid=connection]')?.getAttribute('data-state') ?? ''
      const w = window as unknown as { recordState: (s: string) => void }
      let last = badge()
      w.recordState(last)
      new MutationObserver(() => {
        const s = badge()
        if (s && s !== last) w.recordState((last = s))
      }).observe(document.body, { subtree: true, attributes: true, childList: true })
    })
    await expect.poll(() => openedAt, { timeout: 10_000 }).toBeGreaterThan(0)
    await new Promise((r) => setTimeout(r, Math.max(0, openedAt + 4_000 - Date.now())))
    expect(await slow.getByTestId('connection').textContent()).toMatch(/Connecting…/)
    expect(await slow.getByTestId('offline-banner').count()).toBe(0)
    await expect
      .poll(() => slow.getByTestId('connection').getAttribute('data-state'), { timeout: 20_000 })
      .toBe('online')
    expect(states).not.toContain('offline')
  })

  it('says whether the ship has a shore edit: waiting for the next window, then on board since', async () => {
    const held = await world.api(
      'PATCH',
      `/api/vessels/${VESSEL}/containers/${containerNo(2)}`,
      { customs: { status: 'HELD', holdReason: 'Documents missing' } },
      world.users.carl.token,
    )
    expect(held.status).toBe(200)
    const api = await world.api('GET', `/api/vessels/${VESSEL}/containers/${containerNo(2)}/delivery`)
    expect(api.body).toMatchObject({ state: 'waiting', savedAtShore: true, onBoardSince: null })
    expect(Date.parse(api.body.forecastAt)).toBeGreaterThan(Date.now() - 1_000)

    await page.goto(`${world.baseUrl}#/c/${VESSEL}/024E/${containerNo(2)}`)
    const note = page.getByTestId('delivery')
    await eventually(() => note.getAttribute('data-state')).toBe('waiting')
    expect(await note.textContent()).toMatch(
      /^Saved at shore · Waiting for the vessel's next window \(forecast \d+ \w{3}( \d{4})? \d\d:\d\d UTC\)$/,
    )
    await world.linkWindow()
    await page.reload()
    await eventually(() => note.getAttribute('data-state')).toBe('on_board')
    expect(await note.textContent()).toMatch(
      /^Saved at shore · On board since \d+ \w{3}( \d{4})? \d\d:\d\d UTC$/,
    )
    const after = await world.api('GET', `/api/vessels/${VESSEL}/containers/${containerNo(2)}/delivery`)
    expect(after.body).toMatchObject({ state: 'on_board', forecastAt: null })
  })

  it('reloads with the relay unreachable and still opens a container kept in this browser', async () => {
    await page.goto(`${world.baseUrl}#/c/${VESSEL}/024E/${containerNo(13)}`)
    await page.getByTestId('container-detail').waitFor({ timeout: UI_TIMEOUT_MS })
    await eventually(() => page.getByTestId('connection').getAttribute('data-state')).toBe('online')
    // The shell worker controls the page once it is active (it claims open pages).
    await eventually(() => page.evaluate(() => navigator.serviceWorker.controller !== null)).toBe(true)
    await page.reload()
    await page.getByTestId('container-detail').waitFor({ timeout: UI_TIMEOUT_MS })
    await world.stopRelay()
    try {
      await page.reload()
      await page.getByTestId('container-detail').waitFor({ timeout: UI_TIMEOUT_MS })
      expect(await page.getByTestId('container-detail').textContent()).toContain(containerNo(13))
      await eventually(() => page.getByTestId('connection').getAttribute('data-state')).toBe('offline')
    } finally {
      await world.startRelay()
    }
  })

  it('threw no page errors', () => {
    expect(errors).toEqual([])
  })
})
