// The same acceptance suites the SQLite backend passes, against a real PostgreSQL: automerge-repo's
// storage adapter tests and Tally's bookkeeping suite.
import { runStorageAdapterTests } from '@automerge/automerge-repo/helpers/tests/storage-adapter-tests.js'
import { afterAll, beforeAll, describe } from 'vitest'
import { SqliteStorageAdapter } from '@tally/storage-sqlite'
import { runBookkeepingSuite } from '../../storage-sqlite/test/bookkeeping-suite.ts'
import { startPgCluster, type PgCluster } from '../../../test/support/postgres-cluster.ts'
import { openPostgresDatabase, type PostgresDatabase } from '../src/index.ts'

let cluster: PgCluster
let db: PostgresDatabase

beforeAll(async () => {
  cluster = await startPgCluster({ fast: true })
  db = openPostgresDatabase(cluster.createDatabase('acceptance'))
}, 120_000)
afterAll(() => {
  db?.close()
  cluster?.destroy()
})

/** The one database, emptied: each test starts on fresh, migrated tables. */
function freshDatabase() {
  const tables = db
    .prepare<[], { tablename: string }>(
      `SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'tally_schema'`,
    )
    .all()
    .map((t) => t.tablename)
  db.exec(`TRUNCATE ${tables.join(', ')} RESTART IDENTITY`)
  return { db, teardown: () => undefined }
}

describe('automerge-repo storage on PostgreSQL', () => {
  runStorageAdapterTests(async () => {
    const { db, teardown } = freshDatabase()
    return { adapter: new SqliteStorageAdapter(db), teardown }
  }, 'shared PostgreSQL connection')
})

runBookkeepingSuite('PostgreSQL', async () => freshDatabase())
