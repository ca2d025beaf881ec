/**
 * Test photos made with sharp at test time (no binary fixtures): a noisy gradient that compresses
 * like a real photograph, so a 1,600 × 1,200 JPEG comes out at about 2 MB.
 */
import sharp from 'sharp'

/** A seeded PRNG, so the same call makes the same bytes. */
function prng(seed: number): () => number {
  let s = seed >>> 0 || 1
  return () => {
    s ^= s << 13
    s ^= s >>> 17
    s ^= s << 5
    return (s >>> 0) / 0x1_0000_0000
  }
}

/** Raw RGB pixels: a gradient with noise of amplitude `noise` (0–255). */
function pixels(width: number, height: number, seed: number, noise: number): Buffer {
  const rand = prng(seed)
  const out = Buffer.alloc(width * height * 3)
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3
      const n = (rand() - 0.5) * noise
      out[i] = Math.max(0, Math.min(255, (x * 255) / width + n))
      out[i + 1] = Math.max(0, Math.min(255, (y * 255) / height + n))
      out[i + 2] = Math.max(0, Math.min(255, 128 + n))
    }
  return out
}

export interface TestImageOptions {
  width?: number
  height?: number
  seed?: number
  format?: 'jpeg' | 'png' | 'webp'
  /** Noise amplitude; larger makes bigger files. */
  noise?: number
  quality?: number
}

/** An image of roughly photographic content, as a JPEG (default), PNG or WebP. */
export async function testImage(o: TestImageOptions = {}): Promise<Buffer> {
  const width = o.width ?? 320
  const height = o.height ?? 240
  const image = sharp(pixels(width, height, o.seed ?? 1, o.noise ?? 60), {
    raw: { width, height, channels: 3 },
  })
  const format = o.format ?? 'jpeg'
  if (format === 'png') return image.png().toBuffer()
  if (format === 'webp') return image.webp({ quality: o.quality ?? 80 }).toBuffer()
  return image.jpeg({ quality: o.quality ?? 90 }).toBuffer()
}

/** A JPEG of about 2 MB: 3,000 × 2,250 (a 7-megapixel phone photo) with sensor-like noise. */
export function twoMegabytePhoto(seed = 1): Promise<Buffer> {
  return testImage({ width: 3000, height: 2250, seed, noise: 40, quality: 86 })
}
