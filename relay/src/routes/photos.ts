/**
 * Photos and evidence of one container at shore (docs/api.md; docs/photos.md):
 * `GET …/photos/:pid?size=thumb|full`, `POST …/photos/:pid/request` and `GET …/evidence`.
 * The thumbnail is in the document; the original crosses the link only once shore asks for it,
 * so until then `size=full` answers 409 NOT_AT_SHORE.
 */
import { Router } from 'express'
import type { Request, Response } from 'express'
import { fromBase64, photosOf, TallyError } from '@tally/manifest'
import type { PhotoEntry, PhotoFullState } from '@tally/manifest'
import type { PhotoStore } from '@tally/storage-sqlite'
import { userOf } from '../auth.ts'
import type { RelayContext } from '../context.ts'
import { buildBundle } from '../evidence-bundle.ts'
import { findContainer } from '../lookup.ts'
import { parseContainerId, parseImo } from '../query.ts'

type Params = { imo: string; id: string; pid: string }

/** Where a full photo is, as the relay knows it. */
export function relayPhotoState(photos: PhotoStore) {
  return (sha256: string): PhotoFullState => {
    if (photos.hasBlob(sha256)) return 'AT_SHORE'
    const request = photos.requestOf(sha256)
    if (!request) return 'ON_VESSEL'
    if (request.completedAt) return 'AT_SHORE'
    return request.receivedBytes > 0 ? 'SENDING' : 'REQUESTED'
  }
}

export function photoRoutes(ctx: RelayContext): Router {
  const router = Router({ mergeParams: true })
  const state = relayPhotoState(ctx.photos)

  const photoOf = (req: Request<Params>): { entry: PhotoEntry; vessel: string; containerId: string } => {
    const vessel = parseImo(req.params.imo)
    const containerId = parseContainerId(req.params.id)
    const docId = findContainer(ctx.store, vessel, containerId, req.query.voyage)
    const entry = photosOf(ctx.store.load(docId)!).find((p) => p.id === req.params.pid)
    if (!entry) throw new TallyError('NOT_FOUND', `no photo ${req.params.pid} on ${containerId}`, 'photo')
    return { entry, vessel, containerId }
  }

  router.get('/:pid', (req: Request<Params>, res: Response) => {
    const { entry } = photoOf(req)
    const size = req.query.size === undefined ? 'full' : req.query.size
    if (size !== 'thumb' && size !== 'full')
      throw new TallyError('INVALID', 'size: must be thumb or full', 'size')
    let body: Uint8Array
    let mime: string
    if (size === 'thumb') {
      body = fromBase64(entry.thumb)
      mime = entry.thumbMime
    } else {
      const blob = ctx.photos.blob(entry.sha256)
      if (!blob)
        throw new TallyError(
          'NOT_AT_SHORE',
          `The full photo is ${state(entry.sha256).toLowerCase().replace('_', ' ')}; request it first (POST …/photos/${entry.id}/request).`,
        )
      body = blob.data
      mime = blob.mime
    }
    res.set('Content-Type', mime)
    res.set('Cache-Control', 'private, max-age=31536000, immutable')
    res.set('ETag', `"${size === 'thumb' ? entry.thumbSha256 : entry.sha256}"`)
    res.end(Buffer.from(body.buffer, body.byteOffset, body.length))
  })

  router.post('/:pid/request', (req: Request<Params>, res: Response) => {
    const user = userOf(res)
    if (user.role === 'ops')
      throw new TallyError(
        'FORBIDDEN',
        'the ops role watches the fleet; a shore or customs user requests photos',
      )
    const { entry, vessel, containerId } = photoOf(req)
    if (!ctx.photos.hasBlob(entry.sha256))
      ctx.photos.request({
        sha256: entry.sha256,
        vessel,
        containerId,
        photoId: entry.id,
        mime: entry.mime,
        bytes: entry.bytes,
        requestedBy: user.principal,
      })
    res
      .status(202)
      .json({ id: entry.id, sha256: entry.sha256, bytes: entry.bytes, full: state(entry.sha256) })
  })

  return router
}

/** `GET /api/vessels/:imo/containers/:id/evidence`: the container's self-contained evidence bundle. */
export function evidenceRoutes(ctx: RelayContext): Router {
  const router = Router({ mergeParams: true })
  router.get('/', (req: Request<{ imo: string; id: string }>, res: Response) => {
    const docId = findContainer(
      ctx.store,
      parseImo(req.params.imo),
      parseContainerId(req.params.id),
      req.query.voyage,
    )
    const bundle = buildBundle(ctx.store.load(docId)!, ctx.photos)
    res.set('Content-Disposition', `attachment; filename="evidence-${bundle.container.containerId}.json"`)
    res.json(bundle)
  })
  return router
}
