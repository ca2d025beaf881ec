import { once } from 'node:events'
import { performance } from 'node:perf_hooks'
import { afterEach, describe, expect, it } from 'vitest'
import { WebSocket, WebSocketServer } from 'ws'
import { connectClient, patternBytes, startTestServer, waitFor, type TestServer } from './fixtures.ts'
import { SatelliteLink, type SatelliteLinkOptions } from './index.ts'

const cleanups: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn()
})

async function setup(
  server: { echo: boolean },
  options: Omit<SatelliteLinkOptions, 'listenPort' | 'target'>,
): Promise<{ link: SatelliteLink; server: TestServer; port: number }> {
  const testServer = await startTestServer(server)
  cleanups.push(() => testServer.close())
  const link = new SatelliteLink({
    listenPort: 0,
    target: { host: '127.0.0.1', port: testServer.port },
    ...options,
  })
  cleanups.push(() => link.stop())
  const { port } = await link.start()
  return { link, server: testServer, port }
}

describe('SatelliteLink shaping', () => {
  it('carries 200 KB both ways byte for byte and passes a clean close through', async () => {
    const { link, port } = await setup({ echo: true }, { rateBitsPerSecond: 4_000_000, oneWayDelayMs: 10 })
    const payload = patternBytes(200 * 1024)
    const client = connectClient(port)
    client.socket.write(payload)
    await waitFor(() => client.bytes() >= payload.length, 5_000, 'echo of 200 KB')
    expect(Buffer.concat(client.chunks).equals(payload)).toBe(true)
    expect(link.stats()).toMatchObject({ bytesUp: payload.length, bytesDown: payload.length, connections: 1 })
    // The FIN travels up, the echo server closes, its FIN travels down: no reset anywhere.
    client.socket.end()
    expect(await client.ended).toEqual({ error: undefined })
    await waitFor(() => link.stats().activeConnections === 0, 1_000, 'connection cleanup')
  })

  it('delivers at the configured rate', async () => {
    const rate = 2_000_000
    const { server, port } = await setup({ echo: false }, { rateBitsPerSecond: rate, oneWayDelayMs: 20 })
    const payload = patternBytes(256 * 1024)
    const client = connectClient(port)
    client.socket.write(payload)
    await waitFor(() => server.received[0]?.data.reduce((n, c) => n + c.length, 0) === payload.length, 5_000)
    const { data, times } = server.received[0]
    // Rate between the first and last arrival: independent of delay and handshake.
    const bits = (payload.length - data[0].length) * 8
    const measured = bits / ((times[times.length - 1] - times[0]) / 1000)
    expect(measured, `measured ${Math.round(measured)} bit/s`).toBeGreaterThan(0.6 * rate)
    expect(measured, `measured ${Math.round(measured)} bit/s`).toBeLessThan(1.3 * rate)
  })

  it('shares one serialized wire between connections, round-robin', async () => {
    const rate = 2_000_000
    const { server, port } = await setup({ echo: false }, { rateBitsPerSecond: rate, oneWayDelayMs: 10 })
    const size = 64 * 1024
    const clients = [connectClient(port), connectClient(port)]
    await waitFor(() => server.received.length === 2, 2_000, 'two connections')
    const start = performance.now()
    for (const c of clients) c.socket.write(patternBytes(size))
    const total = (i: number): number => server.received[i].data.reduce((n, c) => n + c.length, 0)
    await waitFor(() => total(0) === size && total(1) === size, 5_000, 'both uploads')
    const finish = [0, 1].map((i) => server.received[i].times.at(-1) as number)
    // Together they take as long as one 128 KiB upload, and neither waits for the other to finish.
    const expectedMs = (2 * size * 8 * 1000) / rate
    expect(Math.max(...finish) - start).toBeGreaterThan(0.9 * expectedMs)
    expect(Math.min(...finish) - start).toBeGreaterThan(0.8 * expectedMs)
  })

  it('applies the one-way delay, and a round trip for the TCP handshake', async () => {
    const delay = 150
    const { server, port } = await setup(
      { echo: true },
      { rateBitsPerSecond: 100_000_000, oneWayDelayMs: delay },
    )
    const client = connectClient(port)
    await once(client.socket, 'connect')
    const connectedAt = performance.now()
    client.socket.write('a')
    await waitFor(() => client.bytes() === 1, 3_000, 'first echo')
    // SYN up, SYN-ACK down, then the data up: 1.5 round trips before the server sees a byte.
    expect(server.received[0].times[0] - connectedAt).toBeGreaterThanOrEqual(3 * delay - 5)

    const sentAt = performance.now()
    client.socket.write('b')
    await waitFor(() => client.bytes() === 2, 3_000, 'second echo')
    const oneWay = server.received[0].times[1] - sentAt
    const roundTrip = performance.now() - sentAt
    expect(oneWay).toBeGreaterThanOrEqual(delay - 2)
    expect(oneWay).toBeLessThan(delay + 80)
    expect(roundTrip).toBeGreaterThanOrEqual(2 * delay - 2)
    expect(roundTrip).toBeLessThan(2 * delay + 120)
  })

  it('carries a WebSocket connection', async () => {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 })
    await once(wss, 'listening')
    cleanups.push(() => new Promise((resolve) => wss.close(() => resolve())))
    wss.on('connection', (ws) => ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary })))
    const wsPort = (wss.address() as { port: number }).port
    const link = new SatelliteLink({
      listenPort: 0,
      target: { host: '127.0.0.1', port: wsPort },
      rateBitsPerSecond: 4_000_000,
      oneWayDelayMs: 10,
    })
    cleanups.push(() => link.stop())
    const { port } = await link.start()

    const ws = new WebSocket(`ws://127.0.0.1:${port}/link`)
    cleanups.push(async () => ws.terminate())
    await once(ws, 'open')
    const replies: Buffer[] = []
    ws.on('message', (data) => replies.push(data as Buffer))
    const binary = patternBytes(100 * 1024, 7)
    ws.send('hello')
    ws.send(binary)
    await waitFor(() => replies.length === 2, 5_000, 'two echoed messages')
    expect(replies[0].toString()).toBe('hello')
    expect(replies[1].equals(binary)).toBe(true)
    expect(link.stats().bytesUp).toBeGreaterThan(binary.length)
  })
})

