/**
 * Refusals and a full disk, on a real node: changes the relay refused are kept as dead letters and
 * listed in words; a full disk answers 507 DISK_FULL with a clear message after pruning old sync
 * logs, and an edit that fits once old logs are pruned is saved.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { randomBytes } from 'node:crypto'
import * as A from '@automerge/automerge'
import pino from 'pino'
import { CursorStore, DeadLetterStore } from '@tally/storage-sqlite'
import { VesselLinkReplica } from '../src/vessel-link-replica.ts'
import { seedContainers, startTestNode, VESSEL } from './helpers.ts'
import type { SeededContainer, TestNode } from './helpers.ts'

let t: TestNode
let seeded: SeededContainer[]
beforeAll(async () => {
  t = await startTestNode()
  seeded = seedContainers(t.node.store, t.node.registry, 6)
})
afterAll(async () => {
  await t?.close()
})

describe('dead letters', () => {
  it('keeps the relay’s refusals of this vessel’s changes and lists them in words', async () => {
    const c = seeded[1]!
    const edited = await (
      await t.api(`/api/containers/${c.containerId}`, {
        method: 'PATCH',
        json: { physical: { damage: 'scratch' } },
      })
    ).json()
    const hash: string = edited.heads[0]
    const replica = new VesselLinkReplica({
      store: t.node.store,
      cursors: new CursorStore(t.node.db),
      registry: t.node.registry,
      deadLetters: new DeadLetterStore(t.node.db),
      vessel: VESSEL,
      logger: pino({ level: 'silent' }),
    })
    replica.refused([
      {
        c: c.containerId,
        h: hash,
        reason: 'physical.damage: the relay refused it for the test',
        field: 'physical.damage',
      },
      { c: 'ZZZU1234560', h: '', reason: 'unknown container: its genesis was not sent' },
    ])
    const letters = await (await t.api('/api/dead-letters')).json()
    expect(letters).toHaveLength(2)
    const mine = letters.find((l: any) => l.field === 'physical.damage')
    expect(mine).toMatchObject({ containerId: c.containerId, principal: VESSEL, status: 'open' })
    expect(mine.message).toMatch(
      new RegExp(`^Shore refused this vessel’s change to physical.damage of ${c.containerId}: `),
    )
    const whole = letters.find((l: any) => l.containerId === 'ZZZU1234560')
    expect(whole.reason).toBe('unknown container: its genesis was not sent')
    // The refused change itself is kept for inspection.
    const stored = new DeadLetterStore(t.node.db).list().find((l) => l.changeHash === hash)!
    expect(A.decodeChange(stored.bytes!).hash).toBe(hash)
    expect((await (await t.api('/api/sync')).json()).deadLetters).toBe(2)
  })
})

describe('a full disk', () => {
  const pageCount = () => t.node.db.pragma('page_count', { simple: true }) as number

  it('prunes old sync logs to make room, then saves the edit', async () => {
    // A month-old link history big enough that pruning it frees pages for an edit.
    const insert = t.node.db.prepare(
      `INSERT INTO sync_sessions (id, peer, started_at, ended_at, state, error) VALUES (?, 'relay', ?, ?, 'failed', ?)`,
    )
    t.node.db.transaction(() => {
      for (let i = 0; i < 200; i++)
        insert.run(`old-${i}`, '2020-01-01T00:00:00.000Z', '2020-01-01T00:01:00.000Z', 'x'.repeat(3_000))
    })()
    t.node.db.pragma('wal_checkpoint(TRUNCATE)')
    t.node.db.pragma(`max_page_count = ${pageCount()}`)
    try {
      const res = await t.api(`/api/containers/${seeded[2]!.containerId}`, {
        method: 'PATCH',
        json: { notes: 'n'.repeat(20_000) },
      })
      expect(res.status).toBe(200)
      expect((await res.json()).notes).toHaveLength(20_000)
      const left = t.node.db
        .prepare(`SELECT count(*) AS n FROM sync_sessions WHERE id LIKE 'old-%'`)
        .get() as { n: number }
      expect(left.n).toBe(0)
    } finally {
      t.node.db.pragma('max_page_count = 1073741823')
    }
  })

  it('answers 507 DISK_FULL with a clear message when nothing can be freed, and keeps serving', async () => {
    t.node.db.pragma('wal_checkpoint(TRUNCATE)')
    t.node.db.pragma(`max_page_count = ${pageCount()}`)
    // The crew member's actor already wrote this document (the cached copy is theirs).
    expect(
      (
        await t.api(`/api/containers/${seeded[3]!.containerId}`, {
          method: 'PATCH',
          json: { physical: { damage: 'before' } },
        })
      ).status,
    ).toBe(200)
    // Fill every free page, so that nothing but growth could hold the edit.
    t.node.db.exec('CREATE TABLE disk_filler (b BLOB)')
    const fill = t.node.db.prepare('INSERT INTO disk_filler (b) VALUES (?)')
    try {
      for (let size = 64_000; size >= 64; size = Math.floor(size / 2)) {
        for (let i = 0; i < 10_000; i++) {
          try {
            fill.run(Buffer.alloc(size))
          } catch {
            break
          }
        }
      }
      const res = await t.api(`/api/containers/${seeded[3]!.containerId}`, {
        method: 'PATCH',
        // Random text does not compress: the change needs pages the file cannot grow.
        json: { notes: randomBytes(4_000).toString('hex') },
      })
      expect(res.status).toBe(507)
      const body = await res.json()
      expect(body.error.code).toBe('DISK_FULL')
      expect(body.error.message).toMatch(/disk full/i)
      expect(body.error.message).toMatch(/Free disk space/)
      // Reads still work, and the document is intact.
      const view = await (await t.api(`/api/containers/${seeded[3]!.containerId}`)).json()
      expect(view.containerId).toBe(seeded[3]!.containerId)
    } finally {
      t.node.db.pragma('max_page_count = 1073741823')
      t.node.db.exec('DROP TABLE disk_filler')
    }
    const after = await t.api(`/api/containers/${seeded[3]!.containerId}`, {
      method: 'PATCH',
      json: { physical: { damage: 'after the disk was freed' } },
    })
    expect(after.status).toBe(200)
  })
})
