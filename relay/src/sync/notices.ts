/**
 * What the relay says to browsers besides syncing, carried in automerge-repo's ephemeral messages
 * on the document concerned (so a stock client simply ignores them):
 *
 * - `{tally: {type: 'refused', changes: [{hash, reason, field?}]}}` → the client: changes of yours
 *   were refused and are not on the relay. (An automerge-repo `error` message says the same in words.)
 * - `{tally: {type: 'who', actors: [hex…]}}` ← the client asks who wrote with these actors, and
 *   `{tally: {type: 'actors', actors: {hex: {principal, name, role}}}}` answers; the shore UI names
 *   the authors of conflicting values with it, even for changes that came from the vessel.
 *
 * Presence (automerge-repo's Presence API, `__presence` messages) is forwarded to the document's
 * other viewers with its `user` channel stamped by the relay, so nobody can appear as someone else.
 */
import { cbor } from '@automerge/automerge-repo'
import type { DocumentId, PeerId, Repo } from '@automerge/automerge-repo'
import type { ActorRegistryStore } from '@tally/storage-sqlite'
import type { RelayUser } from '../auth.ts'
import type { RefusedChange } from './change-gate.ts'
import type { SyncServerAdapter } from './sync-adapter.ts'
import type { DocMessage } from './wire.ts'

export const TALLY_MARKER = 'tally'
const PRESENCE_MARKER = '__presence'
/** Actors named per question; a document has a handful. */
const MAX_ACTORS_PER_QUERY = 200

/** The user as presence shows them, set by the relay. */
export interface PresenceUser {
  name: string
  role: string
}

export class SyncNotices {
  constructor(
    private readonly repo: Repo,
    private readonly adapter: SyncServerAdapter,
    private readonly registry: ActorRegistryStore,
  ) {}

  /** Tells a peer that changes it sent were refused, in words and in a form the shore UI reads. */
  refused(peerId: PeerId, docId: DocumentId, refused: RefusedChange[]): void {
    const first = refused[0]!
    this.adapter.sendError(
      peerId,
      `refused ${refused.length} change(s) to document ${docId}: ${first.field ? `${first.field}: ` : ''}${first.reason}` +
        '. Reload the document from the relay to drop them.',
    )
    this.sendEphemeral(peerId, docId, { [TALLY_MARKER]: { type: 'refused', changes: refused.slice(0, 50) } })
  }

  /**
   * An ephemeral message from a peer: answers Tally questions (and keeps them), stamps presence,
   * and returns what the Repo should pass on to the document's other peers.
   */
  ephemeral(user: RelayUser, message: DocMessage): DocMessage | null {
    let body: unknown
    try {
      body = cbor.decode(message.data!)
    } catch {
      return null // not ours to judge, and not worth a socket: drop it
    }
    if (typeof body !== 'object' || body === null) return message
    const tally = (body as Record<string, unknown>)[TALLY_MARKER]
    if (tally !== undefined) {
      this.answer(message.senderId, message.documentId, tally)
      return null
    }
    const presence = (body as Record<string, unknown>)[PRESENCE_MARKER] as Record<string, unknown> | undefined
    if (typeof presence !== 'object' || presence === null) return message
    const stamp: PresenceUser = { name: user.name, role: user.role }
    if (presence.type === 'snapshot' && typeof presence.state === 'object' && presence.state !== null)
      presence.state = { ...(presence.state as object), user: stamp }
    else if (presence.type === 'update' && presence.channel === 'user') presence.value = stamp
    else return message
    return { ...message, data: cbor.encode(body) }
  }

  private answer(peerId: PeerId, docId: DocumentId, question: unknown): void {
    const q = question as { type?: unknown; actors?: unknown }
    if (q?.type !== 'who' || !Array.isArray(q.actors)) return
    const actors: Record<string, { principal: string; name: string; role: string | null }> = {}
    for (const actor of q.actors.slice(0, MAX_ACTORS_PER_QUERY)) {
      if (typeof actor !== 'string' || !/^[0-9a-f]{2,64}$/.test(actor)) continue
      const b = this.registry.get(actor)
      if (b) actors[actor] = { principal: b.principal, name: b.name ?? b.principal, role: b.role }
    }
    this.sendEphemeral(peerId, docId, { [TALLY_MARKER]: { type: 'actors', actors } })
  }

  private sendEphemeral(peerId: PeerId, documentId: DocumentId, body: unknown): void {
    // Through the Repo's network subsystem, which numbers the relay's ephemeral messages.
    this.repo.networkSubsystem.send({
      type: 'ephemeral',
      targetId: peerId,
      documentId,
      data: cbor.encode(body),
    })
  }
}