describe('SatelliteLink outages', () => {
  it('down() resets open connections and refuses new ones; up() lets them in again', async () => {
    const { link, server, port } = await setup(
      { echo: false },
      { rateBitsPerSecond: 256_000, oneWayDelayMs: 20 },
    )
    const events: string[] = []
    link.on('down', (reason) => events.push(`down:${reason}`))
    link.on('up', () => events.push('up'))
    const drops: number[] = []
    link.on('drop', (e) => drops.push(e.lostBytesUp))

    const client = connectClient(port)
    client.socket.write(patternBytes(100 * 1024)) // about 3.2 s at 256 kbit/s
    const record = (): TestServer['received'][number] => server.received[0]
    await waitFor(() => (record()?.data.length ?? 0) >= 8, 3_000, 'transfer under way')
    link.down()
    expect(link.isUp).toBe(false)
    expect((await client.ended).error).toBe('ECONNRESET')
    await waitFor(() => record().closed, 1_000, 'server side closed')
    expect(record().error).toBe('ECONNRESET')
    expect(record().data.reduce((n, c) => n + c.length, 0)).toBeLessThan(100 * 1024)
    expect(drops).toHaveLength(1)
    expect(drops[0]).toBeGreaterThan(0)

    const refused = connectClient(port)
    refused.socket.write('lost')
    expect((await refused.ended).error).toBeDefined()
    expect(server.received).toHaveLength(1)
    expect(link.stats()).toMatchObject({ connections: 1, drops: 1, refused: 1 })

    link.up()
    const again = connectClient(port)
    again.socket.write('hello')
    await waitFor(() => server.received[1]?.data.length === 1, 2_000, 'delivery after up()')
    expect(server.received[1].data[0].toString()).toBe('hello')
    expect(events).toEqual(['down:manual', 'up'])
    again.socket.destroy()
  })

  it('dropAfterBytes cuts the link after exactly n bytes in that direction', async () => {
    const { link, server, port } = await setup(
      { echo: false },
      { rateBitsPerSecond: 2_000_000, oneWayDelayMs: 10 },
    )
    const payload = patternBytes(50 * 1024, 3)
    const client = connectClient(port)
    link.dropAfterBytes(100, 'down') // only uploads happen: must not trip
    link.dropAfterBytes(10_000, 'up')
    const down = once(link, 'down')
    client.socket.write(payload)
    expect(await down).toEqual(['drop-after-bytes'])
    expect(link.isUp).toBe(false)
    await client.ended
    await waitFor(() => server.received[0]?.closed === true, 2_000, 'server side closed')
    const got = Buffer.concat(server.received[0].data)
    expect(got.length).toBe(10_000)
    expect(got.equals(payload.subarray(0, 10_000))).toBe(true)
    expect(link.stats()).toMatchObject({ bytesUp: 10_000, drops: 1 })
  })

  it('schedule() alternates windows and stop() cancels it', async () => {
    const { link } = await setup({ echo: false }, { rateBitsPerSecond: 1_000_000, oneWayDelayMs: 5 })
    const events: string[] = []
    link.on('down', () => events.push('down'))
    link.on('up', () => events.push('up'))
    link.schedule([{ upMs: 100, downMs: 100 }], { repeat: true })
    await waitFor(() => events.length >= 4, 2_000, 'four transitions')
    expect(events.slice(0, 4)).toEqual(['down', 'up', 'down', 'up'])
    await link.stop()
    const seen = events.length
    await new Promise((r) => setTimeout(r, 250))
    expect(events.length).toBe(seen)

    const once2 = new SatelliteLink({ listenPort: 0, target: { host: '127.0.0.1', port: 1 } })
    cleanups.push(() => once2.stop())
    once2.schedule([{ upMs: 20, downMs: 30 }])
    await waitFor(() => !once2.isUp, 1_000, 'scheduled outage')
    await waitFor(() => once2.isUp, 1_000, 'link left up after the last window')
  })
})

