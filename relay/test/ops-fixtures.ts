/**
 * Fixtures for the operator tools' tests: a real relay (port 0, fresh data directory) with ops,
 * shore and customs tokens, a vessel token, and a vessel replica on its own SQLite file that syncs
 * over the real `/link` with the real link client.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { randomBytes } from 'node:crypto'
import { pino } from 'pino'
import { createRelay } from '../src/app.ts'
import type { Relay } from '../src/app.ts'
import type { OpsOptions } from '../src/ops/index.ts'
import { seedRelay, syncOnce, VESSEL, vesselSide } from '../../test/link/fixtures.ts'

export { VESSEL }

export interface OpsRelay {
  relay: Relay
  dir: string
  tokens: { ops: string; shore: string; vessel: string }
  linkUrl: string
  /** JSON request; `token: null` sends none. */
  api(
    method: string,
    urlPath: string,
    options?: { token?: string | null; body?: unknown },
  ): Promise<{ status: number; body: any }>
  /** A vessel replica for {@link VESSEL}, created on first use. */
  vessel(): ReturnType<typeof vesselSide>
  /** One link session of the vessel replica. */
  sync(): ReturnType<typeof syncOnce>
  close(): Promise<void>
}

/** A relay with `n` containers of {@link VESSEL} created by a shore clerk. */
export async function startOpsRelay(
  options: { containers?: number; ops?: OpsOptions } = {},
): Promise<OpsRelay> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tally-ops-'))
  const relay = await createRelay({
    dataDir: dir,
    port: 0,
    logger: pino({ level: process.env.LOG_LEVEL ?? 'silent' }),
    ops: options.ops,
  })
  const ctx = relay.context
  ctx.vessels.add(VESSEL, 'Tally Express')
  const tokens = {
    ops: ctx.tokens.issue('user', 'olga', 'ops'),
    shore: ctx.tokens.issue('user', 'alice', 'shore'),
    vessel: ctx.tokens.issue('vessel', VESSEL, 'vessel'),
  }
  seedRelay(ctx, options.containers ?? 30, randomBytes(16).toString('hex'))
  const linkUrl = relay.url.replace(/^http/, 'ws') + '/link'
  let vessel: ReturnType<typeof vesselSide> | undefined
  const vesselDir = path.join(dir, 'vessel')
  fs.mkdirSync(vesselDir)
  const vesselReplica = () => (vessel ??= vesselSide(vesselDir))
  return {
    relay,
    dir,
    tokens,
    linkUrl,
    async api(method, urlPath, o = {}) {
      const token = o.token === undefined ? tokens.ops : o.token
      const headers: Record<string, string> = {}
      if (token !== null) headers.authorization = `Bearer ${token}`
      if (o.body !== undefined) headers['content-type'] = 'application/json'
      const res = await fetch(relay.url + urlPath, {
        method,
        headers,
        body: o.body === undefined ? undefined : JSON.stringify(o.body),
      })
      const text = await res.text()
      let body: unknown = text
      try {
        body = JSON.parse(text)
      } catch {
        // HTML, metrics
      }
      return { status: res.status, body }
    },
    vessel: vesselReplica,
    sync: () => syncOnce(vesselReplica(), linkUrl, tokens.vessel),
    async close() {
      await relay.close()
      vessel?.db.close()
      fs.rmSync(dir, { recursive: true, force: true })
    },
  }
}
