/**
 * A relay's document cache while its PostgreSQL notice connection is down (docs/operations.md,
 * "While PostgreSQL is down"): another relay's change goes unannounced then, so a cached copy is
 * checked against the database before it is served, and once notices resume every copy is read
 * again and the `/sync` side is told to refresh what it holds. Two stores on one real PostgreSQL,
 * the notice connection cut with pg_terminate_backend.
 */
import * as A from '@automerge/automerge'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { applyPatch, toPlain } from '@tally/manifest'
import { openPostgresDatabase, type PostgresDatabase } from '@tally/storage-postgres'
import { ContainerStore } from '../src/index.ts'
import { startPgCluster, type PgCluster } from '../../../test/support/postgres-cluster.ts'
import { docIdOf, keyOf } from '../../../test/sync/helpers.ts'

let cluster: PgCluster
let dbA: PostgresDatabase
let dbB: PostgresDatabase
let a: ContainerStore
let b: ContainerStore

async function until(probe: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`${what} not within ${timeoutMs} ms`)
    await new Promise((r) => setTimeout(r, 10))
  }
}

const bookingAt = (store: ContainerStore) => toPlain(store.load(docIdOf(1))!.cargo.booking)
const setBooking = (booking: string) =>
  b.edit(docIdOf(1), 'bb'.repeat(16), (doc) => applyPatch(doc, { cargo: { booking } }, 'shore'))

beforeAll(async () => {
  cluster = await startPgCluster({ fast: true })
  const url = cluster.createDatabase('outage')
  dbA = openPostgresDatabase(url, { applicationName: 'tally-relay-a' })
  dbB = openPostgresDatabase(url, { applicationName: 'tally-relay-b' })
  a = new ContainerStore(dbA)
  b = new ContainerStore(dbB)
  b.create(keyOf(1), '45R1')
  await until(() => dbA.listening && dbB.listening, 10_000, 'both notice connections')
}, 120_000)

afterAll(() => {
  a?.close()
  b?.close()
  dbA?.close()
  dbB?.close()
  cluster?.destroy()
})

describe('the document cache while change notices are lost', () => {
  it('never serves a cached copy another relay moved past, and refreshes holders when notices resume', async () => {
    setBooking('BK1')
    await until(() => bookingAt(a) === 'BK1', 5_000, "B's change at A") // cached at A now
    const resynced = new Promise<void>((resolve) => a.once('resynced', resolve))

    // Cut A's notice connection (not its query connection).
    const cut = dbB
      .prepare<[], { cut: boolean }>(
        `SELECT pg_terminate_backend(pid) AS cut FROM pg_stat_activity
         WHERE application_name = 'tally-relay-a' AND query LIKE 'LISTEN%'`,
      )
      .all()
    expect(cut).toHaveLength(1)
    await until(() => !dbA.listening, 5_000, 'A noticing the lost connection')
    expect(bookingAt(a)).toBe('BK1') // read (and cached) during the outage

    // No event-loop turn between B's write and A's read: A cannot have heard of it, and must not
    // answer from the copy it cached.
    setBooking('BK2')
    expect(bookingAt(a)).toBe('BK2')
    const heads = A.getHeads(b.load(docIdOf(1))!)
    expect(A.getHeads(a.load(docIdOf(1))!)).toEqual(heads)

    await resynced
    expect(dbA.listening).toBe(true)
    // Notices flow again: a change at B reaches A's cache through them.
    setBooking('BK3')
    await until(() => bookingAt(a) === 'BK3', 5_000, "B's change at A after the notices resumed")
  }, 60_000)
})
