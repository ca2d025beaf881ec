/**
 * Fuzzing the REST bodies with fast-check against real servers: PATCH of a container (relay, as
 * shore and customs users; vessel node, as crew) and the relay's bulk create. Any body gets an answer
 * of the contract — the view, or an error `{error: {code, field?, message}}` with a 4xx status —
 * never a 500, and the documents stay readable and consistent afterwards.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import fs from 'node:fs'
import path from 'node:path'
import fc from 'fast-check'
import { pino } from 'pino'
import { documentIdFor, FIELDS, withCheckDigit } from '@tally/manifest'
import { createRelay } from '../../relay/src/app.ts'
import type { Relay } from '../../relay/src/app.ts'
import { createVesselNode } from '../../vessel-node/src/app.ts'
import type { VesselNode } from '../../vessel-node/src/app.ts'
import { tempDir } from '../link/fixtures.ts'
import { FUZZ_HTTP_RUNS } from './support/config.ts'

const IMO = 'IMO9811000'
const VOYAGE = '024E'
const CONTAINERS = 20
const CODES = new Set([
  'INVALID',
  'FORBIDDEN_FIELD',
  'NOT_FOUND',
  'UNAUTHORIZED',
  'FORBIDDEN',
  'CONFLICT',
  'PAYLOAD_TOO_LARGE',
])
const containerNo = (n: number) => withCheckDigit(`FUZU${String(n).padStart(6, '0')}`)

/** Plausible values (some valid somewhere), and junk of every JSON type. */
const plausible = fc.constantFrom<unknown>(
  'DAMAGED',
  'OK',
  'HELD',
  'RELEASED',
  'INSPECTION',
  'ON_BOARD',
  'LOADED',
  '2026-11-01T06:00:00Z',
  '2026-13-45T99:00:00Z',
  'CNSHA',
  'USLAX',
  '0120482',
  '9990482',
  'ACME Shipping',
  'ML-CN1234567',
  20_000,
  -5,
  4.5,
  1e308,
  true,
  false,
  null,
  [],
  ['847130'],
  ['8471301234567'],
  { unNumber: '1203', imoClass: '3', packingGroup: '2' },
  { code: 'HIGH_TEMP', at: '2026-11-01T00:00:00Z', note: null },
  { at: '2026-11-01T00:00:00Z', supplyC: 4.1, returnC: 5.2 },
)
const junk = fc.jsonValue({ maxDepth: 2 })
const fieldValue = fc.oneof(plausible, junk)
const subKeys = [...new Set(FIELDS.map((f) => f.path.split('.')[1]).filter((k): k is string => !!k))]
const sectionKeys = [
  'cargo',
  'customs',
  'physical',
  'reefer',
  'notes',
  'proposals',
  'containerId',
  'vessel',
  'heads',
  '__proto__',
  'constructor',
]
const patchBody = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.dictionary(
      fc.oneof(fc.constantFrom(...sectionKeys), fc.string({ maxLength: 6 })),
      fc.oneof(
        fc.dictionary(fc.oneof(fc.constantFrom(...subKeys), fc.string({ maxLength: 6 })), fieldValue, {
          maxKeys: 4,
        }),
        fieldValue,
      ),
      { maxKeys: 3 },
    ),
  },
  { weight: 1, arbitrary: junk },
)

function booking(n: number): Record<string, unknown> {
  return {
    containerId: containerNo(n),
    isoType: n % 4 === 0 ? '45R1' : '22G1',
    voyage: VOYAGE,
    cargo: { booking: `BK${n}`, pol: 'KRPUS', pod: 'USLAX', vgmKg: 20_000 + n },
    customs: { status: 'PENDING', hsCodes: ['847130'] },
    physical: { state: 'PLANNED', stowage: `${String(1 + (n % 40)).padStart(3, '0')}0${n % 2}82` },
  }
}

/** A booking list with random mutations: fields replaced, removed or added. */
const bulkBody = fc.oneof(
  {
    weight: 5,
    arbitrary: fc
      .array(
        fc.record({
          n: fc.integer({ min: 1_000, max: 1_200 }),
          section: fc.constantFrom(
            'containerId',
            'isoType',
            'voyage',
            'cargo',
            'customs',
            'physical',
            'vessel',
            'extra',
          ),
          value: fc.oneof(
            fieldValue,
            fc.dictionary(fc.oneof(fc.constantFrom(...subKeys), fc.string({ maxLength: 5 })), fieldValue, {
              maxKeys: 3,
            }),
          ),
          drop: fc.boolean(),
        }),
        { maxLength: 4 },
      )
      .map((items) =>
        items.map(({ n, section, value, drop }) => {
          const b = booking(n)
          if (drop) delete b[section]
          else b[section] = value
          return b
        }),
      ),
  },
  { weight: 1, arbitrary: junk },
)

/** The contract's answer: a 2xx body of the expected kind, or a 4xx error body naming its code. */
function expectContract(res: { status: number; body: any }, okStatus: number): void {
  expect(res.status).toBeLessThan(500)
  if (res.status === okStatus) return
  expect(res.status).toBeGreaterThanOrEqual(400)
  expect(CODES.has(res.body?.error?.code)).toBe(true)
  expect(typeof res.body.error.message).toBe('string')
  expect(res.body.error.message.length).toBeGreaterThan(0)
}

