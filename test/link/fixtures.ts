/**
 * In-process fixtures for link tests: a relay store behind a real LinkServer on 127.0.0.1 and a
 * vessel store with its link replica, each on its own SQLite file.
 */
import http from 'node:http'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { randomBytes } from 'node:crypto'
import pino from 'pino'
import * as A from '@automerge/automerge'
import { documentIdFor, applyPatch, appendReading, withCheckDigit } from '@tally/manifest'
import type { ContainerKey } from '@tally/manifest'
import { ContainerStore, SqliteLinkReplica, policyValidator } from '@tally/replica'
import {
  openTallyDatabase,
  type SqlDatabase,
  TokenStore,
  ActorRegistryStore,
  CursorStore,
  DeadLetterStore,
  SessionLog,
} from '@tally/storage-sqlite'
import { LinkServer } from '../../relay/src/link-server.ts'
import { runLinkSession } from '../../vessel-node/src/link-client.ts'
import type { RelayConnection } from '../../vessel-node/src/link-client.ts'
import { SyncEngine } from '../../vessel-node/src/sync-engine.ts'
import type { SyncEngineOptions } from '../../vessel-node/src/sync-engine.ts'
import type { LinkSettings } from '@tally/link'

export const VESSEL = 'IMO9811000'
export const VOYAGE = '024E'
export const logger = pino({ level: process.env.LOG_LEVEL ?? 'silent' })

export function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'tally-link-'))
}

export function openSide(file: string) {
  const db = openTallyDatabase(file)
  const registry = new ActorRegistryStore(db)
  const store = new ContainerStore(db, { principalOf: (a) => registry.principalOf(a) })
  return {
    db,
    registry,
    store,
    cursors: new CursorStore(db),
    deadLetters: new DeadLetterStore(db),
    sessions: new SessionLog(db),
    tokens: new TokenStore(db),
  }
}
export type Side = ReturnType<typeof openSide>

export async function startRelay(
  dir: string,
  port = 0,
  options: {
    budgetFor?: (vessel: string) => number | null
    roundIdleMs?: number
    settingsFor?: (vessel: string) => LinkSettings
  } = {},
) {
  const side = openSide(path.join(dir, 'relay.sqlite'))
  const link = new LinkServer({
    ...side,
    budgetFor: options.budgetFor,
    roundIdleMs: options.roundIdleMs,
    ...(options.settingsFor ? { settingsFor: options.settingsFor } : {}),
    validate: (ctx, changes) =>
      policyValidator(side.registry, { id: ctx.key.vessel, role: 'vessel' })(ctx, changes),
    logger,
  })
  const server = http.createServer((_req, res) => res.writeHead(404).end())
  server.on('upgrade', (req, socket, head) => link.handleUpgrade(req, socket, head))
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r))
  const actualPort = (server.address() as { port: number }).port
  const token = side.tokens.issue('vessel', VESSEL)
  return {
    ...side,
    link,
    port: actualPort,
    url: `ws://127.0.0.1:${actualPort}/link`,
    token,
    async close() {
      link.close()
      await new Promise((r) => server.close(r))
      side.db.close()
    },
  }
}

/** The vessel's replica of the link on a vessel side: its peer is the relay, judged by policy. */
export function vesselReplica(side: Side, vessel: string = VESSEL): SqliteLinkReplica {
  return new SqliteLinkReplica({
    store: side.store,
    cursors: side.cursors,
    registry: side.registry,
    deadLetters: side.deadLetters,
    peer: 'relay',
    vessel,
    peerPrincipal: 'relay',
    trustBinding: () => true,
    validate: policyValidator(side.registry, 'relay'),
    logger,
  })
}

/** The relay's view of the vessel for the link: what the relay's link server builds per session. */
export function relayLinkReplica(side: Side, vessel: string = VESSEL): SqliteLinkReplica {
  return new SqliteLinkReplica({
    ...side,
    peer: vessel,
    vessel,
    peerPrincipal: vessel,
    trustBinding: (b) => b.p === vessel && b.r === 'vessel',
    validate: policyValidator(side.registry, { id: vessel, role: 'vessel' }),
    logger,
  })
}

export function vesselSide(dir: string) {
  const side = openSide(path.join(dir, 'vessel.sqlite'))
  const replica = vesselReplica(side)
  const actor = randomBytes(16).toString('hex')
  side.registry.bind({ actor, principal: VESSEL, kind: 'vessel', role: 'vessel', name: 'bosun' })
  return { ...side, replica, actor }
}

/**
 * The vessel node's sync engine for a vessel side, on the relay at `url`, starting at once;
 * `options` set the rest (retry timing, intervals, keepalive).
 */
export function vesselEngine(
  vessel: ReturnType<typeof vesselSide>,
  url: string,
  token: string,
  options: Partial<SyncEngineOptions> = {},
): SyncEngine {
  const { replica, cursors, sessions } = vessel
  return new SyncEngine({
    relayUrl: url,
    vessel: VESSEL,
    token,
    replica,
    cursors,
    sessions,
    logger,
    startDelayMs: 0,
    ...options,
  })
}

