/**
 * SIGTERM stops the relay and the vessel node even when whatever read their output has gone (a
 * supervisor or terminal that died first). Their logs then hit a closed pipe (EPIPE); an
 * asynchronous log stream would retry the last lines at exit forever and the process would never
 * exit, so the servers log synchronously (docs/operations.md, "Logs").
 */
import { afterEach, describe, expect, it } from 'vitest'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { runCli, startRelayProcess, startVesselProcess } from '../support/processes.ts'
import type { Service } from '../support/processes.ts'

const EXIT_TIMEOUT_MS = 15_000

const cleanups: (() => unknown)[] = []
afterEach(() => {
  while (cleanups.length) cleanups.pop()!()
})

function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tally-stop-'))
  cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }))
  return dir
}

/** Closes our end of the service's output, then asks it to stop: resolves with how it ended. */
async function stopWithOutputGone(service: Service): Promise<number | null | 'still running'> {
  cleanups.push(() => service.child.kill('SIGKILL'))
  service.child.stdout!.destroy()
  service.child.stderr!.destroy()
  // Something logged after our end closed meets EPIPE before the signal, as it would in practice.
  await new Promise((r) => setTimeout(r, 200))
  return Promise.race([
    service.stop('SIGTERM'),
    new Promise<'still running'>((r) => setTimeout(() => r('still running'), EXIT_TIMEOUT_MS)),
  ])
}

describe('SIGTERM with the output gone', { timeout: 120_000 }, () => {
  it('stops the relay', async () => {
    const dir = tempDir()
    const added = await runCli('relay/src/cli.ts', [
      'add-vessel',
      '--data',
      dir,
      '--vessel',
      'IMO9811000',
      '--name',
      'MV Tally Test',
      '--create',
    ])
    expect(added.code, added.stderr).toBe(0)
    const relay = await startRelayProcess(dir)
    expect(await stopWithOutputGone(relay)).toBe(0)
  })

  it('stops the vessel node', async () => {
    const dir = tempDir()
    const added = await runCli('vessel-node/src/cli.ts', [
      'add-crew',
      '--data',
      dir,
      '--user',
      'bosun',
      '--create',
    ])
    expect(added.code, added.stderr).toBe(0)
    const vessel = await startVesselProcess({
      dataDir: dir,
      // Nothing listens there: the node keeps retrying and logging, as a ship out of contact does.
      relayUrl: 'ws://127.0.0.1:9/link',
      vessel: 'IMO9811000',
      token: 'tly_vessel_unused',
    })
    expect(await stopWithOutputGone(vessel)).toBe(0)
  })
})
