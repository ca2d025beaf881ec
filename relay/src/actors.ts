/**
 * The Automerge actors the relay writes with. Each is bound in the actor registry to exactly one
 * principal before its first change (docs/architecture.md), and each is fresh per process: reusing an actor
 * across restarts could repeat sequence numbers, which Automerge cannot tolerate.
 */
import { randomBytes } from 'node:crypto'
import type { ActorRegistryStore } from '@tally/storage-sqlite'
import type { RelayUser } from './auth.ts'

/** Display name of the relay's per-vessel planning actor. */
export const PLANNING_ACTOR_NAME = 'planning@relay'

const freshActor = (): string => randomBytes(16).toString('hex')

export class RelayActors {
  private readonly actors = new Map<string, string>()

  constructor(private readonly registry: ActorRegistryStore) {}

  /** The actor for a user's edits through this relay process. */
  forUser(user: RelayUser): string {
    // Keyed by role as well: a user holding tokens with two roles gets one actor per role, so the
    // binding's role always matches the authority the edit was checked against.
    return this.get(`${user.principal}\n${user.role}`, () => ({
      principal: user.principal,
      kind: 'user',
      role: user.role,
      name: user.name,
    }))
  }

  /**
   * The actor that writes a vessel's initial `physical` values (planned stowage, state) when the
   * shore creates its containers. `physical` is owned by the vessel (docs/architecture.md), and a change by a
   * user principal writing it would rightly be refused by every replica's policy. Planning is the
   * one place the shore legitimately sets vessel-owned values, so it does so on the vessel's behalf:
   * the actor is bound to the vessel principal, with a name (`planning@relay`) that shows in the
   * registry and the audit trail where the values came from.
   */
  forPlanning(vessel: string): string {
    return this.get(`planning\n${vessel}`, () => ({
      principal: vessel,
      kind: 'vessel',
      role: 'vessel',
      name: PLANNING_ACTOR_NAME,
    }))
  }

  private get(
    key: string,
    binding: () => { principal: string; kind: 'user' | 'vessel'; role: string; name: string },
  ): string {
    let actor = this.actors.get(key)
    if (!actor) {
      actor = freshActor()
      this.registry.bind({ actor, ...binding() })
      this.actors.set(key, actor)
    }
    return actor
  }
}
