/**
 * Taking a photo in (docs/photos.md): the type, size and content checks a raw upload gets, and the
 * thumbnail that travels with the damage report. Decoding and resizing are sharp's (libvips), not
 * ours: it reads the image's real format, so a file that only claims to be a JPEG is refused.
 */
import sharp from 'sharp'
import { MAX_PHOTO_BYTES, MAX_THUMB_BYTES, PHOTO_MIMES, TallyError } from '@tally/manifest'
import type { PhotoMime } from '@tally/manifest'

/** The long side of a thumbnail, in pixels. */
export const THUMB_LONG_SIDE_PX = 640
/** WebP qualities tried in turn until the thumbnail fits in {@link MAX_THUMB_BYTES}. */
const THUMB_QUALITIES = [70, 55, 40, 30, 20]
/** Long sides tried when even the lowest quality does not fit (a very busy picture). */
const THUMB_FALLBACK_SIDES_PX = [480, 320, 200]
/** Pixels sharp will decode at most: 100 megapixels, a guard against decompression bombs. */
const MAX_INPUT_PIXELS = 100_000_000

const FORMAT_MIME: Record<string, PhotoMime> = { jpeg: 'image/jpeg', png: 'image/png', webp: 'image/webp' }

/** The declared type of an upload, checked against what sharp and Tally accept. */
export function photoMimeOf(contentType: string | undefined): PhotoMime {
  const mime = (contentType ?? '').split(';')[0]!.trim().toLowerCase()
  if (!(PHOTO_MIMES as readonly string[]).includes(mime))
    throw new TallyError(
      'UNSUPPORTED_MEDIA_TYPE',
      `A photo must be sent as ${PHOTO_MIMES.join(', ')} (Content-Type was ${mime || 'missing'}).`,
      'Content-Type',
    )
  return mime as PhotoMime
}

/** Refuses an empty or oversized body before any decoding. */
export function checkPhotoSize(body: unknown): Uint8Array {
  if (!(body instanceof Uint8Array) || body.length === 0)
    throw new TallyError('INVALID', 'The request body is empty: send the image bytes as the body.', 'body')
  if (body.length > MAX_PHOTO_BYTES)
    throw new TallyError(
      'PAYLOAD_TOO_LARGE',
      `The photo is ${body.length} bytes; at most ${MAX_PHOTO_BYTES} bytes (25 MB) are accepted.`,
      'body',
    )
  return body
}

export interface Thumbnail {
  data: Uint8Array
  mime: PhotoMime
  width: number
  height: number
}

/**
 * Checks that `data` is an image of the declared type and makes its thumbnail: about 640 px on the
 * long side, WebP, at most 30 KB (quality steps down, then size, until it fits).
 */
export async function makeThumbnail(data: Uint8Array, declared: PhotoMime): Promise<Thumbnail> {
  let format: string | undefined
  try {
    const meta = await sharp(data, { limitInputPixels: MAX_INPUT_PIXELS }).metadata()
    format = meta.format
  } catch (err) {
    throw new TallyError('INVALID', `The body is not a readable image: ${(err as Error).message}`, 'body')
  }
  const actual = format ? FORMAT_MIME[format] : undefined
  if (!actual)
    throw new TallyError(
      'UNSUPPORTED_MEDIA_TYPE',
      `The image is ${format ?? 'of no known format'}; send JPEG, PNG or WebP.`,
      'body',
    )
  if (actual !== declared)
    throw new TallyError(
      'INVALID',
      `The body is ${actual} but Content-Type says ${declared}.`,
      'Content-Type',
    )
  for (const side of [THUMB_LONG_SIDE_PX, ...THUMB_FALLBACK_SIDES_PX])
    for (const quality of THUMB_QUALITIES) {
      try {
        const { data: out, info } = await sharp(data, { limitInputPixels: MAX_INPUT_PIXELS })
          .rotate() // EXIF orientation, so the thumbnail stands the way the photo was taken
          .resize(side, side, { fit: 'inside', withoutEnlargement: true })
          .webp({ quality, effort: 4 })
          .toBuffer({ resolveWithObject: true })
        if (out.length <= MAX_THUMB_BYTES)
          return { data: new Uint8Array(out), mime: 'image/webp', width: info.width, height: info.height }
      } catch (err) {
        throw new TallyError('INVALID', `The image could not be decoded: ${(err as Error).message}`, 'body')
      }
    }
  throw new TallyError('INVALID', 'No thumbnail of this image fits in 30 KB.', 'body')
}
