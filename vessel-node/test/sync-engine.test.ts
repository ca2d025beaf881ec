/**
 * The sync engine against real sockets with short real times: retries with jittered backoff behind
 * the breaker, FAILED after the retry limit, non-retryable refusals (bad token, version mismatch),
 * a successful session through every state, reconnection when the relay comes back, and "Sync now".
 */
import { afterEach, describe, expect, it } from 'vitest'
import { createServer } from 'node:http'
import pino from 'pino'
import { WebSocketServer } from 'ws'
import { applyPatch } from '@tally/manifest'
import { ContainerStore } from '@tally/replica'
import {
  ActorRegistryStore,
  CursorStore,
  DeadLetterStore,
  openTallyDatabase,
  SessionLog,
} from '@tally/storage-sqlite'
import { SyncEngine } from '../src/sync-engine.ts'
import type { SyncEngineOptions, SyncSnapshot, SyncState } from '../src/sync-engine.ts'
import { backoffCeilingMs } from '../src/retry-policy.ts'
import { VesselLinkReplica } from '../src/vessel-link-replica.ts'
import { closedPort, seedContainers, tempDir, VESSEL, vesselActor } from './helpers.ts'
import { startRelay } from './relay-fixture.ts'

const cleanups: (() => unknown)[] = []
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!()
})

/** Short real times: the ladder is 5, 10, 20, 40 ms; the breaker opens after 3 failures for 60 ms. */
const FAST = {
  retry: { baseMs: 5, capMs: 40, limit: 6 },
  breaker: { failureThreshold: 3, cooldownMs: 60 },
  startDelayMs: 0,
  intervalMs: 60_000,
  debounceMs: 20,
  completeDisplayMs: 50,
}

function vesselSide(relayUrl: string, token: string, options: Partial<SyncEngineOptions> = {}) {
  const tmp = tempDir()
  const db = openTallyDatabase(`${tmp.dir}/vessel.sqlite`, { synchronous: 'NORMAL' })
  const registry = new ActorRegistryStore(db)
  const cursors = new CursorStore(db)
  const sessions = new SessionLog(db)
  const deadLetters = new DeadLetterStore(db)
  const store = new ContainerStore(db, { principalOf: (a) => registry.principalOf(a) })
  const logger = pino({ level: 'silent' })
  const replica = new VesselLinkReplica({ store, cursors, registry, deadLetters, vessel: VESSEL, logger })
  const engine = new SyncEngine({
    ...FAST,
    ...options,
    relayUrl,
    vessel: VESSEL,
    token,
    replica,
    cursors,
    sessions,
    logger,
  })
  const states: SyncState[] = []
  const snapshots: SyncSnapshot[] = []
  engine.on('status', (s, kind) => {
    if (kind !== 'state') return
    snapshots.push(s)
    if (states.at(-1) !== s.state) states.push(s.state)
  })
  cleanups.push(async () => {
    engine.stop()
    await engine.settled()
    db.close()
    tmp.remove()
  })
  return { db, store, registry, cursors, sessions, engine, states, snapshots }
}

/** Polls until `check` holds (bounded), failing with `what`. */
async function until(what: string, check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 5))
  }
}

