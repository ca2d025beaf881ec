/**
 * The one switch for the pictures in docs/screenshots: the browser tests save them only when
 * `UPDATE_SCREENSHOTS=1` is set (`UPDATE_SCREENSHOTS=1 npx vitest run test/e2e`), so an ordinary run,
 * in CI or locally, leaves the tracked PNGs and the git tree alone. Whatever a test does to set up a
 * picture (scrolling, parking the pointer) it does either way, so both runs take the same path.
 */
import fs from 'node:fs'
import path from 'node:path'
import type { Page, PageScreenshotOptions } from 'playwright-core'

export const SCREENSHOTS = path.resolve(import.meta.dirname, '../../docs/screenshots')
export const UPDATE_SCREENSHOTS = process.env.UPDATE_SCREENSHOTS === '1'

/**
 * Saves docs/screenshots/NAME.png when UPDATE_SCREENSHOTS=1 and returns its path; otherwise takes
 * no picture and returns null.
 */
export async function saveScreenshot(
  page: Page,
  name: string,
  options: Omit<PageScreenshotOptions, 'path'> = {},
): Promise<string | null> {
  if (!UPDATE_SCREENSHOTS) return null
  fs.mkdirSync(SCREENSHOTS, { recursive: true })
  const file = path.join(SCREENSHOTS, `${name}.png`)
  await page.screenshot({ ...options, path: file })
  return file
}
