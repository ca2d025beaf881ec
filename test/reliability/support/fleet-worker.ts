/**
 * A child process holding several simulated vessels (`node --import tsx fleet-worker.ts MODE ...`).
 *
 * - `build CACHE_DIR CONTAINERS SEED IMO...` builds each vessel's files into CACHE_DIR (skipping
 *   those already there) and prints `{"built": IMO, "ms": …}` per vessel.
 * - `sync CONFIG.json` opens each vessel's replica, prints `{"ready": true}`, waits for a `go` line
 *   on stdin, then runs every vessel's link session at once with the real link client, retrying a
 *   failed session (bounded), and prints one JSON line per vessel and a final `{"done": true, …}`.
 */
import fs from 'node:fs'
import path from 'node:path'
import readline from 'node:readline'
import { runLinkSession } from '../../../vessel-node/src/link-client.ts'
import { buildVesselParts, openEnd, RELAY_PEER, silent, vesselReplica } from './replica-files.ts'

/** One vessel of a sync run. */
export interface WorkerVessel {
  imo: string
  token: string
  file: string
}

export interface SyncConfig {
  relayUrl: string
  vessels: WorkerVessel[]
  /** Sessions tried per vessel before it gives up. */
  maxAttempts: number
  /** Pause before a retry (the real engine backs off with jitter; a short pause suffices here). */
  retryDelayMs: number
}

/** One vessel's outcome, as printed. */
export interface VesselResult {
  vessel: string
  ok: boolean
  attempts: number
  /** From `go` to its completed session. */
  ms: number
  changesUp: number
  changesDown: number
  bytesUp: number
  bytesDown: number
  errors: string[]
}

const print = (value: unknown) => process.stdout.write(JSON.stringify(value) + '\n')

function build(cacheDir: string, containers: number, seed: number, imos: string[]): void {
  fs.mkdirSync(cacheDir, { recursive: true })
  for (const imo of imos) {
    const meta = path.join(cacheDir, `${imo}.json`)
    if (fs.existsSync(meta)) continue
    const started = performance.now()
    const relayFile = path.join(cacheDir, `${imo}.relay.sqlite`)
    const vesselFile = path.join(cacheDir, `${imo}.vessel.sqlite`)
    for (const f of [relayFile, vesselFile])
      for (const ext of ['', '-wal', '-shm']) fs.rmSync(f + ext, { force: true })
    const result = buildVesselParts({ imo, containers, seed, relayFile, vesselFile })
    // The meta file is written last: its presence says the two databases are complete.
    fs.writeFileSync(meta, JSON.stringify(result))
    print({ built: imo, ms: Math.round(performance.now() - started) })
  }
}

async function sync(config: SyncConfig): Promise<void> {
  const ends = config.vessels.map((v) => {
    const end = openEnd(v.file)
    return { v, end, replica: vesselReplica(end, v.imo) }
  })
  print({ ready: true })
  const lines = readline.createInterface({ input: process.stdin })
  await new Promise<void>((resolve) => lines.on('line', (l) => l.trim() === 'go' && resolve()))
  const go = performance.now()
  // Each simulated vessel stands for a ship with its own CPU. In one process they share one, and a
  // vessel plans its change set right after its hello; opening every socket at once would leave the
  // last vessels' hellos waiting behind the others' planning, past the relay's hello timeout. So a
  // vessel opens its link once the previous one in this process has planned; sessions still overlap.
  let planned: Promise<void> = Promise.resolve()
  const results = await Promise.all(
    ends.map(async ({ v, end, replica }): Promise<VesselResult> => {
      const errors: string[] = []
      let reported = false
      for (let attempt = 1; attempt <= config.maxAttempts; attempt++) {
        const previous = planned
        let donePlanning!: () => void
        planned = new Promise<void>((r) => (donePlanning = r))
        await previous
        try {
          const { sync, stats } = await runLinkSession({
            url: config.relayUrl,
            vessel: v.imo,
            token: v.token,
            replica,
            syncToken: end.cursors.getSyncToken(RELAY_PEER) ?? null,
            logger: silent,
            onPhase: (phase) => {
              if (phase !== 'CHECKING') donePlanning()
            },
            onProgress: (s) => {
              if (!reported && s.chunksUp > 0) {
                reported = true
                print({ acked: v.imo })
              }
            },
          })
          donePlanning()
          end.cursors.setSyncToken(RELAY_PEER, sync)
          const result = {
            vessel: v.imo,
            ok: true,
            attempts: attempt,
            ms: Math.round(performance.now() - go),
            ...stats,
            errors,
          }
          print(result)
          return result
        } catch (err) {
          donePlanning()
          errors.push((err as Error).message.slice(0, 200))
          await new Promise((r) => setTimeout(r, config.retryDelayMs))
        }
      }
      const failed = {
        vessel: v.imo,
        ok: false,
        attempts: config.maxAttempts,
        ms: Math.round(performance.now() - go),
        changesUp: 0,
        changesDown: 0,
        bytesUp: 0,
        bytesDown: 0,
        errors,
      }
      print(failed)
      return failed
    }),
  )
  for (const { end } of ends) end.db.close()
  lines.close()
  print({
    done: true,
    ok: results.every((r) => r.ok),
    ms: Math.round(performance.now() - go),
    maxRssBytes: process.resourceUsage().maxRSS * 1024,
  })
}

const [mode, ...args] = process.argv.slice(2)
if (mode === 'build') {
  build(args[0]!, Number(args[1]), Number(args[2]), args.slice(3))
} else if (mode === 'sync') {
  await sync(JSON.parse(fs.readFileSync(args[0]!, 'utf8')) as SyncConfig)
} else {
  process.stderr.write(`fleet-worker: unknown mode ${mode}\n`)
  process.exitCode = 2
}
