/**
 * One compression context per connection, both ways (docs/protocol.md, "Compression on the
 * connection"). A round of a long-lived link carries a few dozen small edits; compressed one chunk
 * at a time they cost three to four times what they cost inside a whole day's batch, because every
 * chunk starts brotli from nothing: the same container numbers, field names and frame shapes are
 * paid for again and again. Here every frame after the first welcome goes through one brotli stream
 * per direction, flushed at the end of each frame, so a frame is decodable as soon as it arrives and
 * what earlier rounds sent is the dictionary for the next.
 *
 * Each message then starts with one byte saying whether the rest went through the stream or beside
 * it (a large frame, compressed on its own already).
 *
 * minizlib drives Node's zlib binding synchronously, so frames keep their order and the session
 * stays a plain synchronous state machine.
 */
import { BrotliCompress, BrotliDecompress, constants } from 'minizlib'
import { FrameError } from './codec.ts'
import { CloseCode, MAX_FRAME_BYTES } from './messages.ts'

/**
 * Quality 11 with a 1 MiB window. On the standard day of rounds (docs/benchmarks.md) quality 6 sent
 * 146 KB, 9 143 KB and 11 137 KB; frames are small, so the slowest setting costs little CPU, and
 * its memory stays under 1 MB per stream while the input is small.
 */
const QUALITY = 11
const WINDOW_BITS = 20
/**
 * Frames larger than this pass beside the stream: they are chunks of a backlog, compressed on their
 * own already, and running them through quality 11 again would cost seconds for nothing.
 */
export const STREAM_MAX_FRAME_BYTES = 20 * 1024
/** First byte of each message once compression started: how the rest is to be read. */
const PLAIN = 0
const STREAMED = 1
/** Several frames through the stream as one message (lean connections), each after its length. */
const STREAMED_MANY = 2

/** Outbound frames: identity until {@link FrameStream.start}, then one brotli stream. */
export class FrameStream {
  private compressor: BrotliCompress | undefined
  private decompressor: BrotliDecompress | undefined
  private output: Buffer[] = []
  private input: Buffer[] = []
  private inputBytes = 0

  /** Every frame from now on, each way, goes through the connection's compression context. */
  start(): void {
    if (this.compressor) return
    // minizlib hands its options to Node's zlib, which takes brotli's `params` (its types omit them).
    const params = { [constants.BROTLI_PARAM_QUALITY]: QUALITY, [constants.BROTLI_PARAM_LGWIN]: WINDOW_BITS }
    this.compressor = new BrotliCompress({ params } as ConstructorParameters<typeof BrotliCompress>[0])
    this.compressor.on('data', (b: Buffer) => this.output.push(b))
    this.decompressor = new BrotliDecompress({})
    this.decompressor.on('data', (b: Buffer) => {
      this.inputBytes += b.length
      // Thrown out of write(): a frame that would inflate past the limit stops here, bounded.
      if (this.inputBytes > MAX_FRAME_BYTES)
        throw new FrameError(CloseCode.TooLarge, `compressed frame inflates past ${MAX_FRAME_BYTES} bytes`)
      this.input.push(b)
    })
  }

  get started(): boolean {
    return this.compressor !== undefined
  }

  /** The bytes to put on the wire for one frame. */
  encode(frame: Uint8Array): Uint8Array {
    if (!this.compressor) return frame
    if (frame.length > STREAM_MAX_FRAME_BYTES) return Buffer.concat([Buffer.of(PLAIN), frame])
    return this.compress(STREAMED, [frame])
  }

  /**
   * The bytes to put on the wire for several small frames as one message: one flush of the stream
   * and one WebSocket header instead of one each (a flush costs a few bytes whatever it carries).
   */
  encodeMany(frames: Uint8Array[]): Uint8Array {
    if (!this.compressor || frames.length === 1 || frames.some((f) => f.length > STREAM_MAX_FRAME_BYTES))
      throw new Error('encodeMany takes two or more small frames on a compressing connection')
    return this.compress(
      STREAMED_MANY,
      frames.flatMap((f) => [lengthPrefix(f.length), f]),
    )
  }

  private compress(marker: number, parts: Uint8Array[]): Uint8Array {
    this.output = [Buffer.of(marker)]
    for (const part of parts)
      this.compressor!.write(Buffer.from(part.buffer, part.byteOffset, part.byteLength))
    this.compressor!.flush(constants.BROTLI_OPERATION_FLUSH)
    return Buffer.concat(this.output)
  }

