/** Where a vessel node keeps its state inside `--data`: one SQLite file (WAL) for everything. */
import { join } from 'node:path'

export const DATABASE_FILE = 'vessel.sqlite'

export function databasePath(dataDir: string): string {
  return join(dataDir, DATABASE_FILE)
}
