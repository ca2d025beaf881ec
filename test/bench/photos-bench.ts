/**
 * Damage photos (docs/photos.md): the thumbnail's size and the time to make it, and a day with 10
 * damage reports each with a 2 MB photo, over the 128 kbit/s link with real relay and vessel
 * processes: first with no full photo requested (the reports and thumbnails), then with all ten
 * requested. Twenty megabytes take about 21 minutes at 128 kbit/s, so the second transfer runs over
 * a fast simulated link and its 128 kbit/s time is computed from the bytes it moved (noted).
 */
import { makeThumbnail } from '../../vessel-node/src/photo-intake.ts'
import { startWorld, VESSEL } from '../reliability/support/world.ts'
import { twoMegabytePhoto } from '../support/test-images.ts'
import type { BenchOptions, BenchRow } from './report.ts'

const PHOTOS = 10
const SATELLITE = { rateBitsPerSecond: 128_000, oneWayDelayMs: 300 }
const FAST = { rateBitsPerSecond: 50_000_000, oneWayDelayMs: 5 }

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

export async function runPhotoBenchmarks(opts: BenchOptions): Promise<BenchRow[]> {
  const rows: BenchRow[] = []
  const row = (metric: string, value: number | null, unit: string, note = '') =>
    rows.push({ section: 'photos', metric, value, unit, note })

  const photos = await Promise.all(Array.from({ length: PHOTOS }, (_, i) => twoMegabytePhoto(100 + i)))
  const photoBytes = photos.reduce((n, p) => n + p.length, 0)
  const times: number[] = []
  const sizes: number[] = []
  for (const p of photos) {
    const t0 = performance.now()
    const thumb = await makeThumbnail(p, 'image/jpeg')
    times.push(performance.now() - t0)
    sizes.push(thumb.data.length)
  }
  row(
    'thumbnail size (median of 10)',
    median(sizes),
    'B',
    `max ${Math.max(...sizes)} B; 640 px WebP of a ${(photos[0]!.length / 1e6).toFixed(1)} MB JPEG`,
  )
  row('thumbnail time (median of 10)', Math.round(median(times)), 'ms', 'sharp, decode + resize + WebP')

  opts.log('photos: starting relay, vessel node and the satellite link')
  const world = await startWorld({ containers: PHOTOS * 2 })
  try {
    await world.useLink(SATELLITE)
    // The link is cut while the crew work, so the whole day crosses in the one window measured.
    world.link.down()
    const taken: { containerId: string; id: string }[] = []
    for (let i = 0; i < PHOTOS; i++) {
      const containerId = world.manifest[i]!.containerId
      await world.vesselApi('PATCH', `/api/containers/${containerId}`, {
        physical: { condition: 'DAMAGED', damage: `dent ${i + 1}` },
      })
      const res = await fetch(`${world.vessel.url}/api/containers/${containerId}/photos?caption=dent`, {
        method: 'POST',
        headers: { authorization: `Bearer ${world.tokens.crew}`, 'content-type': 'image/jpeg' },
        body: photos[i] as BodyInit,
      })
      if (res.status !== 201) throw new Error(`photo upload: ${res.status} ${await res.text()}`)
      taken.push({ containerId, id: ((await res.json()) as { id: string }).id })
    }
    world.link.up()
    world.link.resetStats()
    let since = new Date().toISOString()
    let t0 = performance.now()
    await world.vesselApi('POST', '/api/sync')
    await world.settled(since, 300_000)
    const reportsS = (performance.now() - t0) / 1000
    const reports = world.link.stats()
    row(
      '10 reports + photos, none requested: bytes',
      reports.bytesUp + reports.bytesDown,
      'B',
      `up ${reports.bytesUp}, down ${reports.bytesDown}; the photos are ${(photoBytes / 1e6).toFixed(1)} MB`,
    )
    row(
      '10 reports + photos, none requested: time',
      Number(reportsS.toFixed(1)),
      's',
      '128 kbit/s, 300 ms each way',
    )

    await world.useLink(FAST)
    for (const t of taken)
      await world.relayApi(
        'POST',
        `/api/vessels/${VESSEL}/containers/${t.containerId}/photos/${t.id}/request`,
      )
    world.link.resetStats()
    since = new Date().toISOString()
    t0 = performance.now()
    await world.vesselApi('POST', '/api/sync')
    await world.poll(
      async () => {
        const views = await Promise.all(
          taken.map((t) => world.relayApi('GET', `/api/vessels/${VESSEL}/containers/${t.containerId}`)),
        )
        if (views.every((v) => v.body.photos?.[0]?.full === 'AT_SHORE')) return true
        const s = await world.status()
        if (s.state === 'IDLE' || s.state === 'COMPLETE') await world.vesselApi('POST', '/api/sync')
        return undefined
      },
      600_000,
      500,
    )
    await world.settled(since, 120_000)
    const fastS = (performance.now() - t0) / 1000
    const all = world.link.stats()
    const moved = all.bytesUp + all.bytesDown
    row(
      'all 10 full photos requested: bytes',
      moved,
      'B',
      `${(moved / photoBytes).toFixed(3)} × the photos' ${photoBytes} B`,
    )
    row(
      'all 10 full photos requested: time at 128 kbit/s',
      Number(((moved * 8) / SATELLITE.rateBitsPerSecond).toFixed(0)),
      's',
      `computed from the bytes (${fastS.toFixed(1)} s measured over a 50 Mbit/s simulated link)`,
    )
  } finally {
    await world.close()
  }
  return rows
}
