/**
 * The world the crew UI's end-to-end tests and benchmark run in: a real relay process and a real
 * vessel node process (each on its own temp SQLite directory), the relay seeded with a booking list
 * through `POST /api/vessels/:imo/containers`, and the vessel's relay URL routed through a
 * {@link SatelliteLink} so a test can cut the link. The vessel receives the booking list the way a
 * ship does: in its first link window.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { seedManifest } from '@tally/voyage-sim'
import type { BookingEntry } from '@tally/voyage-sim'
import { SatelliteLink } from '../link-sim/index.ts'
import { lastLine, runCli, startRelayProcess, startVesselProcess, waitFor } from '../support/processes.ts'
import type { Service } from '../support/processes.ts'

export const VESSEL = 'IMO9811000'
export const VOYAGE = '024E'
/** Fast enough that 2,000 genesis documents cross in seconds, slow enough to still be a queue. */
export const FAST_LINK = { rateBitsPerSecond: 50_000_000, oneWayDelayMs: 5 }
/** Containers per booking request: the relay yields between write batches, but one big body is slow. */
const BOOKING_BATCH = 500
/** The first link window carries the whole booking list. */
const FIRST_SYNC_TIMEOUT_MS = 90_000

export interface CrewTokens {
  vessel: string
  shore: string
  customs: string
  /** Crew member `bosun` on the vessel node. */
  crew: string
  /** A second crew member, `mate`. */
  mate: string
}

export interface CrewWorld {
  root: string
  relay: Service
  vessel: Service
  link: SatelliteLink
  tokens: CrewTokens
  manifest: BookingEntry[]
  /** Vessel node REST as a crew member (default bosun). */
  vesselApi: (pathAndQuery: string, init?: RequestInit & { token?: string }) => Promise<Response>
  /** Relay REST as a shore user (default the shore clerk). */
  relayApi: (pathAndQuery: string, init?: RequestInit & { token?: string }) => Promise<Response>
  /** Starts a sync now and waits until a session that started after this call completed. */
  syncAndWait: (timeoutMs?: number) => Promise<SyncStatus>
  close: () => Promise<void>
}

/** The parts of `GET /api/sync` the tests read. */
export interface SyncStatus {
  state: string
  linkUp: boolean
  pendingChanges: number
  lastSyncAt: string | null
  lastError: string | null
  lastAttemptAt: string | null
  totals: { bytesUp: number; bytesDown: number }
}

export interface CrewWorldOptions {
  containers: number
  seed?: number
  /** Extra vessel CLI flags. */
  vesselArgs?: string[]
  log?: (line: string) => void
}

async function cli(script: string, args: string[]): Promise<string> {
  const r = await runCli(script, args)
  if (r.code !== 0) throw new Error(`${script} ${args[0]} failed (${r.code}): ${r.stderr || r.stdout}`)
  return lastLine(r.stdout)
}

function restClient(base: string, defaultToken: string) {
  return (pathAndQuery: string, init: RequestInit & { token?: string } = {}) => {
    const { token, headers, ...rest } = init
    return fetch(`${base}${pathAndQuery}`, {
      ...rest,
      headers: {
        authorization: `Bearer ${token ?? defaultToken}`,
        ...(rest.body ? { 'content-type': 'application/json' } : {}),
        ...(headers as Record<string, string> | undefined),
      },
    })
  }
}

