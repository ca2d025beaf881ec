/**
 * Copies a relay's SQLite database into a migrated PostgreSQL database, table by table (the columns
 * both schemas have; identity columns are left for PostgreSQL to number). The PostgreSQL benchmarks
 * use it to start from exactly the state the SQLite runs start from. Bench tooling, not product.
 */
import Database from 'better-sqlite3'
import type { PostgresDatabase } from '@tally/storage-postgres'

/** Rows per INSERT statement (PostgreSQL takes at most 65,535 parameters). */
const BATCH_ROWS = 200

export function copySqliteToPostgres(sqliteFile: string, pg: PostgresDatabase): number {
  const lite = new Database(sqliteFile, { readonly: true })
  let copied = 0
  try {
    const liteTables = new Set(
      (lite.prepare(`SELECT name FROM sqlite_master WHERE type = 'table'`).all() as { name: string }[]).map(
        (t) => t.name,
      ),
    )
    const pgColumns = pg
      .prepare<[], { table_name: string; column_name: string; is_identity: string }>(
        `SELECT table_name, column_name, is_identity FROM information_schema.columns WHERE table_schema = 'public'`,
      )
      .all()
    const byTable = new Map<string, string[]>()
    for (const c of pgColumns) {
      if (c.table_name === 'tally_schema' || c.is_identity === 'YES') continue
      byTable.set(c.table_name, [...(byTable.get(c.table_name) ?? []), c.column_name])
    }
    pg.transaction(() => {
      for (const [table, columns] of byTable) {
        if (!liteTables.has(table)) continue
        const liteColumns = new Set(
          (lite.prepare(`PRAGMA table_info(${table})`).all() as { name: string }[]).map((c) => c.name),
        )
        const shared = columns.filter((c) => liteColumns.has(c))
        if (shared.length === 0) continue
        const rows = lite
          .prepare(`SELECT ${shared.join(', ')} FROM ${table}`)
          .raw()
          .all() as unknown[][]
        const one = `(${shared.map(() => '?').join(', ')})`
        for (let i = 0; i < rows.length; i += BATCH_ROWS) {
          const batch = rows.slice(i, i + BATCH_ROWS)
          pg.prepare(
            `INSERT INTO ${table} (${shared.join(', ')}) VALUES ${batch.map(() => one).join(', ')}`,
          ).run(...batch.flat())
        }
        copied += rows.length
      }
    })()
  } finally {
    lite.close()
  }
  return copied
}
