/**
 * Photos and evidence at the relay: a forged photo entry from a shore browser is refused through
 * /sync; the thumbnail is served from the document and the original answers 409 NOT_AT_SHORE until
 * it arrives; a request is 202; the evidence bundle verifies offline with `npm run relay --
 * verify-evidence`, and one changed byte in a fact or a photo makes it fail.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import * as A from '@automerge/automerge'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  addEvidence,
  addPhoto,
  newSigningKey,
  sha256Hex,
  signEvidence,
  toHex,
  toStored,
  withAppendix,
} from '@tally/manifest'
import type { ContainerDoc } from '@tally/manifest'
import { runCli } from '../support/processes.ts'
import { testImage } from '../support/test-images.ts'
import { containerNo, docIdOf, keyOf, startSyncRelay, syncClient, VESSEL, waitFor } from './helpers.ts'
import type { SyncClient, SyncRelay } from './helpers.ts'

let r: SyncRelay
const clients: SyncClient[] = []
const signer = newSigningKey()
let photoId = ''
let thumb: Uint8Array

beforeAll(async () => {
  r = await startSyncRelay(3)
  // The vessel's photo and its signed hash, as the link would have delivered them.
  thumb = new Uint8Array(await testImage({ format: 'webp', width: 200, height: 150 }))
  const actor = 'c1'.repeat(16)
  r.relay.context.registry.bind({ actor, principal: VESSEL, kind: 'vessel', role: 'vessel', name: 'bosun' })
  r.relay.context.photos.learnVesselKey(VESSEL, toHex(signer.publicKey))
  photoId = 'photo-1'
  const at = '2026-11-22T10:00:00.000Z'
  r.relay.store.edit(docIdOf(1), actor, (doc: A.Doc<ContainerDoc>) => {
    const damaged = A.change(doc, (d) => {
      d.physical.condition = new A.ImmutableString('DAMAGED') as never
    })
    const sha256 = 'ab'.repeat(32)
    const withPhoto = addPhoto(
      damaged,
      {
        id: photoId,
        sha256,
        bytes: 2_000_000,
        mime: 'image/jpeg',
        at,
        caption: 'door',
        thumb,
        thumbMime: 'image/webp',
      },
      VESSEL,
      'vessel',
    )
    const key = keyOf(1)
    const facts = [
      signEvidence(key, signer, {
        id: 'e1',
        kind: 'damage',
        at,
        by: VESSEL,
        crew: 'bosun',
        fact: { condition: 'DAMAGED' },
      }),
      signEvidence(key, signer, {
        id: 'e2',
        kind: 'photo',
        at,
        by: VESSEL,
        crew: 'bosun',
        fact: { photo: photoId, sha256, thumbSha256: sha256Hex(thumb) },
      }),
    ]
    return addEvidence(withPhoto, facts, 'vessel')
  })
})
afterAll(async () => {
  for (const c of clients) await c.close().catch(() => undefined)
  await r?.close()
})

const base = () => `/api/vessels/${VESSEL}/containers/${containerNo(1)}`

describe('photos at the relay', () => {
  it('serves the thumbnail, answers 409 NOT_AT_SHORE for the original, and takes a request (202)', async () => {
    const view = (await r.api('GET', base())).body
    expect(view.photos).toEqual([
      expect.objectContaining({ id: photoId, full: 'ON_VESSEL', thumbBytes: thumb.length }),
    ])
    const res = await fetch(`${r.relay.url}${base()}/photos/${photoId}?size=thumb`, {
      headers: { authorization: `Bearer ${r.tokens.shore}` },
    })
    expect(res.headers.get('content-type')).toBe('image/webp')
    expect(Buffer.from(await res.arrayBuffer()).equals(Buffer.from(thumb))).toBe(true)
    const full = await r.api('GET', `${base()}/photos/${photoId}?size=full`)
    expect(full.status).toBe(409)
    expect(full.body.error.code).toBe('NOT_AT_SHORE')
    expect((await r.api('POST', `${base()}/photos/${photoId}/request`, undefined, r.tokens.ops)).status).toBe(
      403,
    )
    const asked = await r.api('POST', `${base()}/photos/${photoId}/request`)
    expect(asked.status).toBe(202)
    expect(asked.body.full).toBe('REQUESTED')
    expect((await r.api('GET', base())).body.photos[0].full).toBe('REQUESTED')
    expect((await r.api('POST', `${base()}/photos/nope/request`)).status).toBe(404)
  })

  it('refuses a forged photo entry from a shore browser through /sync', async () => {
    const alice = syncClient(r.syncUrl, r.tokens.shore)
    clients.push(alice)
    const handle = await alice.find(2)
    handle.update((doc) => withAppendix(doc))
    handle.change((d) => {
      d.photos!.push(
        toStored({
          id: 'forged',
          sha256: 'cd'.repeat(32),
          bytes: 10,
          mime: 'image/jpeg',
          at: '2026-11-22T10:00:00Z',
          by: VESSEL,
          caption: 'looks like the vessel took it',
          thumbSha256: sha256Hex(thumb),
          thumbBytes: thumb.length,
          thumbMime: 'image/webp',
          thumb: Buffer.from(thumb).toString('base64'),
        }),
      )
    })
    const [letter] = await waitFor(() => {
      const found = r.relay.context.deadLetters.list({ docId: docIdOf(2) })
      return found.length > 0 && found
    })
    expect(letter).toMatchObject({ principal: 'user:alice', field: 'photos.by' })
    expect(r.relay.store.view(docIdOf(2))!.photos).toEqual([])
  })
})

describe('evidence bundles', { timeout: 180_000 }, () => {
  it('verify offline; one changed byte in a fact or a photo fails', async () => {
    const bundle = (await r.api('GET', `${base()}/evidence`)).body
    expect(bundle).toMatchObject({ format: 'tally-evidence/1', container: { containerId: containerNo(1) } })
    expect(bundle.facts).toHaveLength(2)
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tally-evidence-'))
    try {
      const good = path.join(dir, 'good.json')
      fs.writeFileSync(good, JSON.stringify(bundle))
      const ok = await runCli('relay/src/cli.ts', ['verify-evidence', good])
      expect(ok.code, ok.stdout + ok.stderr).toBe(0)
      expect(ok.stdout).toMatch(/HOLDS {2}damage e1/)
      expect(ok.stdout).toMatch(/all 3 facts and photos hold/)

      const text = JSON.stringify(bundle)
      const factAt = text.indexOf('DAMAGED')
      const tamperedFact = text.slice(0, factAt) + 'DAMAGEE' + text.slice(factAt + 7)
      const bad = path.join(dir, 'bad.json')
      fs.writeFileSync(bad, tamperedFact)
      const failed = await runCli('relay/src/cli.ts', ['verify-evidence', bad])
      expect(failed.code).toBe(1)
      expect(failed.stdout).toMatch(/FAILS {2}damage e1.*signature does not verify/)

      const thumbAt = text.indexOf(bundle.photos[0].thumb) + 40
      const flipped = text[thumbAt] === 'A' ? 'B' : 'A'
      fs.writeFileSync(bad, text.slice(0, thumbAt) + flipped + text.slice(thumbAt + 1))
      const photoFailed = await runCli('relay/src/cli.ts', ['verify-evidence', bad])
      expect(photoFailed.code).toBe(1)
      expect(photoFailed.stdout).toMatch(/FAILS {2}photo photo-1.*thumbnail bytes do not match/)
    } finally {
      fs.rmSync(dir, { recursive: true, force: true })
    }
  })
})
