/**
 * The crew's photo endpoints against a real vessel node: upload with thumbnail, the clear refusals
 * of bad uploads, download byte for byte, the document entry with its signed hash, and signed
 * damage reports with corrections that supersede.
 */
import { createHash } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { evidenceOf, MAX_THUMB_BYTES, verifyEvidence } from '@tally/manifest'
import { seedContainers, startTestNode } from './helpers.ts'
import type { SeededContainer, TestNode } from './helpers.ts'
import { testImage, twoMegabytePhoto } from '../../test/support/test-images.ts'

let t: TestNode
let box: SeededContainer

beforeAll(async () => {
  t = await startTestNode()
  box = seedContainers(t.node.store, t.node.registry, 3)[1]!
})
afterAll(async () => {
  await t?.close()
})

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex')
const upload = (body: Uint8Array | string, type: string | null, query = '') =>
  t.api(`/api/containers/${box.containerId}/photos${query}`, {
    method: 'POST',
    body: body as BodyInit,
    headers: type ? { 'content-type': type } : {},
  })

describe('POST /api/containers/:id/photos', () => {
  it('stores a 2 MB photo, makes a thumbnail of at most 30 KB, and serves both back', async () => {
    const photo = await twoMegabytePhoto(7)
    const res = await upload(photo, 'image/jpeg', '?caption=Dent%20on%20the%20left%20door')
    expect(res.status).toBe(201)
    const body = (await res.json()) as any
    expect(body).toMatchObject({ sha256: sha(photo), bytes: photo.length, mime: 'image/jpeg' })
    expect(body.thumbnail.bytes).toBeLessThanOrEqual(MAX_THUMB_BYTES)
    expect(Math.max(body.thumbnail.width, body.thumbnail.height)).toBe(640)

    const full = await t.api(`/api/containers/${box.containerId}/photos/${body.id}?size=full`)
    expect(full.headers.get('content-type')).toBe('image/jpeg')
    expect(Buffer.from(await full.arrayBuffer()).equals(photo)).toBe(true)
    const thumb = await t.api(`/api/containers/${box.containerId}/photos/${body.id}?size=thumb`)
    expect(thumb.headers.get('content-type')).toBe('image/webp')
    expect((await thumb.arrayBuffer()).byteLength).toBe(body.thumbnail.bytes)

    const view = (await (await t.api(`/api/containers/${box.containerId}`)).json()) as any
    expect(view.photos).toEqual([
      expect.objectContaining({
        id: body.id,
        sha256: body.sha256,
        caption: 'Dent on the left door',
        by: 'IMO9811000',
        thumbBytes: body.thumbnail.bytes,
        full: 'ON_VESSEL',
      }),
    ])
    expect(view.photos[0].thumb).toBeUndefined()
    // The hash is signed as evidence by the vessel's key.
    const doc = t.node.store.load(box.docId)!
    const signed = evidenceOf(doc).find((e) => e.kind === 'photo')!
    expect(JSON.parse(signed.fact)).toMatchObject({ photo: body.id, sha256: body.sha256 })
    expect(
      verifyEvidence(
        { vessel: 'IMO9811000', voyage: '024E', containerId: box.containerId },
        signed,
        signed.key,
      ),
    ).toBe(true)
  })

  it('takes PNG and WebP too', async () => {
    for (const format of ['png', 'webp'] as const) {
      const res = await upload(await testImage({ format }), `image/${format}`)
      expect(res.status).toBe(201)
    }
  })

  it('refuses a wrong type with 415, an empty body with 400, a non-image with 400, a mismatch with 400', async () => {
    const gif = await upload('GIF89a', 'image/gif')
    expect(gif.status).toBe(415)
    expect(((await gif.json()) as any).error).toMatchObject({
      code: 'UNSUPPORTED_MEDIA_TYPE',
      field: 'Content-Type',
    })
    expect((await upload('x', null)).status).toBe(415)
    const empty = await upload(new Uint8Array(0), 'image/jpeg')
    expect(empty.status).toBe(400)
    expect(((await empty.json()) as any).error.message).toMatch(/empty/)
    const text = await upload('this is not a picture at all', 'image/jpeg')
    expect(text.status).toBe(400)
    expect(((await text.json()) as any).error.message).toMatch(/not a readable image/)
    const png = await upload(await testImage({ format: 'png' }), 'image/jpeg')
    expect(png.status).toBe(400)
    expect(((await png.json()) as any).error.message).toMatch(/image\/png but Content-Type says image\/jpeg/)
  })

  it('refuses a body over 25 MB with 413', async () => {
    const res = await upload(new Uint8Array(25 * 1024 * 1024 + 1), 'image/jpeg')
    expect(res.status).toBe(413)
    expect(((await res.json()) as any).error.code).toBe('PAYLOAD_TOO_LARGE')
  })

  it('answers 404 for an unknown container or photo and 400 for a bad size', async () => {
    expect((await t.api(`/api/containers/${box.containerId}/photos/nope`)).status).toBe(404)
    expect((await t.api(`/api/containers/${box.containerId}/photos/nope?size=huge`)).status).toBe(400)
    const res = await t.api('/api/containers/TLLU9999990/photos', {
      method: 'POST',
      body: (await testImage()) as BodyInit,
      headers: { 'content-type': 'image/jpeg' },
    })
    expect(res.status).toBe(404)
  })
})

describe('signed findings', () => {
  it('signs a damage report when it is recorded, and a correction supersedes it', async () => {
    const patch = (json: unknown) => t.api(`/api/containers/${box.containerId}`, { method: 'PATCH', json })
    expect((await patch({ physical: { condition: 'DAMAGED', damage: 'dent' } })).status).toBe(200)
    expect((await patch({ physical: { damage: 'dent and hole' } })).status).toBe(200)
    expect((await patch({ physical: { sealIntact: false } })).status).toBe(200)
    const entries = evidenceOf(t.node.store.load(box.docId)!).filter((e) => e.kind !== 'photo')
    expect(entries.map((e) => [e.kind, JSON.parse(e.fact)])).toEqual([
      ['damage', { condition: 'DAMAGED', damage: 'dent' }],
      ['damage', { condition: 'DAMAGED', damage: 'dent and hole' }],
      ['seal', { sealIntact: false, observedSeal: null }],
    ])
    expect(entries[1]!.supersedes).toBe(entries[0]!.id)
    expect(entries.every((e) => e.crew === 'bosun')).toBe(true)
  })
})