describe('sync engine', () => {
  it('retries an unreachable relay with jittered backoff behind the breaker, then FAILED; it keeps probing', async () => {
    const v = vesselSide(`ws://127.0.0.1:${await closedPort()}/link`, 'any')
    const delays: { attempt: number; delay: number; breakerFloor: boolean }[] = []
    v.engine.on('status', (s, kind) => {
      if (kind === 'state' && (s.state === 'RETRYING' || s.state === 'FAILED') && s.nextRetryAt) {
        const delay = Date.parse(s.nextRetryAt) - Date.now()
        delays.push({ attempt: s.attempt, delay, breakerFloor: s.breaker === 'open' })
      }
    })
    v.engine.start()
    // Read the state as it was announced: polling could land during the next probe.
    const firstFailed = () => v.snapshots.find((s) => s.state === 'FAILED')
    await until('FAILED', () => firstFailed() !== undefined)
    const snap = firstFailed()!
    expect(snap.attempt).toBe(6)
    expect(snap.linkUp).toBe(false)
    expect(snap.lastError).toMatch(/Cannot reach the relay/)
    expect(snap.nextRetryAt).not.toBeNull()
    expect(v.states.slice(0, 3)).toEqual(['CHECKING', 'RETRYING', 'CHECKING'])
    for (const d of delays.filter((x) => x.attempt < 6)) {
      // Each retry waits within [0, ceiling] of its attempt, or until the open breaker's probe time.
      const ceiling = backoffCeilingMs(d.attempt, { baseMs: 5, capMs: 40 })
      expect(d.delay).toBeGreaterThanOrEqual(-2)
      expect(d.delay).toBeLessThanOrEqual(d.breakerFloor ? Math.max(ceiling, 60) + 2 : ceiling + 2)
    }
    expect(delays.some((d) => d.breakerFloor)).toBe(true)
    // The first six sessions are the ladder; FAILED still probes (at the cap, 20–40 ms here), so
    // the link's return is noticed.
    await until('a probe', () => v.sessions.list({ peer: 'relay' }).length >= 7)
    const sessions = v.sessions.list({ peer: 'relay', limit: 100 }).filter((s) => s.state !== 'running')
    expect(sessions.length).toBeGreaterThanOrEqual(6)
    expect(sessions.every((s) => s.state === 'failed' && /Cannot reach/.test(s.error ?? ''))).toBe(true)
    await until('FAILED after the probe', () => v.engine.snapshot().state === 'FAILED')
    expect(v.engine.snapshot().attempt).toBeGreaterThanOrEqual(7)
  })

  it('the open breaker keeps a dead relay from being hammered', async () => {
    const v = vesselSide(`ws://127.0.0.1:${await closedPort()}/link`, 'any', {
      retry: { baseMs: 1, capMs: 2, limit: 1_000 },
      breaker: { failureThreshold: 2, cooldownMs: 150 },
    })
    v.engine.start()
    await new Promise((r) => setTimeout(r, 800))
    const attempts = v.sessions.list({ peer: 'relay', limit: 1_000 }).length
    // Without the breaker a 1–2 ms backoff would try hundreds of times in 800 ms.
    expect(attempts).toBeGreaterThanOrEqual(3)
    expect(attempts).toBeLessThanOrEqual(2 + Math.ceil(800 / 150) + 1)
    expect(['open', 'half-open']).toContain(v.engine.snapshot().breaker)
  })

  it('a bad token goes straight to FAILED with the reason, and is not retried', async () => {
    const relay = await startRelay()
    cleanups.push(() => relay.close())
    const v = vesselSide(relay.url, 'tly_vessel_wrong')
    v.engine.start()
    await until('FAILED', () => v.engine.snapshot().state === 'FAILED')
    const snap = v.engine.snapshot()
    expect(snap.attempt).toBe(1)
    expect(snap.nextRetryAt).toBeNull()
    expect(snap.lastErrorCode).toBe(4401)
    expect(snap.lastError).toMatch(/token/)
    expect(snap.linkUp).toBe(true)
    await new Promise((r) => setTimeout(r, 200))
    expect(v.sessions.list({ peer: 'relay' })).toHaveLength(1)
    // "Sync now" tries again (and fails again, for the same reason).
    expect(v.engine.syncNow()).toBe('CHECKING')
    await v.engine.settled()
    expect(v.engine.snapshot().state).toBe('FAILED')
    expect(v.sessions.list({ peer: 'relay' })).toHaveLength(2)
  })

  it('a protocol version mismatch goes straight to FAILED with the relay’s reason', async () => {
    const server = createServer()
    const wss = new WebSocketServer({ server, path: '/link' })
    wss.on('connection', (ws) =>
      ws.once('message', () => ws.close(4406, 'protocol version 1 not supported; the relay speaks 9')),
    )
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    cleanups.push(() => new Promise<void>((r) => (wss.close(), server.close(() => r()))))
    const v = vesselSide(`ws://127.0.0.1:${(server.address() as { port: number }).port}/link`, 'any')
    v.engine.start()
    await until('FAILED', () => v.engine.snapshot().state === 'FAILED')
    expect(v.engine.snapshot()).toMatchObject({ attempt: 1, nextRetryAt: null, lastErrorCode: 4406 })
    expect(v.engine.snapshot().lastError).toMatch(/protocol versions.*relay speaks 9/)
  })

  it('syncs through every state, records the session, and follows up on local edits', async () => {
    const relay = await startRelay()
    cleanups.push(() => relay.close())
    const seeded = seedContainers(relay.store, relay.registry, 20)
    const v = vesselSide(relay.url, relay.vesselToken)
    v.engine.start()
    await until('COMPLETE', () => v.engine.snapshot().lastSuccessAt !== null)
    expect(v.states).toEqual(
      expect.arrayContaining(['CHECKING', 'PREPARING', 'PUSHING', 'PROCESSING', 'COMPLETE']),
    )
    expect(v.states.indexOf('CHECKING')).toBeLessThan(v.states.indexOf('COMPLETE'))
    expect(v.cursors.getSyncToken('relay')).toBeTruthy()
    const [session] = v.sessions.list({ peer: 'relay' })
    expect(session).toMatchObject({ state: 'complete', error: null })
    expect(session!.bytesDown).toBeGreaterThan(0)
    expect(session!.changesDown).toBeGreaterThan(0)
    expect(v.store.index.allHeads(VESSEL)).toHaveLength(20)
    expect(v.engine.snapshot()).toMatchObject({
      linkUp: true,
      attempt: 0,
      breaker: 'closed',
      lastError: null,
    })
    await until('IDLE', () => v.engine.snapshot().state === 'IDLE')

    // A local edit is synced by itself after the debounce.
    const actor = vesselActor(v.registry)
    v.store.edit(seeded[0]!.docId, actor, (d) =>
      applyPatch(d, { physical: { condition: 'DAMAGED' } }, 'vessel'),
    )
    v.engine.notifyLocalChange()
    await until(
      'the edit at the relay',
      () => relay.store.view(seeded[0]!.docId)!.physical.condition === 'DAMAGED',
    )
    await v.engine.settled()
    const last = v.sessions.list({ peer: 'relay' })[0]!
    expect(last).toMatchObject({ state: 'complete', changesUp: 1, chunksUp: 1 })
  })

  it('reconnects by itself when the relay comes back, and "Sync now" recovers from FAILED', async () => {
    const relay = await startRelay()
    cleanups.push(() => relay.close())
    await relay.stop()
    const v = vesselSide(relay.url, relay.vesselToken, { retry: { baseMs: 5, capMs: 40, limit: 100 } })
    v.engine.start()
    await until('RETRYING', () => v.engine.snapshot().attempt >= 2)
    expect(v.engine.snapshot().linkUp).toBe(false)
    await relay.restart()
    await until('reconnected', () => v.engine.snapshot().lastSuccessAt !== null)
    expect(v.engine.snapshot()).toMatchObject({ linkUp: true, attempt: 0 })

    // Down again until FAILED (limit 3 here), then the crew presses "Sync now" once it is back.
    // (The first engine would reconnect by itself and, being the same vessel, replace the second's
    // connection at the relay: it leaves the stage.)
    v.engine.stop()
    await relay.stop()
    const w = vesselSide(relay.url, relay.vesselToken, { retry: { baseMs: 5, capMs: 10_000, limit: 3 } })
    w.engine.start()
    await until('FAILED', () => w.engine.snapshot().state === 'FAILED')
    await relay.restart()
    expect(w.engine.syncNow()).toBe('CHECKING')
    await w.engine.settled()
    expect(w.engine.snapshot()).toMatchObject({ state: 'COMPLETE', attempt: 0, linkUp: true })
  })
})
