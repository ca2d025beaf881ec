/**
 * The link under faults, against the real relay app: chunks duplicated and reordered in both
 * directions by a middlebox, and the link cut in the middle of a chunk many times in a row (10 in
 * CI, 100 with RELIABILITY_LONG=1). After the faults the replicas converge by heads, nothing is
 * refused or lost, and no acknowledged change crossed the link twice.
 */
import { afterEach, describe, expect, it } from 'vitest'
import fs from 'node:fs'
import { randomBytes } from 'node:crypto'
import { pino } from 'pino'
import * as A from '@automerge/automerge'
import { ChunkPacker, planDocument } from '@tally/link'
import { applyPatch, documentIdFor } from '@tally/manifest'
import { createRelay } from '../../relay/src/app.ts'
import { runLinkSession } from '../../vessel-node/src/link-client.ts'
import { LinkError } from '../../vessel-node/src/link-client.ts'
import { SatelliteLink } from '../link-sim/index.ts'
import {
  headsEqual,
  keyOf,
  logger,
  seedRelay,
  syncOnce,
  tempDir,
  VESSEL,
  vesselDay,
  vesselSide,
} from '../link/fixtures.ts'
import { LINK_DROPS } from './support/config.ts'
import { ManglingProxy } from './support/mangling-proxy.ts'

const N = 120
const cleanups: (() => Promise<unknown> | unknown)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

/** A relay app with N containers, a synced vessel replica, then a backlog both ways. */
async function setup(days: number) {
  const dir = tempDir()
  cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }))
  const relay = await createRelay({ dataDir: dir, port: 0, logger: pino({ level: 'silent' }) })
  cleanups.push(() => relay.close())
  const ctx = relay.context
  const token = ctx.tokens.issue('vessel', VESSEL, 'vessel')
  const shoreActor = randomBytes(16).toString('hex')
  seedRelay(ctx, N, shoreActor)
  const vessel = vesselSide(dir)
  cleanups.push(() => vessel.db.close())
  const url = relay.url.replace(/^http/, 'ws') + '/link'
  await syncOnce(vessel, url, token)
  for (let day = 0; day < days; day++) vesselDay(vessel, N, day)
  const changesUp = backlog(vessel)
  // Shore changes the vessel lacks: customs holds (critical) and cargo edits (normal).
  let changesDown = 0
  for (let i = 0; i < N; i += 5) {
    ctx.store.edit(documentIdFor(keyOf(i)), shoreActor, (d) =>
      applyPatch(
        d,
        i % 25 === 0 ? { customs: { status: 'HELD', holdReason: 'x-ray' } } : { cargo: { shipper: `S${i}` } },
        'shore',
      ),
    )
    changesDown++
  }
  return { relay, ctx, vessel, token, url, changesUp, changesDown }
}

/** Changes the vessel holds that the relay has not acknowledged (what the link must move up). */
function backlog(vessel: ReturnType<typeof vesselSide>): number {
  let n = 0
  for (const out of vessel.replica.outgoing()) n += A.getChangesSince(out.doc, out.since).length
  return n
}

/** Wire bytes of the vessel's next change set (its chunk frames), without sending anything. */
function plannedUpBytes(vessel: ReturnType<typeof vesselSide>): number {
  const packer = new ChunkPacker(vessel.replica.outgoing().flatMap(planDocument), (a) =>
    vessel.replica.bindingOf(a),
  )
  let bytes = 0
  for (let chunk = packer.next(); chunk; chunk = packer.next()) bytes += chunk.frame.data.length + 64
  return bytes
}

