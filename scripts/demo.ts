/**
 * `npm start`: the Tally demo on embedded SQLite. A relay on :4000, a vessel node on :4100, and the
 * simulated satellite link (128 kbit/s, 300 ms each way) between them on :4200, going up and down on
 * a schedule and on command (:4201). The shore books a voyage of 2,000 containers through the
 * relay's REST API; the vessel receives it over the link. Then the crew record reefer readings and
 * checks, the shore updates customs, and every link window carries the changes both ways.
 *
 * Data lives in .data/demo; a second start reuses it (`npm start -- --fresh` starts over).
 */
import fs from 'node:fs'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { seedManifest } from '@tally/voyage-sim'
import { SatelliteLink, startControlServer } from '../test/link-sim/index.ts'
import { lastLine, ROOT, runCli, startRelayProcess, startVesselProcess } from '../test/support/processes.ts'
import type { Service } from '../test/support/processes.ts'
import { startActivity } from './demo-activity.ts'
import { demoLogger } from './demo-log.ts'

const VESSEL = 'IMO9811000'
const VOYAGE = '024E'
const PORTS = { relay: 4000, vessel: 4100, link: 4200, linkControl: 4201 }
/** The link is up for a window, then down: a vessel at sea between satellite passes. */
const LINK_SCHEDULE = [{ upMs: 90_000, downMs: 45_000 }]
const BOOKING_BATCH = 250

const { values } = parseArgs({
  options: { fresh: { type: 'boolean', default: false }, containers: { type: 'string', default: '2000' } },
})
const log = demoLogger()
const dataDir = path.join(ROOT, '.data', 'demo')
const tokensFile = path.join(dataDir, 'tokens.json')

async function cli(script: string, args: string[]): Promise<string> {
  const r = await runCli(script, args)
  if (r.code !== 0) throw new Error(`${script} ${args[0]} failed: ${r.stderr || r.stdout}`)
  return lastLine(r.stdout)
}

interface Tokens {
  vessel: string
  crew: string
  shore: string
  customs: string
  ops: string
}

async function issueTokens(): Promise<Tokens> {
  const relayDir = path.join(dataDir, 'relay')
  const vesselDir = path.join(dataDir, 'vessel')
  const tokens: Tokens = {
    vessel: await cli('relay/src/cli.ts', [
      'add-vessel',
      '--data',
      relayDir,
      '--vessel',
      VESSEL,
      '--name',
      'MV Tally Express',
      '--create',
    ]),
    shore: await cli('relay/src/cli.ts', [
      'add-user',
      '--data',
      relayDir,
      '--user',
      'dana',
      '--role',
      'shore',
    ]),
    customs: await cli('relay/src/cli.ts', [
      'add-user',
      '--data',
      relayDir,
      '--user',
      'carlos',
      '--role',
      'customs',
    ]),
    ops: await cli('relay/src/cli.ts', ['add-user', '--data', relayDir, '--user', 'olga', '--role', 'ops']),
    crew: await cli('vessel-node/src/cli.ts', [
      'add-crew',
      '--data',
      vesselDir,
      '--user',
      'bosun',
      '--create',
    ]),
  }
  fs.writeFileSync(tokensFile, JSON.stringify(tokens, null, 2), { mode: 0o600 })
  return tokens
}

/**
 * Books the voyage through the relay's REST API, in batches so progress shows. The vessel sailed
 * from Shanghai ten days ago (see planPortCalls), so every box is on board in its slot: the crew
 * app's "to discharge" list for the next port is the boxes whose POD it is.
 */
async function bookVoyage(relay: Service, token: string, containers: number): Promise<void> {
  const manifest = seedManifest({ seed: 1, vessel: VESSEL, voyage: VOYAGE, containers }).map((entry) => ({
    ...entry,
    physical: { ...entry.physical, state: 'ON_BOARD' as const },
  }))
  for (let i = 0; i < manifest.length; i += BOOKING_BATCH) {
    const batch = manifest.slice(i, i + BOOKING_BATCH)
    const res = await fetch(`${relay.url}/api/vessels/${VESSEL}/containers`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(batch),
    })
    if (res.status !== 201) throw new Error(`booking failed: ${res.status} ${await res.text()}`)
    log.info(`booked ${Math.min(i + BOOKING_BATCH, manifest.length)} / ${manifest.length} containers`)
  }
}

