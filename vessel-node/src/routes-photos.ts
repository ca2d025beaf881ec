/**
 * The crew's photo endpoints (docs/api.md, "Vessel node"; docs/photos.md). A photo is taken in
 * whole before the 201: the original and its thumbnail stored by SHA-256, the photo's row, and the
 * document entry with its signed hash all commit in one SQLite transaction (synchronous = FULL), so
 * a kill -9 right after the answer loses nothing.
 */
import { randomUUID } from 'node:crypto'
import express, { Router } from 'express'
import type { NextFunction, Request, Response } from 'express'
import {
  addEvidence,
  addPhoto,
  fromBase64,
  MAX_PHOTO_BYTES,
  photosOf,
  TallyError,
  validators as V,
} from '@tally/manifest'
import type { ContainerKey, PhotoFullState, SigningKey } from '@tally/manifest'
import type { ContainerStore } from '@tally/replica'
import type { PhotoStore } from '@tally/storage-sqlite'
import type { CrewActors } from './crew-actors.ts'
import type { CrewEditor } from './crew-editor.ts'
import { signFact } from './evidence-signer.ts'
import { crewOf } from './http-support.ts'
import { checkPhotoSize, makeThumbnail, photoMimeOf } from './photo-intake.ts'
import type { ViewCache } from './view-cache.ts'

export interface PhotoRoutesDeps {
  store: ContainerStore
  /** Every write goes through policy (crew-editor.ts). */
  editor: CrewEditor
  photos: PhotoStore
  actors: CrewActors
  vessel: string
  views: ViewCache
  signer: SigningKey
  docIdOf: (containerId: string) => string
  guard: <T>(operation: string, fn: () => T) => T
}

const captionCheck = V.nullable(V.string(V.MAX_TEXT_LENGTH))

/** Where a full photo is, as the vessel knows it: aboard until the relay asks and acknowledges it. */
export function vesselPhotoState(photos: PhotoStore) {
  return (sha256: string): PhotoFullState => {
    const request = photos.requestOf(sha256)
    if (!request) return 'ON_VESSEL'
    if (request.completedAt) return 'AT_SHORE'
    return request.receivedBytes > 0 ? 'SENDING' : 'REQUESTED'
  }
}

export function photoRoutes(d: PhotoRoutesDeps): Router {
  const router = Router()

  /** The type is checked before the body is read, so a wrong type is refused without 25 MB of upload. */
  const declaredType = (req: Request, res: Response, next: NextFunction) => {
    res.locals.photoMime = photoMimeOf(req.get('content-type'))
    next()
  }

  router.post(
    '/containers/:id/photos',
    declaredType,
    express.raw({ type: () => true, limit: MAX_PHOTO_BYTES }),
    async (req: Request<{ id: string }>, res: Response) => {
      const docId = d.docIdOf(req.params.id)
      const caption =
        typeof req.query.caption === 'string' && req.query.caption.trim() ? req.query.caption.trim() : null
      const captionProblem = captionCheck(caption)
      if (captionProblem) throw new TallyError('INVALID', `caption: ${captionProblem}`, 'caption')
      const data = checkPhotoSize(req.body)
      const mime = res.locals.photoMime as ReturnType<typeof photoMimeOf>
      const thumb = await makeThumbnail(data, mime)
      const crew = crewOf(res).user
      const actor = d.guard('record the crew member’s actor', () => d.actors.actorFor(crew))
      const id = randomUUID()
      const at = new Date().toISOString()
      const row = d.store.row(docId)!
      const key: ContainerKey = d.store.keyOf(row)
      let sha256 = ''
      d.guard('save the photo', () =>
        d.store.db.transaction(() => {
          sha256 = d.photos.putBlob(mime, data)
          const thumbSha256 = d.photos.putBlob(thumb.mime, thumb.data)
          d.photos.addPhoto({
            id,
            docId,
            containerId: key.containerId,
            sha256,
            thumbSha256,
            mime,
            bytes: data.length,
            takenAt: at,
          })
          d.editor.edit(docId, actor, (doc) => {
            const withPhoto = addPhoto(
              doc,
              { id, sha256, bytes: data.length, mime, at, caption, thumb: thumb.data, thumbMime: thumb.mime },
              d.vessel,
              'vessel',
            )
            const fact = { photo: id, sha256, bytes: data.length, mime, thumbSha256, caption }
            const signed = signFact(
              withPhoto,
              key,
              { vessel: d.vessel, crew, signer: d.signer, now: at },
              'photo',
              fact,
            )
            return addEvidence(withPhoto, [signed], 'vessel')
          })
        })(),
      )
      res.status(201).json({
        id,
        sha256,
        bytes: data.length,
        mime,
        thumbnail: { bytes: thumb.data.length, mime: thumb.mime, width: thumb.width, height: thumb.height },
      })
    },
  )

  router.get('/containers/:id/photos/:pid', (req: Request<{ id: string; pid: string }>, res: Response) => {
    const docId = d.docIdOf(req.params.id)
    const size = req.query.size === undefined ? 'full' : req.query.size
    if (size !== 'thumb' && size !== 'full')
      throw new TallyError('INVALID', 'size: must be thumb or full', 'size')
    const entry = photosOf(d.store.load(docId)!).find((p) => p.id === req.params.pid)
    if (!entry)
      throw new TallyError('NOT_FOUND', `No photo ${req.params.pid} on container ${req.params.id}.`, 'photo')
    const sha = size === 'thumb' ? entry.thumbSha256 : entry.sha256
    const stored = d.photos.blob(sha)
    let body: Uint8Array
    let mime: string
    if (stored) {
      body = stored.data
      mime = stored.mime
    } else if (size === 'thumb') {
      body = fromBase64(entry.thumb)
      mime = entry.thumbMime
    } else throw new TallyError('NOT_FOUND', `The full photo ${entry.id} is not on this vessel.`, 'photo')
    res.set('Content-Type', mime)
    res.set('Cache-Control', 'private, max-age=31536000, immutable')
    res.set('ETag', `"${sha}"`)
    res.end(Buffer.from(body.buffer, body.byteOffset, body.length))
  })

  return router
}
