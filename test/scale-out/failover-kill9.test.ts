/**
 * Vessel failover between relays on one PostgreSQL (docs/operations.md "Several relays on
 * PostgreSQL"), across processes: a vessel node started with `--relay A --relay B`, relay A reached
 * through a slow satellite link, both relays on one throwaway cluster. Relay A is killed with
 * SIGKILL while it ingests the crew's backlog; the vessel fails over to B, which resumes from the
 * cursors A left in the shared database. Every acknowledged edit ends up at B, both sides converge,
 * and no change A acknowledged is sent again: the vessel's sessions together acknowledged each
 * change exactly once.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { seedManifest } from '@tally/voyage-sim'
import type { BookingEntry } from '@tally/voyage-sim'
import { SatelliteLink } from '../link-sim/index.ts'
import { startPgCluster, type PgCluster } from '../support/postgres-cluster.ts'
import { lastLine, runCli, startService, waitFor, type Service } from '../support/processes.ts'
import { divergent, missingEdits, viewsOf, type AckedEdit } from '../reliability/support/world.ts'

const VESSEL = 'IMO9811000'
const VOYAGE = '024E'
const CONTAINERS = 120
const EDITS = 1_000
/** Slow enough that the backlog takes seconds to cross to A, so it can be killed mid-ingest. */
const SLOW_LINK = { rateBitsPerSecond: 48_000, oneWayDelayMs: 100 }
const RUNNING = new Set(['CHECKING', 'PREPARING', 'PUSHING', 'PROCESSING'])

interface Session {
  startedAt: string
  state: string
  changesUp: number
  bytesUp: number
  error: string | null
}

let cluster: PgCluster
let root: string
let relayA: Service | undefined
let relayB: Service | undefined
let vessel: Service | undefined
let link: SatelliteLink | undefined
let manifest: BookingEntry[]
let shoreToken: string
let crewToken: string

async function cli(script: string, args: string[]): Promise<string> {
  const r = await runCli(script, args)
  if (r.code !== 0) throw new Error(`${script} ${args[0]} failed (${r.code}): ${r.stderr || r.stdout}`)
  return lastLine(r.stdout)
}

const rest =
  (base: () => string, token: () => string) =>
  async (method: string, url: string, body?: unknown): Promise<{ status: number; body: any }> => {
    const res = await fetch(base() + url, {
      method,
      headers: {
        authorization: `Bearer ${token()}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    })
    const text = await res.text()
    return { status: res.status, body: text ? JSON.parse(text) : null }
  }
const vesselApi = rest(
  () => vessel!.url,
  () => crewToken,
)
const relayBApi = rest(
  () => relayB!.url,
  () => shoreToken,
)
const poll = <T>(probe: () => Promise<T | undefined>, timeoutMs: number, everyMs = 100) =>
  waitFor(() => probe().catch(() => undefined), timeoutMs, everyMs)

/** Waits for a completed session that started after `since` and left nothing pending. */
function settled(since: string, timeoutMs = 180_000) {
  return poll(
    async () => {
      const s = (await vesselApi('GET', '/api/sync')).body
      if (s.lastSyncAt && s.lastSyncAt >= since && s.pendingChanges === 0) return s
      if (!RUNNING.has(s.state)) await vesselApi('POST', '/api/sync')
      return undefined
    },
    timeoutMs,
    250,
  )
}

beforeAll(async () => {
  cluster = await startPgCluster({ fast: true })
  const url = cluster.createDatabase('failover')
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'tally-failover-'))
  const vesselDir = path.join(root, 'vessel')
  const vesselToken = await cli('relay/src/cli.ts', [
    'add-vessel',
    '--database',
    url,
    '--vessel',
    VESSEL,
    '--name',
    'MV Failover',
    '--create',
  ])
  ;[shoreToken, crewToken] = await Promise.all([
    cli('relay/src/cli.ts', ['add-user', '--database', url, '--user', 'dana', '--role', 'shore']),
    cli('vessel-node/src/cli.ts', ['add-crew', '--data', vesselDir, '--user', 'bosun', '--create']),
  ])
  const serve = () => startService('relay/src/cli.ts', ['serve', '--port', '0', '--database', url])
  ;[relayA, relayB] = await Promise.all([serve(), serve()])
  manifest = seedManifest({ seed: 5, vessel: VESSEL, voyage: VOYAGE, containers: CONTAINERS })
  const booked = await relayBApi('POST', `/api/vessels/${VESSEL}/containers`, manifest)
  expect(booked.status, JSON.stringify(booked.body)).toBe(201)
  link = new SatelliteLink({ listenPort: 0, target: { host: '127.0.0.1', port: relayA.port }, ...SLOW_LINK })
  const linkPort = (await link.start()).port
  vessel = await startService('vessel-node/src/cli.ts', [
    'serve',
    '--port',
    '0',
    '--data',
    vesselDir,
    '--relay',
    `ws://127.0.0.1:${linkPort}/link`,
    '--relay',
    `${relayB.url.replace('http', 'ws')}/link`,
    '--vessel',
    VESSEL,
    '--token',
    vesselToken,
    '--sync-interval-s',
    '3600',
  ])
  await settled('1970-01-01T00:00:00.000Z') // the booking list comes aboard through A
}, 300_000)

