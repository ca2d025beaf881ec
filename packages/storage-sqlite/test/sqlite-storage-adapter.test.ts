import path from 'node:path'
import type Database from 'better-sqlite3'
import fc from 'fast-check'
import { Repo } from '@automerge/automerge-repo'
import { afterEach, describe, expect, it } from 'vitest'
import {
  DEFAULT_CHUNK_TABLE,
  SqliteStorageAdapter,
  decodeStorageKey,
  encodeStorageKey,
  openTallyDatabase,
  storageKeyRange,
} from '../src/index.ts'
import { makeTempDir } from './helpers.ts'

const cleanups: Array<() => void> = []
afterEach(() => {
  while (cleanups.length > 0) cleanups.pop()!()
})

function tempAdapter(): { adapter: SqliteStorageAdapter; file: string } {
  const { dir, cleanup } = makeTempDir()
  const file = path.join(dir, 'chunks.sqlite')
  const adapter = new SqliteStorageAdapter(file)
  cleanups.push(cleanup, () => adapter.close())
  return { adapter, file }
}

describe('storage key encoding', () => {
  it('round-trips any key, including separators, escapes and empty parts', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: 'grapheme-composite' }), { maxLength: 5 }), (key) => {
        expect(decodeStorageKey(encodeStorageKey(key))).toEqual(key)
      }),
      { numRuns: 500 },
    )
    for (const key of [[], [''], ['', ''], ['/'], ['%2F'], ['a/b', '%'], ['a', 'b/c']]) {
      expect(decodeStorageKey(encodeStorageKey(key))).toEqual(key)
    }
  })

  it('a key lies in the range of a prefix exactly when the prefix is an array prefix of it', () => {
    const part = fc.constantFrom('', 'a', 'a/', '/', '%', '%2F', 'ab', 'a.b', 'a0', 'b')
    fc.assert(
      fc.property(fc.array(part, { maxLength: 4 }), fc.array(part, { maxLength: 4 }), (key, prefix) => {
        const isPrefix = prefix.length <= key.length && prefix.every((p, i) => p === key[i])
        const enc = encodeStorageKey(key)
        const { exact, lower, upper } = storageKeyRange(prefix)
        // SQLite BINARY collation is memcmp on UTF-8; for these ASCII parts JS comparison agrees.
        expect(enc === exact || (enc >= lower && enc < upper)).toBe(isPrefix)
      }),
      { numRuns: 2000 },
    )
  })
})

describe('SqliteStorageAdapter', () => {
  it('does not match a sibling key that merely shares a string prefix', async () => {
    const { adapter } = tempAdapter()
    await adapter.save(['doc', 'incremental', 'h1'], new Uint8Array([1]))
    await adapter.save(['doc2', 'incremental', 'h2'], new Uint8Array([2]))
    await adapter.save(['doc.x', 'snapshot', 'h3'], new Uint8Array([3]))
    await adapter.save(['doc'], new Uint8Array([4]))
    expect((await adapter.loadRange(['doc'])).map((c) => c.key)).toEqual([
      ['doc', 'incremental', 'h1'],
      ['doc'],
    ])
    await adapter.removeRange(['doc'])
    expect((await adapter.loadRange([])).map((c) => c.key)).toEqual([
      ['doc2', 'incremental', 'h2'],
      ['doc.x', 'snapshot', 'h3'],
    ])
  })

  it('answers prefix queries with index searches, not a table scan', () => {
    const { adapter } = tempAdapter()
    const { exact, lower, upper } = storageKeyRange(['doc', 'incremental'])
    const plan = adapter.db
      .prepare(
        `EXPLAIN QUERY PLAN SELECT key, data FROM ${DEFAULT_CHUNK_TABLE}
         WHERE key = ? OR (key >= ? AND key < ?) ORDER BY id`,
      )
      .all(exact, lower, upper) as Array<{ detail: string }>
    const details = plan.map((r) => r.detail).join('\n')
    expect(details).toMatch(/SEARCH automerge_chunks USING (COVERING )?INDEX \S+ \(key=\?\)/)
    expect(details).toMatch(/SEARCH automerge_chunks USING (COVERING )?INDEX \S+ \(key>\? AND key<\?\)/)
    expect(details).not.toMatch(/SCAN/)
  })

  it('runs in WAL mode with synchronous = FULL by default', () => {
    const { adapter } = tempAdapter()
    expect((adapter.db as Database.Database).pragma('journal_mode', { simple: true })).toBe('wal')
    expect((adapter.db as Database.Database).pragma('synchronous', { simple: true })).toBe(2) // FULL
  })

  it('saveMany commits a batch atomically', async () => {
    const { adapter } = tempAdapter()
    await adapter.saveMany([
      { key: ['d', 'incremental', '1'], data: new Uint8Array([1]) },
      { key: ['d', 'incremental', '2'], data: new Uint8Array([2]) },
    ])
    expect(await adapter.loadRange(['d'])).toHaveLength(2)
  })

  it('shares a connection without closing it and leaves inherit mode alone', async () => {
    const { dir, cleanup } = makeTempDir()
    cleanups.push(cleanup)
    const db = openTallyDatabase(path.join(dir, 'tally.sqlite'), { synchronous: 'NORMAL' })
    const adapter = new SqliteStorageAdapter(db, { synchronous: 'inherit' })
    expect(db.pragma('synchronous', { simple: true })).toBe(1) // NORMAL, untouched
    await adapter.save(['x'], new Uint8Array([9]))
    adapter.close()
    expect(db.open).toBe(true)
    expect(db.prepare(`SELECT COUNT(*) AS n FROM ${DEFAULT_CHUNK_TABLE}`).get()).toEqual({ n: 1 })
    db.close()
  })

  it('persists documents for a Repo across restarts', async () => {
    const { adapter, file } = tempAdapter()
    const repo = new Repo({ storage: adapter })
    const handle = repo.create<{ title: string; count: number }>({ title: 'CSQU3054383', count: 0 })
    for (let i = 1; i <= 5; i++) handle.change((d) => void (d.count = i))
    await repo.flush()
    await repo.shutdown()
    adapter.close()

    const reopened = new SqliteStorageAdapter(file)
    cleanups.push(() => reopened.close())
    const repo2 = new Repo({ storage: reopened })
    const again = await repo2.find<{ title: string; count: number }>(handle.url)
    expect(again.doc()).toEqual({ title: 'CSQU3054383', count: 5 })
    await repo2.shutdown()
  })
})
