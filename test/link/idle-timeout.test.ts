/**
 * A middlebox with an idle timeout shorter than the keepalive (docs/protocol.md, "Rounds"), on the
 * real relay link and the real sync engine over loopback: a TCP proxy that closes a connection
 * once nothing crossed it either way for 6 s, in front of a relay whose keepalive is 20 s. The
 * vessel must notice the pattern after two drops and keep the next connection alive with a
 * shorter keepalive, instead of reconnecting in every quiet spell.
 */
import fs from 'node:fs'
import net from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { DEFAULT_WINDOWS_S } from '@tally/link'
import { seedRelay, startRelay, tempDir, VESSEL, vesselEngine, vesselSide } from './fixtures.ts'

/** Long enough that the learned keepalive (60 %) leaves seconds of margin on a loaded machine. */
const IDLE_TIMEOUT_MS = 6_000

const cleanups: (() => Promise<unknown> | unknown)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** A TCP proxy on 127.0.0.1 that closes each connection after `idleMs` with nothing crossing. */
async function idleCuttingProxy(targetPort: number, idleMs: number) {
  const open = new Set<net.Socket>()
  let cut = 0
  const server = net.createServer((client) => {
    const target = net.connect({ host: '127.0.0.1', port: targetPort })
    open.add(client)
    let timer: NodeJS.Timeout
    const quietFor = () => {
      clearTimeout(timer)
      timer = setTimeout(() => {
        cut++
        client.destroy()
        target.destroy()
      }, idleMs)
    }
    quietFor()
    client.on('data', (d) => {
      quietFor()
      target.write(d)
    })
    target.on('data', (d) => {
      quietFor()
      client.write(d)
    })
    const end = () => {
      clearTimeout(timer)
      open.delete(client)
      client.destroy()
      target.destroy()
    }
    client.on('close', end).on('error', end)
    target.on('close', end).on('error', end)
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const { port } = server.address() as net.AddressInfo
  return {
    url: `ws://127.0.0.1:${port}/link`,
    get cut() {
      return cut
    },
    close: async () => {
      for (const s of open) s.destroy()
      await new Promise((r) => server.close(r))
    },
  }
}

describe('a middlebox idle timeout shorter than the keepalive', { timeout: 120_000 }, () => {
  it('is learned after two drops, and the next connection stays up', async () => {
    const dir = tempDir()
    cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }))
    const relay = await startRelay(dir, 0, { settingsFor: () => ({ w: [...DEFAULT_WINDOWS_S], ka: 20 }) })
    cleanups.push(() => relay.close())
    seedRelay(relay, 3, 'ab'.repeat(16))
    const proxy = await idleCuttingProxy(relay.port, IDLE_TIMEOUT_MS)
    cleanups.push(() => proxy.close())
    const vessel = vesselSide(dir)
    cleanups.push(() => vessel.db.close())
    const engine = vesselEngine(vessel, proxy.url, relay.token, {
      intervalMs: 600_000,
      retry: { baseMs: 50, capMs: 200, limit: 100 },
      // The default floor is 15 s; this path drops after 6 s.
      minLearnedKeepaliveS: 1,
    })
    const opened: number[] = []
    engine.on('connection', (c) => c.open && opened.push(Date.now()))
    cleanups.push(async () => {
      engine.stop()
      await engine.settled()
    })
    engine.start()

    const deadline = Date.now() + 60_000
    while (engine.snapshot().learnedKeepaliveS === null && Date.now() < deadline) await sleep(50)
    const learned = engine.snapshot().learnedKeepaliveS
    console.log(`[idle timeout] learned a ${learned} s keepalive after ${proxy.cut} drops`)
    expect(learned).not.toBeNull()
    expect(learned!).toBeLessThan(IDLE_TIMEOUT_MS / 1000)
    expect(proxy.cut).toBe(2)

    // The third connection carries keepalives often enough to stay up through a quiet spell.
    while (opened.length < 3 && Date.now() < deadline) await sleep(50)
    expect(opened).toHaveLength(3)
    await sleep(2 * IDLE_TIMEOUT_MS)
    expect(proxy.cut).toBe(2)
    expect(opened).toHaveLength(3)
    expect(relay.link.inContact(VESSEL)).toBe(true)
  })
})
