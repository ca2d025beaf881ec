/**
 * A relay process and a vessel node process (their CLIs, their own SQLite directories), the vessel's
 * link routed through a {@link SatelliteLink}, the relay seeded with a booking list, and helpers to
 * make acknowledged crew edits, restart either process with any signal, and compare both sides.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { isReeferType } from '@tally/manifest'
import { seedManifest } from '@tally/voyage-sim'
import type { BookingEntry } from '@tally/voyage-sim'
import { SatelliteLink } from '../../link-sim/index.ts'
import { lastLine, runCli, startRelayProcess, startService, waitFor } from '../../support/processes.ts'
import type { Service } from '../../support/processes.ts'

export const VESSEL = 'IMO9811000'
/** Sync engine states with a session in progress. */
const RUNNING = new Set(['CHECKING', 'PREPARING', 'PUSHING', 'PROCESSING'])
export const VOYAGE = '024E'

export interface SyncStatus {
  state: string
  pendingChanges: number
  lastSyncAt: string | null
  lastAttemptAt: string | null
  lastError: string | null
  /** Changes the relay refused (kept as dead letters on the vessel). */
  deadLetters: number
  progress?: { bytesUp: number; chunksUp: number; changesUp: number } | null
}

/** An edit the vessel node acknowledged: it must survive anything. */
export type AckedEdit =
  { kind: 'reading'; containerId: string; at: string } | { kind: 'lashing'; containerId: string; at: string }

async function cli(script: string, args: string[]): Promise<string> {
  const r = await runCli(script, args)
  if (r.code !== 0) throw new Error(`${script} ${args[0]} failed (${r.code}): ${r.stderr || r.stdout}`)
  return lastLine(r.stdout)
}