/** Issues tokens, starts relay, link and vessel, books the voyage and waits for the first sync. */
export async function startCrewWorld(o: CrewWorldOptions): Promise<CrewWorld> {
  // TALLY_E2E_VERBOSE=1 prints where the set-up time goes.
  const log =
    o.log ??
    (process.env.TALLY_E2E_VERBOSE
      ? (l: string) => process.stderr.write(`[crew-world] ${l}\n`)
      : () => undefined)
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tally-crew-e2e-'))
  const relayDir = path.join(root, 'relay')
  const vesselDir = path.join(root, 'vessel')
  const started: { relay?: Service; vessel?: Service; link?: SatelliteLink } = {}
  const close = async () => {
    await started.vessel?.stop().catch(() => undefined)
    await started.link?.stop().catch(() => undefined)
    await started.relay?.stop().catch(() => undefined)
    fs.rmSync(root, { recursive: true, force: true })
  }
  try {
    const t0 = performance.now()
    // The first CLI run against a data directory creates and migrates its database; the runs after
    // it only insert tokens, so they go side by side (each run is a process start, seconds on a
    // busy machine).
    const relayCli = (args: string[]) => cli('relay/src/cli.ts', [...args, '--data', relayDir])
    const vesselCli = (args: string[]) => cli('vessel-node/src/cli.ts', [...args, '--data', vesselDir])
    const [[relayTokens, relay], crewTokens] = await Promise.all([
      relayCli(['add-vessel', '--vessel', VESSEL, '--name', 'MV Tally Express', '--create']).then(
        async (vessel) => {
          const [shore, customs] = await Promise.all([
            relayCli(['add-user', '--user', 'dana', '--role', 'shore']),
            relayCli(['add-user', '--user', 'carlos', '--role', 'customs']),
          ])
          // The relay starts while the vessel's crew tokens are still being issued.
          const service = (started.relay = await startRelayProcess(relayDir))
          log(`relay ready after ${Math.round(performance.now() - t0)} ms`)
          return [{ vessel, shore, customs }, service] as const
        },
      ),
      vesselCli(['add-crew', '--user', 'bosun', '--create']).then(async (crew) => ({
        crew,
        mate: await vesselCli(['add-crew', '--user', 'mate']),
      })),
    ])
    const tokens: CrewTokens = { ...relayTokens, ...crewTokens }
    const relayApi = restClient(relay.url, tokens.shore)
    const manifest = seedManifest({
      seed: o.seed ?? 1,
      vessel: VESSEL,
      voyage: VOYAGE,
      containers: o.containers,
    })
    const t1 = performance.now()
    for (let i = 0; i < manifest.length; i += BOOKING_BATCH) {
      const res = await relayApi(`/api/vessels/${VESSEL}/containers`, {
        method: 'POST',
        body: JSON.stringify(manifest.slice(i, i + BOOKING_BATCH)),
      })
      if (res.status !== 201) throw new Error(`booking failed: ${res.status} ${await res.text()}`)
    }
    log(`booked ${manifest.length} containers in ${Math.round(performance.now() - t1)} ms`)

    const link = (started.link = new SatelliteLink({
      listenPort: 0,
      target: { host: '127.0.0.1', port: relay.port },
      ...FAST_LINK,
    }))
    const { port: linkPort } = await link.start()
    const vessel = (started.vessel = await startVesselProcess({
      dataDir: vesselDir,
      relayUrl: `ws://127.0.0.1:${linkPort}/link`,
      vessel: VESSEL,
      token: tokens.vessel,
      // Automatic windows would race the tests' own; edits still trigger a sync after 2 s.
      extra: ['--sync-interval-s', '3600', ...(o.vesselArgs ?? [])],
    }))
    const vesselApi = restClient(vessel.url, tokens.crew)
    log(`vessel node ready after ${Math.round(performance.now() - t0)} ms`)

    const status = async (): Promise<SyncStatus> => {
      const res = await vesselApi('/api/sync')
      if (!res.ok) throw new Error(`GET /api/sync: ${res.status}`)
      return (await res.json()) as SyncStatus
    }
    /**
     * Polls through transient socket errors: while the vessel node applies a big window its event
     * loop is busy, its keep-alive timer then closes an idle socket just as the next poll reuses it,
     * and the poll sees ECONNRESET.
     */
    const poll = <T>(probe: () => Promise<T | undefined>, timeoutMs: number, everyMs: number) =>
      waitFor(() => probe().catch(() => undefined), timeoutMs, everyMs)
    const syncAndWait = async (timeoutMs = 60_000): Promise<SyncStatus> => {
      const since = new Date().toISOString()
      // A session already running may have packed its changes before ours; wait for one that starts later.
      await poll(
        async () => {
          const res = await vesselApi('/api/sync', { method: 'POST' })
          if (res.status !== 202) throw new Error(`POST /api/sync: ${res.status}`)
          const s = await status()
          return s.lastAttemptAt && s.lastAttemptAt >= since ? true : undefined
        },
        timeoutMs,
        200,
      )
      return poll(
        async () => {
          const s = await status()
          return s.lastSyncAt && s.lastSyncAt >= since && s.state !== 'CHECKING' ? s : undefined
        },
        timeoutMs,
        100,
      )
    }

    const t2 = performance.now()
    await poll(
      async () => {
        const s = await status()
        if (!s.lastSyncAt) return undefined
        const list = (await (await vesselApi('/api/containers?limit=1')).json()) as { total: number }
        return list.total === manifest.length ? true : undefined
      },
      FIRST_SYNC_TIMEOUT_MS,
      250,
    ).catch((err: unknown) => {
      throw new Error(
        `${(err as Error).message}\nvessel:\n${vessel.output().slice(-3000)}\nrelay:\n${relay.output().slice(-2000)}`,
      )
    })
    log(
      `first link window delivered ${manifest.length} containers in ${Math.round(performance.now() - t2)} ms`,
    )

    return { root, relay, vessel, link, tokens, manifest, vesselApi, relayApi, syncAndWait, close }
  } catch (err) {
    await close()
    throw err
  }
}
