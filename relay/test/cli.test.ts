import { afterEach, describe, expect, it } from 'vitest'
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import readline from 'node:readline'
import { pino } from 'pino'
import { createRelay } from '../src/app.ts'
import { REPO_ROOT, tempDir, VESSEL } from './helpers.ts'

/** npx + tsx start-up is slow on a loaded 2-core machine; every wait is bounded by this. */
const CLI_TIMEOUT_MS = 90_000

const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

function dataDir(): string {
  const { dir, cleanup } = tempDir()
  cleanups.push(cleanup)
  return path.join(dir, 'relay-data') // does not exist yet: the CLI creates it
}

/** Runs `npx tsx relay/src/cli.ts ...args` to completion. */
function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'relay/src/cli.ts', ...args], {
      cwd: REPO_ROOT,
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`relay ${args[0]} did not finish in time`))
    }, CLI_TIMEOUT_MS)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
  })
}

const lastLine = (text: string): string => text.trimEnd().split('\n').at(-1)!

describe(
  'relay CLI',
  () => {
    it('add-vessel and add-user print the token as the last stdout line; tokens are stored hashed', async () => {
      const data = dataDir()
      const vessel = await cli([
        'add-vessel',
        '--data',
        data,
        '--vessel',
        VESSEL,
        '--name',
        'MV Tally Test',
        '--create',
      ])
      expect(vessel.code).toBe(0)
      const vesselToken = lastLine(vessel.stdout)
      expect(vesselToken).toMatch(/^tly_vessel_[A-Za-z0-9_-]{43}$/)
      const user = await cli(['add-user', '--data', data, '--user', 'alice', '--role', 'customs'])
      expect(user.code).toBe(0)
      const userToken = lastLine(user.stdout)
      expect(userToken).toMatch(/^tly_user_[A-Za-z0-9_-]{43}$/)

      // The plaintext appears nowhere on disk (database, WAL, anything else in the directory).
      for (const file of fs.readdirSync(data)) {
        const bytes = fs.readFileSync(path.join(data, file))
        expect(bytes.includes(vesselToken), file).toBe(false)
        expect(bytes.includes(userToken), file).toBe(false)
      }
      const list = await cli(['list-tokens', '--data', data])
      expect(list.code).toBe(0)
      expect(list.stdout).toContain('alice')
      expect(list.stdout).not.toContain(userToken)
      expect(list.stdout).not.toContain(vesselToken)

      // The tokens work against a relay on the same data directory, and the vessel is registered.
      const relay = await createRelay({ dataDir: data, logger: pino({ level: 'silent' }) })
      cleanups.push(() => relay.close())
      const me = await fetch(`${relay.url}/api/me`, { headers: { authorization: `Bearer ${userToken}` } })
      expect(await me.json()).toMatchObject({ user: 'alice', role: 'customs' })
      const fleet = await (
        await fetch(`${relay.url}/api/vessels`, { headers: { authorization: `Bearer ${userToken}` } })
      ).json()
      expect(fleet).toContainEqual(expect.objectContaining({ imo: VESSEL, name: 'MV Tally Test' }))

      // Revoking from the CLI, in another process, takes effect at once in the running relay.
      const id = list.stdout
        .split('\n')
        .find((l) => l.includes('\talice\t'))!
        .split('\t')[0]!
      const revoked = await cli(['revoke-token', '--data', data, '--token-id', id])
      expect(revoked.code).toBe(0)
      const after = await fetch(`${relay.url}/api/me`, { headers: { authorization: `Bearer ${userToken}` } })
      expect(after.status).toBe(401)
      expect((await cli(['revoke-token', '--data', data, '--token-id', id])).code).toBe(1)
    })

    it('exits 2 with a message on stderr for bad arguments', async () => {
      const data = dataDir()
      const cases: [string[], RegExp][] = [
        [['add-vessel', '--data', data, '--vessel', 'IMO123', '--name', 'X'], /--vessel/],
        [['add-vessel', '--data', data, '--vessel', VESSEL], /--name is required/],
        [['add-user', '--data', data, '--user', 'bob', '--role', 'captain'], /--role/],
        [['add-user', '--data', data, '--user', 'bad name', '--role', 'shore'], /--user/],
        [['add-user', '--user', 'bob', '--role', 'shore'], /--data is required/],
        [['serve', '--data', data, '--port', 'eighty'], /--port/],
        [['add-user', '--data', data, '--user', 'bob', '--role', 'shore', '--admin'], /admin/],
        [['launch'], /unknown command/],
      ]
      const results = await Promise.all(cases.map(([args]) => cli(args)))
      results.forEach((result, i) => {
        expect(result.code, cases[i]![0].join(' ')).toBe(2)
        expect(result.stderr).toMatch(cases[i]![1])
        expect(result.stdout).not.toMatch(/tly_/)
      })
    })

    it('prints each command’s usage for --help, and refuses to add to or revoke in a folder with no database unless --create', async () => {
      const commands = ['serve', 'add-vessel', 'add-user', 'revoke-token', 'list-tokens']
      const helps = await Promise.all([...commands.map((c) => cli([c, '--help'])), cli(['--help'])])
      helps.forEach((run, i) => {
        expect(run.code, commands[i] ?? '--help').toBe(0)
        expect(run.stdout).toMatch(/usage:/)
        expect(run.stderr).toBe('')
      })
      expect(helps[0]!.stdout).toMatch(/--alert-webhook URL/)
      expect(helps[1]!.stdout).toMatch(/--create/)
      for (const c of commands) expect(helps.at(-1)!.stdout).toContain(c)

      // The demo's data folder is .data/demo; its relay's database is in .data/demo/relay.
      const parent = dataDir()
      const relayDir = path.join(parent, 'relay')
      expect(
        (await cli(['add-vessel', '--data', relayDir, '--vessel', VESSEL, '--name', 'X', '--create'])).code,
      ).toBe(0)
      const refused = await Promise.all([
        cli(['add-user', '--data', parent, '--user', 'bob', '--role', 'shore']),
        cli(['add-vessel', '--data', parent, '--vessel', VESSEL, '--name', 'X']),
        cli(['revoke-token', '--data', parent, '--token-id', 'abc']),
        cli(['list-tokens', '--data', parent]),
      ])
      for (const run of refused) {
        expect(run.code).toBe(1)
        expect(run.stderr).toMatch(/no relay database in .*--create/s)
        expect(run.stdout).not.toMatch(/tly_/)
      }
      expect(fs.existsSync(path.join(parent, 'relay.sqlite'))).toBe(false)
      const added = await cli(['add-user', '--data', relayDir, '--user', 'bob', '--role', 'shore'])
      expect(added.code).toBe(0)
      expect(lastLine(added.stdout)).toMatch(/^tly_user_/)
    })

    it('serve takes --alert-webhook and the alert thresholds, and refuses bad ones in their units', async () => {
      const data = dataDir()
      const bad: [string[], RegExp][] = [
        [['--alert-webhook', 'ftp://hooks.example/x'], /--alert-webhook must be an http\(s\) URL/],
        [['--lag-grace-min', 'soon'], /--lag-grace-min must be a number of minutes from 0/],
        [['--failure-rate-pct', '150'], /--failure-rate-pct must be a number of percent from 0 to 100/],
        [['--min-attempts', '2.5'], /--min-attempts must be a whole number of attempts/],
        [
          ['--integration-requests-per-min', '0'],
          /--integration-requests-per-min must be a whole number of requests from 1/,
        ],
      ]
      const runs = await Promise.all(
        bad.map(([extra]) => cli(['serve', '--port', '0', '--data', data, ...extra])),
      )
      runs.forEach((run, i) => {
        expect(run.code).toBe(2)
        expect(run.stderr).toMatch(bad[i]![1])
      })
    })

    it('serve starts a relay that logs its URL and answers /healthz', async () => {
      const data = dataDir()
      const child = spawn(
        process.execPath,
        [
          '--import',
          'tsx',
          'relay/src/cli.ts',
          'serve',
          '--port',
          '0',
          '--data',
          data,
          '--alert-webhook',
          'http://127.0.0.1:9/hook',
          '--lag-grace-min',
          '30',
          '--failure-rate-pct',
          '7',
          '--integration-requests-per-min',
          '2',
        ],
        {
          cwd: REPO_ROOT,
          detached: true, // its own process group, so npx and the relay stop together
        },
      )
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
      cleanups.push(async () => {
        if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, 'SIGKILL')
        await exited
      })
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('relay did not log its URL in time')), CLI_TIMEOUT_MS)
        readline.createInterface({ input: child.stdout }).on('line', (line) => {
          try {
            const entry = JSON.parse(line) as { msg?: string; url?: string }
            if (entry.msg === 'relay listening' && entry.url) {
              clearTimeout(timer)
              resolve(entry.url)
            }
          } catch {
            // not a log line
          }
        })
      })
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
      expect(await (await fetch(`${url}/healthz`)).json()).toEqual({ ok: true })
      expect(fs.existsSync(path.join(data, 'relay.sqlite'))).toBe(true)
      // The documented flags took effect: the dashboard reports the webhook and the thresholds.
      const ops = await cli(['add-user', '--data', data, '--user', 'olga', '--role', 'ops'])
      const alerts = await (
        await fetch(`${url}/api/ops/alerts`, { headers: { authorization: `Bearer ${lastLine(ops.stdout)}` } })
      ).json()
      expect(alerts).toMatchObject({ webhook: true, thresholds: { lagGraceS: 1800, failureRate: 0.07 } })
      // --integration-requests-per-min 2: an integration token's third request in the minute is refused.
      const integration = await cli(['add-integration', '--data', data, '--name', 'acme', '--scope', 'read'])
      const asIntegration = () =>
        fetch(`${url}/api/vessels`, { headers: { authorization: `Bearer ${lastLine(integration.stdout)}` } })
      expect((await asIntegration()).status).toBe(200)
      expect((await asIntegration()).status).toBe(200)
      const limited = await asIntegration()
      expect(limited.status).toBe(429)
      expect(((await limited.json()) as any).error.message).toContain('more than 2 requests in 60 s')
      process.kill(-child.pid!, 'SIGTERM')
      const code = await Promise.race([
        exited,
        new Promise((r) => setTimeout(() => r('timeout'), CLI_TIMEOUT_MS)),
      ])
      expect(code).not.toBe('timeout')
    })
  },
  CLI_TIMEOUT_MS * 3,
)
