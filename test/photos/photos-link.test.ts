/**
 * Damage photos end to end with real processes and the link simulator (docs/photos.md): kill -9 of
 * the vessel right after the 201 loses nothing; the first window carries the damage report and the
 * thumbnail, not the photo; a requested photo arrives byte for byte; a drop at 40 % resumes without
 * resending acknowledged parts; a corrupt part is refused and sent again.
 */
import { createHash } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startWorld, VESSEL } from '../reliability/support/world.ts'
import type { World } from '../reliability/support/world.ts'
import { testImage, twoMegabytePhoto } from '../support/test-images.ts'

/** The satellite link of docs/protocol.md: 128 kbit/s, 300 ms each way. */
const SATELLITE = { rateBitsPerSecond: 128_000, oneWayDelayMs: 300 }
/** A faster link for the full-photo transfers, so a test takes seconds, not minutes. */
const FAST_SATELLITE = { rateBitsPerSecond: 2_000_000, oneWayDelayMs: 50 }

let world: World
beforeAll(async () => {
  world = await startWorld({ containers: 12 })
  await world.useLink(SATELLITE)
}, 300_000)
afterAll(async () => {
  await world?.close()
})

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex')
const box = (i: number) => world.manifest[i]!.containerId

async function upload(containerId: string, photo: Uint8Array, caption: string): Promise<any> {
  const res = await fetch(
    `${world.vessel.url}/api/containers/${containerId}/photos?caption=${encodeURIComponent(caption)}`,
    {
      method: 'POST',
      headers: { authorization: `Bearer ${world.tokens.crew}`, 'content-type': 'image/jpeg' },
      body: photo as BodyInit,
    },
  )
  expect(res.status).toBe(201)
  return res.json()
}

