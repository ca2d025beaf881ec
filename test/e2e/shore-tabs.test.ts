/**
 * A clerk with many tabs is one client: in Chromium, several tabs of one user share the tab hub's
 * one `/sync` socket (a SharedWorker, shore-ui/src/tab-hub.worker.ts), as the relay counts it, and
 * an edit in one tab, or one that comes from another user through the relay, shows live in every
 * tab; another user still sees the clerk as a viewer; the socket closes when the last tab signs out.
 */
import type { BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CHROMIUM_WAIT_MS, containerNo, docIdOf, startShoreWorld, VESSEL } from './shore-fixture.ts'
import type { ShoreWorld } from './shore-fixture.ts'

const TABS = 5
const BOX = 3
const UI_TIMEOUT_MS = 20_000
const eventually = <T>(fn: () => T | Promise<T>) => expect.poll(fn, { timeout: UI_TIMEOUT_MS, interval: 100 })

describe('shore app: one connection for every tab (Chromium)', () => {
  let world: ShoreWorld
  let context: BrowserContext
  const tabs: Page[] = []
  const errors: string[] = []
  const boxUrl = () => `${world.baseUrl}#/c/${VESSEL}/024E/${containerNo(BOX)}`

  /** Open `/sync` sockets of a user's token, as the relay counts them (the operator's token list). */
  const socketsOf = async (user: string) => {
    const res = await world.api('GET', '/api/ops/tokens', undefined, world.users.olga.token)
    return (res.body as { subject: string; kind: string; connected: number }[])
      .filter((t) => t.kind === 'user' && t.subject === user)
      .reduce((n, t) => n + t.connected, 0)
  }

  beforeAll(async () => {
    world = await startShoreWorld()
    const first = await world.signedIn(world.users.alice)
    context = first.context
    tabs.push(first.page)
    for (let i = 1; i < TABS; i++) tabs.push(await context.newPage())
    for (const tab of tabs) {
      tab.on('pageerror', (e) => errors.push(e.message))
      await tab.goto(boxUrl())
    }
    for (const [i, tab] of tabs.entries())
      await tab
        .getByTestId('container-detail')
        .waitFor({ timeout: UI_TIMEOUT_MS })
        .catch(async (err) => {
          throw new Error(
            `tab ${i}: ${(await tab.locator('body').innerText()).slice(0, 400)} ${errors.join(';')}`,
            { cause: err },
          )
        })
  }, CHROMIUM_WAIT_MS + 120_000)
  afterAll(async () => {
    await world?.close()
  })

  it(`holds one /sync socket for ${TABS} tabs`, async () => {
    for (const tab of tabs)
      await eventually(() => tab.getByTestId('connection').getAttribute('data-state')).toBe('online')
    // Every tab is online, yet the relay sees one socket of alice's (the only WebSocket a user opens).
    expect(await socketsOf('alice')).toBe(1)
  })

  it('shows an edit made in one tab live in every other tab, and at the relay', async () => {
    await tabs[0]!.getByTestId('notes-text').click()
    await tabs[0]!.getByTestId('notes-text').pressSequentially('Typed in the first tab.', { delay: 10 })
    for (const tab of tabs.slice(1))
      await eventually(() => tab.getByTestId('notes-text').inputValue()).toContain('Typed in the first tab.')
    await eventually(() => world.relay.store.view(docIdOf(BOX))!.notes).toContain('Typed in the first tab.')
  })

  it('shows another user’s edit live in every tab, and the clerk to that user as a viewer', async () => {
    const { page: carl } = await world.signedIn(world.users.carl)
    carl.on('pageerror', (e) => errors.push(e.message))
    await carl.goto(boxUrl())
    await carl.getByTestId('container-detail').waitFor({ timeout: UI_TIMEOUT_MS })
    // Presence from the hub's tabs reaches the relay, stamped as alice.
    await carl.locator('[data-testid=viewer][data-user=alice]').waitFor({ timeout: UI_TIMEOUT_MS })
    await tabs[TABS - 1]!.locator('[data-testid=viewer][data-user=carl]').waitFor({ timeout: UI_TIMEOUT_MS })
    await carl.getByTestId('notes-text').click()
    await carl.getByTestId('notes-text').press('End')
    await carl.getByTestId('notes-text').pressSequentially(' Seen by carl.', { delay: 10 })
    for (const tab of tabs)
      await eventually(() => tab.getByTestId('notes-text').inputValue()).toContain('Seen by carl.')
    expect(await socketsOf('alice')).toBe(1)
  })

  it('closes the socket when the last tab signs out', async () => {
    for (const tab of tabs.slice(1)) await tab.close()
    expect(await socketsOf('alice')).toBe(1)
    // The page stays open (so does the worker), but no tab uses the hub: its socket goes.
    await tabs[0]!.getByRole('button', { name: 'Sign out' }).click()
    await tabs[0]!.getByLabel('User token').waitFor({ timeout: UI_TIMEOUT_MS })
    await eventually(() => socketsOf('alice')).toBe(0)
  })

  it('threw no page errors', () => {
    expect(errors).toEqual([])
  })
})
