/**
 * `/sync` against stock automerge-repo Node clients (`Repo` + `WebSocketClientAdapter`, no browser):
 * documents sync, an allowed customs edit is accepted and stored, a forbidden physical edit and a
 * forged actor are refused (dead letter, the client is told, nothing stored or forwarded), unknown
 * documents are unavailable, and bad input gets a named close code while the relay keeps serving.
 */
import * as A from '@automerge/automerge'
import { cbor, Presence } from '@automerge/automerge-repo'
import type { DocHandle } from '@automerge/automerge-repo'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { toPlain, toView } from '@tally/manifest'
import type { ContainerDoc } from '@tally/manifest'
import { MAX_SYNC_MESSAGE_BYTES, SyncCloseCode } from '../../relay/src/sync/index.ts'
import { keepConflictValue } from '../../shore-ui/src/edits.ts'
import {
  containerNo,
  docIdOf,
  rawSocket,
  startSyncRelay,
  syncClient,
  urlOf,
  VESSEL,
  waitFor,
} from './helpers.ts'
import type { SyncClient, SyncRelay } from './helpers.ts'

const s = (v: string) => new A.ImmutableString(v)

/** Tally notices (ephemeral messages with a `tally` key) a handle receives. */
function notices(handle: DocHandle<unknown>): { type: string; [k: string]: unknown }[] {
  const seen: { type: string }[] = []
  handle.on('ephemeral-message', ({ message }) => {
    const tally = (message as { tally?: { type: string } }).tally
    if (tally) seen.push(tally)
  })
  return seen as never
}

