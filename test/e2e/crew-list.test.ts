/**
 * The crew UI in real Chromium against a real vessel node and relay, on a voyage of 2,000
 * containers booked through the relay's REST API and received by the vessel in its first link
 * window: sign-in (bad and good token), search and filters (counts checked against the booking
 * list), a customs field the crew cannot edit, and the reefer chart. Screenshots of the sign-in,
 * list and detail screens go to docs/screenshots with UPDATE_SCREENSHOTS=1.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { BookingEntry } from '@tally/voyage-sim'
import { ensureCrewUiBuilt, launchChromium, screenshot, TABLET, watchPage } from './crew-browser.ts'
import { startCrewWorld, VESSEL } from './crew-fixture.ts'
import type { CrewWorld } from './crew-fixture.ts'

/** The standard workload; `TALLY_E2E_CONTAINERS` shrinks it for a quick local run. */

/** The UI may take a while to follow a request on a loaded machine; expect.poll waits 1 s by default. */
const UI_TIMEOUT_MS = 20_000
const eventually = <T>(fn: () => T | Promise<T>, options: { timeout?: number; message?: string } = {}) =>
  expect.poll(fn, { timeout: UI_TIMEOUT_MS, interval: 100, ...options })

const CONTAINERS = Number(process.env.TALLY_E2E_CONTAINERS ?? 2_000)
const SETUP_TIMEOUT_MS = 5 * 60_000
const HOUR_MS = 3_600_000
const READINGS = 48

/** What the vessel node's search matches: a substring of number, booking or stowage. */
const matches = (e: BookingEntry, q: string) =>
  [e.containerId, e.cargo.booking, e.physical.stowage].some((s) => s?.includes(q.toUpperCase()))

const formatCount = (n: number) => n.toLocaleString('en-US')

