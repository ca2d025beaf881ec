/**
 * The photos of a container at shore (docs/photos.md): thumbnails straight from the document (they
 * crossed the link with the damage report), where each full photo is as the relay knows it, and a
 * button that asks the vessel for the original with its cost in bytes, dollars and link time.
 */
import { useCallback, useEffect, useState } from 'react'
import type { DocHandle } from '@automerge/automerge-repo'
import { photosOf } from '@tally/manifest'
import type { ContainerDoc, ContainerView, PhotoFullState, PhotoView } from '@tally/manifest'
import { PhotosCard } from '@tally/ui'
import type { ShoreApi } from './api.ts'

/** The link the estimate assumes: the satellite's 128 kbit/s (docs/protocol.md). */
const LINK_BITS_PER_SECOND = 128_000
/** The link's price, as the relay charges it by default. */
const USD_PER_MB = 10
/** How often the relay is asked again while a requested photo is on its way. */
const STATE_REFRESH_MS = 5_000

/** "≈ 2.1 MB, ≈ $21, ≈ 2 min at the current link" */
export function requestCostWords(bytes: number): string {
  const mb = bytes / 1_000_000
  const seconds = (bytes * 8) / LINK_BITS_PER_SECOND
  const time = seconds < 90 ? `${Math.max(1, Math.round(seconds))} s` : `${Math.round(seconds / 60)} min`
  return `≈ ${mb.toFixed(1)} MB, ≈ $${Math.round(mb * USD_PER_MB)}, ≈ ${time} at the current link`
}

export function ShorePhotos({
  api,
  view,
  handle,
}: {
  api: ShoreApi
  view: ContainerView
  handle: DocHandle<ContainerDoc>
}) {
  const [states, setStates] = useState<Record<string, PhotoFullState>>({})
  const [fullUrls, setFullUrls] = useState<Record<string, string>>({})
  const [error, setError] = useState<string | null>(null)
  const refresh = useCallback(() => {
    api.photoStates(view.vessel, view.containerId, view.voyage).then(setStates, () => undefined)
  }, [api, view.vessel, view.containerId, view.voyage])
  useEffect(refresh, [refresh, view.heads.join()])
  const waiting = Object.values(states).some((s) => s === 'REQUESTED' || s === 'SENDING')
  useEffect(() => {
    if (!waiting) return
    const timer = setInterval(refresh, STATE_REFRESH_MS)
    return () => clearInterval(timer)
  }, [waiting, refresh])

  const photos: PhotoView[] = view.photos.map((p) => ({ ...p, full: states[p.sha256] ?? p.full }))
  const thumbnailOf = (p: PhotoView) => {
    const entry = photosOf(handle.doc()).find((e) => e.id === p.id)
    if (!entry) throw new Error('not in the document')
    return `data:${entry.thumbMime};base64,${entry.thumb}`
  }
  const request = async (p: PhotoView) => {
    setError(null)
    try {
      const answer = await api.requestPhoto(view.vessel, view.containerId, view.voyage, p.id)
      setStates((s) => ({ ...s, [p.sha256]: answer.full }))
    } catch (err) {
      setError((err as Error).message)
    }
  }
  const openFull = async (p: PhotoView) => {
    try {
      const url = await api.photoUrl(view.vessel, view.containerId, view.voyage, p.id, 'full')
      setFullUrls((u) => ({ ...u, [p.id]: url }))
    } catch (err) {
      setError((err as Error).message)
    }
  }

  return (
    <>
      <PhotosCard
        photos={photos}
        thumbnailOf={thumbnailOf}
        empty="No photos from the vessel yet."
        actions={(p) =>
          p.full === 'AT_SHORE' ? (
            fullUrls[p.id] ? (
              <a href={fullUrls[p.id]} target="_blank" rel="noreferrer" data-testid="photo-full-link">
                <img
                  className="tly-photo__img"
                  src={fullUrls[p.id]}
                  alt={`Full photo ${p.id}`}
                  data-testid="photo-full"
                />
              </a>
            ) : (
              <button
                type="button"
                className="tly-button tly-button--secondary"
                onClick={() => openFull(p)}
                data-testid="photo-open-full"
              >
                Show full photo
              </button>
            )
          ) : p.full === 'ON_VESSEL' ? (
            <button
              type="button"
              className="tly-button tly-button--secondary"
              onClick={() => request(p)}
              data-testid="photo-request"
            >
              Request full photo ({requestCostWords(p.bytes)})
            </button>
          ) : null
        }
      />
      {error && (
        <p className="tly-alert tly-alert--error" role="alert" data-testid="photo-error">
          {error}
        </p>
      )}
    </>
  )
}
