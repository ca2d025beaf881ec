/**
 * The vessel's photos as the link reads them (docs/protocol.md, "Photos"): originals from the photo
 * store, and what the relay asked for and has acknowledged, kept so the crew see where each is.
 */
import type { PhotoSource } from '@tally/link'
import type { PhotoStore } from '@tally/storage-sqlite'

export function vesselPhotoSource(photos: PhotoStore, vessel: string): PhotoSource {
  return {
    read: (sha) => photos.blob(sha)?.data,
    requested: (wanted) => {
      for (const w of wanted) {
        const taken = photos.photoBySha(w.sha)
        photos.request({
          sha256: w.sha,
          vessel,
          containerId: taken?.containerId ?? '',
          photoId: taken?.id ?? '',
          mime: taken?.mime ?? 'application/octet-stream',
          bytes: w.bytes,
          requestedBy: 'relay',
        })
        photos.setProgress(w.sha, w.off, false)
      }
    },
    progress: (sha, received, complete) => photos.setProgress(sha, received, complete),
  }
}
