import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { pino, type Logger } from 'pino'

/** A fresh temp directory and a function that removes it. */
export function makeTempDir(prefix = 'tally-storage-'): { dir: string; cleanup: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix))
  return { dir, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) }
}

/** A logger that writes nothing, for tests. */
export function quietLogger(): Logger {
  return pino({ level: 'silent' })
}