describe(
  `crew UI on ${CONTAINERS} containers (Chromium, real relay and vessel node)`,
  { timeout: 60_000 },
  () => {
    let world: CrewWorld
    let browser: Browser
    let context: BrowserContext
    let page: Page
    let seen: ReturnType<typeof watchPage>
    let reefer: BookingEntry
    let damaged: BookingEntry
    let held: BookingEntry

    beforeAll(async () => {
      ;[world, browser] = await Promise.all([
        startCrewWorld({ containers: CONTAINERS }),
        launchChromium(),
        ensureCrewUiBuilt(),
      ]).then(([w, b]) => [w, b] as const)
      // A reefer with two days of hourly readings and an alarm raised 20 h ago, since cleared.
      reefer = world.manifest.find((e) => e.isoType === '45R1')!
      const setpoint = reefer.cargo.reeferSetpointC!
      const start = Date.now() - (READINGS + 1) * HOUR_MS
      for (let i = 0; i < READINGS; i++) {
        const warm = i >= 36 && i < 42 ? (i - 35) * 0.9 : 0
        const res = await world.vesselApi(`/api/containers/${reefer.containerId}/readings`, {
          method: 'POST',
          body: JSON.stringify({
            at: new Date(start + i * HOUR_MS).toISOString(),
            supplyC: Math.round((setpoint + warm + Math.sin(i / 3) * 0.4) * 10) / 10,
            returnC: Math.round((setpoint + 1.6 + warm * 1.2 + Math.cos(i / 4) * 0.5) * 10) / 10,
          }),
        })
        expect(res.status).toBe(201)
      }
      const patch = (body: unknown) =>
        world.vesselApi(`/api/containers/${reefer.containerId}`, {
          method: 'PATCH',
          body: JSON.stringify(body),
        })
      const alarmAt = new Date(start + 37 * HOUR_MS).toISOString()
      expect(
        (await patch({ reefer: { alarm: { code: 'HIGH_TEMP', at: alarmAt, note: 'door seal' } } })).status,
      ).toBe(200)
      expect((await patch({ reefer: { alarm: null } })).status).toBe(200)

      // Something for the badges: damage, a broken seal, an active alarm, and a customs hold that
      // shore places on the relay and the vessel receives in the next link window.
      const dry = world.manifest.filter((e) => e.isoType !== '45R1' && e.cargo.dg === null)
      ;[damaged, held] = [dry[3]!, dry[7]!]
      const edits: [string, unknown][] = [
        [damaged.containerId, { physical: { condition: 'DAMAGED', damage: 'Dented left door, 30 cm' } }],
        [dry[5]!.containerId, { physical: { sealIntact: false, observedSeal: 'TAMPERED' } }],
        [
          world.manifest.filter((e) => e.isoType === '45R1')[1]!.containerId,
          { reefer: { alarm: { code: 'POWER_LOSS', at: new Date().toISOString(), note: null } } },
        ],
      ]
      for (const [id, body] of edits) {
        const res = await world.vesselApi(`/api/containers/${id}`, {
          method: 'PATCH',
          body: JSON.stringify(body),
        })
        expect(res.status, await res.clone().text()).toBe(200)
      }
      const hold = await world.relayApi(`/api/vessels/${VESSEL}/containers/${held.containerId}`, {
        method: 'PATCH',
        token: world.tokens.customs,
        body: JSON.stringify({ customs: { status: 'HELD', holdReason: 'Documents missing' } }),
      })
      expect(hold.status, await hold.clone().text()).toBe(200)
      await world.syncAndWait()

      context = await browser.newContext({ viewport: TABLET })
      page = await context.newPage()
      seen = watchPage(page, world.vessel.url)
    }, SETUP_TIMEOUT_MS)

    afterAll(async () => {
      await context?.close()
      await browser?.close()
      await world?.close()
    })

    it('refuses a bad crew token with a message that says what to do', async () => {
      await page.goto(`${world.vessel.url}/`)
      await page.getByTestId('login-screen').waitFor()
      await screenshot(page, 'login', { keepFocus: true })
      await page.getByLabel('Crew token').fill('tly_crew_not-a-real-token')
      await page.getByRole('button', { name: 'Sign in' }).click()
      const error = page.getByTestId('login-error')
      await error.waitFor()
      expect(await error.textContent()).toMatch(/not accepted.*revoked/i)
      expect(await page.getByTestId('login-token').getAttribute('aria-invalid')).toBe('true')
    })

    it('signs in with a good token and lists the voyage', async () => {
      await page.getByLabel('Crew token').fill(world.tokens.crew)
      await page.getByRole('button', { name: 'Sign in' }).click()
      await page.getByTestId('container-row').first().waitFor()
      expect(await page.getByTestId('current-user').textContent()).toBe('bosun')
      await eventually(() => page.getByTestId('result-count').textContent()).toBe(
        `1–100 of ${formatCount(CONTAINERS)} containers`,
      )
      expect(await page.getByTestId('container-row').count()).toBe(100)
      // The token survives a reload: the tablet stays signed in.
      await page.reload()
      await page.getByTestId('container-row').first().waitFor()
      expect(await page.getByTestId('login-screen').count()).toBe(0)
    })

    it('pages and sorts', async () => {
      await page.getByTestId('page-next').click()
      await eventually(() => page.getByTestId('result-count').textContent()).toMatch(/^101–200 of/)
      await page.getByTestId('sort').selectOption('containerId')
      await eventually(() => page.getByTestId('result-count').textContent()).toMatch(/^1–100 of/)
      const smallest = world.manifest.map((e) => e.containerId).sort()[0]
      await eventually(() =>
        page.getByTestId('container-row').first().getAttribute('data-container-id'),
      ).toBe(smallest)
      await page.getByTestId('sort').selectOption('stowage')
    })

    it('searches by container number, booking and stowage', async () => {
      const search = page.getByTestId('search')
      const target = world.manifest[Math.floor(CONTAINERS / 2)]!
      const cases = [
        target.containerId,
        target.containerId.slice(4, 8),
        target.cargo.booking!,
        target.physical.stowage,
      ]
      for (const q of cases) {
        const expected = world.manifest.filter((e) => matches(e, q))
        await search.fill(q)
        await eventually(() => page.getByTestId('result-count').textContent(), {
          message: `search ${q}`,
        }).toMatch(new RegExp(`of ${formatCount(expected.length)} containers$`))
        const ids = await page
          .getByTestId('container-row')
          .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-container-id')!))
        expect(ids.length).toBe(Math.min(100, expected.length))
        if (expected.length <= 100) expect(ids).toContain(target.containerId)
        for (const id of ids) expect(expected.some((e) => e.containerId === id)).toBe(true)
      }
      // Lower case finds the same boxes: crews type on tablets.
      await search.fill(target.containerId.toLowerCase())
      await eventually(() => page.getByTestId('result-count').textContent()).toMatch(/of 1 containers?$/)
      await search.fill('ZZZZ9999')
      await page.getByTestId('list-empty').waitFor()
      await search.fill('')
      await eventually(() => page.getByTestId('result-count').textContent()).toMatch(
        new RegExp(`of ${formatCount(CONTAINERS)} containers$`),
      )
    })

    it('filters by reefer, DG, bay and customs status, alone and together', async () => {
      // At 1024 px the filters are always shown (the toggle is for phones).
      const count = () => page.getByTestId('result-count').textContent()
      const expectTotal = async (n: number, what: string) =>
        eventually(count, { message: what }).toMatch(
          n === 0 ? /No containers match/ : new RegExp(`of ${formatCount(n)} containers$`),
        )

      const reefers = world.manifest.filter((e) => e.isoType === '45R1')
      await page.getByTestId('filter-reefer').selectOption('true')
      await expectTotal(reefers.length, 'reefers')
      expect(reefers.length).toBe(Math.round(CONTAINERS * 0.1))
      await screenshot(page, 'list-filtered')

      const bay = reefer.physical.stowage.slice(0, 3)
      await page.getByTestId('filter-bay').fill(bay)
      await expectTotal(
        reefers.filter((e) => e.physical.stowage.startsWith(bay)).length,
        `reefers in bay ${bay}`,
      )
      await page.getByTestId('filter-reefer').selectOption('')
      await expectTotal(world.manifest.filter((e) => e.physical.stowage.startsWith(bay)).length, `bay ${bay}`)
      await page.getByTestId('filter-bay').fill('')
      await page.getByTestId('filter-bay').blur()

      await page.getByTestId('filter-dg').selectOption('true')
      await expectTotal(world.manifest.filter((e) => e.cargo.dg !== null).length, 'DG')
      await page.getByTestId('filter-customs').selectOption('HELD')
      await expectTotal(0, 'DG and held')
      await page.getByTestId('filter-dg').selectOption('')
      // The hold shore placed on the relay arrived with the last link window.
      await expectTotal(1, 'held')
      expect(await page.getByTestId('container-row').getAttribute('data-container-id')).toBe(held.containerId)
      await page.getByTestId('filter-customs').selectOption('PENDING')
      await expectTotal(CONTAINERS - 1, 'customs pending')
      await page.getByTestId('filter-customs').selectOption('')
      await page.getByTestId('filter-condition').selectOption('DAMAGED')
      await expectTotal(1, 'damaged')
      expect(await page.getByTestId('container-row').getAttribute('data-container-id')).toBe(
        damaged.containerId,
      )
      await page.getByTestId('filter-condition').selectOption('')
      await page.getByTestId('filter-alarm').selectOption('true')
      await expectTotal(1, 'alarm')
      await page.getByTestId('filter-alarm').selectOption('')
      await page.getByTestId('filter-state').selectOption('LOADED')
      await expectTotal(0, 'state loaded')
      await page.getByTestId('clear-filters').click()
      await expectTotal(CONTAINERS, 'no filters')
      await page.getByTestId('sort').selectOption('-updated')
      await eventually(() =>
        page.getByTestId('container-row').first().getAttribute('data-container-id'),
      ).toBe(held.containerId)
      await screenshot(page, 'list')
      await page.getByTestId('sort').selectOption('stowage')
    })

    it('shows cargo and customs read-only, owned by shore, and the server refuses a customs edit', async () => {
      await page.getByTestId('search').fill(reefer.containerId)
      await page.locator(`[data-container-id="${reefer.containerId}"] a`).click()
      await page.getByTestId('container-detail').waitFor()
      const customs = page.getByTestId('section-customs')
      expect(await customs.getByTestId('owner-customs').textContent()).toMatch(/Owned by shore/)
      expect(await customs.getByTestId('owner-customs').textContent()).not.toMatch(/you can edit/)
      expect(await customs.locator('input, select, textarea, button[type=submit]').count()).toBe(0)
      expect(await customs.getByTestId('value-customs.status').textContent()).toBe('Pending')
      expect(await page.getByTestId('section-cargo').locator('input, select, textarea').count()).toBe(0)
      // Physical is the crew's: editable.
      expect(await page.getByTestId('owner-physical').textContent()).toMatch(/you can edit/)
      expect(await page.getByTestId('section-physical').locator('input, select').count()).toBeGreaterThan(3)

      const res = await world.vesselApi(`/api/containers/${reefer.containerId}`, {
        method: 'PATCH',
        body: JSON.stringify({ customs: { status: 'RELEASED' } }),
      })
      expect(res.status).toBe(403)
      const body = (await res.json()) as { error: { code: string; field?: string } }
      expect(body.error.code).toBe('FORBIDDEN_FIELD')
      expect(body.error.field).toMatch(/^customs/)
    })

    it('draws the reefer chart: readings, set point and the alarm', async () => {
      const chart = page.getByTestId('reefer-chart')
      await chart.waitFor()
      await chart.scrollIntoViewIfNeeded()
      const supply = await page.getByTestId('reefer-chart-supply').getAttribute('d')
      // One move and a line to every later reading.
      expect(supply?.match(/L/g)?.length).toBe(READINGS - 1)
      expect(await page.getByTestId('reefer-chart-setpoint').count()).toBe(1)
      await eventually(() => page.getByTestId('reefer-chart-alarm').count()).toBe(1)
      const box = await page.getByTestId('reefer-chart-svg').boundingBox()
      expect(box!.width).toBeGreaterThan(500)
      expect(box!.height).toBeGreaterThan(150)
      const desc = await page.locator('[data-testid=reefer-chart-svg] desc').textContent()
      expect(desc).toContain(`${READINGS} readings`)
      expect(desc).toMatch(/1 alarm: HIGH_TEMP .*cleared/)
      await page.evaluate(() => window.scrollTo({ top: 0 }))
      await screenshot(page, 'detail')
      // The reefer card just below the sticky top bar.
      await page
        .getByTestId('section-reefer')
        .evaluate((el) => window.scrollTo({ top: el.getBoundingClientRect().top + window.scrollY - 76 }))
      await screenshot(page, 'detail-chart')
    })

    it('loaded nothing from outside the ship and threw no page errors', () => {
      expect(seen.outside).toEqual([])
      expect(seen.errors).toEqual([])
    })
  },
)