async function download(
  base: string,
  token: string,
  path: string,
): Promise<{ status: number; body: Buffer }> {
  const res = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${token}` } })
  return { status: res.status, body: Buffer.from(await res.arrayBuffer()) }
}
const relayPhoto = (containerId: string, id: string, size: 'thumb' | 'full') =>
  download(
    world.relay.url,
    world.tokens.shore,
    `/api/vessels/${VESSEL}/containers/${containerId}/photos/${id}?size=${size}`,
  )

/** Syncs now and waits until the relay holds the full photo. */
async function untilAtShore(containerId: string, id: string, timeoutMs = 180_000): Promise<Buffer> {
  await world.vesselApi('POST', '/api/sync')
  return world.poll(
    async () => {
      const got = await relayPhoto(containerId, id, 'full')
      if (got.status === 200) return got.body
      const s = await world.status()
      if (!['CHECKING', 'PREPARING', 'PUSHING', 'PROCESSING'].includes(s.state))
        await world.vesselApi('POST', '/api/sync')
      return undefined
    },
    timeoutMs,
    500,
  )
}

describe('damage photos over the link', { timeout: 400_000 }, () => {
  let photo: Buffer
  let taken: any

  it('kill -9 of the vessel right after the 201 loses nothing', async () => {
    photo = await twoMegabytePhoto(3)
    taken = await upload(box(0), photo, 'dented door')
    await world.stopVessel('SIGKILL')
    await world.startVessel()
    const back = await download(
      world.vessel.url,
      world.tokens.crew,
      `/api/containers/${box(0)}/photos/${taken.id}?size=full`,
    )
    expect(back.status).toBe(200)
    expect(sha(back.body)).toBe(taken.sha256)
    const view = (await world.vesselApi('GET', `/api/containers/${box(0)}`)).body
    expect(view.photos.map((p: any) => p.id)).toEqual([taken.id])
  })

  it('the first window carries the damage report and the thumbnail (≤ 30 KB), not the photo', async () => {
    world.link.resetStats()
    const since = new Date().toISOString()
    expect(
      (
        await world.vesselApi('PATCH', `/api/containers/${box(0)}`, {
          physical: { condition: 'DAMAGED', damage: 'door dented' },
        })
      ).status,
    ).toBe(200)
    await world.vesselApi('POST', '/api/sync')
    await world.settled(since, 180_000)
    // Report, photo entry with its thumbnail and the signed facts: well under a tenth of the photo.
    expect(taken.thumbnail.bytes).toBeLessThanOrEqual(30 * 1024)
    expect(world.link.stats().bytesUp).toBeLessThan(photo.length / 10)
    const view = (await world.relayApi('GET', `/api/vessels/${VESSEL}/containers/${box(0)}`)).body
    expect(view.physical).toMatchObject({ condition: 'DAMAGED', damage: 'door dented' })
    expect(view.photos).toEqual([
      expect.objectContaining({ id: taken.id, sha256: taken.sha256, full: 'ON_VESSEL' }),
    ])
    const thumb = await relayPhoto(box(0), taken.id, 'thumb')
    expect(thumb.status).toBe(200)
    expect(thumb.body.length).toBe(taken.thumbnail.bytes)
    const full = await relayPhoto(box(0), taken.id, 'full')
    expect(full.status).toBe(409)
    expect(JSON.parse(full.body.toString()).error.code).toBe('NOT_AT_SHORE')
  })

  it('after a request the photo arrives byte-identical', async () => {
    await world.useLink(FAST_SATELLITE)
    const asked = await world.relayApi(
      'POST',
      `/api/vessels/${VESSEL}/containers/${box(0)}/photos/${taken.id}/request`,
    )
    expect(asked.status).toBe(202)
    const arrived = await untilAtShore(box(0), taken.id)
    expect(arrived.equals(photo)).toBe(true)
    const view = (await world.relayApi('GET', `/api/vessels/${VESSEL}/containers/${box(0)}`)).body
    expect(view.photos[0].full).toBe('AT_SHORE')
    await world.poll(async () => {
      const v = (await world.vesselApi('GET', `/api/containers/${box(0)}`)).body
      return v.photos[0].full === 'AT_SHORE' ? true : undefined
    }, 30_000)
  })

  it('a drop at 40 % resumes; the bytes moved stay within 1.15 × the photo', async () => {
    const second = await testImage({ width: 1600, height: 1200, seed: 9, noise: 40, quality: 86 })
    const t = await upload(box(1), second, 'second photo')
    const since = new Date().toISOString()
    await world.vesselApi('POST', '/api/sync')
    await world.settled(since, 120_000)
    await world.relayApi('POST', `/api/vessels/${VESSEL}/containers/${box(1)}/photos/${t.id}/request`)
    world.link.resetStats()
    let dropped = false
    world.link.once('drop', () => {
      dropped = true
      setTimeout(() => world.link.up(), 200)
    })
    world.link.dropAfterBytes(Math.round(second.length * 0.4), 'up')
    const arrived = await untilAtShore(box(1), t.id)
    expect(dropped).toBe(true)
    expect(arrived.equals(second)).toBe(true)
    expect(world.link.stats().bytesUp).toBeLessThanOrEqual(second.length * 1.15)
  })

  it('a corrupt photo part is refused and sent again', async () => {
    const third = await testImage({ width: 1200, height: 900, seed: 11, noise: 40, quality: 86 })
    const t = await upload(box(2), third, 'third photo')
    const since = new Date().toISOString()
    await world.vesselApi('POST', '/api/sync')
    await world.settled(since, 120_000)
    await world.relayApi('POST', `/api/vessels/${VESSEL}/containers/${box(2)}/photos/${t.id}/request`)
    // Past the hello and into the second part's bytes: the frame survives, its checksum does not.
    world.link.corruptNext('up', { afterBytes: 48 * 1024, length: 1, mask: 0x20 })
    const arrived = await untilAtShore(box(2), t.id)
    expect(arrived.equals(third)).toBe(true)
    expect(world.relay.output()).toMatch(/photo part refused/)
  })
})
