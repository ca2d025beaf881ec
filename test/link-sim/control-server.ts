import http from 'node:http'
import type { SatelliteLink } from './satellite-link.ts'

/**
 * Start the control endpoint of a link on `host:port`:
 * - `GET /link` → {@link LinkStatus} JSON
 * - `POST /link/down`, `POST /link/up` → the status after the change
 * - `POST /link/reset-stats` → the status with zeroed counters
 *
 * Responses allow any origin so a demo page on another port can toggle the link. It binds to
 * 127.0.0.1 only and is a test tool, so it has no authentication.
 */
export async function startControlServer(
  link: SatelliteLink,
  port: number,
  host: string,
): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname.replace(/\/+$/, '')
    const send = (status: number, body: unknown): void => {
      res.writeHead(status, {
        'content-type': 'application/json',
        'access-control-allow-origin': '*',
        'access-control-allow-methods': 'GET, POST, OPTIONS',
        'cache-control': 'no-store',
      })
      res.end(body === undefined ? undefined : JSON.stringify(body))
    }
    const actions: Record<string, () => void> = {
      '/link/down': () => link.down('control'),
      '/link/up': () => link.up(),
      '/link/reset-stats': () => link.resetStats(),
    }
    if (req.method === 'OPTIONS') return send(204, undefined)
    if (path === '/link' && req.method === 'GET') return send(200, link.status())
    const action = actions[path]
    if (action !== undefined && req.method === 'POST') {
      action()
      return send(200, link.status())
    }
    const known = path === '/link' || action !== undefined
    send(known ? 405 : 404, {
      error: {
        code: known ? 'METHOD_NOT_ALLOWED' : 'NOT_FOUND',
        message: `${req.method} ${path} is not served`,
      },
    })
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  return server
}
