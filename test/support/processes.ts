/**
 * Real Tally processes for cross-process tests and benchmarks: the relay and the vessel node started
 * through their CLIs as `npm run relay` and `npm run vessel` start them (scripts/launch.mjs: the
 * compiled bundle when fresh, else the sources through tsx), each ready once it logs its URL.
 */
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
const READY_TIMEOUT_MS = 60_000

export interface Service {
  url: string
  port: number
  child: ChildProcess
  /** Everything the process printed, for assertions and for failure messages. */
  output: () => string
  stop: (signal?: NodeJS.Signals) => Promise<number | null>
}

/** Node's arguments for a script: the two server CLIs go through their launcher, the rest through tsx. */
function nodeArgs(script: string, args: string[]): string[] {
  const app = /^(relay|vessel-node)\/src\/cli\.ts$/.exec(script)?.[1]
  const entry = app
    ? [path.join(ROOT, 'scripts/launch.mjs'), app]
    : ['--import', 'tsx', path.join(ROOT, script)]
  return [...entry, ...args]
}

/** Runs a Tally CLI (`relay/src/cli.ts` or `vessel-node/src/cli.ts`) to completion; returns stdout. */
export function runCli(
  script: string,
  args: string[],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, nodeArgs(script, args), {
      cwd: ROOT,
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    child.on('close', (code) => resolve({ code, stdout, stderr }))
  })
}

/** The last non-empty stdout line: where the CLIs print a new token. */
export const lastLine = (stdout: string): string => stdout.trim().split('\n').at(-1)!.trim()

/** Starts a long-running CLI command and waits until it logs its URL. */
export function startService(script: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<Service> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, nodeArgs(script, args), {
      cwd: ROOT,
      env: { ...process.env, ...env },
    })
    let out = ''
    let ready = false
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`${script} did not start within ${READY_TIMEOUT_MS} ms:\n${out}`))
    }, READY_TIMEOUT_MS)
    const onData = (d: Buffer) => {
      out += d
      if (ready) return
      const match = /"url":"(https?:\/\/[^"]+)"/.exec(out)
      if (!match) return
      ready = true
      clearTimeout(timer)
      const url = match[1]!
      resolve({
        url,
        port: Number(new URL(url).port),
        child,
        output: () => out,
        stop: (signal = 'SIGTERM') =>
          new Promise((done) => {
            if (child.exitCode !== null || child.signalCode !== null) return done(child.exitCode)
            child.once('exit', (code) => done(code))
            child.kill(signal)
          }),
      })
    }
    child.stdout.on('data', onData)
    child.stderr.on('data', onData)
    child.on('exit', (code, signal) => {
      out += `\n[process exited with code ${code} signal ${signal}]\n`
      if (!ready) {
        clearTimeout(timer)
        reject(new Error(`${script} exited with ${code} before it was ready:\n${out}`))
      }
    })
  })
}

export async function startRelayProcess(dataDir: string, port = 0): Promise<Service> {
  return startService('relay/src/cli.ts', ['serve', '--port', String(port), '--data', dataDir])
}

export async function startVesselProcess(o: {
  dataDir: string
  relayUrl: string
  vessel: string
  token: string
  port?: number
  extra?: string[]
}): Promise<Service> {
  return startService('vessel-node/src/cli.ts', [
    'serve',
    '--port',
    String(o.port ?? 0),
    '--data',
    o.dataDir,
    '--relay',
    o.relayUrl,
    '--vessel',
    o.vessel,
    '--token',
    o.token,
    ...(o.extra ?? []),
  ])
}

/** Polls `probe` until it returns a value, bounded in time. */
export async function waitFor<T>(
  probe: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 60_000,
  everyMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    // A busy server may reset a request (its event loop blocked while it applies a big window).
    const value = await Promise.resolve()
      .then(probe)
      .catch((err: Error) => {
        if (
          /fetch failed|ECONNRESET|ECONNREFUSED|socket/i.test(
            String(err.message) + String((err as any).cause?.code),
          )
        )
          return undefined
        throw err
      })
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`)
    await new Promise((r) => setTimeout(r, everyMs))
  }
}

export async function getJson(url: string, token: string): Promise<any> {
  const res = await fetch(url, { headers: { authorization: `Bearer ${token}` } })
  if (!res.ok) throw new Error(`${url}: ${res.status} ${await res.text()}`)
  return res.json()
}
