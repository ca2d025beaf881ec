/**
 * The shore UI in real Chromium against a real relay and vessel node: sign-in, fleet and search;
 * two people in two browser contexts on the same container (presence, notes merging live); edits
 * made while the relay is down, which sync when it returns and leave a customs conflict that is
 * shown with both values and resolved; physical fields read-only for shore; and the customs edit
 * reaching the vessel node in the next link window. Screenshots go to docs/screenshots/shore-*.png
 * with UPDATE_SCREENSHOTS=1.
 */
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { saveScreenshot } from './screenshots.ts'
import { CHROMIUM_WAIT_MS, containerNo, docIdOf, startShoreWorld, VESSEL } from './shore-fixture.ts'
import type { ShoreWorld } from './shore-fixture.ts'

const UI_TIMEOUT_MS = 15_000
const SHARED = 13 // the container both users work on

/** docs/screenshots/shore-NAME.png, with UPDATE_SCREENSHOTS=1 only (see screenshots.ts). */
async function shot(page: Page, name: string): Promise<void> {
  // Full-page shots are taken from the top, or the sticky top bar lands mid-page.
  await page.evaluate('window.scrollTo(0, 0)')
  await saveScreenshot(page, `shore-${name}`, { fullPage: name !== 'fleet' })
}

const connection = (page: Page) => page.getByTestId('connection')

