/**
 * A real relay (createRelay on port 0, temp data directory) with a booked voyage, and stock
 * automerge-repo Node clients (`Repo` + `WebSocketClientAdapter`) that talk to its `/sync`.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { pino } from 'pino'
import { Repo } from '@automerge/automerge-repo'
import type { AutomergeUrl, DocHandle, PeerId } from '@automerge/automerge-repo'
import { WebSocketClientAdapter } from '@automerge/automerge-repo-network-websocket'
import { WebSocket } from 'ws'
import { documentIdFor, documentUrlFor, withCheckDigit } from '@tally/manifest'
import type { ContainerDoc, ContainerKey } from '@tally/manifest'
import { createRelay } from '../../relay/src/app.ts'
import type { Relay, RelayOptions } from '../../relay/src/app.ts'

export const VESSEL = 'IMO9811000'
export const VOYAGE = '024E'

/** The n-th container number of the test series. */
export const containerNo = (n: number): string => withCheckDigit(`TSTU${String(n).padStart(6, '0')}`)
export const keyOf = (n: number): ContainerKey => ({
  vessel: VESSEL,
  voyage: VOYAGE,
  containerId: containerNo(n),
})
export const urlOf = (n: number): AutomergeUrl => documentUrlFor(keyOf(n))
export const docIdOf = (n: number): string => documentIdFor(keyOf(n))

export interface SyncRelay {
  relay: Relay
  dir: string
  /** `ws://127.0.0.1:PORT/sync` */
  syncUrl: string
  tokens: { shore: string; customs: string; ops: string }
  api(method: string, urlPath: string, body?: unknown, token?: string): Promise<{ status: number; body: any }>
  close(): Promise<void>
}

/** A relay with `containers` booked containers (every tenth a reefer). */
export async function startSyncRelay(
  containers = 5,
  options: Partial<RelayOptions> = {},
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tally-sync-')),
): Promise<SyncRelay> {
  const relay = await createRelay({ dataDir: dir, port: 0, logger: pino({ level: 'silent' }), ...options })
  const issue = (name: string, role: string) => relay.context.tokens.issue('user', name, role)
  const tokens = {
    shore: issue('alice', 'shore'),
    customs: issue('carl', 'customs'),
    ops: issue('olga', 'ops'),
  }
  const api: SyncRelay['api'] = async (method, urlPath, body, token = tokens.shore) => {
    const res = await fetch(relay.url + urlPath, {
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
  if (containers > 0 && !fs.existsSync(path.join(dir, '.booked'))) {
    const items = Array.from({ length: containers }, (_, i) => booking(i + 1))
    const res = await api('POST', `/api/vessels/${VESSEL}/containers`, items)
    if (res.status !== 201) throw new Error(`booking failed: ${res.status} ${JSON.stringify(res.body)}`)
    fs.writeFileSync(path.join(dir, '.booked'), '')
  }
  return {
    relay,
    dir,
    syncUrl: `${relay.url.replace('http', 'ws')}/sync`,
    tokens,
    api,
    async close() {
      await relay.close()
    },
  }
}

export function booking(n: number) {
  const reefer = n % 10 === 0
  return {
    containerId: containerNo(n),
    isoType: reefer ? '45R1' : '22G1',
    voyage: VOYAGE,
    cargo: { booking: `BK${String(n).padStart(6, '0')}`, pol: 'KRPUS', pod: 'USLAX', vgmKg: 20_000 + n },
    customs: { status: 'PENDING', hsCodes: ['847130'] },
    physical: { state: 'PLANNED', stowage: `${String(1 + (n % 40)).padStart(3, '0')}0${n % 2}82` },
  }
}

export interface SyncClient {
  repo: Repo
  adapter: WebSocketClientAdapter
  find(n: number): Promise<DocHandle<ContainerDoc>>
  close(): Promise<void>
}

let clients = 0

/** A stock automerge-repo client (no storage) on `/sync?token=`. */
export function syncClient(syncUrl: string, token: string, peerId?: string): SyncClient {
  const adapter = new WebSocketClientAdapter(`${syncUrl}?token=${encodeURIComponent(token)}`, 200)
  const repo = new Repo({ network: [adapter], peerId: (peerId ?? `test-client-${++clients}`) as PeerId })
  return {
    repo,
    adapter,
    find: (n) => repo.find<ContainerDoc>(urlOf(n)),
    async close() {
      await repo.shutdown()
    },
  }
}

/** Polls until `probe` returns a value other than undefined/false, bounded in time. */
export async function waitFor<T>(
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 10_000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await probe()
    if (value !== undefined && value !== false) return value
    if (Date.now() > deadline) throw new Error(`${what} not met within ${timeoutMs} ms`)
    await new Promise((r) => setTimeout(r, 25))
  }
}

/** A raw WebSocket to `/sync`, resolving with how it was closed. */
export function rawSocket(url: string): {
  ws: WebSocket
  opened: Promise<void>
  closed: Promise<{ code: number; reason: string }>
} {
  const ws = new WebSocket(url)
  const opened = new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve())
    ws.once('error', reject)
  })
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  )
  return { ws, opened, closed }
}
