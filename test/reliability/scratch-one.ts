import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { pino } from 'pino'
import { createRelay } from '../../relay/src/app.ts'
import { assembleFleet } from './support/fleet.ts'
import { openEnd, vesselReplica, RELAY_PEER, silent } from './support/replica-files.ts'
import { runLinkSession } from '../../vessel-node/src/link-client.ts'
const fleet = assembleFleet({ vessels: Number(process.argv[2] ?? 1), containers: 200 })
const relay = await createRelay({ dataDir: fleet.relayDir, port: 0, logger: pino({ level: 'silent' }) })
const t0 = performance.now()
await Promise.all(
  fleet.vessels.map(async (v) => {
    const end = openEnd(v.file)
    const replica = vesselReplica(end, v.imo)
    const t = performance.now()
    const r = await runLinkSession({
      url: relay.url.replace('http', 'ws') + '/link',
      vessel: v.imo,
      token: v.token,
      replica,
      syncToken: end.cursors.getSyncToken(RELAY_PEER) ?? null,
      logger: silent,
      onPhase: (p) => console.log(v.imo, p, Math.round(performance.now() - t)),
    })
    console.log(v.imo, r.stats, Math.round(performance.now() - t))
  }),
)
console.log('total', Math.round(performance.now() - t0))
await relay.close()
fleet.cleanup()