describe('shore UI in Chromium', () => {
  let world: ShoreWorld
  let alice: Page
  let carl: Page
  const errors: string[] = []

  beforeAll(async () => {
    world = await startShoreWorld()
  }, CHROMIUM_WAIT_MS + 120_000)
  afterAll(async () => {
    await world?.close()
  })

  it('signs in with a token, shows the fleet and finds containers across vessels', async () => {
    ;({ page: alice } = await world.signedIn(null))
    alice.on('pageerror', (e) => errors.push(e.message))
    await alice.goto(world.baseUrl)
    await alice.getByLabel('User token').fill(world.users.alice.token)
    await alice.getByRole('button', { name: 'Sign in' }).click()
    await alice.getByTestId('fleet-table').waitFor({ timeout: UI_TIMEOUT_MS })
    const row = alice.locator(`[data-testid=fleet-row][data-imo=${VESSEL}]`)
    await expect.poll(() => row.textContent()).toMatch(/MV Tally Aurora.*24/)
    expect(await row.textContent()).not.toMatch(/never synced/)
    await expect.poll(() => connection(alice).getAttribute('data-state')).toBe('online')
    await shot(alice, 'fleet')

    await alice.getByTestId('nav-search').click()
    await alice.getByTestId('search-q').fill('TSTU00000')
    await expect.poll(() => alice.getByTestId('container-row').count()).toBeGreaterThan(5)
    await alice.getByTestId('search-q').fill(containerNo(SHARED))
    await expect.poll(() => alice.getByTestId('container-row').count()).toBe(1)
    await shot(alice, 'search')
    await alice.getByTestId('container-row').click()
    await alice.getByTestId('container-detail').waitFor({ timeout: UI_TIMEOUT_MS })
    expect(await alice.getByTestId('detail-id').textContent()).toBe(containerNo(SHARED))
  })

  it('shows who else is in the container and merges notes typed at the same time', async () => {
    ;({ page: carl } = await world.signedIn(world.users.carl))
    carl.on('pageerror', (e) => errors.push(e.message))
    await carl.goto(`${world.baseUrl}#/c/${VESSEL}/024E/${containerNo(SHARED)}`)
    await carl.getByTestId('container-detail').waitFor({ timeout: UI_TIMEOUT_MS })

    await alice.locator('[data-testid=viewer][data-user=carl]').waitFor({ timeout: UI_TIMEOUT_MS })
    await carl.locator('[data-testid=viewer][data-user=alice]').waitFor({ timeout: UI_TIMEOUT_MS })

    const aliceNotes = alice.getByTestId('notes-text')
    const carlNotes = carl.getByTestId('notes-text')
    await aliceNotes.click()
    await carlNotes.click()
    await alice
      .locator('[data-testid=notes-editors]')
      .filter({ hasText: 'carl' })
      .waitFor({ timeout: UI_TIMEOUT_MS })
    await Promise.all([
      aliceNotes.pressSequentially('Docs checked by alice. ', { delay: 15 }),
      carlNotes.pressSequentially('X-ray booked by carl.', { delay: 15 }),
    ])
    const merged = async (page: Page) => page.getByTestId('notes-text').inputValue()
    await expect.poll(() => merged(alice), { timeout: UI_TIMEOUT_MS }).toContain('X-ray booked by carl.')
    await expect.poll(() => merged(carl), { timeout: UI_TIMEOUT_MS }).toContain('Docs checked by alice. ')
    expect(await merged(alice)).toBe(await merged(carl))
    await expect
      .poll(() => world.relay.store.view(docIdOf(SHARED))!.notes, { timeout: UI_TIMEOUT_MS })
      .toBe(await merged(alice))
  })

  it('keeps edits made while the relay is down, syncs them when it returns, and resolves the conflict', async () => {
    await world.stopRelay()
    await expect
      .poll(() => connection(alice).getAttribute('data-state'), { timeout: UI_TIMEOUT_MS })
      .toBe('offline')
    await expect
      .poll(() => connection(carl).getAttribute('data-state'), { timeout: UI_TIMEOUT_MS })
      .toBe('offline')
    await alice.getByTestId('offline-banner').waitFor()

    // Both change the customs status while apart: a conflict by construction.
    const setStatus = async (page: Page, status: string) => {
      const section = page.getByTestId('section-customs')
      await section.getByTestId('input-customs.status').selectOption(status)
      await section.getByTestId('save-customs').click()
      if (status === 'HELD') {
        // A hold without a reason is refused at the reason, in the catalog's words.
        await expect
          .poll(() => section.getByTestId('error-customs.holdReason').textContent(), {
            timeout: UI_TIMEOUT_MS,
          })
          .toMatch(/Hold reason is required with customs status HELD/)
        await section.getByTestId('input-customs.holdReason').fill('Documents missing')
        await section.getByTestId('save-customs').click()
      }
      await section.getByText(/Saved/).waitFor({ timeout: UI_TIMEOUT_MS })
    }
    await setStatus(alice, 'HELD')
    await setStatus(carl, 'INSPECTION')
    expect(await alice.getByTestId('doc-sync').textContent()).toMatch(/Offline/)
    await shot(alice, 'offline')

    await world.startRelay()
    await expect
      .poll(() => connection(alice).getAttribute('data-state'), { timeout: UI_TIMEOUT_MS })
      .toBe('online')
    await expect
      .poll(() => connection(carl).getAttribute('data-state'), { timeout: UI_TIMEOUT_MS })
      .toBe('online')

    // Both edits reached the relay, and both browsers show the conflict with who wrote each value.
    await expect
      .poll(() => world.relay.store.view(docIdOf(SHARED))!.conflicts.map((c) => c.field), {
        timeout: UI_TIMEOUT_MS,
      })
      .toEqual(['customs.status'])
    const values = world.relay.store.view(docIdOf(SHARED))!.conflicts[0]!.values
    expect(values.map((v) => [v.value, v.principal]).sort()).toEqual([
      ['HELD', 'user:alice'],
      ['INSPECTION', 'user:carl'],
    ])
    for (const page of [alice, carl]) {
      const conflict = page.locator('[data-testid=conflict][data-field="customs.status"]')
      await conflict.waitFor({ timeout: UI_TIMEOUT_MS })
      await expect
        .poll(() => conflict.textContent(), { timeout: UI_TIMEOUT_MS })
        .toMatch(/alice[\s\S]*carl|carl[\s\S]*alice/)
    }
    // After the reconnection carl announces himself again: no longer in the notes he left while offline.
    await expect
      .poll(() => alice.locator('[data-testid=viewer][data-user=carl]').textContent(), {
        timeout: UI_TIMEOUT_MS,
      })
      .toMatch(/viewing/)
    await shot(alice, 'conflict')

    // carl keeps INSPECTION; the conflict is gone everywhere.
    await carl
      .locator('[data-testid=conflict-value]')
      .filter({ hasText: 'Inspection' })
      .getByTestId('conflict-keep')
      .click()
    await expect
      .poll(() => world.relay.store.view(docIdOf(SHARED))!.conflicts, { timeout: UI_TIMEOUT_MS })
      .toEqual([])
    expect(world.relay.store.view(docIdOf(SHARED))!.customs.status).toBe('INSPECTION')
    for (const page of [carl, alice])
      await page.getByTestId('conflicts').waitFor({ state: 'detached', timeout: UI_TIMEOUT_MS })
  })

  it('shows physical and reefer fields read-only to shore, with the reason and the vessel report', async () => {
    await alice.goto(`${world.baseUrl}#/c/${VESSEL}/024E/${containerNo(10)}`)
    await alice.getByTestId('container-detail').waitFor({ timeout: UI_TIMEOUT_MS })
    const physical = alice.getByTestId('section-physical')
    expect(await physical.getByTestId('owner-physical').textContent()).toMatch(/Owned by vessel/)
    expect(await physical.locator('input, select, textarea').count()).toBe(0)
    expect(await physical.getByTestId('value-physical.condition').textContent()).toMatch(/OK/)
    expect(await physical.getByTestId('vessel-report').textContent()).toMatch(
      /read-only here.*Last report from the vessel/,
    )
    expect(await alice.getByTestId('section-reefer').locator('input, select').count()).toBe(0)
    await alice.getByTestId('reefer-chart').waitFor()
    await expect
      .poll(() => alice.getByTestId('history-entry').count(), { timeout: UI_TIMEOUT_MS })
      .toBeGreaterThan(3)
    await shot(alice, 'container')
  })

  it('carries the customs decision and the notes to the vessel node in the next link window', async () => {
    await world.linkWindow()
    const aboard = world.vessel.store.view(docIdOf(SHARED))!
    expect(aboard.customs.status).toBe('INSPECTION')
    expect(aboard.notes).toContain('X-ray booked by carl.')
    expect(aboard.notes).toContain('Docs checked by alice.')
  })

  it('updates an open container live when the vessel reports in a link window', async () => {
    await alice.goto(`${world.baseUrl}#/c/${VESSEL}/024E/${containerNo(SHARED)}`)
    await alice.getByTestId('container-detail').waitFor({ timeout: UI_TIMEOUT_MS })
    const crew = world.vessel.tokens.issue('crew', 'bosun', 'vessel')
    const res = await fetch(`${world.vessel.url}/api/containers/${containerNo(SHARED)}`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${crew}`, 'content-type': 'application/json' },
      body: JSON.stringify({ physical: { condition: 'DAMAGED', damage: 'Dent in the left side panel' } }),
    })
    expect(res.status).toBe(200)
    await world.linkWindow()
    const condition = alice.getByTestId('section-physical').getByTestId('value-physical.condition')
    await expect.poll(() => condition.textContent(), { timeout: UI_TIMEOUT_MS }).toMatch(/Damaged/)
    await alice.getByTestId('badge-damaged').waitFor()
  })

  it('shows a change the relay refused and recovers by reloading the document from the relay', async () => {
    // A browser that believes carl (customs) may edit cargo: its own role check lets the edit through,
    // and the relay, which knows better, refuses it.
    const { page } = await world.signedIn(world.users.carl)
    await page.route('**/api/me', (route) =>
      route.fulfill({ json: { user: 'carl', role: 'shore', principal: 'user:carl' } }),
    )
    await page.addInitScript(() =>
      localStorage.setItem(
        'tally.shore.me',
        JSON.stringify({ user: 'carl', role: 'shore', principal: 'user:carl' }),
      ),
    )
    await page.goto(`${world.baseUrl}#/c/${VESSEL}/024E/${containerNo(4)}`)
    const cargo = page.getByTestId('section-cargo')
    await cargo.getByTestId('input-cargo.consignee').fill('Someone Else Inc')
    await cargo.getByTestId('save-cargo').click()
    const banner = page.getByTestId('refused-banner')
    await banner.waitFor({ timeout: UI_TIMEOUT_MS })
    expect(await banner.textContent()).toMatch(/cargo\.consignee/)
    expect(world.relay.context.deadLetters.list({ docId: docIdOf(4) })[0]).toMatchObject({
      principal: 'user:carl',
      field: 'cargo.consignee',
    })
    await shot(page, 'refused')
    await banner.getByRole('button', { name: 'Reload from the relay' }).click()
    await banner.waitFor({ state: 'detached', timeout: UI_TIMEOUT_MS })
    await expect
      .poll(() => cargo.getByTestId('input-cargo.consignee').inputValue(), { timeout: UI_TIMEOUT_MS })
      .toBe(world.relay.store.view(docIdOf(4))!.cargo.consignee)
    expect(errors).toEqual([])
  })
})
