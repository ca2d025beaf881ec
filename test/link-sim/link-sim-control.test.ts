import { spawn } from 'node:child_process'
import { once } from 'node:events'
import path from 'node:path'
import readline from 'node:readline'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import { connectClient, startTestServer, waitFor } from './fixtures.ts'
import { SatelliteLink, type LinkStatus } from './index.ts'

const here = path.dirname(fileURLToPath(import.meta.url))
const root = path.resolve(here, '../..')

const cleanups: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn()
})

async function request(
  controlPort: number,
  method: string,
  route: string,
): Promise<{ status: number; body: any }> {
  const res = await fetch(`http://127.0.0.1:${controlPort}${route}`, { method })
  return { status: res.status, body: await res.json() }
}

describe('link control endpoint', () => {
  it('reports status and toggles the link', async () => {
    const server = await startTestServer({ echo: true })
    cleanups.push(() => server.close())
    const link = new SatelliteLink({
      listenPort: 0,
      target: { host: '127.0.0.1', port: server.port },
      rateBitsPerSecond: 64_000,
      oneWayDelayMs: 250,
      controlPort: 0,
    })
    cleanups.push(() => link.stop())
    const { port, controlPort } = await link.start()
    expect(controlPort).toBeGreaterThan(0)

    const status = await request(controlPort as number, 'GET', '/link')
    expect(status.status).toBe(200)
    expect(status.body).toEqual({
      up: true,
      port,
      target: { host: '127.0.0.1', port: server.port },
      rateBitsPerSecond: 64_000,
      oneWayDelayMs: 250,
      stats: { bytesUp: 0, bytesDown: 0, connections: 0, drops: 0, refused: 0, activeConnections: 0 },
    } satisfies LinkStatus)

    const down = await request(controlPort as number, 'POST', '/link/down')
    expect(down.body.up).toBe(false)
    expect(link.isUp).toBe(false)
    const up = await request(controlPort as number, 'POST', '/link/up')
    expect(up.body.up).toBe(true)
    expect(link.isUp).toBe(true)
    expect((await request(controlPort as number, 'GET', '/nope')).status).toBe(404)
    expect((await request(controlPort as number, 'DELETE', '/link')).status).toBe(405)
  })
})

describe('link-sim CLI', () => {
  it('runs as its own process with a control port', async () => {
    const server = await startTestServer({ echo: true })
    cleanups.push(() => server.close())
    const args = ['test/link-sim/cli.ts', '--listen', '0', '--target', `127.0.0.1:${server.port}`]
    args.push('--rate-kbps', '4000', '--delay-ms', '10', '--control-port', '0')
    const child = spawn(path.join(root, 'node_modules/.bin/tsx'), args, {
      cwd: root,
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    const exited = once(child, 'exit')
    cleanups.push(async () => {
      if (child.exitCode === null) {
        child.kill('SIGKILL')
        await exited
      }
    })
    let ports: { port: number; controlPort: number } | undefined
    readline.createInterface({ input: child.stdout }).on('line', (line) => {
      const entry = JSON.parse(line) as { msg?: string; port?: number; controlPort?: number }
      if (entry.msg === 'satellite link listening')
        ports = { port: entry.port!, controlPort: entry.controlPort! }
    })
    await waitFor(() => ports !== undefined, 15_000, 'CLI listening line')
    const { port, controlPort } = ports!

    const client = connectClient(port)
    client.socket.write('ping')
    await waitFor(() => client.bytes() === 4, 3_000, 'echo through the CLI link')
    expect(Buffer.concat(client.chunks).toString()).toBe('ping')

    await request(controlPort, 'POST', '/link/down')
    expect((await client.ended).error).toBe('ECONNRESET')
    const status = await request(controlPort, 'GET', '/link')
    expect(status.body).toMatchObject({ up: false, stats: { bytesUp: 4, bytesDown: 4, drops: 1 } })

    child.kill('SIGTERM')
    const [code] = await exited
    expect(code).toBe(0)
  })
})
