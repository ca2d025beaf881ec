/**
 * A damage photo from the tablet's camera input to the shore's screen, in real Chromium: the bosun
 * takes a photo through the crew app's file input (`capture="environment"`), sees its thumbnail,
 * one link window later the shore clerk sees the thumbnail on the container page, with the
 * "Request full photo (≈ …)" button, and asks for it.
 */
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { testImage } from '../support/test-images.ts'
import { ensureCrewUiBuilt, signIn } from './crew-browser.ts'
import { containerNo, startShoreWorld, VESSEL } from './shore-fixture.ts'
import type { ShoreWorld } from './shore-fixture.ts'

const UI_TIMEOUT_MS = 20_000
const eventually = <T>(fn: () => T | Promise<T>) => expect.poll(fn, { timeout: UI_TIMEOUT_MS, interval: 100 })

describe('damage photos in the browsers (Chromium)', { timeout: 180_000 }, () => {
  let world: ShoreWorld
  let crew: Page

  beforeAll(async () => {
    ;[world] = await Promise.all([startShoreWorld(), ensureCrewUiBuilt()])
    const token = world.vessel.tokens.issue('crew', 'bosun', 'vessel')
    const context = await world.browser.newContext({ viewport: { width: 1024, height: 768 } })
    crew = await context.newPage()
    await signIn(crew, world.vessel.url, token)
  }, 300_000)
  afterAll(async () => {
    await world?.close()
  })

  it('takes a photo through the file input and shows the thumbnail on shore after a window', async () => {
    const id = containerNo(3)
    await crew.goto(`${world.vessel.url}/#/containers/${id}`)
    await crew.getByTestId('container-detail').waitFor()
    await crew.getByTestId('add-photo-toggle').click()
    const input = crew.getByTestId('photo-file')
    expect(await input.getAttribute('capture')).toBe('environment')
    expect(await input.getAttribute('accept')).toBe('image/*')
    const jpeg = await testImage({ width: 1600, height: 1200, seed: 5, noise: 40, quality: 86 })
    await input.setInputFiles({ name: 'door.jpg', mimeType: 'image/jpeg', buffer: jpeg })
    await crew.getByTestId('photo-caption').fill('Dent on the left door')
    await crew.getByTestId('photo-submit').click()
    await crew.getByTestId('photo-thumb').waitFor({ timeout: UI_TIMEOUT_MS })
    await eventually(() => crew.getByTestId('photo').getAttribute('data-full')).toBe('ON_VESSEL')

    await world.linkWindow()

    const { page: shore } = await world.signedIn(world.users.alice)
    await shore.goto(`${world.baseUrl}#/c/${VESSEL}/024E/${id}`)
    await shore.getByTestId('container-detail').waitFor({ timeout: UI_TIMEOUT_MS })
    const thumb = shore.getByTestId('photo-thumb')
    await thumb.waitFor({ timeout: UI_TIMEOUT_MS })
    expect(await thumb.getAttribute('alt')).toBe('Dent on the left door')
    // The image decodes: the thumbnail crossed the link whole.
    await eventually(() => thumb.evaluate((img) => (img as HTMLImageElement).naturalWidth)).toBe(640)
    const request = shore.getByTestId('photo-request')
    await expect(request.textContent()).resolves.toMatch(
      /Request full photo \(≈ 0\.\d MB, ≈ \$\d+, ≈ \d+ s at the current link\)/,
    )
    await request.click()
    await eventually(() => shore.getByTestId('photo').getAttribute('data-full')).toBe('REQUESTED')
  })
})
