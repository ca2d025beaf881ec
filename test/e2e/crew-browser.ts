/**
 * Chromium for the crew UI's end-to-end tests and benchmark: Debian's `chromium` driven by
 * playwright-core, the crew UI built where the vessel node serves it (vessel-node/web/dist) when the
 * build is missing or older than its sources, sign-in, and screenshots for docs/screenshots
 * (with UPDATE_SCREENSHOTS=1).
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { build } from 'vite'
import { chromium } from 'playwright-core'
import type { Browser, Page } from 'playwright-core'
import { ROOT } from '../support/processes.ts'
import { saveScreenshot } from './screenshots.ts'

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
/** The screens the issue asks for are documented at the tablet size. */
export const TABLET = { width: 1024, height: 768 }
/** Debian's chromium may still be installing when the suite starts. */
const CHROMIUM_WAIT_MS = 5 * 60_000
const UI_DIST = path.join(ROOT, 'vessel-node/web/dist')
const UI_SOURCES = ['vessel-node/web', 'packages/ui/src', 'packages/ui/public', 'packages/manifest/src'].map(
  (p) => path.join(ROOT, p),
)
/** Two test files may want the build at once; the second waits for the first. */
const BUILD_LOCK = path.join(os.tmpdir(), 'tally-crew-ui-build.lock')
const BUILD_LOCK_STALE_MS = 3 * 60_000

function newestMtime(dir: string): number {
  let newest = 0
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'dist' || entry.name === 'node_modules' || entry.name.startsWith('.')) continue
    const full = path.join(dir, entry.name)
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(full) : fs.statSync(full).mtimeMs)
  }
  return newest
}

function uiIsCurrent(): boolean {
  const index = path.join(UI_DIST, 'index.html')
  if (!fs.existsSync(index)) return false
  const built = fs.statSync(index).mtimeMs
  return UI_SOURCES.every((dir) => newestMtime(dir) <= built)
}

/** Builds the crew UI into vessel-node/web/dist (what `npm run build` does) unless it is current. */
export async function ensureCrewUiBuilt(): Promise<void> {
  const deadline = Date.now() + BUILD_LOCK_STALE_MS
  for (;;) {
    if (uiIsCurrent()) return
    try {
      fs.mkdirSync(BUILD_LOCK)
      break
    } catch {
      const age = Date.now() - (fs.statSync(BUILD_LOCK, { throwIfNoEntry: false })?.mtimeMs ?? Date.now())
      if (age > BUILD_LOCK_STALE_MS) fs.rmSync(BUILD_LOCK, { recursive: true, force: true })
      if (Date.now() > deadline) throw new Error('gave up waiting for another crew UI build')
      await new Promise((r) => setTimeout(r, 500))
    }
  }
  // Vitest sets NODE_ENV=test, which would give a development bundle; the crew get production.
  const nodeEnv = process.env.NODE_ENV
  process.env.NODE_ENV = 'production'
  try {
    await build({ configFile: path.join(ROOT, 'vessel-node/web/vite.config.ts'), logLevel: 'warn' })
  } finally {
    process.env.NODE_ENV = nodeEnv
    fs.rmSync(BUILD_LOCK, { recursive: true, force: true })
  }
}

export async function launchChromium(): Promise<Browser> {
  const deadline = Date.now() + CHROMIUM_WAIT_MS
  while (!fs.existsSync(CHROMIUM)) {
    if (Date.now() > deadline) throw new Error(`${CHROMIUM} did not appear within ${CHROMIUM_WAIT_MS} ms`)
    await new Promise((r) => setTimeout(r, 2_000))
  }
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS })
}

/** Signs in through the login form and waits for the container list. */
export async function signIn(page: Page, baseUrl: string, token: string): Promise<void> {
  await page.goto(`${baseUrl}/`)
  await page.getByLabel('Crew token').fill(token)
  await page.getByRole('button', { name: 'Sign in' }).click()
  await page.getByTestId('container-row').first().waitFor({ timeout: 30_000 })
}

/**
 * Saves a screenshot of the viewport to docs/screenshots/crew-NAME.png, with UPDATE_SCREENSHOTS=1
 * only (see screenshots.ts). The pointer is parked on the top bar and focus dropped first (unless
 * `keepFocus`), so no row shows a stray hover or ring; that happens in every run, so the test takes
 * the same path with and without pictures.
 */
export async function screenshot(
  page: Page,
  name: string,
  o: { keepFocus?: boolean } = {},
): Promise<string | null> {
  await page.mouse.move(2, 2)
  if (!o.keepFocus) await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur())
  // Caret and focus rings blink; animations would make each run's picture differ.
  return saveScreenshot(page, `crew-${name}`, { animations: 'disabled', caret: 'hide' })
}

/** Collects page errors and requests that leave the vessel node, for an end-of-test assertion. */
export function watchPage(page: Page, baseUrl: string): { errors: string[]; outside: string[] } {
  const seen = { errors: [] as string[], outside: [] as string[] }
  page.on('pageerror', (e) => seen.errors.push(e.message))
  page.on('request', (r) => {
    if (!r.url().startsWith(baseUrl) && !r.url().startsWith('data:')) seen.outside.push(r.url())
  })
  return seen
}