async function call(base: string, method: string, url: string, token: string, body: unknown) {
  const res = await fetch(base + url, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  })
  const text = await res.text()
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    parsed = text
  }
  return { status: res.status, body: parsed as any }
}

describe('fuzz: REST bodies', { timeout: 300_000 }, () => {
  let dir: string
  let relay: Relay
  let node: VesselNode
  const tokens: Record<string, string> = {}
  beforeAll(async () => {
    dir = tempDir()
    const silent = pino({ level: 'silent' })
    relay = await createRelay({ dataDir: path.join(dir, 'relay'), port: 0, logger: silent })
    tokens.shore = relay.context.tokens.issue('user', 'alice', 'shore')
    tokens.customs = relay.context.tokens.issue('user', 'carl', 'customs')
    const created = await call(
      relay.url,
      'POST',
      `/api/vessels/${IMO}/containers`,
      tokens.shore,
      Array.from({ length: CONTAINERS }, (_, i) => booking(i)),
    )
    expect(created.status).toBe(201)
    node = await createVesselNode({
      dataDir: path.join(dir, 'vessel'),
      port: 0,
      relayUrl: 'ws://127.0.0.1:9/link',
      vessel: IMO,
      token: 'none',
      autoSync: false,
      logger: silent,
    })
    tokens.crew = node.tokens.issue('crew', 'bosun', 'vessel')
    for (let i = 0; i < CONTAINERS; i++)
      node.store.create(
        { vessel: IMO, voyage: VOYAGE, containerId: containerNo(i) },
        i % 4 === 0 ? '45R1' : '22G1',
      )
  })
  afterAll(async () => {
    await node?.close()
    await relay?.close()
    fs.rmSync(dir, { recursive: true, force: true })
  })

  it('answers any PATCH of a relay container with the view or a contract error', async () => {
    const statuses = new Map<number, number>()
    await fc.assert(
      fc.asyncProperty(
        fc.nat(CONTAINERS + 1),
        fc.constantFrom('shore', 'customs'),
        patchBody,
        async (i, role, body) => {
          const res = await call(
            relay.url,
            'PATCH',
            `/api/vessels/${IMO}/containers/${containerNo(i)}`,
            tokens[role]!,
            body,
          )
          statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1)
          expectContract(res, 200)
          if (res.status === 200) expect(res.body.containerId).toBe(containerNo(i))
        },
      ),
      { numRuns: FUZZ_HTTP_RUNS },
    )
    console.log(`[reliability] relay PATCH statuses: ${JSON.stringify(Object.fromEntries(statuses))}`)
    // Every document still loads and lists.
    for (let i = 0; i < CONTAINERS; i++)
      expect(
        relay.store.view(documentIdFor({ vessel: IMO, voyage: VOYAGE, containerId: containerNo(i) })),
      ).toBeDefined()
    expect(
      (await call(relay.url, 'GET', `/api/vessels/${IMO}/containers?limit=1000`, tokens.shore, undefined))
        .body.total,
    ).toBe(CONTAINERS)
  })

  it('answers any bulk create with 201 or a contract error, creating only valid containers', async () => {
    await fc.assert(
      fc.asyncProperty(bulkBody, async (body) => {
        const res = await call(relay.url, 'POST', `/api/vessels/${IMO}/containers`, tokens.shore, body)
        expectContract(res, 201)
        if (res.status === 201) expect(Number.isInteger(res.body.created)).toBe(true)
      }),
      { numRuns: FUZZ_HTTP_RUNS },
    )
    const all = (
      await call(relay.url, 'GET', `/api/vessels/${IMO}/containers?limit=1000`, tokens.shore, undefined)
    ).body
    for (const view of all.items) expect(view.containerId).toMatch(/^[A-Z]{4}\d{7}$/)
  })

  it('answers any PATCH of a vessel-node container, and raw non-JSON bodies, with the contract', async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat(CONTAINERS + 1), patchBody, async (i, body) => {
        expectContract(
          await call(node.url, 'PATCH', `/api/containers/${containerNo(i)}`, tokens.crew!, body),
          200,
        )
      }),
      { numRuns: FUZZ_HTTP_RUNS },
    )
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 200 }), async (raw) => {
        const relayRes = await call(
          relay.url,
          'PATCH',
          `/api/vessels/${IMO}/containers/${containerNo(1)}`,
          tokens.shore,
          raw,
        )
        expectContract(relayRes, 200)
        expectContract(
          await call(node.url, 'PATCH', `/api/containers/${containerNo(1)}`, tokens.crew!, raw),
          200,
        )
      }),
      { numRuns: Math.max(30, Math.floor(FUZZ_HTTP_RUNS / 3)) },
    )
    const list = await call(node.url, 'GET', '/api/containers?limit=1000', tokens.crew!, undefined)
    expect(list.status).toBe(200)
    expect(list.body.total).toBe(CONTAINERS)
  })
})
