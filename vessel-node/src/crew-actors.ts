/**
 * The Automerge actor each crew member writes with. Every actor is bound to exactly one principal
 * (docs/architecture.md): crew edits belong to the vessel (role 'vessel'), with the crew member's name kept on
 * the binding for the history. A fresh random actor is used per crew member per process start,
 * because reusing one across restarts or replicas would repeat sequence numbers, which Automerge
 * cannot tell apart from forgery.
 */
import { randomBytes } from 'node:crypto'
import type { ActorRegistryStore } from '@tally/storage-sqlite'

/** Bytes in an actor ID (hex-encoded to 32 characters). */
const ACTOR_BYTES = 16

export class CrewActors {
  private readonly actors = new Map<string, string>()

  constructor(
    private readonly registry: ActorRegistryStore,
    private readonly vessel: string,
  ) {}

  /** The actor of `user` in this process, bound (durably) before it is first returned. */
  actorFor(user: string): string {
    let actor = this.actors.get(user)
    if (actor) return actor
    actor = randomBytes(ACTOR_BYTES).toString('hex')
    this.registry.bind({ actor, principal: this.vessel, kind: 'vessel', role: 'vessel', name: user })
    this.actors.set(user, actor)
    return actor
  }
}
