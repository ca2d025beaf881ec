import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { pino } from 'pino'
import { withCheckDigit } from '@tally/manifest'
import { createRelay } from '../src/app.ts'
import type { Relay } from '../src/app.ts'

export const VESSEL = 'IMO9811000'
export const VOYAGE = '024E'
/** The repository root, for spawning the CLI. */
export const REPO_ROOT = path.resolve(import.meta.dirname, '../..')

/** A temp directory removed by the returned cleanup. */
export function tempDir(prefix = 'tally-relay-'): { dir: string; cleanup: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix))
  return { dir, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) }
}

export interface TestRelay {
  relay: Relay
  dir: string
  /** User tokens by role, issued directly through the token store. */
  tokens: { shore: string; customs: string; ops: string }
  /** JSON request against the relay; `token: null` sends no Authorization header. */
  api(
    method: string,
    urlPath: string,
    options?: { token?: string | null; body?: unknown; rawBody?: string },
  ): Promise<{ status: number; body: any }>
  close(): Promise<void>
}

/** A real relay on port 0 over a fresh data directory. */
export async function startTestRelay(): Promise<TestRelay> {
  const { dir, cleanup } = tempDir()
  const relay = await createRelay({ dataDir: dir, port: 0, logger: pino({ level: 'silent' }) })
  const issue = (name: string, role: string) => relay.context.tokens.issue('user', name, role)
  const tokens = {
    shore: issue('alice', 'shore'),
    customs: issue('carl', 'customs'),
    ops: issue('olga', 'ops'),
  }
  return {
    relay,
    dir,
    tokens,
    async api(method, urlPath, options = {}) {
      const token = options.token === undefined ? tokens.shore : options.token
      const headers: Record<string, string> = {}
      if (token !== null) headers.authorization = `Bearer ${token}`
      let body: string | undefined
      if (options.rawBody !== undefined || options.body !== undefined) {
        headers['content-type'] = 'application/json'
        body = options.rawBody ?? JSON.stringify(options.body)
      }
      const res = await fetch(relay.url + urlPath, { method, headers, body })
      const text = await res.text()
      let parsed: unknown = text
      try {
        parsed = JSON.parse(text)
      } catch {
        // not JSON (metrics, HTML)
      }
      return { status: res.status, body: parsed }
    },
    async close() {
      await relay.close()
      cleanup()
    },
  }
}

/** The n-th valid container number of a test series (owner code TSTU). */
export function containerNo(n: number): string {
  return withCheckDigit(`TSTU${String(n).padStart(6, '0')}`)
}

/** A booking entry as the bulk endpoint takes it. */
export function booking(n: number, overrides: Record<string, unknown> = {}) {
  const reefer = n % 10 === 0
  return {
    containerId: containerNo(n),
    isoType: reefer ? '45R1' : '22G1',
    voyage: VOYAGE,
    cargo: { booking: `BK${String(n).padStart(6, '0')}`, pol: 'KRPUS', pod: 'USLAX', vgmKg: 20_000 + n },
    customs: { status: 'PENDING', hsCodes: ['847130'] },
    physical: { state: 'PLANNED', stowage: `${String(1 + (n % 40)).padStart(3, '0')}0${n % 2}82` },
    ...overrides,
  }
}
