/**
 * The link under faults, through the user-space satellite link simulator: drops mid-chunk,
 * corrupted bytes, replays, a vessel database restored from an old backup, bad tokens and versions.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { randomBytes } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { WebSocket } from 'ws'
import { CloseCode, encodeFrame, PROTOCOL_VERSION } from '@tally/link'
import { SatelliteLink } from '../link-sim/index.ts'
import { LinkError, runLinkSession } from '../../vessel-node/src/link-client.ts'
import {
  headsEqual,
  logger,
  seedRelay,
  startRelay,
  syncOnce,
  tempDir,
  VESSEL,
  vesselDay,
  vesselSide,
} from './fixtures.ts'

const N = 200
const cleanups: (() => Promise<unknown> | unknown)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

async function setup(rateBitsPerSecond = 4_000_000) {
  const dir = tempDir()
  cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }))
  const relay = await startRelay(dir)
  cleanups.push(() => relay.close())
  const vessel = vesselSide(dir)
  cleanups.push(() => vessel.db.close())
  seedRelay(relay, N, randomBytes(16).toString('hex'))
  // Fast enough for a unit test, slow enough that a chunk is in flight for a while.
  const link = new SatelliteLink({
    listenPort: 0,
    target: { host: '127.0.0.1', port: relay.port },
    rateBitsPerSecond,
    oneWayDelayMs: 5,
  })
  const { port } = await link.start()
  cleanups.push(() => link.stop())
  const url = `ws://127.0.0.1:${port}/link`
  await syncOnce(vessel, url, relay.token)
  return { dir, relay, vessel, link, url }
}

function closeOf(url: string, frame: Uint8Array): Promise<{ code: number; reason: string }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { perMessageDeflate: false })
    ws.on('open', () => ws.send(frame))
    ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() }))
  })
}

// Real sockets through a simulated link, on a 2-core machine that may be busy: generous time limits.
describe('link faults', { timeout: 120_000 }, () => {
  it('resumes after a drop mid-chunk without resending acknowledged chunks', async () => {
    const { relay, vessel, link, url } = await setup(256_000)
    let total = 0
    // Enough days for more chunks than the send window holds: some are still to go at the first ack.
    for (let day = 0; day < 12; day++) total += vesselDay(vessel, N, day)
    // Cut the link as soon as the first chunk is acknowledged, while the next ones are in flight.
    let acked = 0
    const first = await runLinkSession({
      url,
      vessel: VESSEL,
      token: relay.token,
      replica: vessel.replica,
      syncToken: vessel.cursors.getSyncToken('relay') ?? null,
      logger,
      onProgress: (stats) => {
        if (stats.chunksUp >= 1 && link.isUp) {
          acked = stats.changesUp
          link.down()
        }
      },
    }).then(
      () => undefined,
      (err) => err.stats,
    )
    expect(first).toBeDefined()
    expect(acked).toBeGreaterThan(0)
    expect(acked).toBeLessThan(total)
    link.up()
    const second = await syncOnce(vessel, url, relay.token)
    // What was acknowledged is not sent again: the second window carries the rest, and only that.
    expect(second.stats.changesUp).toBeLessThanOrEqual(total - acked)
    expect(second.stats.changesUp).toBeGreaterThan(0)
    expect(headsEqual(relay, vessel, N)).toBe(true)
  })

  it('sends the critical change in the first chunk', async () => {
    const { relay, vessel, link, url } = await setup()
    vesselDay(vessel, N) // includes one damage report (container 3)
    link.dropAfterBytes(4_000, 'up')
    await syncOnce(vessel, url, relay.token).catch(() => undefined)
    const view = relay.store.list({ vessel: 'IMO9811000', condition: 'DAMAGED' })
    expect(view.total).toBe(1)
    link.up()
  })

  it('ends a connection whose compressed frames arrive corrupted, and the next one converges', async () => {
    const { relay, vessel, link, url } = await setup()
    vesselDay(vessel, N)
    // Flip a byte well inside the first large chunk frame (past the hello and frame headers). The
    // connection compresses every frame with one context, so the relay cannot trust what follows:
    // it closes with 4400 (retried), and nothing corrupt is committed.
    link.corruptNext('up', { afterBytes: 1_500, length: 1, mask: 0xff })
    const failed = await syncOnce(vessel, url, relay.token).catch((err: LinkError) => err)
    expect(failed).toBeInstanceOf(LinkError)
    expect((failed as LinkError).closeCode).toBe(CloseCode.BadFrame)
    expect((failed as LinkError).retryable).toBe(true)
    const result = await syncOnce(vessel, url, relay.token)
    expect(result.stats.chunksUp).toBeGreaterThan(0)
    expect(headsEqual(relay, vessel, N)).toBe(true)
  })

  it('restores a vessel database from an old backup and reconciles by heads', async () => {
    const { dir, relay, vessel, url } = await setup()
    const backup = path.join(dir, 'backup.sqlite')
    await vessel.db.backup(backup)
    vesselDay(vessel, N)
    await syncOnce(vessel, url, relay.token)
    vessel.db.close()
    cleanups.pop()
    // The day's changes exist only at the relay now; the restored vessel must get them back.
    fs.copyFileSync(backup, path.join(dir, 'vessel.sqlite'))
    for (const ext of ['-wal', '-shm']) fs.rmSync(path.join(dir, 'vessel.sqlite' + ext), { force: true })
    const restored = vesselSide(dir)
    cleanups.push(() => restored.db.close())
    const result = await syncOnce(restored, url, relay.token)
    expect(result.stats.changesUp).toBe(0)
    expect(result.stats.changesDown).toBeGreaterThan(400)
    expect(headsEqual(relay, restored, N)).toBe(true)
    const again = await syncOnce(restored, url, relay.token)
    expect(again.stats.changesUp + again.stats.changesDown).toBe(0)
  })

  it('treats a replayed session as harmless', async () => {
    const { relay, vessel, url } = await setup()
    vesselDay(vessel, N)
    // Record what the vessel sends, then play it to the relay again on a fresh connection.
    const sent: Buffer[] = []
    const original = WebSocket.prototype.send
    WebSocket.prototype.send = function (this: WebSocket, data: any, ...rest: any[]) {
      sent.push(Buffer.from(data))
      return (original as any).call(this, data, ...rest)
    }
    try {
      await syncOnce(vessel, url, relay.token)
    } finally {
      WebSocket.prototype.send = original
    }
    const replay = new WebSocket(url, { perMessageDeflate: false })
    await new Promise<void>((resolve) => {
      replay.on('open', () => {
        for (const frame of sent) replay.send(frame)
        setTimeout(() => replay.close(), 500)
      })
      replay.on('close', () => resolve())
      replay.on('error', () => resolve())
    })
    expect(headsEqual(relay, vessel, N)).toBe(true)
    const after = await syncOnce(vessel, url, relay.token)
    expect(after.stats.changesUp).toBe(0)
    expect(headsEqual(relay, vessel, N)).toBe(true)
  })

  it('closes a bad token with 4401 and a version mismatch with 4406, and keeps serving', async () => {
    const { relay, vessel, url } = await setup()
    const bad = await closeOf(
      url,
      encodeFrame({
        t: 'hello',
        v: PROTOCOL_VERSION,
        vessel: 'IMO9811000',
        token: 'nope',
        sync: null,
        pending: 0,
      }),
    )
    expect(bad.code).toBe(CloseCode.Unauthorized)
    expect(bad.reason).toMatch(/token/)
    const old = await closeOf(
      url,
      encodeFrame({ t: 'hello', v: 99, vessel: 'IMO9811000', token: relay.token, sync: null, pending: 0 }),
    )
    expect(old.code).toBe(CloseCode.VersionMismatch)
    expect(old.reason).toMatch(/version/)
    const garbage = await closeOf(url, Buffer.from('not cbor at all'))
    expect(garbage.code).toBe(CloseCode.BadFrame)
    const ok = await syncOnce(vessel, url, relay.token)
    expect(ok.sync).toBeTruthy()
  })
})
