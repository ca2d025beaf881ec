/**
 * Smoke test of the built crew UI in real Chromium, before the vessel node exists: the bundle is
 * built with Vite, served by a tiny static server whose only API route is `/api/me` answering 401,
 * and the login page must show the bad-token message. It also checks that the page loads nothing
 * from outside the ship (no CDN, no web fonts).
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { AddressInfo } from 'node:net'
import type { Server } from 'node:http'
import express from 'express'
import { build } from 'vite'
import { chromium } from 'playwright-core'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const ROOT = path.resolve(import.meta.dirname, '../..')
const CHROMIUM = '/usr/bin/chromium'
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
]
/** Debian's chromium may still be installing when the suite starts. */
const CHROMIUM_WAIT_MS = 5 * 60_000
const SCREENSHOTS = path.join(ROOT, 'test-results')
/**
 * Strings a bundle may contain that are not fetched: XML namespaces, React's error-decoder link, and
 * zod's JSON Schema identifiers and its URL validator's template (the shared request schemas).
 */
const HARMLESS_URL = /^https?:\/\/(www\.w3\.org\/|react\.dev\/errors|json-schema\.org\/|\[\$\{)/

async function waitForChromium(): Promise<void> {
  const deadline = Date.now() + CHROMIUM_WAIT_MS
  while (!fs.existsSync(CHROMIUM)) {
    if (Date.now() > deadline) throw new Error(`${CHROMIUM} did not appear within ${CHROMIUM_WAIT_MS} ms`)
    await new Promise((r) => setTimeout(r, 2_000))
  }
}

function listFiles(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? listFiles(path.join(dir, e.name)) : [path.join(dir, e.name)]))
}

describe('crew UI, static build', () => {
  let outDir: string
  let server: Server
  let baseUrl: string
  let browser: Browser

  beforeAll(async () => {
    outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tally-crew-ui-'))
    // Vitest sets NODE_ENV=test, which would make Vite and the React plugin emit a development
    // bundle; the crew gets the production one, so that is what is tested.
    const nodeEnv = process.env.NODE_ENV
    process.env.NODE_ENV = 'production'
    try {
      await build({
        configFile: path.join(ROOT, 'vessel-node/web/vite.config.ts'),
        logLevel: 'warn',
        build: { outDir, emptyOutDir: true },
      })
    } finally {
      process.env.NODE_ENV = nodeEnv
    }
    const app = express()
    app.get('/api/me', (_req, res) => {
      res.status(401).json({ error: { code: 'UNAUTHORIZED', message: 'unknown or revoked token' } })
    })
    app.use(express.static(outDir))
    server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s))
    })
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`
    await waitForChromium()
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS })
  }, CHROMIUM_WAIT_MS + 60_000)

  afterAll(async () => {
    await browser?.close()
    await new Promise((r) => server?.close(r))
    if (outDir) fs.rmSync(outDir, { recursive: true, force: true })
  })

  it('bundles every asset: no external URL in HTML or CSS, none but namespaces in JS', () => {
    const files = listFiles(outDir)
    expect(files.some((f) => f.endsWith('.js'))).toBe(true)
    for (const file of files) {
      const text = fs.readFileSync(file, 'utf8')
      const urls = text.match(/https?:\/\/[^\s"'`)<>]+/g) ?? []
      const external = file.endsWith('.js') ? urls.filter((u) => !HARMLESS_URL.test(u)) : urls
      expect(external, path.relative(outDir, file)).toEqual([])
    }
  })

  it('shows the bad-token message for a 401 from /api/me, loading nothing from outside', async () => {
    const context = await browser.newContext({ viewport: { width: 1024, height: 768 } })
    const page = await context.newPage()
    const outside: string[] = []
    const errors: string[] = []
    page.on('request', (r) => {
      if (!r.url().startsWith(baseUrl) && !r.url().startsWith('data:')) outside.push(r.url())
    })
    page.on('pageerror', (e) => errors.push(e.message))
    try {
      await page.goto(baseUrl)
      await page.getByLabel('Crew token').fill('not-a-real-token')
      await page.getByRole('button', { name: 'Sign in' }).click()
      const error = page.getByTestId('login-error')
      await error.waitFor({ timeout: 10_000 })
      expect(await error.textContent()).toMatch(/not accepted.*revoked/i)
      expect(await page.getByTestId('login-token').getAttribute('aria-invalid')).toBe('true')
      fs.mkdirSync(SCREENSHOTS, { recursive: true })
      await page.screenshot({ path: path.join(SCREENSHOTS, 'crew-ui-login-bad-token.png') })
      expect(outside).toEqual([])
      expect(errors).toEqual([])
    } finally {
      await context.close()
    }
  })

  it('returns to sign-in with a notice when a stored token is refused', async () => {
    const context = await browser.newContext({ viewport: { width: 390, height: 844 } })
    const page = await context.newPage()
    try {
      await page.goto(baseUrl)
      await page.evaluate(() => localStorage.setItem('tally.crew.token', 'revoked-token'))
      await page.reload()
      const notice = page.getByTestId('login-notice')
      await notice.waitFor({ timeout: 10_000 })
      expect(await notice.textContent()).toMatch(/no longer accepted/i)
      expect(await page.evaluate(() => localStorage.getItem('tally.crew.token'))).toBeNull()
      // Touch-sized controls at phone width.
      const box = await page.getByTestId('login-submit').boundingBox()
      expect(box?.height).toBeGreaterThanOrEqual(44)
    } finally {
      await context.close()
    }
  })
})