describe('link faults', { timeout: 300_000 }, () => {
  it('converges when chunks are duplicated and reordered both ways', async () => {
    const { ctx, vessel, token, url, changesUp, changesDown } = await setup(2)
    const proxy = new ManglingProxy(url, { duplicateEvery: 3, delayEvery: 2 })
    const viaProxy = await proxy.start()
    cleanups.push(() => proxy.stop())
    // With compression on the connection the proxy sees no frames it could reorder (and a stream
    // that is reordered cannot be read: the relay closes with 4400, as TLS would). The frame layer
    // underneath must still take duplicates and reordering, so this runs without it.
    const outcomes: string[] = []
    let up = 0
    let down = 0
    for (let session = 0; session < 10 && !headsEqual(ctx, vessel, N); session++) {
      try {
        const r = await syncOnce(vessel, viaProxy, token, { compress: false })
        up += r.stats.changesUp
        down += r.stats.changesDown
        outcomes.push('complete')
      } catch (err) {
        const stats = (err as LinkError).stats
        up += stats?.changesUp ?? 0
        down += stats?.changesDown ?? 0
        outcomes.push(`failed: ${(err as Error).message}`)
      }
    }
    console.log(`[reliability] duplicated/reordered chunks: ${JSON.stringify({ ...proxy.counts, outcomes })}`)
    expect(proxy.counts.duplicated).toBeGreaterThan(0)
    expect(proxy.counts.reordered).toBeGreaterThan(0)
    expect(headsEqual(ctx, vessel, N)).toBe(true)
    expect(ctx.deadLetters.counts().open).toBe(0)
    expect(vessel.deadLetters.counts().open).toBe(0)
    // Acknowledged changes are counted once however often their chunk crossed.
    expect(up).toBe(changesUp)
    expect(down).toBeGreaterThanOrEqual(changesDown)
    // A clean session afterwards has nothing left to move.
    const after = await syncOnce(vessel, url, token)
    expect(after.stats.changesUp + after.stats.changesDown).toBe(0)
  })

  it(`resumes after the link drops mid-chunk ${LINK_DROPS} times in a row, moving each change once`, async () => {
    const { relay, ctx, vessel, token, changesUp } = await setup(3)
    const link = new SatelliteLink({
      listenPort: 0,
      target: { host: '127.0.0.1', port: relay.port },
      rateBitsPerSecond: 4_000_000,
      oneWayDelayMs: 2,
    })
    const { port } = await link.start()
    cleanups.push(() => link.stop())
    const url = `ws://127.0.0.1:${port}/link`
    let acked = 0
    let drops = 0
    let seed = 7
    const random = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31
    const total = plannedUpBytes(vessel)
    for (let i = 0; i < LINK_DROPS; i++) {
      link.up()
      // Past the upgrade and hello (~500 B), somewhere inside what is still to send: a cut inside a
      // chunk frame, sometimes after a few chunks were acknowledged.
      const left = total * (1 - acked / changesUp)
      link.dropAfterBytes(600 + Math.floor(random() * Math.max(1_000, left * 0.8)), 'up')
      try {
        const r = await runLinkSession({
          url,
          vessel: VESSEL,
          token,
          replica: vessel.replica,
          syncToken: vessel.cursors.getSyncToken('relay') ?? null,
          logger,
        })
        // The backlog ran out before the cut: nothing left to drop.
        vessel.cursors.setSyncToken('relay', r.sync)
        acked += r.stats.changesUp
        break
      } catch (err) {
        expect(err).toBeInstanceOf(LinkError)
        acked += (err as LinkError).stats?.changesUp ?? 0
        drops++
      }
    }
    link.up()
    const last = await syncOnce(vessel, url, token)
    acked += last.stats.changesUp
    console.log(
      `[reliability] link drops: ${JSON.stringify({ drops, changesUp, upBytes: total, lastSession: last.stats })}`,
    )
    expect(drops).toBe(LINK_DROPS)
    expect(headsEqual(ctx, vessel, N)).toBe(true)
    expect(acked).toBe(changesUp)
    expect(ctx.deadLetters.counts().open).toBe(0)
    // Every cut window is accounted for as a failed session.
    const sessions = ctx.sessions.totals({ peer: VESSEL })
    expect(sessions.failed).toBeGreaterThanOrEqual(drops)
  })
})
