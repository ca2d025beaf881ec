/**
 * The contract CLI in real child processes: `add-crew` prints the token on its last stdout line,
 * bad arguments exit with status 2 and a clear message, and `serve` answers HTTP and stops cleanly
 * on SIGTERM.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { spawn, spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { openTallyDatabase, TokenStore } from '@tally/storage-sqlite'
import { closedPort, tempDir } from './helpers.ts'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const TSX = join(ROOT, 'node_modules/.bin/tsx')
const CLI = join(ROOT, 'vessel-node/src/cli.ts')

const cleanups: (() => void)[] = []
afterEach(() => {
  while (cleanups.length) cleanups.pop()!()
})

function vessel(args: string[]) {
  return spawnSync(TSX, [CLI, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 })
}

/** The same, without blocking, so the bad-argument cases can run side by side. */
function vesselAsync(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(TSX, [CLI, ...args], { cwd: ROOT })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()))
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()))
    child.on('close', (status) => resolve({ status, stdout, stderr }))
  })
}

function dir(): string {
  const tmp = tempDir()
  cleanups.push(tmp.remove)
  return tmp.dir
}

describe('vessel CLI', () => {
  it('add-crew prints a working crew token on the last stdout line', () => {
    const data = dir()
    const run = vessel(['add-crew', '--data', data, '--user', 'bosun', '--create'])
    expect(run.status, run.stderr).toBe(0)
    const token = run.stdout.trim().split('\n').at(-1)!
    expect(token).toMatch(/^tly_crew_[A-Za-z0-9_-]{43}$/)
    const db = openTallyDatabase(join(data, 'vessel.sqlite'))
    try {
      expect(new TokenStore(db).verify(token, 'crew')).toMatchObject({ kind: 'crew', subject: 'bosun' })
    } finally {
      db.close()
    }
  })

  it('works through `npm run vessel --` too', () => {
    const data = dir()
    const run = spawnSync(
      'npm',
      ['run', 'vessel', '--', 'add-crew', '--data', data, '--user', 'mate', '--create'],
      {
        cwd: ROOT,
        encoding: 'utf8',
        timeout: 60_000,
      },
    )
    expect(run.status, run.stderr).toBe(0)
    expect(run.stdout.trim().split('\n').at(-1)).toMatch(/^tly_crew_/)
  })

  it.concurrent.each([
    [['add-crew', '--data', '/tmp/x'], /--user is required/],
    [['add-crew', '--user', 'bosun'], /--data is required/],
    [['add-crew', '--data', '/tmp/x', '--user', 'bad name!'], /--user must be/],
    [['add-crew', '--data', '/tmp/x', '--user', 'bosun', '--colour', 'red'], /colour/],
    [['launch'], /unknown command "launch"/],
    [
      ['serve', '--data', '/tmp/x', '--relay', 'ws://127.0.0.1:1/link', '--vessel', 'IMO123', '--token', 't'],
      /--vessel must be IMO/,
    ],
    [
      ['serve', '--data', '/tmp/x', '--relay', 'http://relay/link', '--vessel', 'IMO9811000', '--token', 't'],
      /--relay must be a ws/,
    ],
    [
      [
        'serve',
        '--port',
        'abc',
        '--data',
        '/tmp/x',
        '--relay',
        'ws://h:1/link',
        '--vessel',
        'IMO9811000',
        '--token',
        't',
      ],
      /--port must be/,
    ],
    [
      ['serve', '--data', '/tmp/x', '--relay', 'ws://h:1/link', '--vessel', 'IMO9811000'],
      /--token is required/,
    ],
  ])('refuses %j with exit status 2', async (args, message) => {
    const run = await vesselAsync(args as string[])
    expect(run.status).toBe(2)
    expect(run.stderr).toMatch(message as RegExp)
    expect(run.stderr).toMatch(/usage:/)
  })

  it('prints each command’s usage for --help, and refuses a folder with no database unless --create', async () => {
    const commands = ['serve', 'add-crew', 'revoke-crew', 'list-crew']
    const runs = await Promise.all(
      [...commands.map((c) => [c, '--help']), ['--help']].map(
        (args) =>
          new Promise<{ status: number | null; stdout: string }>((resolve) => {
            const child = spawn(TSX, [CLI, ...args], { cwd: ROOT })
            let stdout = ''
            child.stdout.on('data', (c: Buffer) => (stdout += c.toString()))
            child.on('exit', (status) => resolve({ status, stdout }))
          }),
      ),
    )
    runs.forEach((run, i) => {
      expect(run.status, commands[i] ?? '--help').toBe(0)
      expect(run.stdout).toMatch(/usage:/)
    })
    expect(runs[1]!.stdout).toMatch(/--create/)
    for (const c of commands) expect(runs.at(-1)!.stdout).toContain(c)

    const empty = dir()
    const refused = await Promise.all([
      vesselAsync(['add-crew', '--data', empty, '--user', 'bosun']),
      vesselAsync(['revoke-crew', '--data', empty, '--user', 'bosun']),
      vesselAsync(['list-crew', '--data', empty]),
    ])
    for (const run of refused) {
      expect(run.status).toBe(1)
      expect(run.stderr).toMatch(/no vessel database in .*--create/s)
    }
    expect(existsSync(join(empty, 'vessel.sqlite'))).toBe(false)
  }, 180_000)

  it('serve answers /healthz and the API, and exits 0 on SIGTERM', async () => {
    const data = dir()
    const token = vessel(['add-crew', '--data', data, '--user', 'bosun', '--create'])
      .stdout.trim()
      .split('\n')
      .at(-1)!
    const mate = vessel(['add-crew', '--data', data, '--user', 'mate']).stdout.trim().split('\n').at(-1)!
    const relay = `ws://127.0.0.1:${await closedPort()}/link`
    const child = spawn(
      TSX,
      [
        CLI,
        'serve',
        '--port',
        '0',
        '--data',
        data,
        '--relay',
        relay,
        '--vessel',
        'IMO9811000',
        '--token',
        'tly_vessel_x',
        '--sync-interval-s',
        '3600',
      ],
      {
        cwd: ROOT,
        env: { ...process.env, LOG_LEVEL: 'warn' },
      },
    )
    cleanups.push(() => child.kill('SIGKILL'))
    const url = await new Promise<string>((resolve, reject) => {
      let out = ''
      const timer = setTimeout(() => reject(new Error(`no listening line: ${out}`)), 30_000)
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString()
        const m = /listening on (http:\/\/\S+)/.exec(out)
        if (m) {
          clearTimeout(timer)
          resolve(m[1]!)
        }
      })
    })
    expect(await (await fetch(`${url}/healthz`)).json()).toEqual({ ok: true })
    const me = await fetch(`${url}/api/me`, { headers: { authorization: `Bearer ${token}` } })
    expect(await me.json()).toEqual({ user: 'bosun', vessel: 'IMO9811000', role: 'vessel' })

    // revoke-crew, from another process while the node serves: the mate's next request gets 401.
    const asMate = () =>
      fetch(`${url}/api/containers?limit=1`, { headers: { authorization: `Bearer ${mate}` } })
    expect((await asMate()).status).toBe(200)
    const listed = await vesselAsync(['list-crew', '--data', data])
    expect(listed.status, listed.stderr).toBe(0)
    expect(listed.stdout).toMatch(/\tbosun\t/)
    expect(listed.stdout).toMatch(/\tmate\t/)
    expect(listed.stdout).not.toMatch(/tly_crew_/)
    const revoked = await vesselAsync(['revoke-crew', '--data', data, '--user', 'mate'])
    expect(revoked.status, revoked.stderr).toBe(0)
    expect(revoked.stdout).toMatch(/revoked 1 token of crew member mate/)
    expect((await asMate()).status).toBe(401)
    expect((await fetch(`${url}/api/me`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200)
    expect((await vesselAsync(['list-crew', '--data', data])).stdout).not.toMatch(/\tmate\t/)
    expect((await vesselAsync(['list-crew', '--data', data, '--all'])).stdout).toMatch(/\tmate\t/)
    const again = await vesselAsync(['revoke-crew', '--data', data, '--user', 'mate'])
    expect(again.status).toBe(1)
    expect(again.stderr).toMatch(/holds no live token/)
    const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
    child.kill('SIGTERM')
    expect(await exit).toBe(0)
  }, 180_000)
})
