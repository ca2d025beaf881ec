/**
 * A WebSocket proxy for `/link` that duplicates and reorders chunk frames in both directions, as a
 * misbehaving middlebox or a resend after a lost ack would. Every other frame passes untouched and
 * in order. Counts what it did, so a test can show the faults really happened.
 */
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { WebSocket, WebSocketServer } from 'ws'
import type { RawData } from 'ws'
import { decodeFrame } from '@tally/link'

export interface ManglingOptions {
  /** Every n-th chunk (per direction) is sent twice. */
  duplicateEvery: number
  /** Every n-th chunk (per direction) is held back and sent after the next frame. */
  delayEvery: number
}

export class ManglingProxy {
  readonly counts = { chunks: 0, duplicated: 0, reordered: 0 }
  private readonly server = http.createServer()
  private readonly wss = new WebSocketServer({ noServer: true, perMessageDeflate: false })

  constructor(
    private readonly target: string,
    private readonly options: ManglingOptions,
  ) {
    this.server.on('upgrade', (req, socket, head) =>
      this.wss.handleUpgrade(req, socket, head, (client) => this.bridge(client)),
    )
  }

  async start(): Promise<string> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r))
    return `ws://127.0.0.1:${(this.server.address() as AddressInfo).port}/link`
  }

  async stop(): Promise<void> {
    for (const ws of this.wss.clients) ws.terminate()
    this.wss.close()
    await new Promise<void>((r) => this.server.close(() => r()))
  }

  private bridge(client: WebSocket): void {
    const upstream = new WebSocket(this.target, { perMessageDeflate: false })
    const early: RawData[] = []
    const toUpstream = this.mangler((d) => upstream.send(d))
    const toClient = this.mangler((d) => client.readyState === WebSocket.OPEN && client.send(d))
    client.on('message', (data) =>
      upstream.readyState === WebSocket.OPEN ? toUpstream(data) : early.push(data),
    )
    upstream.on('open', () => early.splice(0).forEach(toUpstream))
    upstream.on('message', (data) => toClient(data))
    const closeBoth = (code: number, reason: Buffer) => {
      const c = code >= 1000 && code < 5000 && code !== 1005 && code !== 1006 ? code : 1000
      for (const ws of [client, upstream])
        if (ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING) ws.close(c, reason)
    }
    client.on('close', closeBoth)
    upstream.on('close', closeBoth)
    client.on('error', () => upstream.terminate())
    upstream.on('error', () => client.terminate())
  }

  /** A sender that applies the faults to chunk frames of one direction. */
  private mangler(send: (data: Buffer) => void): (data: RawData) => void {
    let chunks = 0
    let held: Buffer | undefined
    let timer: NodeJS.Timeout | undefined
    const release = () => {
      clearTimeout(timer)
      if (held) send(held)
      held = undefined
    }
    return (raw) => {
      const data = Buffer.isBuffer(raw) ? raw : Buffer.concat(raw as Buffer[])
      let isChunk = false
      try {
        isChunk = decodeFrame(data).t === 'chunk'
      } catch {
        // not ours to judge: pass it on
      }
      if (!isChunk) {
        send(data)
        release()
        return
      }
      chunks++
      this.counts.chunks++
      if (chunks % this.options.delayEvery === 0 && !held) {
        held = data
        this.counts.reordered++
        // If nothing follows, let it go anyway: the point is reordering, not loss.
        timer = setTimeout(release, 200)
        return
      }
      send(data)
      if (chunks % this.options.duplicateEvery === 0) {
        send(data)
        this.counts.duplicated++
      }
      release()
    }
  }
}
