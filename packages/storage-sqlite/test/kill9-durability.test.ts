// kill -9 at an arbitrary moment must not lose a write whose save() had resolved (docs/architecture.md).
import { spawn } from 'node:child_process'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import Database from 'better-sqlite3'
import { afterEach, describe, expect, it } from 'vitest'
import { SqliteStorageAdapter } from '../src/index.ts'
import { burstKey, burstPayload } from './fixtures/payload.ts'
import { makeTempDir } from './helpers.ts'

const here = path.dirname(fileURLToPath(import.meta.url))
const WRITER = path.join(here, 'fixtures', 'burst-writer.ts')
/** Kill after this many acknowledgements (varied per round so the kill lands at different points). */
const KILL_AFTER_ACKS = [150, 401, 777]
/** Upper bound on one round: child start-up plus the burst. */
const ROUND_TIMEOUT_MS = 15_000

const cleanups: Array<() => void> = []
afterEach(() => {
  while (cleanups.length > 0) cleanups.pop()!()
})

/** Runs the writer until it has acknowledged `killAfter` writes, SIGKILLs it, returns the acked indexes. */
function runAndKill(file: string, killAfter: number): Promise<{ acked: number[]; finished: boolean }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', WRITER, file, '100000', '12000'], {
      cwd: here,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    const acked: number[] = []
    let finished = false
    let buffered = ''
    let stderr = ''
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`writer did not reach ${killAfter} acks in ${ROUND_TIMEOUT_MS} ms; stderr: ${stderr}`))
    }, ROUND_TIMEOUT_MS)
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString()
      const lines = buffered.split('\n')
      buffered = lines.pop()!
      for (const line of lines) {
        if (line.startsWith('ACK ')) acked.push(Number(line.slice(4)))
        if (line === 'DONE') finished = true
      }
      // Kill from inside the data handler: the child is still mid-burst, writing the next chunk.
      if (acked.length >= killAfter && child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL')
      }
    })
    child.on('exit', (code, signal) => {
      clearTimeout(timer)
      if (signal !== 'SIGKILL' && code !== 0) reject(new Error(`writer exited ${code}: ${stderr}`))
      else resolve({ acked, finished })
    })
  })
}

describe('kill -9 durability', () => {
  it(
    'every write acknowledged before SIGKILL is present with the right bytes',
    async () => {
      const { dir, cleanup } = makeTempDir()
      cleanups.push(cleanup)
      const file = path.join(dir, 'vessel.sqlite')
      let checked = 0
      for (const killAfter of KILL_AFTER_ACKS) {
        const { acked, finished } = await runAndKill(file, killAfter)
        expect(finished, 'the writer must be killed mid-burst, not finish').toBe(false)
        expect(acked.length).toBeGreaterThanOrEqual(killAfter)

        // Reopening runs WAL recovery; the file must be sound and hold every acknowledged write.
        const db = new Database(file)
        expect(db.pragma('integrity_check', { simple: true })).toBe('ok')
        const adapter = new SqliteStorageAdapter(db)
        for (const i of acked) {
          const data = await adapter.load(burstKey(i))
          expect(data, `acknowledged write ${i} is missing`).toBeDefined()
          expect(Buffer.from(data!).equals(Buffer.from(burstPayload(i))), `write ${i} has wrong bytes`).toBe(
            true,
          )
          checked++
        }
        db.close()
      }
      expect(checked).toBeGreaterThanOrEqual(KILL_AFTER_ACKS.reduce((a, b) => a + b, 0))
    },
    KILL_AFTER_ACKS.length * ROUND_TIMEOUT_MS + 10_000,
  )
})
