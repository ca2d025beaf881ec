/**
 * TLS on the link: the relay serves https:// and wss:// itself (`--tls-cert`, `--tls-key`), the
 * vessel trusts a test CA (`--tls-ca`), keeps one connection, and after a drop resumes the TLS
 * session (a session ticket) instead of a full handshake. The certificate is made at test time
 * with openssl; every byte is on the simulated satellite link (128 kbit/s, 300 ms each way).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { hasOpenssl, startRoundsWorld, VESSEL, within } from './rounds-world.ts'
import type { RoundsWorld } from './rounds-world.ts'

let world: RoundsWorld | undefined
beforeAll(async () => {
  if (!hasOpenssl) return
  world = await startRoundsWorld({
    containers: 40,
    tls: true,
    vesselFlags: ['--window-critical-s', '1', '--window-normal-s', '3', '--keepalive-s', '5'],
  })
}, 240_000)
afterAll(async () => {
  await world?.close()
})

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

describe.skipIf(!hasOpenssl)('the link over TLS', { timeout: 240_000 }, () => {
  it('syncs over wss://, then resumes the TLS session after a drop', async () => {
    const w = world!
    expect(w.relay.url).toMatch(/^https:/)
    expect(w.vessel.output()).toMatch(/"tlsResumed":false,"msg":"link connected"/)
    const [box] = w.manifest
    const damaged = await w.vesselApi('PATCH', `/api/containers/${box!.containerId}`, {
      physical: { condition: 'DAMAGED', damage: 'door' },
    })
    expect(damaged.status).toBe(200)
    const ms = await within('damage at the relay', 60_000, async () => {
      const r = await w.relayApi('GET', `/api/vessels/${VESSEL}/containers/${box!.containerId}`)
      return r.body.physical.condition === 'DAMAGED'
    })
    // A drop: the vessel reconnects by itself and resumes the TLS session.
    await sleep(500)
    const before = w.link.stats()
    w.link.down()
    await sleep(300)
    w.link.up()
    await within('a resumed TLS connection', 60_000, async () =>
      /"tlsResumed":true,"msg":"link connected"/.test(w.vessel.output()),
    )
    await within('the vessel back in sync', 60_000, async () => {
      const s = await w.status()
      return s.linkUp && s.pendingChanges === 0 && s.state !== 'PUSHING' && s.lastError === null
    })
    await sleep(1_000)
    const after = w.link.stats()
    console.log(
      `[tls] critical change over wss:// in ${ms} ms; reconnect with a resumed TLS session and its ` +
        `first round: ${after.bytesUp - before.bytesUp} B up, ${after.bytesDown - before.bytesDown} B down`,
    )
    expect(after.connections).toBe(before.connections + 1)
    // What each side bills is what crossed the wire: TLS records and handshakes included.
    const wire = after.bytesUp + after.bytesDown
    const aboard = (await w.status()).today
    const ashore = (await w.opsApi('GET', `/api/ops/vessels/${VESSEL}`)).body.dailyBill
    console.log(
      `[tls] wire ${wire} B; billed aboard ${aboard.bytesUp + aboard.bytesDown} B, ashore ${ashore.bytes} B`,
    )
    for (const billed of [aboard.bytesUp + aboard.bytesDown, ashore.bytes as number]) {
      expect(billed).toBeGreaterThan(0.95 * wire)
      expect(billed).toBeLessThanOrEqual(wire)
    }
  })
})