afterAll(async () => {
  await vessel?.stop('SIGKILL').catch(() => undefined)
  await Promise.all([relayA?.stop('SIGKILL'), relayB?.stop('SIGKILL')].map((p) => p?.catch(() => undefined)))
  await link?.stop().catch(() => undefined)
  cluster?.destroy()
  if (root) fs.rmSync(root, { recursive: true, force: true })
})

/** Crew edits, six at a time; resolves with those the vessel node acknowledged. */
async function crewEdits(count: number, from = 0): Promise<AckedEdit[]> {
  const reefers = manifest.filter((m) => m.isoType.includes('R'))
  const acked: AckedEdit[] = []
  const base = Date.parse('2026-11-02T00:00:00Z')
  let next = from
  await Promise.all(
    Array.from({ length: 6 }, async () => {
      while (next < from + count) {
        const i = next++
        const at = new Date(base + i * 60_000).toISOString()
        if (i % 2 === 0 && reefers.length > 0) {
          const containerId = reefers[(i / 2) % reefers.length]!.containerId
          const r = await vesselApi('POST', `/api/containers/${containerId}/readings`, {
            at,
            supplyC: 4 + (i % 7) / 10,
            returnC: 5.2,
          })
          if (r.status === 201) acked.push({ kind: 'reading', containerId, at })
        } else {
          const containerId = manifest[i % manifest.length]!.containerId
          const r = await vesselApi('PATCH', `/api/containers/${containerId}`, {
            physical: { lashingCheckedAt: at },
          })
          if (r.status === 200) acked.push({ kind: 'lashing', containerId, at })
        }
      }
    }),
  )
  return acked
}

describe('kill -9 of a relay mid-ingest, with a second relay on the same PostgreSQL', () => {
  it('the vessel fails over to B, converges, loses nothing and sends nothing acknowledged again', async () => {
    const before = new Date().toISOString()
    // Half the backlog crosses to A and is acknowledged: compact rounds carry hundreds of edits in
    // one chunk, so "A acknowledged a chunk and more is on its way" needs two sessions.
    const acked = await crewEdits(EDITS / 2)
    await vesselApi('POST', '/api/sync')
    await settled(before)
    const second = new Date().toISOString()
    acked.push(...(await crewEdits(EDITS / 2, EDITS / 2)))
    expect(acked).toHaveLength(EDITS)
    link!.resetStats()
    await vesselApi('POST', '/api/sync')
    // Mid-ingest: the second half is on its way to A.
    await poll(
      async () => {
        const s = (await vesselApi('GET', '/api/sync')).body
        return s.state === 'PUSHING' && s.lastAttemptAt >= second && link!.stats().bytesUp > 1_000
          ? true
          : undefined
      },
      120_000,
      25,
    )
    await relayA!.stop('SIGKILL')
    const killedAt = new Date().toISOString()
    const done = await settled(killedAt)
    expect(done.lastError).toBeNull()

    const vesselViews = await viewsOf(vesselApi, '/api/containers?limit=1000')
    const relayViews = await viewsOf(relayBApi, `/api/vessels/${VESSEL}/containers?limit=1000`)
    expect(vesselViews.size).toBe(CONTAINERS)
    expect(missingEdits(acked, vesselViews)).toEqual([])
    expect(missingEdits(acked, relayViews)).toEqual([])
    expect(divergent(vesselViews, relayViews)).toEqual([])

    // Each crew edit is one change. The session cut by the kill counted what A acknowledged; the
    // sessions through B counted the rest: together exactly the backlog, so B was sent nothing that
    // A had acknowledged (a chunk A took in but never acknowledged may go again, and counts once).
    const sessions = ((await vesselApi('GET', '/api/sync/sessions?limit=50')).body as Session[]).filter(
      (s) => s.startedAt >= before,
    )
    const cut = sessions.filter((s) => s.startedAt < killedAt)
    const afterKill = sessions.filter((s) => s.startedAt >= killedAt)
    const throughA = cut.reduce((n, s) => n + s.changesUp, 0)
    const throughB = afterKill.reduce((n, s) => n + s.changesUp, 0)
    expect(throughA).toBeGreaterThan(0)
    expect(throughB).toBeGreaterThan(0)
    expect(throughA + throughB).toBe(EDITS)
    console.info(
      `failover: ${throughA} changes acknowledged by A before the kill, ${throughB} by B after; ` +
        `bytes up ${cut.reduce((n, s) => n + s.bytesUp, 0)} to A, ${afterKill.reduce((n, s) => n + s.bytesUp, 0)} to B`,
    )
  }, 400_000)
})
