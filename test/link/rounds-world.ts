/**
 * A relay process and a vessel node process on a simulated satellite link (128 kbit/s, 300 ms each
 * way), left up, for the version 3 link's rounds: short batching windows and keepalive given on the
 * vessel's command line, a few hundred containers booked through the relay's REST API.
 */
import fs from 'node:fs'
import https from 'node:https'
import { execFileSync } from 'node:child_process'
import os from 'node:os'
import path from 'node:path'
import { seedManifest } from '@tally/voyage-sim'
import type { BookingEntry } from '@tally/voyage-sim'
import { SatelliteLink } from '../link-sim/index.ts'
import { lastLine, runCli, startRelayProcess, startService, waitFor } from '../support/processes.ts'
import type { Service } from '../support/processes.ts'

export const VESSEL = 'IMO9811000'
export const VOYAGE = '024E'
export const SATELLITE = { rateBitsPerSecond: 128_000, oneWayDelayMs: 300 }

async function cli(script: string, args: string[]): Promise<string> {
  const r = await runCli(script, args)
  if (r.code !== 0) throw new Error(`${script} ${args[0]} failed (${r.code}): ${r.stderr || r.stdout}`)
  return lastLine(r.stdout)
}

export type Rest = (method: string, url: string, body?: unknown) => Promise<{ status: number; body: any }>

/** REST over https:// trusting `ca` (fetch cannot take a CA per request without undici). */
const httpsRest =
  (base: () => string, token: string, ca: Buffer): Rest =>
  (method, url, body) =>
    new Promise((resolve, reject) => {
      const payload = body === undefined ? undefined : JSON.stringify(body)
      const req = https.request(
        base() + url,
        {
          method,
          ca,
          headers: {
            authorization: `Bearer ${token}`,
            ...(payload === undefined ? {} : { 'content-type': 'application/json' }),
          },
        },
        (res) => {
          let text = ''
          res.setEncoding('utf8')
          res.on('data', (d: string) => (text += d))
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : null }))
        },
      )
      req.on('error', reject)
      req.end(payload)
    })

const rest =
  (base: () => string, token: string, ca?: Buffer): Rest =>
  async (method, url, body) => {
    if (ca) return httpsRest(base, token, ca)(method, url, body)
    const res = await fetch(base() + url, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    })
    const text = await res.text()
    return { status: res.status, body: text ? JSON.parse(text) : null }
  }

export interface RoundsWorldOptions {
  containers: number
  /** Extra vessel `serve` flags (windows, keepalive). */
  vesselFlags: string[]
  /** Serve https:// and wss:// with a self-signed certificate made for the test. */
  tls?: boolean
}

/** Whether openssl is here to make a test certificate. */
export const hasOpenssl = (() => {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
})()

/** A self-signed certificate for 127.0.0.1 (it is its own CA), made with openssl. */
function selfSigned(dir: string): { cert: string; key: string } {
  const cert = path.join(dir, 'cert.pem')
  const key = path.join(dir, 'key.pem')
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes']
      .concat(['-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1'])
      .concat(['-addext', 'subjectAltName=IP:127.0.0.1']),
    { stdio: 'ignore' },
  )
  return { cert, key }
}

export async function startRoundsWorld(o: RoundsWorldOptions) {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tally-rounds-'))
  const relayDir = path.join(root, 'relay')
  const vesselDir = path.join(root, 'vessel')
  const procs: { relay?: Service; vessel?: Service; link?: SatelliteLink } = {}
  const close = async () => {
    await procs.vessel?.stop('SIGKILL').catch(() => undefined)
    await procs.link?.stop().catch(() => undefined)
    await procs.relay?.stop('SIGKILL').catch(() => undefined)
    fs.rmSync(root, { recursive: true, force: true })
  }
  try {
    const [vesselToken, crew] = await Promise.all([
      cli('relay/src/cli.ts', ['add-vessel', '--data', relayDir, '--vessel', VESSEL, '--name', 'MV Rounds']),
      cli('vessel-node/src/cli.ts', ['add-crew', '--data', vesselDir, '--user', 'bosun']),
    ])
    const user = (name: string, role: string) =>
      cli('relay/src/cli.ts', ['add-user', '--data', relayDir, '--user', name, '--role', role])
    const shore = await user('dana', 'shore')
    const ops = await user('olga', 'ops')
    const tls = o.tls ? selfSigned(root) : undefined
    const ca = tls ? fs.readFileSync(tls.cert) : undefined
    const relay = (procs.relay = tls
      ? await startService(
          'relay/src/cli.ts',
          ['serve', '--port', '0', '--data', relayDir].concat(['--tls-cert', tls.cert, '--tls-key', tls.key]),
        )
      : await startRelayProcess(relayDir))
    const relayApi = rest(() => relay.url, shore, ca)
    const opsApi = rest(() => relay.url, ops, ca)
    const manifest: BookingEntry[] = seedManifest({
      seed: 5,
      vessel: VESSEL,
      voyage: VOYAGE,
      containers: o.containers,
    })
    const booked = await relayApi('POST', `/api/vessels/${VESSEL}/containers`, manifest)
    if (booked.status !== 201)
      throw new Error(`booking failed: ${booked.status} ${JSON.stringify(booked.body)}`)
    const link = (procs.link = new SatelliteLink({
      listenPort: 0,
      target: { host: '127.0.0.1', port: relay.port },
      ...SATELLITE,
    }))
    const { port } = await link.start()
    const scheme = tls ? 'wss' : 'ws'
    procs.vessel = await startService('vessel-node/src/cli.ts', [
      'serve',
      '--port',
      '0',
      '--data',
      vesselDir,
      '--relay',
      `${scheme}://127.0.0.1:${port}/link`,
      '--vessel',
      VESSEL,
      '--token',
      vesselToken,
      ...(tls ? ['--tls-ca', tls.cert] : []),
      ...o.vesselFlags,
    ])
    const vessel = procs.vessel
    const vesselApi = rest(() => vessel.url, crew)
    const status = async () => (await vesselApi('GET', '/api/sync')).body
    const world = {
      root,
      manifest,
      link,
      relay,
      vessel,
      relayApi,
      opsApi,
      vesselApi,
      status,
      /** The relay's session log for the vessel, newest first (sessions, not connections). */
      relaySessions: async (): Promise<any[]> =>
        (await opsApi('GET', `/api/ops/vessels/${VESSEL}?limit=500`)).body.sessions,
      close,
    }
    // The booking list crosses first; the link is then quiet.
    await waitFor(async () => {
      const s = await status()
      return s.lastSyncAt && s.pendingChanges === 0 && s.state !== 'PUSHING' ? s : undefined
    }, 120_000)
    return world
  } catch (err) {
    await close()
    throw err
  }
}
export type RoundsWorld = Awaited<ReturnType<typeof startRoundsWorld>>

/** Polls `check` every `everyMs` until it is true; returns the milliseconds it took. */
export async function within(what: string, timeoutMs: number, check: () => Promise<boolean>, everyMs = 100) {
  const start = Date.now()
  await waitFor(async () => ((await check()) ? true : undefined), timeoutMs, everyMs).catch(() => {
    throw new Error(`${what}: not within ${timeoutMs} ms`)
  })
  return Date.now() - start
}
