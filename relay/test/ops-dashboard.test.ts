/**
 * The `/ops` dashboard in real Chromium against a real relay: token login (wrong token, non-ops
 * token, ops token kept in localStorage), the fleet table with alerts, a vessel's charts and
 * settings, a dead letter inspected and discarded with a reason, a token created and revoked, DCSA
 * subscriptions with a failing callback, the alert list — loading nothing from outside the relay. With OPS_SCREENSHOTS=1 the screenshots go to
 * docs/screenshots/ops-*.png (otherwise to test-results/).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { randomBytes } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { chromium } from 'playwright-core'
import type { Browser, Page } from 'playwright-core'
import { buildScene } from './ops-scene.ts'
import { startOpsRelay, VESSEL } from './ops-fixtures.ts'
import type { OpsRelay } from './ops-fixtures.ts'

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
const SHOTS =
  process.env.OPS_SCREENSHOTS === '1' ? path.join(ROOT, 'docs/screenshots') : path.join(ROOT, 'test-results')
const UI_TIMEOUT_MS = 15_000

let t: OpsRelay
let browser: Browser
let page: Page
const outside: string[] = []
const pageErrors: string[] = []

beforeAll(async () => {
  t = await startOpsRelay({ containers: 30 })
  await buildScene(t)
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS })
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 } })
  page = await context.newPage()
  page.on('request', (r) => {
    if (!r.url().startsWith(t.relay.url) && !r.url().startsWith('data:')) outside.push(r.url())
  })
  page.on('pageerror', (e) => pageErrors.push(e.message))
  fs.mkdirSync(SHOTS, { recursive: true })
}, 120_000)

afterAll(async () => {
  await browser?.close()
  await t?.close()
})

const shot = (name: string) => page.screenshot({ path: path.join(SHOTS, `ops-${name}.png`), fullPage: true })

describe('the /ops dashboard in Chromium', { timeout: 120_000 }, () => {
  it('refuses a wrong token and a non-ops token, then signs in with an ops token', async () => {
    await page.goto(`${t.relay.url}/ops`)
    await page.getByLabel('Token').fill('tly_user_not-a-token')
    await page.getByRole('button', { name: 'Sign in' }).click()
    await expectText('#login-error', /Unknown or revoked token/)
    await page.getByLabel('Token').fill(t.tokens.shore)
    await page.getByRole('button', { name: 'Sign in' }).click()
    await expectText('#login-error', /role is shore.*needs an ops token/)
    await shot('login')
    await page.getByLabel('Token').fill(t.tokens.ops)
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.getByRole('table', { name: 'Vessels' }).waitFor({ timeout: UI_TIMEOUT_MS })
    expect(await page.evaluate(() => localStorage.getItem('tally.ops.token'))).toBe(t.tokens.ops)
  })

  it('shows the fleet with lag, pending, traffic, failure and conflict rates, dead letters and alerts', async () => {
    const rows = page.getByRole('table', { name: 'Vessels' }).locator('tbody tr')
    await expect.poll(() => rows.count(), { timeout: UI_TIMEOUT_MS }).toBe(6)
    const banner = page.getByRole('alert').first()
    const text = await banner.textContent()
    // Each alert names the vessel, since when its condition holds, and what to do.
    expect(text).toMatch(
      /no contact: IMO9811002 — no successful session since [\d-]* ?\d\d:\d\d UTC \(\d+\.\d h ago\)/,
    )
    expect(text).toMatch(
      /failure rate: IMO9811003 — 3 of 12 link attempts failed .* \(firing since \d\d:\d\d UTC\)/,
    )
    expect(text).toMatch(/conflicts: IMO9811000 — 12 new conflicts in the last hour/)
    expect(text).toMatch(/dead letters: IMO9811000 — 2 dead letters waiting/)
    expect(await banner.locator('li[data-kind="lag"] .alert-action').textContent()).toMatch(
      /^What to do: .*expected window/,
    )
    const mine = await rows.filter({ hasText: VESSEL }).textContent()
    expect(mine).toMatch(/2 open/)
    // The link's three states: a vessel between sessions is reachable, not "down".
    expect(mine).toMatch(/reachable\s*last session at \d\d:\d\d/)
    expect(mine).toMatch(/\d+ critical\s*\d+ normal · \d+ routine/)
    expect(await rows.filter({ hasText: 'IMO9811002' }).textContent()).toMatch(/no contact/)
    expect(await rows.filter({ hasText: 'IMO9811004' }).textContent()).toMatch(/spent: critical only/)
    expect(await rows.filter({ hasText: 'IMO9811005' }).textContent()).toMatch(/never synced/)
    expect(await page.locator('main').textContent()).not.toMatch(
      /\bkB\b|\b1 (vessels|attempts|sessions|changes)\b/,
    )
    // Today's bill and the projected day, fleet-wide and per vessel (KB, as the crew see it).
    expect(await page.getByTestId('fleet-bill').textContent()).toMatch(
      /^Fleet link bill: today [\d.,]+ KB so far, about [\d.,]+ KB by 24:00, \$\d+\.\d\d across 6 vessels; \d+ sessions? and \d+ connections? since 00:00 UTC\.$/,
    )
    expect(await rows.filter({ hasText: VESSEL }).getByTestId('projected-day').textContent()).toMatch(
      /^about [\d.,]+ KB\$\d+\.\d\d · \d+ conn\.$/,
    )
    await shot('fleet')
    await banner.screenshot({ path: path.join(SHOTS, 'ops-alert-firing.png') })
  })

  it('shows a vessel’s session history as charts and saves its settings', async () => {
    await page.getByRole('table', { name: 'Vessels' }).getByRole('link', { name: 'IMO9811003' }).click()
    await page.locator('svg.chart').first().waitFor({ timeout: UI_TIMEOUT_MS })
    expect(await page.locator('svg.chart').count()).toBe(3)
    expect(await page.locator('svg.chart rect.failed').count()).toBeGreaterThan(0)
    // The cost chart names each date once; pending counts carry their labels.
    const dates = await page.locator('svg[aria-label="Bytes per day"] text').allTextContents()
    const dayLabels = dates.filter((d) => /^\d{2}-\d{2}$|^\d{4}-\d{2}-\d{2}$/.test(d))
    expect(dayLabels.length).toBeGreaterThan(0)
    expect(new Set(dayLabels).size).toBe(dayLabels.length)
    expect(await page.locator('.figure', { hasText: 'Pending to vessel' }).textContent()).toMatch(
      /\d+ critical \d+ normal · \d+ routine/,
    )
    expect(await page.getByTestId('vessel-bill').textContent()).toMatch(
      /^Today [\d.,]+ KB so far, about [\d.,]+ KB by 24:00, \$\d+\.\d\d; \d+ sessions? and \d+ connections? since 00:00 UTC\./,
    )
    await shot('vessel')

    // A bad window: the error reads beside the field, in the form's units, and the typed value stays.
    const window = page.getByLabel(/Expected sync window/)
    await window.fill('0.001')
    await page.getByRole('button', { name: 'Save settings' }).click()
    await expectText('#error-window', /^Expected window must be at least 1 minute/)
    expect(await window.inputValue()).toBe('0.001')
    // One only the relay knows: more than 60 days.
    await window.fill('2000')
    await page.getByRole('button', { name: 'Save settings' }).click()
    await expectText('#error-window', /^Expected window must be at most 60 days/)
    expect(await window.inputValue()).toBe('2000')
    await window.fill('')
    await page.getByLabel('Daily budget (MB, empty = none)').fill('5')
    await page.getByRole('button', { name: 'Save settings' }).click()
    await expectText('#flash', /Settings saved/)
    expect((await t.api('GET', '/api/ops/vessels/IMO9811003')).body.settings.dailyBudgetBytes).toBe(5_000_000)
    // Saving a setting is audited.
    expect((await t.api('GET', '/api/ops/audit')).body[0]).toMatchObject({
      action: 'settings.update',
      subject: 'vessel:IMO9811003',
      to: { dailyBudgetBytes: 5_000_000 },
    })
  })

  it('inspects a dead letter with its decoded change, then discards it with a reason', async () => {
    await page.getByRole('link', { name: 'Dead letters' }).click()
    const table = page.getByRole('table', { name: 'Dead letters' })
    await table.waitFor({ timeout: UI_TIMEOUT_MS })
    await table.getByRole('link').filter({ hasText: '#' }).first().waitFor()
    const unbound = table.locator('tr', { hasText: 'not bound' }).getByRole('link')
    await unbound.click()
    await page.getByText('Fields touched').waitFor({ timeout: UI_TIMEOUT_MS })
    expect(await page.locator('dl.facts').first().textContent()).toMatch(/actor not bound/)
    expect(await page.locator('main').textContent()).toMatch(/physical\.condition/)
    await shot('dead-letter')
    await page
      .getByLabel('Reason for discarding (audited)')
      .fill('duplicate of the report the bosun re-entered')
    await page.getByRole('button', { name: 'Discard' }).click()
    await expectText('#flash', /discarded/)
    const audit = (await t.api('GET', '/api/ops/audit')).body
    expect(audit[0]).toMatchObject({ action: 'dead_letter.discard', principal: 'user:olga' })
  })

  it('creates a token, shows it once, and revokes it', async () => {
    await page.getByRole('link', { name: 'Tokens' }).click()
    await page.getByLabel('User name or vessel IMO').fill('nina')
    await page.getByLabel('Role (users)').selectOption('customs')
    await page.getByRole('button', { name: 'Create token' }).click()
    await expectText('#new-token', /^tly_user_/)
    await shot('tokens')
    const token = (await page.locator('#new-token').textContent())!
    expect((await t.api('GET', '/api/me', { token })).status).toBe(200)
    const row = page.getByRole('table', { name: 'Tokens' }).locator('tr', { hasText: 'nina' })
    await page.reload()
    await row.getByRole('button', { name: 'Revoke' }).click()
    await expectText('#flash', /revoked/)
    expect((await t.api('GET', '/api/me', { token })).status).toBe(401)
  })

  it('lists DCSA subscriptions by callback host, with a failing callback that raises the alert', async () => {
    const secret = randomBytes(32).toString('base64')
    // Filters no event of the scene matches: the delivery loop leaves these two alone.
    const filters = { eventType: ['TRANSPORT'], vesselIMONumber: '9000000' }
    const subscribe = (callbackUrl: string) =>
      t.api('POST', '/dcsa/tnt/v2/event-subscriptions', {
        token: t.tokens.shore,
        body: { callbackUrl, secret, filters },
      })
    expect((await subscribe('http://127.0.0.1:9/ok')).status).toBe(201)
    const failing = await subscribe('https://broker.example.com:8443/tally/events?apikey=s3cret')
    expect(failing.status).toBe(201)
    // Five failed deliveries in a row, as the delivery loop records them, the next one an hour off.
    const later = new Date(Date.now() + 3_600_000).toISOString()
    for (let i = 0; i < 5; i++)
      t.relay.context.subscriptions.failed(failing.body.subscriptionID, 'callback answered HTTP 503', later)
    const fired = t.relay.ops.evaluateAlerts().fired.filter((a) => a.kind === 'callback')
    expect(fired).toHaveLength(1)
    expect(fired[0]!.message).toContain('broker.example.com:8443')
    expect(fired[0]!.message).not.toContain('s3cret')

    await page.getByRole('link', { name: 'Subscriptions' }).click()
    const table = page.getByRole('table', { name: 'Subscriptions' })
    await table.waitFor({ timeout: UI_TIMEOUT_MS })
    await expect.poll(() => table.locator('tbody tr').count(), { timeout: UI_TIMEOUT_MS }).toBe(2)
    const row = table.locator('tr', { hasText: 'broker.example.com:8443' })
    expect(await row.textContent()).toMatch(/failing · alert \(5 attempts\).*HTTP 503/)
    expect(await table.locator('tr', { hasText: '127.0.0.1:9' }).textContent()).toMatch(/ok/)
    expect(await table.textContent()).not.toMatch(/s3cret|\/tally\/events/)
    await shot('subscriptions')
  })

  it('lists alerts with their rules, and loads nothing from outside the relay', async () => {
    await page.getByRole('link', { name: 'Alerts' }).click()
    const table = page.getByRole('table', { name: 'Alerts' })
    await table.waitFor({ timeout: UI_TIMEOUT_MS })
    expect(await table.locator('tbody tr').count()).toBeGreaterThanOrEqual(3)
    await shot('alerts')
    // The thresholds, in minutes and %, with an error beside its field.
    const grace = page.getByLabel('Grace (minutes)')
    expect(await grace.inputValue()).toBe('60')
    await grace.fill('-5')
    await page.getByRole('button', { name: 'Save thresholds' }).click()
    await expectText('#error-lagGraceS', /^Grace must be at least 0 minutes$/)
    expect(await grace.inputValue()).toBe('-5')
    await grace.fill('30')
    await page.getByLabel('Failure rate (%)').fill('7')
    await page.getByRole('button', { name: 'Save thresholds' }).click()
    await expectText('#flash', /Alert thresholds saved/)
    expect((await t.api('GET', '/api/ops/alerts')).body.thresholds).toMatchObject({
      lagGraceS: 1800,
      failureRate: 0.07,
    })
    expect((await t.api('GET', '/api/ops/audit')).body[0]).toMatchObject({ action: 'thresholds.update' })
    expect(outside).toEqual([])
    expect(pageErrors).toEqual([])
  })
})

async function expectText(selector: string, pattern: RegExp): Promise<void> {
  await expect
    .poll(async () => (await page.locator(selector).textContent({ timeout: UI_TIMEOUT_MS })) ?? '')
    .toMatch(pattern)
}
