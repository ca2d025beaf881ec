/**
 * A real relay end of the link for the vessel node's tests: an HTTP server on 127.0.0.1 whose
 * `/link` upgrade goes to the relay's LinkServer over its own SQLite file. (The full relay app lives
 * in relay/; the tests only need its link.)
 */
import { createServer } from 'node:http'
import type { Server } from 'node:http'
import pino from 'pino'
import { policyValidator, ContainerStore } from '@tally/replica'
import {
  ActorRegistryStore,
  CursorStore,
  DeadLetterStore,
  openTallyDatabase,
  SessionLog,
  TokenStore,
} from '@tally/storage-sqlite'
import type Database from 'better-sqlite3'
import { LinkServer } from '../../relay/src/link-server.ts'
import { tempDir, VESSEL } from './helpers.ts'

export interface RelayFixture {
  url: string
  port: number
  db: Database.Database
  store: ContainerStore
  registry: ActorRegistryStore
  tokens: TokenStore
  vesselToken: string
  link: LinkServer
  /** Stops listening (the link goes down) but keeps the database. */
  stop(): Promise<void>
  /** Listens again on the same port. */
  restart(): Promise<void>
  close(): Promise<void>
}

async function listen(server: Server, port: number): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject)
      resolve()
    })
  })
  return (server.address() as { port: number }).port
}

/** `budgetFor`: the daily byte budget left for the vessel, as the relay's ops tools would say it. */
export async function startRelay(
  port = 0,
  options: { budgetFor?: (vessel: string) => number | null } = {},
): Promise<RelayFixture> {
  const tmp = tempDir('tally-relay-')
  const db = openTallyDatabase(`${tmp.dir}/relay.sqlite`, { synchronous: 'NORMAL' })
  const registry = new ActorRegistryStore(db)
  const tokens = new TokenStore(db)
  const store = new ContainerStore(db, { principalOf: (a) => registry.principalOf(a) })
  const link = new LinkServer({
    store,
    tokens,
    registry,
    cursors: new CursorStore(db),
    deadLetters: new DeadLetterStore(db),
    sessions: new SessionLog(db),
    validate: policyValidator(registry, { id: VESSEL, role: 'vessel' }),
    logger: pino({ level: 'silent' }),
    budgetFor: options.budgetFor,
  })
  const vesselToken = tokens.issue('vessel', VESSEL)
  let server: Server
  const makeServer = () => {
    const s = createServer((_req, res) => res.writeHead(404).end())
    s.on('upgrade', (req, socket, head) => {
      if (req.url?.startsWith('/link')) link.handleUpgrade(req, socket, head)
      else socket.destroy()
    })
    return s
  }
  server = makeServer()
  const bound = await listen(server, port)
  const stopServer = () =>
    new Promise<void>((resolve) => {
      for (const ws of link.active.values()) ws.terminate()
      server.close(() => resolve())
      server.closeAllConnections()
    })
  return {
    url: `ws://127.0.0.1:${bound}/link`,
    port: bound,
    db,
    store,
    registry,
    tokens,
    vesselToken,
    link,
    stop: stopServer,
    restart: async () => {
      server = makeServer()
      await listen(server, bound)
    },
    close: async () => {
      await stopServer()
      link.close()
      db.close()
      tmp.remove()
    },
  }
}