describe('SatelliteLink corruption', () => {
  it('flips the chosen bytes of the raw stream and nothing else', async () => {
    const { link, server, port } = await setup(
      { echo: false },
      { rateBitsPerSecond: 4_000_000, oneWayDelayMs: 5 },
    )
    const client = connectClient(port)
    const payload = patternBytes(5_000, 5)
    let corrupted = 0
    link.on('corrupt', (e) => (corrupted += e.length))
    link.corruptNext('up', { afterBytes: 1_000, length: 4 })
    client.socket.write(payload)
    await waitFor(() => server.received[0]?.data.reduce((n, c) => n + c.length, 0) === payload.length, 3_000)
    const got = Buffer.concat(server.received[0].data)
    const diffs = [...got.keys()].filter((i) => got[i] !== payload[i])
    expect(diffs).toEqual([1_000, 1_001, 1_002, 1_003])
    for (const i of diffs) expect(got[i] ^ payload[i]).toBe(0x01)
    expect(corrupted).toBe(4)
    client.socket.destroy()
  })

  it('corrupts a WebSocket binary payload without breaking the framing', async () => {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false })
    await once(wss, 'listening')
    cleanups.push(() => new Promise((resolve) => wss.close(() => resolve())))
    const messages: Buffer[] = []
    wss.on('connection', (ws) => ws.on('message', (data) => messages.push(data as Buffer)))
    const link = new SatelliteLink({
      listenPort: 0,
      target: { host: '127.0.0.1', port: (wss.address() as { port: number }).port },
      rateBitsPerSecond: 8_000_000,
      oneWayDelayMs: 5,
    })
    cleanups.push(() => link.stop())
    const { port } = await link.start()
    // permessage-deflate off: a flipped bit in compressed data would fail inflation, not the checksum.
    const ws = new WebSocket(`ws://127.0.0.1:${port}/link`, { perMessageDeflate: false })
    cleanups.push(async () => ws.terminate())
    await once(ws, 'open')

    const frame = patternBytes(64 * 1024, 9)
    // A 64 KiB client frame has a 14-byte header (2 + 8-byte length + 4-byte mask).
    link.corruptNext('up', { afterBytes: 30_000, length: 1, mask: 0xff })
    ws.send(frame)
    ws.send(frame)
    await waitFor(() => messages.length === 2, 5_000, 'two frames')
    const diffs = [...messages[0].keys()].filter((i) => messages[0][i] !== frame[i])
    expect(diffs).toEqual([30_000 - 14])
    expect(messages[1].equals(frame)).toBe(true)
    expect(ws.readyState).toBe(WebSocket.OPEN)
  })
})