describe('/sync with stock automerge-repo clients', () => {
  let r: SyncRelay
  const clients: SyncClient[] = []
  const client = (token: string, peerId?: string) => {
    const c = syncClient(r.syncUrl, token, peerId)
    clients.push(c)
    return c
  }

  beforeAll(async () => {
    r = await startSyncRelay(6, { sync: { revocationCheckMs: 100 } })
  })
  afterAll(async () => {
    for (const c of clients) await c.close().catch(() => undefined)
    await r?.close()
  })

  it('syncs a container document to a client', async () => {
    const handle = await client(r.tokens.shore).find(1)
    const doc = handle.doc()
    expect(toPlain(doc.containerId)).toBe(containerNo(1))
    expect(toPlain(doc.cargo.booking)).toBe('BK000001')
    expect(A.getHeads(doc)).toEqual(A.getHeads(r.relay.store.load(docIdOf(1))!))
  })

  it('accepts a customs edit by a customs user: stored, visible over REST, named in history', async () => {
    const handle = await client(r.tokens.customs).find(2)
    handle.change((d) => {
      d.customs.status = s('HELD')
      d.customs.holdReason = s('X-ray requested')
    })
    const view = await waitFor(async () => {
      const res = await r.api('GET', `/api/vessels/${VESSEL}/containers/${containerNo(2)}`)
      return res.body.customs.status === 'HELD' && res.body
    })
    expect(view.customs.holdReason).toBe('X-ray requested')
    expect(r.relay.store.view(docIdOf(2))!.customs.status).toBe('HELD')
    const actor = A.getActorId(handle.doc())
    expect(r.relay.context.registry.get(actor)).toMatchObject({ principal: 'user:carl', role: 'customs' })
    const history = (await r.api('GET', `/api/vessels/${VESSEL}/containers/${containerNo(2)}/history`)).body
    expect(history).toContainEqual(
      expect.objectContaining({ principal: 'carl', role: 'customs', field: 'customs.status', to: 'HELD' }),
    )
  })

  it('refuses a physical edit by a shore user: dead letter, client told, never stored or passed on', async () => {
    const alice = client(r.tokens.shore)
    const handle = await alice.find(3)
    const told = notices(handle)
    handle.change((d) => {
      d.physical.condition = s('DAMAGED')
    })
    const [letter] = await waitFor(() => {
      const found = r.relay.context.deadLetters.list({ docId: docIdOf(3) })
      return found.length > 0 && found
    })
    expect(letter).toMatchObject({ principal: 'user:alice', field: 'physical.condition' })
    const refusedHash = A.getHeads(handle.doc())[0]!
    expect(letter!.changeHash).toBe(refusedHash)
    await waitFor(() => told.some((n) => n.type === 'refused'), 5_000, 'refusal notice')
    expect(told.find((n) => n.type === 'refused')).toMatchObject({
      changes: [expect.objectContaining({ hash: refusedHash, field: 'physical.condition' })],
    })
    expect(A.hasHeads(r.relay.store.load(docIdOf(3))!, [refusedHash])).toBe(false)
    expect(r.relay.store.view(docIdOf(3))!.physical.condition).toBe('OK')

    // Another user opening the document gets the relay's copy, without the refused change.
    const other = await client(r.tokens.ops).find(3)
    expect(toPlain(other.doc().physical.condition)).toBe('OK')

    // Recovery: drop the local copy and load the document from the relay again.
    alice.repo.delete(urlOf(3))
    const reloaded = await alice.find(3)
    expect(toPlain(reloaded.doc().physical.condition)).toBe('OK')
    reloaded.change((d) => A.updateText(d, ['notes'], 'Seal photo requested'))
    await waitFor(() => r.relay.store.view(docIdOf(3))!.notes === 'Seal photo requested')
  })

  it('judges each change of a burst that Automerge packs into one chunk', async () => {
    const handle = await client(r.tokens.shore).find(5)
    // Many changes between two sync rounds travel as one packed chunk, not as single changes.
    for (let i = 0; i < 8; i++) handle.change((d) => A.splice(d, ['notes'], i * 2, 0, `${i} `))
    handle.change((d) => {
      d.physical.sealIntact = false
    })
    handle.change((d) => A.splice(d, ['notes'], 0, 0, 'after: '))
    const letters = await waitFor(() => {
      const found = r.relay.context.deadLetters.list({ docId: docIdOf(5) })
      return found.length === 2 && found
    })
    // The seal change is refused, and so is the edit after it, which builds on it.
    expect(letters.find((l) => l.field === 'physical.sealIntact')).toMatchObject({ principal: 'user:alice' })
    expect(letters.find((l) => l.field === null)?.reason).toMatch(/depends on refused change/)
    await waitFor(() => r.relay.store.view(docIdOf(5))!.notes.startsWith('0 1 2'), 5_000, 'notes stored')
    const stored = r.relay.store.view(docIdOf(5))!
    expect(stored.notes).toBe('0 1 2 3 4 5 6 7 ')
    expect(stored.physical.sealIntact).toBe(true)
  })

  it('refuses changes made with an actor bound to another user (forged)', async () => {
    // Bound to carl by his customs edit in the test above.
    const carlActor = r.relay.context.registry.forPrincipal('user:carl')[0]!.actor
    const handle = await client(r.tokens.shore).find(4)
    handle.update((doc) =>
      A.change(A.clone(doc, { actor: carlActor as A.ActorId }), (d) => A.updateText(d, ['notes'], 'forged')),
    )
    const [letter] = await waitFor(() => {
      const found = r.relay.context.deadLetters.list({ docId: docIdOf(4) })
      return found.length > 0 && found
    })
    expect(letter!.principal).toBe('user:alice')
    expect(letter!.reason).toMatch(/bound to carl/)
    expect(r.relay.store.view(docIdOf(4))!.notes).toBe('')
  })

  it('relays presence between the viewers of a document, named by the relay, not by the client', async () => {
    type State = { user: { name: string; role: string }; editing: string | null }
    const start = (handle: DocHandle<unknown>, claimed: string) => {
      const presence = new Presence<State>({ handle })
      presence.start({
        initialState: { user: { name: claimed, role: 'ops' }, editing: null },
        heartbeatMs: 300,
      })
      return presence
    }
    const a = start(await client(r.tokens.shore).find(6), 'mallory')
    const b = start(await client(r.tokens.customs).find(6), 'mallory')
    const seen = (p: Presence<State>) => Object.values(p.getPeerStates().value).map((s) => s.value.user)
    // Each side sees the other (clients echo presence back to the relay; that must not cost the socket).
    await waitFor(() => seen(a).length > 0 && seen(b).length > 0, 5_000, 'presence both ways')
    expect(seen(a)).toEqual([{ name: 'carl', role: 'customs' }])
    expect(seen(b)).toEqual([{ name: 'alice', role: 'shore' }])
    b.broadcast('editing', 'notes')
    await waitFor(() => Object.values(a.getPeerStates().value)[0]?.value.editing === 'notes', 5_000, 'update')
    a.stop()
    b.stop()
  })

  it('takes a conflict resolved as the shore UI resolves it, even in favour of the value shown', async () => {
    const a = await client(r.tokens.shore).find(6)
    const b = await client(r.tokens.customs).find(6)
    // Written in one tick: neither client can have seen the other's change, so they conflict.
    a.change((d) => {
      d.customs.status = s('HELD')
      d.customs.holdReason = s('Documents missing')
    })
    b.change((d) => {
      d.customs.status = s('INSPECTION')
    })
    const conflict = await waitFor(() => r.relay.store.view(docIdOf(6))!.conflicts[0], 5_000, 'conflict')
    await waitFor(() => toView(b.doc()).conflicts.length === 1, 5_000, 'conflict reaches the client')
    const winner = conflict.values.find((v) => v.winner)!.value
    keepConflictValue(b, 'customs.status', winner, 'customs')
    await waitFor(
      () => r.relay.store.view(docIdOf(6))!.conflicts.length === 0,
      5_000,
      'resolved on the relay',
    )
    const relayHeads = A.getHeads(r.relay.store.load(docIdOf(6))!).join()
    await waitFor(
      () => A.getHeads(a.doc()).join() === relayHeads,
      5_000,
      'resolution reaches the other client',
    )
    expect(toView(a.doc()).conflicts).toEqual([])
    expect(toPlain(a.doc().customs.status)).toBe(winner)
    expect(r.relay.context.deadLetters.list({ docId: docIdOf(6) })).toEqual([])
  })

  it('answers documents that are not container documents with doc-unavailable', async () => {
    const c = client(r.tokens.shore)
    const unknown = c.repo.create<{ x: number }>({ x: 1 })
    await expect(
      client(r.tokens.shore).repo.find(unknown.url, { signal: AbortSignal.timeout(5_000) }),
    ).rejects.toThrow(/unavailable/)
    // The relay did not store it either.
    expect(r.relay.store.row(unknown.documentId)).toBeUndefined()
  })

  it('closes bad connections with named codes and keeps serving everyone else', async () => {
    const watcher = client(r.tokens.ops)
    const watched = await watcher.find(5)

    const noToken = rawSocket(r.syncUrl)
    expect((await noToken.closed).code).toBe(SyncCloseCode.Unauthorized)
    const badToken = rawSocket(`${r.syncUrl}?token=tly_user_not-a-token`)
    const closed = await badToken.closed
    expect(closed.code).toBe(SyncCloseCode.Unauthorized)
    expect(closed.reason).toMatch(/token/)

    const authed = () => rawSocket(`${r.syncUrl}?token=${r.tokens.shore}`)
    const garbage = authed()
    await garbage.opened
    garbage.ws.send(Buffer.from([0xff, 0x13, 0x37, 0x00]))
    expect(await garbage.closed).toMatchObject({ code: SyncCloseCode.BadMessage })

    const text = authed()
    await text.opened
    text.ws.send('hello')
    expect((await text.closed).code).toBe(SyncCloseCode.BadMessage)

    const big = authed()
    await big.opened
    big.ws.send(Buffer.alloc(MAX_SYNC_MESSAGE_BYTES + 1))
    const tooLarge = await big.closed
    expect(tooLarge.code).toBe(SyncCloseCode.TooLarge)
    expect(tooLarge.reason).toMatch(/exceeds/)

    const early = authed()
    await early.opened
    early.ws.send(
      cbor.encode({
        type: 'sync',
        senderId: 'x',
        targetId: 'y',
        documentId: docIdOf(1),
        data: new Uint8Array(3),
      }),
    )
    expect((await early.closed).code).toBe(SyncCloseCode.BadMessage)

    // A join that claims a connected peer's ID, as another user.
    const thief = rawSocket(`${r.syncUrl}?token=${r.tokens.customs}`)
    await thief.opened
    thief.ws.send(
      cbor.encode({
        type: 'join',
        senderId: watcher.repo.peerId,
        peerMetadata: {},
        supportedProtocolVersions: ['1'],
      }),
    )
    expect((await thief.closed).code).toBe(SyncCloseCode.Forbidden)

    // A malformed sync message from a joined peer.
    const joined = authed()
    await joined.opened
    joined.ws.send(
      cbor.encode({ type: 'join', senderId: 'raw-peer', peerMetadata: {}, supportedProtocolVersions: ['1'] }),
    )
    const relayPeer = await new Promise<string>((resolve) =>
      joined.ws.once('message', (data) =>
        resolve((cbor.decode(data as Buffer) as { senderId: string }).senderId),
      ),
    )
    joined.ws.send(
      cbor.encode({
        type: 'sync',
        senderId: 'raw-peer',
        targetId: relayPeer,
        documentId: docIdOf(1),
        data: new Uint8Array([1, 2, 3]),
      }),
    )
    const malformed = await joined.closed
    expect(malformed.code).toBe(SyncCloseCode.BadMessage)
    expect(malformed.reason).toMatch(/malformed sync message/)

    // Everyone else is still served: the watcher sees a REST edit live, a new client syncs.
    const patched = await r.api('PATCH', `/api/vessels/${VESSEL}/containers/${containerNo(5)}`, {
      cargo: { consignee: 'ACME Lda' },
    })
    expect(patched.status).toBe(200)
    await waitFor(
      () => toPlain((watched.doc() as ContainerDoc).cargo.consignee) === 'ACME Lda',
      5_000,
      'live update',
    )
    expect(toPlain((await client(r.tokens.customs).find(6)).doc().containerId)).toBe(containerNo(6))
  })

  it('closes the socket of a token revoked while connected', async () => {
    const { token, record } = r.relay.context.tokens.issueWithRecord('user', 'dora', 'shore')
    const dora = client(token)
    await dora.find(1)
    const socket = dora.adapter.socket!
    const closed = new Promise<number>((resolve) => socket.addEventListener('close', (e) => resolve(e.code)))
    r.relay.context.tokens.revoke(record.id)
    expect(await closed).toBe(SyncCloseCode.Unauthorized)
  })
})
