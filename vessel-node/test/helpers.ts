/**
 * Shared set-up for the vessel node's tests: a real node on port 0 in a temp directory, crew tokens,
 * and containers created the way the relay would (genesis, then shore and vessel edits by actors
 * bound to their principals).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { applyPatch, documentIdFor, withCheckDigit } from '@tally/manifest'
import type { ContainerStore } from '@tally/replica'
import type { ActorRegistryStore } from '@tally/storage-sqlite'
import { createVesselNode } from '../src/app.ts'
import type { VesselNode, VesselNodeOptions } from '../src/app.ts'

export const VESSEL = 'IMO9811000'
export const VOYAGE = '024E'

export function tempDir(prefix = 'tally-vessel-'): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) }
}

/** A port that nothing listens on (bound, then released): connecting to it is refused. */
export async function closedPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as { port: number }).port
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

export interface TestNode {
  node: VesselNode
  dir: string
  crewToken: string
  api: (path: string, init?: RequestInit & { json?: unknown; token?: string | null }) => Promise<Response>
  close: () => Promise<void>
}

/** A vessel node with no relay (its URL points at a closed port) and the sync engine stopped. */
export async function startTestNode(options: Partial<VesselNodeOptions> = {}): Promise<TestNode> {
  const tmp = tempDir()
  const node = await createVesselNode({
    dataDir: tmp.dir,
    port: 0,
    relayUrl: `ws://127.0.0.1:${await closedPort()}/link`,
    vessel: VESSEL,
    token: 'tly_vessel_not-a-real-token',
    autoSync: false,
    ...options,
  })
  const crewToken = node.tokens.issue('crew', 'bosun', 'vessel')
  const api: TestNode['api'] = (path, init = {}) => {
    const { json, token, ...rest } = init
    const headers: Record<string, string> = { ...(rest.headers as Record<string, string>) }
    const t = token === undefined ? crewToken : token
    if (t !== null) headers.authorization = `Bearer ${t}`
    if (json !== undefined) headers['content-type'] = 'application/json'
    return fetch(`${node.url}${path}`, {
      ...rest,
      headers,
      body: json !== undefined ? JSON.stringify(json) : rest.body,
    })
  }
  return {
    node,
    dir: tmp.dir,
    crewToken,
    api,
    close: async () => {
      await node.close()
      tmp.remove()
    },
  }
}

/** A shore user's actor, bound the way the relay's registry would bind it. */
export function shoreActor(registry: ActorRegistryStore, user = 'planner'): string {
  const actor = randomBytes(16).toString('hex')
  registry.bind({ actor, principal: `user:${user}`, kind: 'user', role: 'shore', name: user })
  return actor
}

/** A vessel actor (not a crew member's: a seeding process of its own). */
export function vesselActor(registry: ActorRegistryStore, vessel = VESSEL): string {
  const actor = randomBytes(16).toString('hex')
  registry.bind({ actor, principal: vessel, kind: 'vessel', role: 'vessel', name: 'seed' })
  return actor
}

export interface SeededContainer {
  containerId: string
  docId: string
  isoType: string
  booking: string
  stowage: string
  reefer: boolean
  dg: boolean
  held: boolean
}

/** The i-th test container: every 10th a reefer, every 25th dangerous goods, every 9th held by customs, bays 001–039. */
export function testContainer(i: number, voyage = VOYAGE): SeededContainer {
  const containerId = withCheckDigit(`TLLU${String(i).padStart(6, '0')}`)
  const reefer = i % 10 === 0
  const bay = String(1 + 2 * (i % 20)).padStart(3, '0')
  const row = String(i % 12).padStart(2, '0')
  const tier = String(82 + 2 * (i % 5))
  return {
    containerId,
    docId: documentIdFor({ vessel: VESSEL, voyage, containerId }),
    isoType: reefer ? '45R1' : '42G1',
    booking: `BK${String(1000 + Math.floor(i / 4))}`,
    stowage: `${bay}${row}${tier}`,
    reefer,
    dg: i % 25 === 3,
    held: i % 9 === 4,
  }
}

/** Creates `count` containers with cargo from shore and stowage from the vessel. */
export function seedContainers(
  store: ContainerStore,
  registry: ActorRegistryStore,
  count: number,
  from = 0,
): SeededContainer[] {
  const shore = shoreActor(registry)
  const vessel = vesselActor(registry)
  const out: SeededContainer[] = []
  // One transaction: each commit is an fsync, and seeding is set-up, not what a test measures.
  store.db.transaction(() => {
    for (let i = from; i < from + count; i++) {
      const c = testContainer(i)
      store.create({ vessel: VESSEL, voyage: VOYAGE, containerId: c.containerId }, c.isoType)
      store.edit(c.docId, shore, (doc) =>
        applyPatch(
          doc,
          {
            cargo: {
              booking: c.booking,
              pol: 'NLRTM',
              pod: 'SGSIN',
              vgmKg: 12_000 + i,
              dg: c.dg ? { unNumber: '1263', imoClass: '3', packingGroup: '2' } : null,
              reeferSetpointC: c.reefer ? -18 : null,
            },
            customs: c.held ? { status: 'HELD', holdReason: 'documents missing' } : { status: 'PENDING' },
          },
          'shore',
        ),
      )
      store.edit(c.docId, vessel, (doc) =>
        applyPatch(
          doc,
          { physical: { state: i % 7 === 0 ? 'LOADED' : 'ON_BOARD', stowage: c.stowage } },
          'vessel',
        ),
      )
      out.push(c)
    }
  })()
  return out
}
