/**
 * The voyage pages in Chromium, on both sides of a real link. Aboard: the crew app's Voyage page
 * shows the next port and the boxes to discharge there, registers a box that is not on the manifest,
 * and, once the shore has closed the voyage and the next one has arrived, switches to it and keeps
 * the closed one browsable read-only from its archive file. Ashore: the fleet and the vessel's
 * voyages show "added aboard, not booked", and the shore closes the voyage from its voyages view:
 * refused with the relay's reason while a change has not reached the vessel, accepted after the
 * next link window.
 */
import type { Locator, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { withCheckDigit } from '@tally/manifest'
import { ensureCrewUiBuilt, screenshot, signIn } from './crew-browser.ts'
import { saveScreenshot } from './screenshots.ts'
import { CHROMIUM_WAIT_MS, containerNo, startShoreWorld, VESSEL, VOYAGE } from './shore-fixture.ts'
import type { ShoreWorld } from './shore-fixture.ts'

const UI_TIMEOUT_MS = 20_000
const NEXT_VOYAGE = '025E'
/** A box the crew find aboard that is not on the manifest. */
const ABOARD_ONLY = withCheckDigit('TSTU000900')
/** Boxes the crew have stowed (ON_BOARD); all 24 booked ones go to USLAX. */
const ON_BOARD = [1, 2, 3, 4, 5]
/** The container numbers of the rows listed in `section`. */
const rowIds = (section: Locator) =>
  section
    .getByTestId('container-row')
    .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-container-id')))
const eventually = <T>(fn: () => T | Promise<T>) => expect.poll(fn, { timeout: UI_TIMEOUT_MS, interval: 100 })

const portCalls = (arrivedAtFirst: boolean) => [
  {
    locode: 'KRPUS',
    eta: '2026-03-01T06:00:00Z',
    ata: arrivedAtFirst ? '2026-03-01T07:00:00Z' : null,
    atd: arrivedAtFirst ? '2026-03-02T18:00:00Z' : null,
  },
  { locode: 'USLAX', eta: '2099-03-14T08:00:00Z', ata: null, atd: null },
]

describe('voyage pages in Chromium', { timeout: 120_000 }, () => {
  let world: ShoreWorld
  let crew: Page
  let shore: Page
  let crewToken: string
  const errors: string[] = []

  const crewApi = async (method: string, urlPath: string, body?: unknown) => {
    const res = await fetch(`${world.vessel.url}${urlPath}`, {
      method,
      headers: {
        authorization: `Bearer ${crewToken}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    })
    return { status: res.status, body: (await res.json()) as any }
  }

  beforeAll(async () => {
    await ensureCrewUiBuilt()
    world = await startShoreWorld()
    crewToken = world.vessel.tokens.issue('crew', 'bosun', 'vessel')
    const set = await world.api('PUT', `/api/vessels/${VESSEL}/voyages/${VOYAGE}`, {
      portCalls: portCalls(true),
    })
    expect(set.status, JSON.stringify(set.body)).toBe(200)
    for (const n of ON_BOARD) {
      const r = await crewApi('PATCH', `/api/containers/${containerNo(n)}`, {
        physical: { state: 'ON_BOARD' },
      })
      expect(r.status, JSON.stringify(r.body)).toBe(200)
    }
    await world.linkWindow()
    ;({ page: crew } = await world.signedIn(null, { width: 1024, height: 768 }))
    ;({ page: shore } = await world.signedIn(world.users.alice))
    for (const p of [crew, shore]) p.on('pageerror', (e) => errors.push(e.message))
    await signIn(crew, world.vessel.url, crewToken)
  }, CHROMIUM_WAIT_MS + 180_000)
  afterAll(async () => {
    await world?.close()
  })

  it('aboard: the next port and the boxes to discharge there', async () => {
    await crew.getByTestId('nav-voyage').click()
    await eventually(() => crew.getByTestId('next-port').textContent()).toMatch(
      /^Next port: USLAX, ETA 2099-03-14/,
    )
    await eventually(() => crew.getByTestId('discharge-here').locator('h2').textContent()).toBe(
      'To discharge at USLAX: 5',
    )
    const listed = await rowIds(crew.getByTestId('discharge-here'))
    expect(listed.sort()).toEqual(ON_BOARD.map(containerNo).sort())
    expect(await crew.getByTestId('port-call').count()).toBe(2)
    expect(await crew.locator('[data-testid=port-call][aria-current]').textContent()).toMatch(/^USLAX/)
    await screenshot(crew, 'voyage')
  })

  it('aboard: a box not on the manifest is registered; ashore it shows as added aboard, not booked', async () => {
    await crew.getByTestId('register-container-id').fill(ABOARD_ONLY)
    await crew.getByTestId('register-form').getByRole('button', { name: 'Register' }).click()
    await eventually(() => crew.url()).toContain(ABOARD_ONLY)
    await world.linkWindow()

    await shore.goto(world.baseUrl)
    const row = shore.locator(`[data-testid=fleet-row][data-imo="${VESSEL}"]`)
    await eventually(() => row.getByTestId('fleet-not-booked').textContent()).toBe(
      '1 added aboard, not booked',
    )
    await row.getByTestId('fleet-voyages').click()
    const card = shore.locator(`[data-testid=voyage-card][data-voyage="${VOYAGE}"]`)
    await eventually(() => card.getByTestId('voyage-not-booked').textContent()).toBe(
      '1 added aboard, not booked',
    )
    expect(await card.getByTestId('port-call').count()).toBe(2)
    expect(await card.getByTestId('voyage-status').textContent()).toBe('Open')
  })

  it('ashore: closing is refused while out of sync, then accepted after a link window', async () => {
    // A shore edit the vessel has not received yet.
    const late = await world.api(
      'PATCH',
      `/api/vessels/${VESSEL}/containers/${containerNo(6)}?voyage=${VOYAGE}`,
      {
        customs: { declaration: 'US-AMS-LATE-1' },
      },
    )
    expect(late.status, JSON.stringify(late.body)).toBe(200)
    await shore.goto(`${world.baseUrl}#/voyages/${VESSEL}`)
    const card = shore.locator(`[data-testid=voyage-card][data-voyage="${VOYAGE}"]`)
    await card.getByTestId('close-voyage').click()
    await eventually(() => card.getByTestId('close-refused').textContent()).toMatch(
      /not in sync: 1 container\(s\) hold changes the vessel has not acknowledged/,
    )
    expect(await card.getByTestId('voyage-status').textContent()).toBe('Open')
    await shore.mouse.move(2, 2)
    await saveScreenshot(shore, 'shore-voyages', { animations: 'disabled', caret: 'hide' })

    await world.linkWindow()
    await card.getByTestId('close-voyage').click()
    await eventually(() => card.getByTestId('voyage-status').textContent()).toMatch(/^Closed /)
    expect(await card.getByTestId('close-refused').count()).toBe(0)
    expect(await card.getByTestId('close-voyage').count()).toBe(0)
  })

  it('aboard: the next voyage becomes current, the closed one is browsable read-only from its archive', async () => {
    const next = await world.api('PUT', `/api/vessels/${VESSEL}/voyages/${NEXT_VOYAGE}`, {
      portCalls: portCalls(false),
    })
    expect(next.status, JSON.stringify(next.body)).toBe(200)
    // The close and voyage N+1 go aboard; the vessel archives the closed voyage once the relay has
    // acknowledged all of it, right after a session (a second window if the first did not finish it).
    await world.linkWindow()
    await expect
      .poll(
        async () => {
          const voyages = (await crewApi('GET', '/api/voyages')).body as any[]
          if (!voyages.find((v) => v.voyage === VOYAGE)?.archived) await world.linkWindow()
          return voyages.find((v) => v.voyage === VOYAGE)?.archived
        },
        { timeout: 60_000, interval: 1_000 },
      )
      .toBe(true)

    await crew.goto(`${world.vessel.url}/#/voyage`)
    await eventually(() => crew.getByTestId('voyage-summary').locator('h1').textContent()).toBe(
      `Voyage ${NEXT_VOYAGE}`,
    )
    await eventually(() => crew.getByTestId('next-port').textContent()).toMatch(/^Next port: KRPUS/)
    const past = crew.getByTestId('past-voyages')
    await eventually(() => past.textContent()).toContain(`Voyage ${VOYAGE}`)
    expect(await past.textContent()).toContain('archived aboard (read-only)')

    await past.getByRole('link', { name: `Voyage ${VOYAGE}` }).click()
    await eventually(() => crew.getByTestId('voyage-summary').locator('h1').textContent()).toBe(
      `Voyage ${VOYAGE} (closed, read-only)`,
    )
    await eventually(() => crew.getByTestId('archived-containers').locator('h2').textContent()).toBe(
      'Containers (from the archive): 25',
    )
    const archived = await rowIds(crew.getByTestId('archived-containers'))
    expect(archived).toContain(ABOARD_ONLY)
    // Read-only: no registering into a closed voyage, and no "to discharge" list.
    expect(await crew.getByTestId('register-form').count()).toBe(0)
    expect(await crew.getByTestId('discharge-here').count()).toBe(0)
    expect(await crew.getByTestId('next-port').count()).toBe(0)
    await screenshot(crew, 'voyage-archived')
    expect(errors).toEqual([])
  })
})