  /** The frames in one message from the wire, in order. Throws FrameError: the connection cannot go on. */
  decodeAll(message: Uint8Array): Uint8Array[] {
    if (!this.decompressor) return [message]
    if (message[0] === PLAIN) return [message.subarray(1)]
    const marker = message[0]
    if ((marker !== STREAMED && marker !== STREAMED_MANY) || message.length < 2)
      throw new FrameError(CloseCode.BadFrame, 'message is neither a plain nor a compressed frame')
    const inflated = this.inflate(message.subarray(1))
    return marker === STREAMED ? [inflated] : splitFrames(inflated)
  }

  private inflate(message: Uint8Array): Uint8Array {
    if (!this.decompressor) return message
    this.input = []
    this.inputBytes = 0
    try {
      this.decompressor.write(Buffer.from(message.buffer, message.byteOffset, message.byteLength))
      this.decompressor.flush(constants.BROTLI_OPERATION_FLUSH)
    } catch (err) {
      if (err instanceof FrameError) throw err
      throw new FrameError(CloseCode.BadFrame, `cannot decompress frame: ${(err as Error).message}`)
    }
    if (this.inputBytes === 0) throw new FrameError(CloseCode.BadFrame, 'compressed message holds no frame')
    return this.input.length === 1 ? this.input[0]! : Buffer.concat(this.input)
  }

  close(): void {
    this.compressor?.close()
    this.decompressor?.close()
  }
}

/** A length as LEB128: 7 bits a byte, low bits first. */
function lengthPrefix(n: number): Uint8Array {
  const out: number[] = []
  do {
    out.push((n & 0x7f) | (n >= 0x80 ? 0x80 : 0))
    n = Math.floor(n / 0x80)
  } while (n > 0)
  return Uint8Array.from(out)
}

/** The frames of a STREAMED_MANY message: each after its LEB128 length. Throws FrameError. */
function splitFrames(data: Uint8Array): Uint8Array[] {
  const frames: Uint8Array[] = []
  let at = 0
  while (at < data.length) {
    let length = 0
    let shift = 0
    for (;;) {
      if (at >= data.length || shift > 21) throw new FrameError(CloseCode.BadFrame, 'malformed frame length')
      const byte = data[at++]!
      length += (byte & 0x7f) * 2 ** shift
      shift += 7
      if ((byte & 0x80) === 0) break
    }
    if (length === 0 || at + length > data.length)
      throw new FrameError(CloseCode.BadFrame, 'frame length past the end of the message')
    frames.push(data.subarray(at, at + length))
    at += length
  }
  if (frames.length < 2)
    throw new FrameError(CloseCode.BadFrame, 'a message of several frames holds fewer than two')
  return frames
}

/**
 * Sends one connection's frames. On a lean connection ({@link batch}) the frames sent in one tick
 * leave as one message (an ack, `done` and `fin`, say): one flush of the stream and one WebSocket
 * header instead of three. Elsewhere each frame is its own message, and the socket's writes of a
 * tick are still corked into one TCP write (one TLS record).
 */
export class FrameWriter {
  private queue: Uint8Array[] = []
  private batching = false

  constructor(
    private readonly frames: FrameStream,
    private readonly socket: () => { cork(): void; uncork(): void } | undefined,
    private readonly write: (message: Uint8Array) => void,
    /** Bytes of a batched message, once it left (the frames were counted as 0 when queued). */
    private readonly onBatchSent: (bytes: number) => void,
  ) {}

  /** From now on frames of one tick leave together (lean connections, after the stream started). */
  batch(): void {
    this.batching = true
  }

  /** Sends a frame, or queues it for the end of the tick; returns the wire bytes it took now. */
  send(frame: Uint8Array): number {
    if (!this.batching || !this.frames.started || frame.length > STREAM_MAX_FRAME_BYTES) {
      this.flush()
      const message = this.frames.encode(frame)
      oneFlightPerTick(this.socket())
      this.write(message)
      return message.length
    }
    this.queue.push(frame)
    if (this.queue.length === 1) process.nextTick(() => this.flush())
    return 0
  }

  /** Sends what is queued now (before a close, so an error frame still leaves). */
  flush(): void {
    const queued = this.queue
    if (queued.length === 0) return
    this.queue = []
    const message = queued.length === 1 ? this.frames.encode(queued[0]!) : this.frames.encodeMany(queued)
    this.write(message)
    this.onBatchSent(message.length)
  }
}

/**
 * Holds the socket's writes until the end of this tick, so frames sent together (an ack, `done`
 * and `fin`, say) leave as one write: over TLS one record instead of one per frame, 22 bytes each.
 */
export function oneFlightPerTick(socket: { cork(): void; uncork(): void } | undefined): void {
  if (!socket) return
  socket.cork()
  process.nextTick(() => socket.uncork())
}
