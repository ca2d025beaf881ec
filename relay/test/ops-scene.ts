/**
 * A fleet worth looking at on the dashboard: one vessel that really syncs over the link (with a
 * refused change, a change by an unbound actor and a burst of conflicts), and five more with a week
 * of session history written through the session log with a moved clock: one healthy, one lagging,
 * one whose link keeps failing, one over its daily budget, one that never synced.
 */
import { randomBytes } from 'node:crypto'
import * as A from '@automerge/automerge'
import { applyPatch, documentIdFor } from '@tally/manifest'
import { SessionLog } from '@tally/storage-sqlite'
import { keyOf } from '../../test/link/fixtures.ts'
import type { OpsRelay } from './ops-fixtures.ts'
import { VESSEL } from './ops-fixtures.ts'

const HOUR = 3_600_000

/** Deterministic noise for plausible figures. */
function noise(seed: number): number {
  const x = Math.sin(seed * 12.9898) * 43758.5453
  return x - Math.floor(x)
}

/** Writes `days` of sessions every `everyH` hours for `imo`, ending `endAgoH` hours ago. */
function history(
  t: OpsRelay,
  imo: string,
  o: { days: number; everyH: number; endAgoH: number; failEvery?: number; bytes: number },
): void {
  let now = new Date()
  const log = new SessionLog(t.relay.db, { clock: () => now, usdPerMb: t.relay.context.costPerMb })
  const end = Date.now() - o.endAgoH * HOUR
  let i = 0
  for (let at = end - o.days * 24 * HOUR; at <= end; at += o.everyH * HOUR, i++) {
    const r = noise(i + imo.length * 7 + Number(imo.slice(-2)))
    const failed = o.failEvery !== undefined && i % o.failEvery === o.failEvery - 1
    now = new Date(at)
    const id = log.start(imo)
    const up = Math.round(o.bytes * (0.5 + r) * (failed ? 0.3 : 1))
    log.add(id, {
      bytesUp: up,
      bytesDown: Math.round(up * 0.18),
      chunksUp: Math.max(1, Math.round(up / 30_000)),
      chunksDown: 1,
      changesUp: Math.round(up / 20),
      changesDown: Math.round(up / 200),
    })
    now = new Date(at + (failed ? 4_000 : Math.round((up * 8) / 128_000) * 1000 + 1_200 + r * 900))
    log.finish(id, failed ? { state: 'failed', error: 'link dropped' } : { state: 'complete' })
  }
}

export async function buildScene(t: OpsRelay): Promise<void> {
  const ctx = t.relay.context
  // The real vessel: two clean sessions, then a refused customs write and an unbound crew actor.
  await t.sync()
  const vessel = t.vessel()
  vessel.store.edit(documentIdFor(keyOf(4)), vessel.actor, (d) =>
    applyPatch(d, { customs: { status: 'RELEASED' } }, 'shore'),
  )
  const stray = randomBytes(16).toString('hex')
  vessel.store.edit(documentIdFor(keyOf(7)), stray, (d) =>
    applyPatch(d, { physical: { condition: 'DAMAGED', damage: 'crushed corner post' } }, 'vessel'),
  )
  await t.sync()
  // Two shore users set the same field of twelve containers at once.
  const [ana, ben] = [randomBytes(16).toString('hex'), randomBytes(16).toString('hex')]
  ctx.registry.bind({ actor: ana, principal: 'user:ana', kind: 'user', role: 'shore', name: 'ana' })
  ctx.registry.bind({ actor: ben, principal: 'user:ben', kind: 'user', role: 'shore', name: 'ben' })
  for (let i = 10; i < 22; i++) {
    const key = keyOf(i)
    const docId = documentIdFor(key)
    const base = ctx.store.load(docId)!
    const theirs = applyPatch(
      A.clone(base, { actor: ben as A.ActorId }),
      { cargo: { consignee: 'BEN TRADING' } },
      'shore',
    )
    ctx.store.edit(docId, ana, (d) => applyPatch(d, { cargo: { consignee: 'ANA IMPORTS' } }, 'shore'))
    ctx.store.applyRemote(docId, key, [A.saveSince(theirs, A.getHeads(base))])
  }
  history(t, VESSEL, { days: 6, everyH: 6, endAgoH: 3, bytes: 90_000 })

  const fleet: [string, string, Parameters<typeof history>[2] | null][] = [
    ['IMO9811001', 'Nordic Tally', { days: 7, everyH: 4, endAgoH: 1, bytes: 120_000 }],
    ['IMO9811002', 'Cape Reliance', { days: 7, everyH: 8, endAgoH: 31, bytes: 150_000 }],
    ['IMO9811003', 'Harbour Star', { days: 3, everyH: 2, endAgoH: 0.5, failEvery: 4, bytes: 60_000 }],
    // Its last session a minute ago spent more than its whole budget, whatever the time of day.
    ['IMO9811004', 'Pacific Ledger', { days: 7, everyH: 3, endAgoH: 0.02, bytes: 400_000 }],
    ['IMO9811005', 'Southern Manifest', null],
  ]
  for (const [imo, name, h] of fleet) {
    ctx.vessels.add(imo, name)
    ctx.tokens.issue('vessel', imo, 'vessel')
    if (h) history(t, imo, h)
  }
  ctx.vessels.setVesselPending('IMO9811002', 212)
  await t.api('PUT', '/api/ops/vessels/IMO9811004/settings', { body: { dailyBudgetBytes: 300_000 } })
  await t.api('PUT', '/api/ops/vessels/IMO9811001/settings', { body: { expectedWindowS: 6 * 3600 } })
  t.relay.ops.fleet.invalidate()
  t.relay.ops.evaluateAlerts()
}
