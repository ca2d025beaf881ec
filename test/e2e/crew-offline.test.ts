/**
 * The crew tablet out of Wi-Fi range, in real Chromium against a real vessel node: the tablet reaches
 * the node through a TCP proxy standing in for the deck's Wi-Fi, which the test cuts (new
 * connections reset, open ones dropped), so the node is really unreachable, not just the page told
 * it is offline. Edits made meanwhile wait on the tablet; a reload still opens the app from the
 * service worker's cache with the count of edits waiting, and the container open from the tablet's
 * copy (still editable); when the Wi-Fi is back every edit reaches the node, in order and once.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { BookingEntry } from '@tally/voyage-sim'
import { SatelliteLink } from '../link-sim/index.ts'
import { ensureCrewUiBuilt, launchChromium, signIn, TABLET, watchPage } from './crew-browser.ts'
import { startCrewWorld } from './crew-fixture.ts'
import type { CrewWorld } from './crew-fixture.ts'

const SETUP_TIMEOUT_MS = 5 * 60_000
const UI_TIMEOUT_MS = 20_000
const eventually = <T>(fn: () => T | Promise<T>) => expect.poll(fn, { timeout: UI_TIMEOUT_MS, interval: 100 })
const kept = (n: number) => `Saved on this tablet, not yet on the ship's server (${n})`

describe(
  'crew app with the vessel node out of reach (Chromium, service worker)',
  { timeout: 120_000 },
  () => {
    let world: CrewWorld
    let wifi: SatelliteLink
    let url: string
    let browser: Browser
    let context: BrowserContext
    let page: Page
    let seen: ReturnType<typeof watchPage>
    let box: BookingEntry

    beforeAll(async () => {
      ;[world, browser] = await Promise.all([
        startCrewWorld({ containers: 12 }),
        launchChromium(),
        ensureCrewUiBuilt(),
      ]).then(([w, b]) => [w, b] as const)
      box = world.manifest.find((e) => e.isoType !== '45R1' && e.cargo.dg === null)!
      // The deck's Wi-Fi: fast, and cut at will. 127.0.0.1 is a secure context, so the worker runs.
      wifi = new SatelliteLink({
        listenPort: 0,
        target: { host: '127.0.0.1', port: world.vessel.port },
        rateBitsPerSecond: 1_000_000_000,
        oneWayDelayMs: 0,
        sliceBytes: 64 * 1024,
      })
      url = `http://127.0.0.1:${(await wifi.start()).port}`
      context = await browser.newContext({ viewport: TABLET })
      page = await context.newPage()
      seen = watchPage(page, url)
      await signIn(page, url, world.tokens.crew)
    }, SETUP_TIMEOUT_MS)

    afterAll(async () => {
      await context?.close()
      await browser?.close()
      await wifi?.stop()
      await world?.close()
    })

    const seal = async () =>
      (
        (await (await world.vesselApi(`/api/containers/${box.containerId}`)).json()) as {
          physical: { observedSeal: string | null }
        }
      ).physical.observedSeal

    it('keeps the app shell in a service worker once signed in', async () => {
      await eventually(() => page.evaluate(() => navigator.serviceWorker.controller !== null)).toBe(true)
      await page.goto(`${url}/#/containers/${box.containerId}`)
      await page.getByTestId('container-detail').waitFor()
      // The worker keeps what the page loads through it, and the first visit's files it was handed.
      await eventually(() =>
        page.evaluate(async () => {
          const cache = await caches.open('tally-shell-v1')
          const urls = (await cache.keys()).map((r) => new URL(r.url).pathname)
          return urls.includes('/') && urls.some((u) => u.startsWith('/assets/') && u.endsWith('.js'))
        }),
      ).toBe(true)
    })

    it('keeps edits made out of reach, reopens the app and the container on a reload out of reach, and delivers them in order, once', async () => {
      const physical = page.getByTestId('section-physical')
      const save = async (value: string) => {
        await physical.getByTestId('input-physical.observedSeal').fill(value)
        await physical.getByTestId('save-physical').click()
        await eventually(() => physical.getByTestId('input-physical.observedSeal').inputValue()).toBe(value)
      }

      wifi.down()
      await save('WIFI01')
      await eventually(() => page.getByTestId('tablet-outbox').textContent()).toBe(kept(1))
      await save('WIFI02') // later, the same field: the order matters
      await eventually(() => page.getByTestId('tablet-outbox').textContent()).toBe(kept(2))
      expect(await seal()).toBeNull()

      // A reload with the node out of reach: the worker serves the shell, the outbox is in IndexedDB.
      await page.reload()
      await eventually(() => page.getByTestId('tablet-outbox').textContent()).toBe(kept(2))
      // The app's own frame (not the "cannot reach" splash), signed in as before.
      expect(await page.getByTestId('nav-containers').isVisible()).toBe(true)
      expect(await page.locator('.splash__card').count()).toBe(0)
      // The container page opens from the tablet's copy, with the edits waiting applied, and takes
      // another edit, which joins the queue.
      await page.getByTestId('detail-from-tablet').waitFor({ timeout: UI_TIMEOUT_MS })
      expect(await physical.getByTestId('input-physical.observedSeal').inputValue()).toBe('WIFI02')
      await save('WIFI03')
      await eventually(() => page.getByTestId('tablet-outbox').textContent()).toBe(kept(3))
      expect(await seal()).toBeNull()

      // Back in range: every edit arrives, in the order it was made, each once.
      wifi.up()
      await eventually(() => page.getByTestId('tablet-outbox').count()).toBe(0)
      expect(await seal()).toBe('WIFI03')
      const history = (await (
        await world.vesselApi(`/api/containers/${box.containerId}/history`)
      ).json()) as {
        field: string
        to: unknown
      }[]
      expect(history.filter((h) => h.field === 'physical.observedSeal').map((h) => h.to)).toEqual([
        'WIFI01',
        'WIFI02',
        'WIFI03',
      ])
      // The node's answer replaces the tablet's copy.
      await page.reload()
      await page.getByTestId('container-detail').waitFor({ timeout: UI_TIMEOUT_MS })
      expect(await page.getByTestId('detail-from-tablet').count()).toBe(0)
    })

    it('threw no page errors and loaded nothing from outside the ship', () => {
      expect(seen.errors).toEqual([])
      expect(seen.outside).toEqual([])
    })
  },
)
