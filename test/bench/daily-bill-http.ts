/**
 * A small JSON client for the daily-bill bench, over http or https. With TLS on, the relay's REST is
 * https with a certificate the bench made itself, which fetch cannot be told to trust without
 * restarting Node (NODE_EXTRA_CA_CERTS); node:https takes the CA per request.
 */
import http from 'node:http'
import https from 'node:https'

const REQUEST_TIMEOUT_MS = 30_000
/** Larger answers are a bug in the bench (a container view is a few KB). */
const MAX_RESPONSE_BYTES = 8 * 1024 * 1024

export interface JsonClient {
  call(method: string, url: string, token: string, body?: unknown): Promise<{ status: number; json: any }>
}

export function jsonClient(ca?: string): JsonClient {
  return {
    call: (method, url, token, body) =>
      new Promise((resolve, reject) => {
        const target = new URL(url)
        const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body))
        const headers: Record<string, string> = { authorization: `Bearer ${token}` }
        if (payload) {
          headers['content-type'] = 'application/json'
          headers['content-length'] = String(payload.length)
        }
        const options = { method, headers, timeout: REQUEST_TIMEOUT_MS }
        const onResponse = (res: http.IncomingMessage) => {
          const parts: Buffer[] = []
          let size = 0
          res.on('data', (d: Buffer) => {
            size += d.length
            if (size > MAX_RESPONSE_BYTES) res.destroy(new Error(`${url}: answer larger than 8 MB`))
            else parts.push(d)
          })
          res.on('error', reject)
          res.on('end', () => {
            const text = Buffer.concat(parts).toString('utf8')
            try {
              resolve({ status: res.statusCode ?? 0, json: text ? JSON.parse(text) : undefined })
            } catch {
              reject(new Error(`${method} ${url}: ${res.statusCode} ${text.slice(0, 200)}`))
            }
          })
        }
        const req =
          target.protocol === 'https:'
            ? https.request(target, { ...options, ca }, onResponse)
            : http.request(target, options, onResponse)
        req.on('timeout', () =>
          req.destroy(new Error(`${method} ${url}: no answer in ${REQUEST_TIMEOUT_MS} ms`)),
        )
        req.on('error', reject)
        req.end(payload)
      }),
  }
}

/** `call`, throwing unless the status is 2xx. */
export async function callOk(
  client: JsonClient,
  method: string,
  url: string,
  token: string,
  body?: unknown,
): Promise<any> {
  const { status, json } = await client.call(method, url, token, body)
  if (status < 200 || status >= 300) throw new Error(`${method} ${url}: ${status} ${JSON.stringify(json)}`)
  return json
}
