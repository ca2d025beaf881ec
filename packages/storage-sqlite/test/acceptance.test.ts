// automerge-repo's own storage adapter acceptance suite, shipped in the installed package
// (@automerge/automerge-repo/dist/helpers/tests/storage-adapter-tests.js), run against our adapter.
import path from 'node:path'
import Database from 'better-sqlite3'
import { runStorageAdapterTests } from '@automerge/automerge-repo/helpers/tests/storage-adapter-tests.js'
import { describe } from 'vitest'
import { SqliteStorageAdapter, openTallyDatabase } from '../src/index.ts'
import { makeTempDir } from './helpers.ts'

describe('SqliteStorageAdapter on its own file', () => {
  runStorageAdapterTests(async () => {
    const { dir, cleanup } = makeTempDir()
    const adapter = new SqliteStorageAdapter(path.join(dir, 'chunks.sqlite'))
    return {
      adapter,
      teardown: () => {
        adapter.close()
        cleanup()
      },
    }
  }, 'own file')
})

describe('SqliteStorageAdapter sharing a Tally database', () => {
  runStorageAdapterTests(async () => {
    const { dir, cleanup } = makeTempDir()
    const db: Database.Database = openTallyDatabase(path.join(dir, 'tally.sqlite'))
    const adapter = new SqliteStorageAdapter(db)
    return {
      adapter,
      teardown: () => {
        adapter.close() // does not close a shared connection
        db.close()
        cleanup()
      },
    }
  }, 'shared connection')
})
