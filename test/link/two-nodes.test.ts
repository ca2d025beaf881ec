/**
 * Two vessel nodes with one vessel's token (a standby node started beside the main one) on the real
 * relay link over loopback. The relay keeps one connection per vessel, so the newer connection
 * replaces the older with close code 4409 (Replaced). The node that lost the link must not take it
 * straight back: if it did, the two would take it from each other all day, each time a handshake
 * and a round.
 *
 * - the replaced node stays IDLE, says why, and opens no connection by itself for a while (its
 *   retry backoff and polling interval here are far shorter than the wait);
 * - "Sync now" on it takes the link back, and then the other node stays quiet in turn.
 */
import fs from 'node:fs'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { CloseCode } from '@tally/link'
import { seedRelay, startRelay, tempDir, vesselEngine, vesselSide } from './fixtures.ts'

const cleanups: (() => Promise<unknown> | unknown)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

async function until(what: string, check: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await sleep(25)
  }
}

describe('two vessel nodes with one token', { timeout: 60_000 }, () => {
  it('the node whose connection was replaced waits instead of taking the link back', async () => {
    const dir = tempDir()
    cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }))
    const relay = await startRelay(dir)
    cleanups.push(() => relay.close())
    seedRelay(relay, 5, 'ab'.repeat(16))

    const node = (name: string) => {
      fs.mkdirSync(path.join(dir, name))
      const side = vesselSide(path.join(dir, name))
      cleanups.push(() => side.db.close())
      const engine = vesselEngine(side, relay.url, relay.token, {
        // Without the wait after a replacement, either of these would reconnect within a second.
        intervalMs: 300,
        retry: { baseMs: 50, capMs: 200, limit: 100 },
      })
      const opened: number[] = []
      engine.on('connection', (c) => c.open && opened.push(Date.now()))
      const sessions: boolean[] = []
      engine.on('session', (s) => sessions.push(s.ok))
      cleanups.push(async () => {
        engine.stop()
        await engine.settled()
      })
      return { engine, opened, sessions }
    }

    const main = node('main')
    main.engine.start()
    await until('the main node’s first round', () => main.sessions.includes(true))
    const standby = node('standby')
    standby.engine.start()
    await until('the standby node’s first round', () => standby.sessions.includes(true))
    await until('the main node to hear it was replaced', () => main.engine.snapshot().lastErrorCode !== null)

    const replaced = main.engine.snapshot()
    expect(replaced.lastErrorCode).toBe(CloseCode.Replaced)
    expect(replaced.state).toBe('IDLE')
    expect(replaced.lastError).toMatch(/Another vessel node .* took over the link/)
    // It looks in again within its routine window (50 minutes by default), not within seconds.
    expect(Date.parse(replaced.nextRetryAt!) - Date.now()).toBeGreaterThan(40 * 60_000)

    await sleep(3_000)
    expect(main.opened).toHaveLength(1)
    expect(standby.opened).toHaveLength(1)
    expect(main.engine.snapshot().state).toBe('IDLE')
    expect(relay.link.active.size).toBe(1)

    // The crew of the main node press "Sync now": it takes the link, and the standby waits.
    main.engine.syncNow()
    await until('the main node’s round after "Sync now"', () => main.sessions.filter(Boolean).length === 2)
    expect(main.engine.snapshot().lastError).toBeNull()
    await until('the standby to hear it was replaced', () => standby.engine.snapshot().lastErrorCode !== null)
    expect(standby.engine.snapshot().lastErrorCode).toBe(CloseCode.Replaced)
    await sleep(2_000)
    expect(main.opened).toHaveLength(2)
    expect(standby.opened).toHaveLength(1)
    expect(main.engine.snapshot().state).toMatch(/^(IDLE|COMPLETE)$/)
  })
})