/**
 * The voyage's port calls (once: a demo folder from before voyages gets them too): loaded in
 * Shanghai, at sea towards Los Angeles, then Oakland and Seattle. The crew app's Voyage page shows
 * the next port and its "to discharge" list.
 */
async function planPortCalls(relay: Service, token: string): Promise<void> {
  const url = `${relay.url}/api/vessels/${VESSEL}/voyages/${VOYAGE}`
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' }
  const current = await fetch(url, { headers })
  if (current.ok && ((await current.json()) as { portCalls: unknown[] }).portCalls.length > 0) return
  const day = (offset: number) =>
    new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 13) + ':00:00Z'
  const portCalls = [
    { locode: 'CNSHA', eta: day(-12), ata: day(-12), atd: day(-10) },
    { locode: 'USLAX', eta: day(2), ata: null, atd: null },
    { locode: 'USOAK', eta: day(5), ata: null, atd: null },
    { locode: 'USSEA', eta: day(8), ata: null, atd: null },
  ]
  const res = await fetch(url, { method: 'PUT', headers, body: JSON.stringify({ portCalls }) })
  if (!res.ok) throw new Error(`port calls failed: ${res.status} ${await res.text()}`)
  log.info('port calls planned: CNSHA → USLAX → USOAK → USSEA')
}

async function main(): Promise<void> {
  if (values.fresh) fs.rmSync(dataDir, { recursive: true, force: true })
  const firstRun = !fs.existsSync(tokensFile)
  fs.mkdirSync(dataDir, { recursive: true })
  const tokens: Tokens = firstRun ? await issueTokens() : JSON.parse(fs.readFileSync(tokensFile, 'utf8'))

  const relay = await startRelayProcess(path.join(dataDir, 'relay'), PORTS.relay)
  if (firstRun) await bookVoyage(relay, tokens.shore, Number(values.containers))
  await planPortCalls(relay, tokens.shore)

  const link = new SatelliteLink({
    listenPort: PORTS.link,
    target: { host: '127.0.0.1', port: PORTS.relay },
    logger: log,
  })
  await link.start()
  const control = await startControlServer(link, PORTS.linkControl, '127.0.0.1')
  link.schedule(LINK_SCHEDULE, { repeat: true })
  link.on('up', () => log.info('satellite link UP'))
  link.on('down', (reason) => log.info({ reason }, 'satellite link DOWN'))

  const vessel = await startVesselProcess({
    dataDir: path.join(dataDir, 'vessel'),
    relayUrl: `ws://127.0.0.1:${PORTS.link}/link`,
    vessel: VESSEL,
    token: tokens.vessel,
    port: PORTS.vessel,
    extra: ['--sync-interval-s', '30'],
  })
  const activity = startActivity({ relay, vessel, tokens, vesselImo: VESSEL, log })

  const banner = [
    '',
    'Tally demo is running.',
    `  Shore app (relay)  ${relay.url}/            tokens: shore ${tokens.shore}`,
    `                                              customs ${tokens.customs}`,
    `  Operator dashboard ${relay.url}/ops         ops ${tokens.ops}`,
    `  Crew app (vessel)  ${vessel.url}/           crew ${tokens.crew}`,
    `  Satellite link     128 kbit/s, 300 ms each way, up ${LINK_SCHEDULE[0]!.upMs / 1000} s / down ${LINK_SCHEDULE[0]!.downMs / 1000} s`,
    `                     curl -X POST http://127.0.0.1:${PORTS.linkControl}/link/down   (or /link/up; GET /link for status)`,
    `  Vessel token       ${tokens.vessel}`,
    `  Data               ${dataDir}  (npm start -- --fresh to start over)`,
    `                     relay: --data ${path.join(dataDir, 'relay')}   vessel node: --data ${path.join(dataDir, 'vessel')}`,
    'Press Ctrl+C to stop.',
    '',
  ]
  process.stdout.write(banner.join('\n') + '\n')

  const stop = async () => {
    activity.stop()
    await vessel.stop()
    await link.stop()
    control.close()
    await relay.stop()
    process.exit(0)
  }
  process.once('SIGINT', () => void stop())
  process.once('SIGTERM', () => void stop())
}

main().catch((err) => {
  log.error({ err }, 'demo failed')
  process.exit(1)
})