export async function syncOnce(
  vessel: ReturnType<typeof vesselSide>,
  url: string,
  token: string,
  options: { compress?: boolean } = {},
) {
  return roundOn(null, vessel, url, token, options)
}

/**
 * One session as the sync engine runs it: on `connection` (a round of a long-lived link), or on a
 * connection of its own when it is null. `onWelcome` hears each session's ID.
 */
export async function roundOn(
  connection: RelayConnection | null,
  vessel: ReturnType<typeof vesselSide>,
  url: string,
  token: string,
  options: { compress?: boolean; onWelcome?: (id: string) => void } = {},
) {
  const { onWelcome, ...rest } = options
  const attempt = {
    ...rest,
    url,
    vessel: VESSEL,
    token,
    replica: vessel.replica,
    syncToken: vessel.cursors.getSyncToken('relay') ?? null,
    // As the sync engine does: the session that a lost fin belongs to, stored at its welcome.
    syncSession: vessel.cursors.getSyncSession('relay') ?? null,
    onWelcome: (id: string) => {
      onWelcome?.(id)
      vessel.cursors.setSyncSession('relay', id)
    },
    logger,
  }
  const result = await (connection ? connection.runSession(attempt) : runLinkSession(attempt))
  vessel.cursors.setSyncToken('relay', result.sync)
  return result
}

export function keyOf(i: number): ContainerKey {
  return { vessel: VESSEL, voyage: VOYAGE, containerId: withCheckDigit('TGHU' + String(100000 + i)) }
}

/** Creates n containers at the relay, as the shore would from the booking list. */
/** Any relay side, on SQLite or PostgreSQL. */
type AnySide = Omit<Side, 'db'> & { db: SqlDatabase }

export function seedRelay(relay: AnySide, n: number, shoreActor: string): void {
  relay.registry.bind({
    actor: shoreActor,
    principal: 'user:clerk',
    kind: 'user',
    role: 'shore',
    name: 'clerk',
  })
  // One transaction: the booking list lands at once, with one fsync instead of one per container.
  relay.db.transaction(() => seedContainers(relay, n, shoreActor))()
}

function seedContainers(relay: AnySide, n: number, shoreActor: string): void {
  for (let i = 0; i < n; i++) {
    const key = keyOf(i)
    relay.store.create(key, i % 10 === 0 ? '45R1' : '42G1')
    relay.store.edit(documentIdFor(key), shoreActor, (d) =>
      applyPatch(d, { cargo: { booking: `BK${i}`, pol: 'CNSHA', pod: 'USLAX' } }, 'shore'),
    )
  }
}

/** A voyage day of crew edits (readings, lashing checks, one damage report), committed at once. */
export function vesselDay(vessel: ReturnType<typeof vesselSide>, n: number, day = 0): number {
  return vessel.db.transaction(() => crewEdits(vessel, n, day))()
}

/** Deterministic noise so readings compress like real ones, not like a constant. */
function noise(seed: number): number {
  const x = Math.sin(seed * 12.9898) * 43758.5453
  return x - Math.floor(x)
}

function crewEdits(vessel: ReturnType<typeof vesselSide>, n: number, day: number): number {
  let changes = 0
  const start = Date.parse('2026-11-01T00:00:00Z') + day * 86_400_000
  for (let i = 0; i < n; i += 10) {
    const docId = documentIdFor(keyOf(i))
    for (let h = 0; h < 24; h++) {
      vessel.store.edit(docId, vessel.actor, (d) =>
        appendReading(
          d,
          {
            at: new Date(start + h * 3_600_000).toISOString(),
            supplyC: Math.round(30 + noise(i * 1000 + day * 24 + h) * 20) / 10,
            returnC: Math.round(40 + noise(i * 7 + h) * 20) / 10,
          },
          'vessel',
        ),
      )
      changes++
    }
  }
  for (let i = 1; i < n; i += 7) {
    vessel.store.edit(documentIdFor(keyOf(i)), vessel.actor, (d) =>
      applyPatch(d, { physical: { lashingCheckedAt: new Date(start).toISOString() } }, 'vessel'),
    )
    changes++
  }
  vessel.store.edit(documentIdFor(keyOf(3)), vessel.actor, (d) =>
    applyPatch(d, { physical: { condition: 'DAMAGED', damage: 'dent' } }, 'vessel'),
  )
  return changes + 1
}

export function headsEqual(a: AnySide, b: AnySide, n: number): boolean {
  for (let i = 0; i < n; i++) {
    const id = documentIdFor(keyOf(i))
    const x = a.store.load(id)
    const y = b.store.load(id)
    if (!x || !y || A.getHeads(x).sort().join() !== A.getHeads(y).sort().join()) return false
  }
  return true
}
