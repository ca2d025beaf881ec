import net from 'node:net'
import { performance } from 'node:perf_hooks'

/** A real TCP server on 127.0.0.1:0 that records what it receives and can echo it back. */
export interface TestServer {
  port: number
  /** Server-side sockets, in accept order. */
  sockets: net.Socket[]
  /** Bytes received per accepted socket, and when each chunk arrived (performance.now()). */
  received: { data: Buffer[]; times: number[]; closed: boolean; error: string | undefined }[]
  close(): Promise<void>
}

/** Start a server that echoes (or, with `echo: false`, only records) every byte it receives. */
export async function startTestServer(options: { echo: boolean }): Promise<TestServer> {
  const sockets: net.Socket[] = []
  const received: TestServer['received'] = []
  const server = net.createServer((socket) => {
    const record = {
      data: [] as Buffer[],
      times: [] as number[],
      closed: false,
      error: undefined as string | undefined,
    }
    sockets.push(socket)
    received.push(record)
    socket.on('data', (chunk: Buffer) => {
      record.data.push(chunk)
      record.times.push(performance.now())
      if (options.echo) socket.write(chunk)
    })
    socket.on('error', (err: NodeJS.ErrnoException) => (record.error = err.code ?? err.message))
    socket.on('close', () => (record.closed = true))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    port: (server.address() as net.AddressInfo).port,
    sockets,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy()
        server.close(() => resolve())
      }),
  }
}

/** Connect to 127.0.0.1:port, collecting whatever arrives and how the socket ends. */
export function connectClient(port: number): {
  socket: net.Socket
  chunks: Buffer[]
  ended: Promise<{ error: string | undefined }>
  bytes(): number
} {
  const socket = net.connect({ host: '127.0.0.1', port })
  const chunks: Buffer[] = []
  let error: string | undefined
  socket.on('data', (c: Buffer) => chunks.push(c))
  socket.on('error', (err: NodeJS.ErrnoException) => (error = err.code ?? err.message))
  const ended = new Promise<{ error: string | undefined }>((resolve) =>
    socket.on('close', () => resolve({ error })),
  )
  return { socket, chunks, ended, bytes: () => chunks.reduce((n, c) => n + c.length, 0) }
}

/** Poll `predicate` every 5 ms until it holds; fail after `timeoutMs`. */
export async function waitFor(
  predicate: () => boolean,
  timeoutMs: number,
  what = 'condition',
): Promise<void> {
  const deadline = performance.now() + timeoutMs
  while (!predicate()) {
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 5))
  }
}

/** Deterministic pseudo-random bytes (a fixed LCG), so a failure reproduces. */
export function patternBytes(length: number, seed = 1): Buffer {
  const out = Buffer.alloc(length)
  let x = seed >>> 0
  for (let i = 0; i < length; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0
    out[i] = x >>> 24
  }
  return out
}