const rest =
  (base: () => string, token: string) =>
  async (method: string, url: string, body?: unknown): Promise<{ status: number; body: any }> => {
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

/** Satellite link rate (bits/s) and one-way delay. */
export interface LinkOptions {
  rateBitsPerSecond: number
  oneWayDelayMs: number
}
const FAST_LINK: LinkOptions = { rateBitsPerSecond: 20_000_000, oneWayDelayMs: 2 }

export interface WorldOptions {
  containers: number
  /** Environment of the vessel node process (a clock skew preload, for instance). */
  vesselEnv?: NodeJS.ProcessEnv
}

interface Procs {
  relay?: Service
  vessel?: Service
  link?: SatelliteLink
}

async function stopAll(procs: Procs, root: string): Promise<void> {
  await procs.vessel?.stop('SIGKILL').catch(() => undefined)
  await procs.link?.stop().catch(() => undefined)
  await procs.relay?.stop('SIGKILL').catch(() => undefined)
  fs.rmSync(root, { recursive: true, force: true })
}

/** Starts the world; if any step fails, whatever already runs is stopped and removed. */
export async function startWorld(o: WorldOptions) {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tally-reliability-'))
  const procs: Procs = {}
  try {
    return await buildWorld(o, root, procs)
  } catch (err) {
    await stopAll(procs, root)
    throw err
  }
}

async function buildWorld(o: WorldOptions, root: string, procs: Procs) {
  const relayDir = path.join(root, 'relay')
  const vesselDir = path.join(root, 'vessel')
  const [vesselToken, crew] = await Promise.all([
    cli('relay/src/cli.ts', [
      'add-vessel',
      '--data',
      relayDir,
      '--vessel',
      VESSEL,
      '--name',
      'MV Reliability',
      '--create',
    ]),
    cli('vessel-node/src/cli.ts', ['add-crew', '--data', vesselDir, '--user', 'bosun', '--create']),
  ])
  // After add-vessel: the first run against a data directory creates and migrates its database.
  const shoreToken = await cli('relay/src/cli.ts', [
    'add-user',
    '--data',
    relayDir,
    '--user',
    'dana',
    '--role',
    'shore',
  ])
  const relay = (procs.relay = await startRelayProcess(relayDir))
  const relayApi = rest(() => procs.relay!.url, shoreToken)
  const manifest: BookingEntry[] = seedManifest({
    seed: 3,
    vessel: VESSEL,
    voyage: VOYAGE,
    containers: o.containers,
  })
  const booked = await relayApi('POST', `/api/vessels/${VESSEL}/containers`, manifest)
  if (booked.status !== 201)
    throw new Error(`booking failed: ${booked.status} ${JSON.stringify(booked.body)}`)
  const openLink = async (options: LinkOptions) => {
    const link = new SatelliteLink({
      listenPort: 0,
      target: { host: '127.0.0.1', port: relay.port },
      ...options,
    })
    return { link, port: (await link.start()).port }
  }
  // The booking list crosses a fast link; a test may switch to a slow one afterwards (useLink).
  let { link, port: linkPort } = await openLink(FAST_LINK)
  procs.link = link
  let vesselEnv = o.vesselEnv
  const startVessel = (port = 0) =>
    startService(
      'vessel-node/src/cli.ts',
      [
        'serve',
        '--port',
        String(port),
        '--data',
        vesselDir,
        '--relay',
        `ws://127.0.0.1:${linkPort}/link`,
        '--vessel',
        VESSEL,
        '--token',
        vesselToken,
        '--sync-interval-s',
        '3600',
      ],
      vesselEnv,
    )
  procs.vessel = await startVessel()
  const vesselApi = rest(() => procs.vessel!.url, crew)
  const status = async (): Promise<SyncStatus> => (await vesselApi('GET', '/api/sync')).body as SyncStatus
  const poll = <T>(probe: () => Promise<T | undefined>, timeoutMs: number, everyMs = 100) =>
    waitFor(() => probe().catch(() => undefined), timeoutMs, everyMs)

  const world = {
    root,
    relayDir,
    vesselDir,
    manifest,
    get link() {
      return procs.link!
    },
    tokens: { vessel: vesselToken, shore: shoreToken, crew },
    get relay() {
      return procs.relay!
    },
    get vessel() {
      return procs.vessel!
    },
    relayApi,
    vesselApi,
    status,
    poll,
    /** Waits for a completed session that started after `since` and left nothing pending. */
    async settled(since: string, timeoutMs = 120_000): Promise<SyncStatus> {
      // A session that completes after `since` started after it: one running then was cut off by
      // whatever happened at `since` (a kill), or is the one this waits for.
      return poll(
        async () => {
          const s = await status()
          // The vessel stamps its sessions with its own clock, which a test may have skewed.
          const skew = Number(vesselEnv?.TALLY_CLOCK_SKEW_MS ?? 0)
          const vesselSince = new Date(Date.parse(since) + skew).toISOString()
          if (s.lastSyncAt && s.lastSyncAt >= vesselSince && s.pendingChanges === 0) return s
          if (!RUNNING.has(s.state)) await vesselApi('POST', '/api/sync')
          return undefined
        },
        timeoutMs,
        500,
      )
    },
    /** Stops the relay with `signal` and starts it again on the same port and data. */
    async restartRelay(signal: NodeJS.Signals): Promise<void> {
      const port = procs.relay!.port
      await procs.relay!.stop(signal)
      procs.relay = await startRelayProcess(relayDir, port)
    },
    /** Routes the vessel through a new link with these properties (restarting the vessel node). */
    async useLink(options: LinkOptions): Promise<void> {
      const old = procs.link!
      ;({ link, port: linkPort } = await openLink(options))
      procs.link = link
      await procs.vessel!.stop('SIGTERM')
      await old.stop()
      procs.vessel = await startVessel()
    },
    async stopVessel(signal: NodeJS.Signals): Promise<void> {
      await procs.vessel!.stop(signal)
    },
    /** Starts the vessel node again, with a new environment if given (e.g. another clock skew). */
    async startVessel(env?: NodeJS.ProcessEnv): Promise<void> {
      if (env) vesselEnv = env
      procs.vessel = await startVessel()
    },
    /** Crew edits, `concurrency` at a time; resolves with those the vessel node acknowledged. */
    async crewEdits(
      count: number,
      o2: { concurrency?: number; stop?: () => boolean; tag?: number } = {},
    ): Promise<AckedEdit[]> {
      const reefers = manifest.filter((m) => isReeferType(m.isoType))
      const boxes = manifest
      const acked: AckedEdit[] = []
      let next = 0
      const base = Date.parse('2026-11-02T00:00:00Z') + (o2.tag ?? 0) * 86_400_000
      const one = async (i: number) => {
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
          const containerId = boxes[i % boxes.length]!.containerId
          const r = await vesselApi('PATCH', `/api/containers/${containerId}`, {
            physical: { lashingCheckedAt: at },
          })
          if (r.status === 200) acked.push({ kind: 'lashing', containerId, at })
        }
      }
      await Promise.all(
        Array.from({ length: o2.concurrency ?? 6 }, async () => {
          while (next < count && !o2.stop?.()) {
            const i = next++
            try {
              await one(i)
            } catch {
              // The process died under the request: not acknowledged, so not owed.
            }
          }
        }),
      )
      return acked
    },
    close: () => stopAll(procs, root),
  }
  await world.settled('1970-01-01T00:00:00.000Z', 120_000)
  return world
}
export type World = Awaited<ReturnType<typeof buildWorld>>

/** Every acknowledged edit present in a side's views (missing ones are returned). */
export function missingEdits(edits: AckedEdit[], views: Map<string, any>): AckedEdit[] {
  // Lashing checks overwrite each other: the newest acknowledged one per container must remain, or
  // a newer one (an edit that a kill cut off after its commit, before its answer, is not lost).
  const lastLashing = new Map<string, string>()
  for (const e of edits)
    if (e.kind === 'lashing' && (lastLashing.get(e.containerId) ?? '') < e.at)
      lastLashing.set(e.containerId, e.at)
  return edits.filter((e) => {
    const v = views.get(e.containerId)
    if (!v) return true
    if (e.kind === 'reading') return !(v.reefer?.readings ?? []).some((r: { at: string }) => r.at === e.at)
    const kept: string | undefined = v.physical?.lashingCheckedAt
    return lastLashing.get(e.containerId) === e.at && !(kept !== undefined && kept >= e.at)
  })
}

/** All container views of one side, by container number. */
export async function viewsOf(api: World['relayApi'], url: string): Promise<Map<string, any>> {
  const res = await api('GET', url)
  if (res.status !== 200) throw new Error(`${url}: ${res.status}`)
  return new Map((res.body.items as any[]).map((v) => [v.containerId, v]))
}

/** Containers whose heads differ between the two sides. */
export function divergent(a: Map<string, any>, b: Map<string, any>): string[] {
  const ids = new Set([...a.keys(), ...b.keys()])
  const key = (v: any) => (v ? [...v.heads].sort().join() : 'missing')
  return [...ids].filter((id) => key(a.get(id)) !== key(b.get(id)))
}
