/**
 * Integration tokens: issued by `relay add-integration` (stored hashed, revocable), a `read` scope
 * that reads REST, DCSA events and subscriptions and nothing else, a `customs` scope that may also
 * PATCH the customs section (attributed to the integration in history), and a per-token rate limit
 * answered with a clear 429.
 */
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import path from 'node:path'
import { pino } from 'pino'
import { afterEach, describe, expect, it } from 'vitest'
import { createRelay } from '../src/app.ts'
import type { Relay } from '../src/app.ts'
import { booking, containerNo, REPO_ROOT, tempDir, VESSEL } from './helpers.ts'

const CLI_TIMEOUT_MS = 90_000

const closers: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close()
})

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

async function startRelay(dir: string, limit = 1_000): Promise<Relay> {
  const relay = await createRelay({
    dataDir: dir,
    logger: pino({ level: 'silent' }),
    integrationLimits: { limit, windowMs: 60_000 },
  })
  closers.push(() => relay.close())
  return relay
}

function client(relay: Relay, token: string) {
  return async (method: string, urlPath: string, body?: unknown) => {
    const res = await fetch(relay.url + urlPath, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    })
    const text = await res.text()
    return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : null }
  }
}

describe('integration tokens', () => {
  it(
    'add-integration prints a token kept hashed; read and customs scopes; writes attributed; revocable',
    async () => {
      const { dir, cleanup } = tempDir()
      closers.push(cleanup)
      const data = path.join(dir, 'relay-data')
      const read = await cli(['add-integration', '--data', data, '--name', 'tracker', '--scope', 'read'])
      expect(read.code).toBe(0)
      const readToken = read.stdout.trimEnd().split('\n').at(-1)!
      expect(readToken).toMatch(/^tly_integration_[A-Za-z0-9_-]{43}$/)
      const bad = await cli(['add-integration', '--data', data, '--name', 'x', '--scope', 'write'])
      expect(bad.code).toBe(2)
      expect(bad.stderr).toContain('--scope must be one of read, customs')

      const relay = await startRelay(data)
      const customsToken = relay.context.tokens.issue('integration', 'broker', 'customs')
      const shore = client(relay, relay.context.tokens.issue('user', 'alice', 'shore'))
      expect((await shore('POST', `/api/vessels/${VESSEL}/containers`, [booking(1)])).status).toBe(201)
      const box = `/api/vessels/${VESSEL}/containers/${containerNo(1)}`

      const reader = client(relay, readToken)
      expect((await reader('GET', '/api/me')).body).toMatchObject({ user: 'integration:tracker' })
      expect((await reader('GET', box)).status).toBe(200)
      expect((await reader('GET', `/api/vessels/${VESSEL}/containers`)).body.total).toBe(1)
      expect((await reader('GET', '/dcsa/tnt/v2/events')).status).toBe(200)
      const sub = await reader('POST', '/dcsa/tnt/v2/event-subscriptions', {
        callbackUrl: 'http://127.0.0.1:9/callback',
        secret: randomBytes(32).toString('base64'),
      })
      expect(sub.status).toBe(201)
      // A read token cannot PATCH, create, propose or use the operator tools.
      const patch = await reader('PATCH', box, { customs: { status: 'HELD' } })
      expect(patch.status).toBe(403)
      expect(patch.body.error.message).toContain('scope read')
      expect((await reader('POST', `/api/vessels/${VESSEL}/containers`, [booking(2)])).status).toBe(403)
      expect(
        (await reader('POST', `${box}/proposals`, { field: 'physical.condition', value: 'DAMAGED' })).status,
      ).toBe(403)
      expect((await reader('GET', '/api/ops/overview')).status).toBe(403)

      // A customs token writes the customs section, and only that.
      const broker = client(relay, customsToken)
      const held = await broker('PATCH', box, {
        customs: { status: 'HELD', holdReason: 'documents missing' },
      })
      expect(held.status).toBe(200)
      expect(held.body.customs.status).toBe('HELD')
      const cargo = await broker('PATCH', box, { cargo: { vgmKg: 1 } })
      expect(cargo.status).toBe(403)
      expect(cargo.body.error).toMatchObject({ code: 'FORBIDDEN_FIELD', field: 'cargo' })
      const history = (await shore('GET', `${box}/history`)).body as any[]
      expect(history.find((h) => h.field === 'customs.status' && h.to === 'HELD')).toMatchObject({
        principal: 'integration:broker',
        role: 'customs',
      })

      // Revoked from the CLI: refused at once, even while the relay runs.
      const listed = await cli(['list-tokens', '--data', data])
      const line = listed.stdout.split('\n').find((l) => l.includes('\tintegration\ttracker\t'))!
      expect(line).toContain('\tread\t')
      expect((await cli(['revoke-token', '--data', data, '--token-id', line.split('\t')[0]!])).code).toBe(0)
      expect((await reader('GET', box)).status).toBe(401)
      // Integration tokens do not open /sync, which is for people.
      expect(relay.authenticateUser(customsToken)).toBeNull()
    },
    CLI_TIMEOUT_MS * 6,
  )

  it('limits each integration token with a clear 429, and leaves user tokens alone', async () => {
    const { dir, cleanup } = tempDir()
    closers.push(cleanup)
    const relay = await startRelay(dir, 3)
    const a = client(relay, relay.context.tokens.issue('integration', 'a', 'read'))
    const b = client(relay, relay.context.tokens.issue('integration', 'b', 'read'))
    const user = client(relay, relay.context.tokens.issue('user', 'alice', 'shore'))
    for (let i = 0; i < 3; i++) expect((await a('GET', '/api/vessels')).status).toBe(200)
    const limited = await a('GET', '/api/vessels')
    expect(limited.status).toBe(429)
    expect(limited.body.error.code).toBe('RATE_LIMITED')
    expect(limited.body.error.message).toContain('more than 3 requests in 60 s')
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0)
    const dcsa = await a('GET', '/dcsa/tnt/v2/events')
    expect(dcsa.status).toBe(429)
    expect(dcsa.body).toMatchObject({ error: { code: 'RATE_LIMITED' }, statusCode: 429 })
    expect((await b('GET', '/api/vessels')).status).toBe(200)
    for (let i = 0; i < 5; i++) expect((await user('GET', '/api/vessels')).status).toBe(200)
  })
})
