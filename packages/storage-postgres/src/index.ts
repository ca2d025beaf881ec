/**
 * @tally/storage-postgres: the relay's stores on PostgreSQL, shared by every relay of a site. The
 * stores are the same code as on SQLite (`@tally/storage-sqlite`); this package supplies the
 * connection (a synchronous `SqlDatabase` with per-document locks and change notices) and the
 * PostgreSQL migrations.
 */
export {
  PostgresDatabase,
  PostgresError,
  CHANGES_CHANNEL,
  STATEMENT_TIMEOUT_MS,
  CONNECT_TIMEOUT_MS,
  redactUrl,
  type PostgresDatabaseOptions,
} from './postgres-database.ts'
export {
  migratePostgres,
  postgresSchemaVersion,
  POSTGRES_MIGRATIONS,
  POSTGRES_SCHEMA_VERSION,
  type PostgresMigration,
} from './migrations.ts'
export { translatePlaceholders, bindValues, type TranslatedSql } from './placeholders.ts'

/** Opens a PostgreSQL database and migrates it; closes it again if migrating fails. */
import { PostgresDatabase, type PostgresDatabaseOptions } from './postgres-database.ts'
import { migratePostgres } from './migrations.ts'
export function openPostgresDatabase(url: string, options: PostgresDatabaseOptions = {}): PostgresDatabase {
  const db = new PostgresDatabase(url, options)
  try {
    migratePostgres(db, options.logger)
    return db
  } catch (err) {
    db.close()
    throw err
  }
}
