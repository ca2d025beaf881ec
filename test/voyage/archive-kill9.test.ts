/**
 * kill -9 of a real process while it archives a closed voyage loses nothing and leaves no
 * half-archived voyage: killed after the file is written (before the live rows go), after the rows
 * went (before VACUUM), and at random moments, the data directory is each time either the voyage
 * still live in full, or archived in full with every document in the file at the heads it had.
 */
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import * as A from '@automerge/automerge'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { applyPatch, documentIdFor, withCheckDigit } from '@tally/manifest'
import { ContainerStore } from '@tally/replica'
import { ActorRegistryStore, CursorStore, openTallyDatabase, VoyageStore } from '@tally/storage-sqlite'
import { databasePath } from '../../vessel-node/src/data-dir.ts'
import { RELAY_PEER } from '../../vessel-node/src/sync-engine.ts'
import { readArchive } from '../../vessel-node/src/voyage-archive.ts'
import { ROOT } from '../support/processes.ts'

const VESSEL = 'IMO9811000'
const VOYAGE = '031E'
const CONTAINERS = 250

let dir: string
const original = new Map<string, string[]>()

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tally-archive-kill-'))
  const db = openTallyDatabase(databasePath(dir), { synchronous: 'NORMAL' })
  const store = new ContainerStore(db)
  const cursors = new CursorStore(db)
  const registry = new ActorRegistryStore(db)
  const actor = 'ab'.repeat(16)
  registry.bind({ actor, principal: VESSEL, kind: 'vessel', role: 'vessel', name: 'seed' })
  db.transaction(() => {
    for (let i = 0; i < CONTAINERS; i++) {
      const key = {
        vessel: VESSEL,
        voyage: VOYAGE,
        containerId: withCheckDigit(`TLLU${String(i).padStart(6, '0')}`),
      }
      store.create(key, i % 10 === 0 ? '45R1' : '42G1')
      const docId = documentIdFor(key)
      for (let k = 0; k < 5; k++)
        store.edit(docId, actor, (d) =>
          applyPatch(d, { physical: { lashingCheckedAt: `2026-11-0${k + 1}T10:00:00Z` } }, 'vessel'),
        )
      const heads = A.getHeads(store.load(docId)!)
      cursors.setHeads(RELAY_PEER, docId, heads)
      original.set(key.containerId, heads)
    }
    const voyages = new VoyageStore(db)
    voyages.put({
      vessel: VESSEL,
      voyage: VOYAGE,
      status: 'CLOSED',
      portCalls: [],
      createdAt: '2026-10-01T00:00:00.000Z',
      closedAt: '2026-11-30T00:00:00.000Z',
      version: 1,
    })
  })()
  db.close()
}, 120_000)
afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true })
})

/** Runs the archiving child; kills it with SIGKILL at `killAt` (a step name, or ms after start). */
function runChild(killAt?: 'written' | 'removed' | number): Promise<{ killed: boolean; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', path.join(ROOT, 'test/voyage/support/archive-child.ts'), dir, VESSEL, VOYAGE],
      { cwd: ROOT, env: { ...process.env, ...(typeof killAt === 'string' ? { PAUSE_AT: killAt } : {}) } },
    )
    let out = ''
    let timer: NodeJS.Timeout | undefined
    const guard = setTimeout(() => child.kill('SIGKILL'), 90_000)
    child.stdout.on('data', (d) => {
      out += d
      if (typeof killAt === 'string' && out.includes(`step ${killAt}`)) child.kill('SIGKILL')
      if (typeof killAt === 'number' && !timer && out.includes('started'))
        timer = setTimeout(() => child.kill('SIGKILL'), killAt)
    })
    child.stderr.on('data', (d) => (out += d))
    child.on('error', reject)
    child.on('exit', (code, signal) => {
      clearTimeout(guard)
      clearTimeout(timer)
      if (signal === 'SIGKILL') return resolve({ killed: true, out })
      if (code !== 0) return reject(new Error(`archive child failed (${code}):\n${out}`))
      resolve({ killed: false, out })
    })
  })
}

/** The data directory holds the voyage live in full, or archived in full; never anything between. */
function state(): 'live' | 'archived' {
  const db = openTallyDatabase(databasePath(dir))
  try {
    const store = new ContainerStore(db)
    const rows = store.index.voyageRows(VESSEL, VOYAGE)
    const record = new VoyageStore(db).get(VESSEL, VOYAGE)!
    if (record.archivedAt === null) {
      expect(rows).toHaveLength(CONTAINERS)
      for (const row of rows) expect(JSON.parse(row.heads)).toEqual(original.get(row.container_id))
      return 'live'
    }
    expect(rows).toHaveLength(0)
    const archive = readArchive(path.join(dir, 'archive', record.archiveFile!))
    expect(archive.containers).toHaveLength(CONTAINERS)
    for (const [id, bytes] of archive.containers) expect(A.getHeads(A.load(bytes))).toEqual(original.get(id))
    return 'archived'
  } finally {
    db.close()
  }
}

describe('kill -9 while archiving a voyage', { timeout: 400_000 }, () => {
  it('after the file is written: the voyage is still live, whole', async () => {
    expect((await runChild('written')).killed).toBe(true)
    expect(fs.existsSync(path.join(dir, 'archive', `${VESSEL}-${VOYAGE}.tally`))).toBe(true)
    expect(state()).toBe('live')
  })

  it('at random moments: live or archived, never half', async () => {
    for (const ms of [100, 700, 1500]) {
      const run = await runChild(ms)
      const now = state()
      console.log(`[voyage] archive killed after ${ms} ms: ${run.killed ? now : `finished (${now})`}`)
      if (now === 'archived') return
    }
  })

  it('after the rows went, before VACUUM: archived, whole; running again finishes cleanly', async () => {
    if (state() === 'live') {
      expect((await runChild('removed')).killed).toBe(true)
      expect(state()).toBe('archived')
    }
    const again = await runChild()
    expect(again.killed).toBe(false)
    expect(state()).toBe('archived')
  })
})
