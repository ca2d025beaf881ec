/**
 * Full photos over the link (docs/protocol.md, "Photos"): an additive part of the protocol. The
 * relay lists the photos shore asked for in a `want` frame, with how much of each it already holds;
 * the vessel sends them as `part` frames of at most {@link PHOTO_PART_BYTES}, each with the SHA-256
 * of its bytes, after every change chunk of the session is acknowledged (routine priority, after
 * all changes), within the day's budget. The relay stores a part durably before its `pack`; parts
 * must arrive in order, so what it holds is always a prefix, and after a drop the next `want` says
 * where to resume: acknowledged parts are never sent again.
 */
import { createHash } from 'node:crypto'
import type { PackFrame, PartFrame, WantFrame } from './messages.ts'

/** Bytes of photo per part frame: about 2 s of a 128 kbit/s link, so a drop wastes little. */
export const PHOTO_PART_BYTES = 32 * 1024
/** Parts in flight before the sender waits for a `pack`: covers the round trip at 128 kbit/s. */
export const PHOTO_WINDOW_PARTS = 3
/** A part refused this many times at one offset ends the session: the link corrupts everything. */
export const MAX_PART_ATTEMPTS = 5
/** Photos listed in one `want` frame; more wait for the next session. */
export const MAX_WANTED_PHOTOS = 100

export const sha256Of = (data: Uint8Array): Uint8Array =>
  new Uint8Array(createHash('sha256').update(data).digest())

/** A requested photo: its SHA-256 (hex), size, and the bytes the relay already holds. */
export interface WantedPhoto {
  sha: string
  off: number
  bytes: number
}

/** The vessel's photos, as the link reads them. */
export interface PhotoSource {
  /** The original's bytes, or undefined when it is not aboard. */
  read(sha256: string): Uint8Array | undefined
  /** The relay asked for these (recorded so the crew see REQUESTED and SENDING). */
  requested?(wanted: WantedPhoto[]): void
  /** The relay holds `received` bytes of the photo durably; `complete` once it is whole. */
  progress?(sha256: string, received: number, complete: boolean): void
}

/** The relay's store of photos arriving. */
export interface PhotoSink {
  /** Photos shore asked for from this vessel that have not fully arrived, oldest request first. */
  wanted(): WantedPhoto[]
  /**
   * Stores the part at `off` when it is the next one (`off` equals what is held) and answers how
   * much is held afterwards. A part already held changes nothing; a part beyond is not stored.
   */
  store(sha256: string, off: number, data: Uint8Array): { received: number; complete: boolean }
}

export class PhotoTransferFailure extends Error {}

interface Sending {
  sha: string
  bytes: number
  data: Uint8Array
  /** Bytes the relay holds. */
  acked: number
  /** The next offset to send. */
  next: number
  /** Refusals at the current resume point. */
  attempts: number
}

/**
 * The vessel's side: sends the wanted photos one after another, a window of parts at a time.
 * `admit` asks the budget for the bytes of a part (false: stop for today).
 */
export class PhotoSender {
  private readonly queue: Sending[] = []
  private stopped = false
  /** Photo bytes sent (parts' payload, resends included). */
  bytesSent = 0

  constructor(
    want: WantFrame,
    private readonly source: PhotoSource,
    private readonly sendPart: (frame: PartFrame) => void,
    private readonly admit: (bytes: number) => boolean,
  ) {
    source.requested?.(want.photos)
    for (const w of want.photos) {
      const data = source.read(w.sha)
      // A photo not aboard (or not the size shore expects) cannot be sent; the request stays open.
      if (!data || data.length !== w.bytes || w.off > data.length) continue
      this.queue.push({ sha: w.sha, bytes: w.bytes, data, acked: w.off, next: w.off, attempts: 0 })
    }
  }

  /** Nothing more will be sent: every photo is acknowledged whole, or the budget is spent. */
  get finished(): boolean {
    return this.stopped || this.queue.length === 0
  }

  /** Photo bytes not yet acknowledged by the relay (for the sync panel). */
  get remainingBytes(): number {
    return this.queue.reduce((n, s) => n + s.bytes - s.acked, 0)
  }

  /** Sends parts while the window has room. */
  pump(): void {
    const current = this.queue[0]
    if (!current || this.stopped) return
    while (
      current.next < current.bytes &&
      current.next - current.acked < PHOTO_WINDOW_PARTS * PHOTO_PART_BYTES
    ) {
      const data = current.data.subarray(
        current.next,
        Math.min(current.bytes, current.next + PHOTO_PART_BYTES),
      )
      if (!this.admit(data.length + 100)) {
        this.stopped = true
        return
      }
      this.sendPart({ t: 'part', sha: current.sha, off: current.next, sum: sha256Of(data), data })
      this.bytesSent += data.length
      current.next += data.length
    }
  }

  /** A `pack` from the relay. Throws PhotoTransferFailure after too many refusals at one offset. */
  onPack(pack: PackFrame): void {
    const current = this.queue.find((s) => s.sha === pack.sha)
    if (!current) return
    if (pack.ok) {
      if (pack.off > current.acked) {
        current.acked = Math.min(pack.off, current.bytes)
        current.attempts = 0
        this.source.progress?.(current.sha, current.acked, current.acked >= current.bytes)
      }
      if (current.acked >= current.bytes) this.queue.splice(this.queue.indexOf(current), 1)
    } else if (pack.at === pack.off) {
      // The part at the resume point was refused (its checksum failed on the way). Parts sent after
      // it are refused as out of order (at > off) and need nothing: going back here resends them.
      if (++current.attempts > MAX_PART_ATTEMPTS)
        throw new PhotoTransferFailure(
          `photo part at ${pack.off} refused ${MAX_PART_ATTEMPTS} times: ${pack.reason ?? 'no reason'}`,
        )
      current.acked = Math.max(current.acked, pack.off)
      current.next = pack.off
    }
    this.pump()
  }
}

/** The relay's side: checks each part's checksum and stores it; answers with a `pack`. */
export class PhotoReceiver {
  /** Photo bytes stored in this session. */
  bytesReceived = 0

  constructor(private readonly sink: PhotoSink) {}

  onPart(part: PartFrame): PackFrame {
    const sum = sha256Of(part.data)
    if (!equalBytes(sum, part.sum))
      return {
        t: 'pack',
        sha: part.sha,
        off: this.held(part.sha),
        at: part.off,
        ok: false,
        reason: 'checksum mismatch',
      }
    const before = this.held(part.sha)
    if (part.off > before)
      return { t: 'pack', sha: part.sha, off: before, at: part.off, ok: false, reason: 'out of order' }
    const { received } = this.sink.store(part.sha, part.off, part.data)
    this.bytesReceived += received - before
    return { t: 'pack', sha: part.sha, off: received, at: part.off, ok: true }
  }

  private held(sha: string): number {
    return this.sink.wanted().find((w) => w.sha === sha)?.off ?? 0
  }
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}
