/**
 * A container's photos, as both apps show them: a grid of thumbnails with caption, who took it and
 * when, and where the full photo is. How a thumbnail is fetched (the crew app asks the vessel node
 * with its token; the shore app has it in the document) and what each photo offers (the shore's
 * "Request full photo") come in as props. Stable test IDs: `photos`, `photo`, `photo-thumb`.
 */
import { useEffect, useState } from 'react'
import type { ReactNode } from 'react'
import type { PhotoFullState, PhotoView } from '@tally/manifest'
import { formatBytes } from './format.ts'

export interface PhotosCardProps {
  photos: PhotoView[]
  /** An image URL (data: or blob:) for a photo's thumbnail. */
  thumbnailOf: (photo: PhotoView) => Promise<string> | string
  /** Shown under a photo: a full-photo request, a link to the original. */
  actions?: (photo: PhotoView) => ReactNode
  /** Shown beside the heading: the crew's "Add photo". */
  header?: ReactNode
  /** Shown when there are no photos. */
  empty?: ReactNode
}

const FULL_WORDS: Record<PhotoFullState, string> = {
  ON_VESSEL: 'Full photo aboard',
  REQUESTED: 'Full photo requested',
  SENDING: 'Full photo on its way',
  AT_SHORE: 'Full photo at shore',
}

export function PhotosCard({ photos, thumbnailOf, actions, header, empty }: PhotosCardProps) {
  return (
    <section className="tly-card" aria-labelledby="photos-h" data-testid="photos">
      <header className="tly-card__header">
        <h2 id="photos-h">Photos{photos.length > 0 ? ` (${photos.length})` : ''}</h2>
        {header}
      </header>
      {photos.length === 0 ? (
        <p className="tly-muted">{empty ?? 'No photos yet.'}</p>
      ) : (
        <ul className="tly-photos">
          {photos.map((p) => (
            <li key={p.id} className="tly-photo" data-testid="photo" data-photo-id={p.id} data-full={p.full}>
              <Thumbnail photo={p} thumbnailOf={thumbnailOf} />
              <p className="tly-photo__caption">
                {p.caption ?? <span className="tly-muted">No caption</span>}
              </p>
              <p className="tly-muted tly-photo__meta">
                {p.by} · {p.at.slice(0, 16).replace('T', ' ')} UTC · {formatBytes(p.bytes)}
                <br />
                {FULL_WORDS[p.full]}
              </p>
              {actions?.(p)}
            </li>
          ))}
        </ul>
      )}
    </section>
  )
}

function Thumbnail({
  photo,
  thumbnailOf,
}: {
  photo: PhotoView
  thumbnailOf: PhotosCardProps['thumbnailOf']
}) {
  const [src, setSrc] = useState<string | null>(null)
  const [failed, setFailed] = useState(false)
  useEffect(() => {
    let live = true
    Promise.resolve(thumbnailOf(photo)).then(
      (url) => live && setSrc(url),
      () => live && setFailed(true),
    )
    return () => {
      live = false
    }
  }, [photo.thumbSha256])
  if (failed) return <div className="tly-photo__img tly-muted">Thumbnail unavailable</div>
  if (!src) return <div className="tly-photo__img" aria-busy="true" />
  return (
    <img
      className="tly-photo__img"
      src={src}
      alt={photo.caption ?? `Photo ${photo.id}`}
      data-testid="photo-thumb"
      loading="lazy"
    />
  )
}
