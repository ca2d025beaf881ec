/**
 * The crew app as the bosun meets it on a 1024×768 tablet, in real Chromium against a real vessel
 * node and relay: pending counts right as soon as an edit is acknowledged (during an outage too),
 * the top bar on one row with a long status, stowage and times in the app's own words in the inputs,
 * no "20:15 → 20:15" in the history, an undo for the one-tap lashing check, a reefer reading far off
 * its set point flagged on entry with the tolerance band on the chart, and read-only sections that
 * say why.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { BookingEntry } from '@tally/voyage-sim'
import { ensureCrewUiBuilt, launchChromium, signIn, TABLET, watchPage } from './crew-browser.ts'
import { startCrewWorld } from './crew-fixture.ts'
import type { CrewWorld } from './crew-fixture.ts'

const CONTAINERS = 40
const SETUP_TIMEOUT_MS = 5 * 60_000
const UI_TIMEOUT_MS = 20_000
const eventually = <T>(fn: () => T | Promise<T>, options: { timeout?: number } = {}) =>
  expect.poll(fn, { timeout: UI_TIMEOUT_MS, interval: 100, ...options })

describe('crew app on a tablet (Chromium, real relay and vessel node)', { timeout: 90_000 }, () => {
  let world: CrewWorld
  let browser: Browser
  let context: BrowserContext
  let page: Page
  let seen: ReturnType<typeof watchPage>
  let dry: BookingEntry[]
  let reefer: BookingEntry

  const openContainer = async (id: string) => {
    await page.goto(`${world.vessel.url}/#/containers/${id}`)
    await page.getByTestId('container-detail').waitFor()
  }
  const patch = async (id: string, body: unknown) => {
    const res = await world.vesselApi(`/api/containers/${id}`, {
      method: 'PATCH',
      body: JSON.stringify(body),
    })
    expect(res.status, await res.clone().text()).toBe(200)
  }

  beforeAll(async () => {
    ;[world, browser] = await Promise.all([
      startCrewWorld({ containers: CONTAINERS }),
      launchChromium(),
      ensureCrewUiBuilt(),
    ]).then(([w, b]) => [w, b] as const)
    dry = world.manifest.filter((e) => e.isoType !== '45R1' && e.cargo.dg === null)
    reefer = world.manifest.find((e) => e.isoType === '45R1' && e.cargo.reeferSetpointC !== null)!
    context = await browser.newContext({ viewport: TABLET })
    page = await context.newPage()
    seen = watchPage(page, world.vessel.url)
    await signIn(page, world.vessel.url, world.tokens.crew)
  }, SETUP_TIMEOUT_MS)

  afterAll(async () => {
    await context?.close()
    await browser?.close()
    await world?.close()
  })

  it('counts a damage report as critical as soon as it is saved, with the link down, on one top-bar row', async () => {
    world.link.down()
    // Let the engine fail once, so it waits for its next retry: no state change carries the counts.
    await world.vesselApi('/api/sync', { method: 'POST' })
    await eventually(
      async () => ((await (await world.vesselApi('/api/sync')).json()) as { state: string }).state,
      {
        timeout: 30_000,
      },
    ).toMatch(/RETRYING|FAILED/)
    await page.getByTestId('nav-sync').click()
    await page.getByTestId('sync-panel').waitFor()
    const critical = async () =>
      Number((await page.getByTestId('pending-critical').textContent())!.match(/\d+/)![0])
    const before = await critical()

    await patch(dry[1]!.containerId, { physical: { condition: 'DAMAGED', damage: 'Forklift hole, 20 cm' } })
    const savedAt = Date.now()
    await eventually(critical, { timeout: 3_000 }).toBe(before + 1)
    expect(Date.now() - savedAt).toBeLessThan(3_000)

    // The status is long now (link down, retrying, changes pending): the top bar stays one row.
    const bar = page.locator('header.topbar')
    const height = (await bar.boundingBox())!.height
    expect(height).toBeLessThan(72)
    const tops = await Promise.all(
      ['.topbar__brand', '.topbar__nav', '[data-testid=sync-badge]', '[data-testid=logout]'].map(
        async (sel) => (await page.locator(sel).first().boundingBox())!,
      ),
    )
    const bottom = tops[0]!.y + tops[0]!.height
    for (const box of tops) expect(box.y).toBeLessThan(bottom)
    expect(await page.getByTestId('sync-badge').getAttribute('title')).toMatch(/Link down/)
    world.link.up()
  })

  it('shows stowage as 001 04 84 and times as "4 Dec 20:15 UTC" in the inputs, and reads them back', async () => {
    const box = dry[2]!
    await patch(box.containerId, {
      physical: { stowage: '0010484', lashingCheckedAt: '2026-12-04T20:15:00Z' },
    })
    await openContainer(box.containerId)
    const physical = page.getByTestId('section-physical')
    expect(await physical.getByTestId('input-physical.stowage').inputValue()).toBe('001 04 84')
    const lashing = physical.getByTestId('input-physical.lashingCheckedAt')
    expect(await lashing.getAttribute('type')).toBe('text')
    expect(await lashing.inputValue()).toMatch(/^4 Dec (2026 )?20:15 UTC$/)

    await physical.getByTestId('input-physical.stowage').fill('001 06 84')
    await lashing.fill('4 Dec 2026 21:40')
    await physical.getByTestId('save-physical').click()
    await physical.getByText(/Saved/).waitFor({ timeout: UI_TIMEOUT_MS })
    const view = (await (await world.vesselApi(`/api/containers/${box.containerId}`)).json()) as {
      physical: { stowage: string; lashingCheckedAt: string }
    }
    expect(view.physical).toMatchObject({ stowage: '0010684', lashingCheckedAt: '2026-12-04T21:40:00.000Z' })

    await lashing.fill('yesterday evening')
    await physical.getByTestId('save-physical').click()
    await eventually(() => physical.getByTestId('error-physical.lashingCheckedAt').textContent()).toMatch(
      /Lashing checked must be a time such as 4 Dec 20:15/,
    )
  })

  it('leaves values written again out of the history', async () => {
    const box = dry[3]!
    await patch(box.containerId, { physical: { lashingCheckedAt: '2026-12-04T20:15:10Z' } })
    // The same minute again: "20:15 → 20:15" tells the reader nothing.
    await patch(box.containerId, { physical: { lashingCheckedAt: '2026-12-04T20:15:40Z' } })
    await openContainer(box.containerId)
    const history = page.getByTestId('history-list')
    await history.waitFor()
    await eventually(() => history.textContent()).toMatch(/Lashing checked/)
    const rows = await history.locator('tbody tr').allTextContents()
    const lashingRows = rows.filter((r) => r.includes('Lashing checked'))
    expect(lashingRows).toHaveLength(1)
    expect(rows.join('\n')).not.toMatch(/20:15 UTC\s*→\s*4 Dec (2026 )?20:15 UTC/)
  })

  it('gives the one-tap lashing check a few seconds of undo', async () => {
    const box = dry[4]!
    await openContainer(box.containerId)
    const lashingOf = async () =>
      (
        (await (await world.vesselApi(`/api/containers/${box.containerId}`)).json()) as {
          physical: { lashingCheckedAt: string | null }
        }
      ).physical.lashingCheckedAt

    await page.getByTestId('action-lashing').click()
    await page.getByTestId('lashing-undo').waitFor()
    await page.getByTestId('lashing-undo-button').click()
    await eventually(() => page.getByTestId('action-status').textContent()).toMatch(/undone/)
    await new Promise((r) => setTimeout(r, 6_000))
    expect(await lashingOf()).toBeNull()

    await page.getByTestId('action-lashing').click()
    await page.getByTestId('lashing-undo').waitFor()
    expect(await lashingOf()).toBeNull()
    await eventually(() => page.getByTestId('action-status').textContent(), { timeout: 15_000 }).toMatch(
      /Lashing check recorded at/,
    )
    expect(await lashingOf()).not.toBeNull()
  })

  it('flags a reading more than 3 °C off the set point and draws the tolerance band', async () => {
    const setpoint = -1.5
    await patch(reefer.containerId, { reefer: { actualSetpointC: setpoint } })
    await openContainer(reefer.containerId)
    await page.getByTestId('action-reading').click()
    await page.getByTestId('reading-supply').fill('-1.0')
    await page.getByTestId('reading-return').fill('0.5')
    expect(await page.getByTestId('reading-deviation').count()).toBe(0)
    await page.getByTestId('reading-supply').fill('2.5')
    await eventually(() => page.getByTestId('reading-deviation').textContent()).toBe(
      'Supply 2.5 °C is 4 °C above the setpoint −1.5 °C — raise an alarm?',
    )
    await page.getByTestId('reading-raise-alarm').click()
    await page.getByTestId('dialog-alarm').waitFor()
    expect(await page.getByTestId('alarm-code').inputValue()).toBe('HIGH_TEMP')
    expect(await page.getByTestId('alarm-note').inputValue()).toMatch(/4 °C above the setpoint/)
    await page.getByTestId('dialog-submit').click()
    await eventually(() => page.getByTestId('action-status').textContent()).toMatch(/Alarm HIGH_TEMP raised/)

    const band = page.getByTestId('reefer-chart-band')
    await band.waitFor()
    const setpointLine = await page.locator('.tly-chart__setpoint').first().boundingBox()
    const bandBox = (await band.boundingBox())!
    expect(bandBox.height).toBeGreaterThan(10)
    expect(setpointLine!.y).toBeGreaterThan(bandBox.y)
    expect(setpointLine!.y).toBeLessThan(bandBox.y + bandBox.height)
    expect(await page.locator('[data-testid=reefer-chart-svg] desc').textContent()).toMatch(
      /Tolerance band −4.5 °C to 1.5 °C/,
    )
  })

  it('says in a sentence why cargo, customs and the identity are read-only', async () => {
    await openContainer(dry[5]!.containerId)
    expect(await page.getByTestId('readonly-customs').textContent()).toBe(
      'Customs is decided ashore. To suggest a change, propose it.',
    )
    expect(await page.getByTestId('readonly-cargo').textContent()).toMatch(/kept ashore.*propose it/)
    expect(await page.getByTestId('readonly-identity').textContent()).toMatch(
      /Fixed when the container was booked/,
    )
    expect(await page.getByTestId('readonly-physical').count()).toBe(0)
  })

  it('threw no page errors and loaded nothing from outside the ship', () => {
    expect(seen.errors).toEqual([])
    expect(seen.outside).toEqual([])
  })
})
