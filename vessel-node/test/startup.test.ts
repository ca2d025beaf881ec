/**
 * Start-up with a voyage of 2,000 documents (docs/benchmarks.md: ≤ 1 s to the first API answer). The node
 * must not load documents at start: lists come from the container index, documents load on use.
 * This prints the times; the benchmark (test/bench) owns the pass/fail figure.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ContainerStore } from '@tally/replica'
import { openTallyDatabase, TokenStore } from '@tally/storage-sqlite'
import { createVesselNode } from '../src/app.ts'
import { databasePath } from '../src/data-dir.ts'
import { closedPort, tempDir, testContainer, VESSEL, VOYAGE } from './helpers.ts'

// The full 2,000-document start-up is measured by `npm run bench`; here a few hundred show the mechanism.
const DOCUMENTS = Number(process.env.TALLY_STARTUP_DOCS ?? 400)
let tmp: ReturnType<typeof tempDir>
let token: string

beforeAll(() => {
  tmp = tempDir()
  const db = openTallyDatabase(databasePath(tmp.dir), { synchronous: 'NORMAL' })
  const store = new ContainerStore(db)
  db.transaction(() => {
    for (let i = 0; i < DOCUMENTS; i++) {
      const c = testContainer(i)
      store.create({ vessel: VESSEL, voyage: VOYAGE, containerId: c.containerId }, c.isoType)
    }
  })()
  token = new TokenStore(db).issue('crew', 'bosun', 'vessel')
  db.close()
}, 300_000)

afterAll(() => tmp?.remove())

/** Starts a node on the seeded directory and times its first answers. */
async function timedStart(label: string) {
  const started = performance.now()
  const node = await createVesselNode({
    dataDir: tmp.dir,
    port: 0,
    relayUrl: `ws://127.0.0.1:${await closedPort()}/link`,
    vessel: VESSEL,
    token: 'tly_vessel_x',
  })
  const listening = performance.now()
  const res = await fetch(`${node.url}/api/containers?limit=100`, {
    headers: { authorization: `Bearer ${token}` },
  })
  const body = await res.json()
  const answered = performance.now()
  expect(res.status).toBe(200)
  expect(body.total).toBe(DOCUMENTS)
  expect(body.items).toHaveLength(100)
  const sync = await fetch(`${node.url}/api/sync`, { headers: { authorization: `Bearer ${token}` } })
  expect(sync.status).toBe(200)
  const syncAnswered = performance.now()
  console.log(
    `vessel start-up with ${DOCUMENTS} documents (${label}): listening after ${(listening - started).toFixed(0)} ms, ` +
      `first list of 100 answered after ${(answered - started).toFixed(0)} ms, /api/sync after ${(syncAnswered - started).toFixed(0)} ms`,
  )
  return node
}

const staleViews = (db: import('better-sqlite3').Database) =>
  (
    db
      .prepare(
        `SELECT count(*) AS n FROM containers c LEFT JOIN vessel_view_cache v ON v.doc_id = c.doc_id WHERE v.heads IS NULL OR v.heads <> c.heads`,
      )
      .get() as { n: number }
  ).n

describe('start-up', () => {
  it(`answers its first API call quickly with ${DOCUMENTS} documents, cold and with cached views`, async () => {
    const cold = await timedStart('cold: no cached views')
    try {
      // The node rebuilds the views in the background; wait (bounded) until it has.
      const deadline = Date.now() + 240_000
      while (staleViews(cold.db) > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100))
      expect(staleViews(cold.db)).toBe(0)
    } finally {
      await cold.close()
    }
    const warm = await timedStart('restart: views cached')
    await warm.close()
  }, 300_000)
})
